"""Rich progress bars for transfers, quiet when stderr is not a terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from file_storage.progress import ProgressCallback

stderr_console = Console(stderr=True)


@contextmanager
def transfer_bar(label: str, total: int) -> Iterator[ProgressCallback]:
    """Show a bar for one transfer and yield the progress callback that drives it."""
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(binary_units=True),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=stderr_console,
        disable=not sys.stderr.isatty(),
        transient=False,
    )
    with progress:
        task = progress.add_task(label, total=total)

        def update(transferred: int) -> None:
            progress.update(task, completed=transferred)

        yield update
