"""Rich progress bars for transfers, quiet when stderr is not a terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from file_storage.cli.runner import is_quiet
from file_storage.units import human_size

stderr_console = Console(stderr=True)


class BinarySpeedColumn(ProgressColumn):
    """Speed in the same binary units as the sizes and the summaries (MiB/s, not MB/s)."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        if speed is None:
            return Text("?", style="progress.data.speed")
        return Text(f"{human_size(speed)}/s", style="progress.data.speed")


class BarUpdate(Protocol):
    """Drives a bar: bytes done, and optionally a new label or a new total."""

    def __call__(
        self, done: int, description: str | None = None, total: int | None = None
    ) -> None: ...


@contextmanager
def transfer_bar(label: str, total: int, *, quiet: bool | None = None) -> Iterator[BarUpdate]:
    """Show a bar for one transfer and yield the callback that drives it.

    The callback is also a valid ``progress`` callback for the backends (bytes done). Hidden
    with ``-q`` (``quiet=None`` asks the command line) and when stderr is not a terminal.
    """
    quiet = is_quiet() if quiet is None else quiet
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(binary_units=True),
        BinarySpeedColumn(),
        TimeRemainingColumn(),
        console=stderr_console,
        disable=quiet or not sys.stderr.isatty(),
        transient=False,
    )
    with progress:
        yield _Bar(progress, progress.add_task(label, total=total))


class _Bar:
    """The :class:`BarUpdate` of one rich task."""

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self._progress = progress
        self._task = task

    def __call__(self, done: int, description: str | None = None, total: int | None = None) -> None:
        changes: dict[str, Any] = {}
        if description is not None:
            changes["description"] = description
        if total is not None:
            changes["total"] = total
        self._progress.update(self._task, completed=done, **changes)
