"""``leap-sync --screenshot PNG``: a picture of the populated window, for docs and review.

Expands the first user and recording in both trees, waits until listings and usage have arrived,
and saves the window as it is drawn.

``leap-sync --screenshot FOLDER`` (a path not ending in ``.png``) saves three pictures there:
``main-window.png`` as above, ``queue-running.png`` (the Transfers tab with an upload under way)
and ``settings.png`` (the Settings dialog). The running upload is a scratch file from the temp
folder sent to a key under ``users/user_000001/recordings/screenshot-upload/``; it is cancelled
once the picture is taken, so the bucket keeps nothing of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import time
from pathlib import Path

from PySide6.QtWidgets import QDialog, QWidget

from app.services.transfers import JobState
from app.views.main_window import MainWindow
from app.views.tree_pane import TreePane

WAIT_SECONDS = 15.0
#: The size of the upload caught running in ``queue-running.png``.
UPLOAD_MIB = 192


async def _expand(pane: TreePane, path: str, deadline: float) -> bool:
    """Expand ``path`` once the model knows it; wait for its children to load."""
    while time.monotonic() < deadline:
        index = pane.model.index_for(path)
        if index.isValid():
            pane.view.expand(pane.proxy.mapFromSource(index))
            while pane.model.is_loading(path) and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            return True
        await asyncio.sleep(0.05)
    return False


def _first_child(pane: TreePane, path: str) -> str | None:
    index = pane.model.index_for(path)
    if not index.isValid() or pane.model.rowCount(index) == 0:
        return None
    return pane.model.path_for(pane.model.index(0, 0, index))


async def take_screenshot(window: MainWindow, target: Path) -> None:
    """Populate the view a little and save a PNG of the window to ``target``; a ``target``
    that is not a ``.png`` is a folder for the three pictures (see the module docstring)."""
    if target.suffix.lower() != ".png":
        await take_screenshots(window, target)
        return
    await _populate(window)
    _save(window, target)


async def take_screenshots(window: MainWindow, folder: Path) -> None:
    """The main window, the queue with a running upload and the Settings dialog."""
    await _populate(window)
    _save(window, folder / "main-window.png")
    await _running_queue(window, folder / "queue-running.png")
    await _settings(window, folder / "settings.png")


def _save(widget: QWidget, target: Path) -> None:
    # No processEvents() here: from inside a coroutine it would step the running transfers'
    # tasks in a nested loop, which asyncio refuses. grab() renders the widget as it is.
    target.parent.mkdir(parents=True, exist_ok=True)
    widget.grab().save(str(target))


async def _running_queue(window: MainWindow, target: Path) -> None:
    """An upload big enough to be caught running, shown in the Transfers tab."""
    remote = window.remote
    if remote is None:
        return
    window.bottom_tabs.setCurrentIndex(0)
    with tempfile.TemporaryDirectory(prefix="leap-shot-") as scratch:
        source = Path(scratch) / "source.mp4"
        await asyncio.to_thread(_write_random, source, UPLOAD_MIB)
        job = window.queue.add_upload(
            remote, source, "users/user_000001/recordings/screenshot-upload/source.mp4"
        )
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline and not (  # noqa: ASYNC110 - a one-off wait
            job.state is JobState.RUNNING and job.percent >= 5 and job.speed > 0
        ):
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)  # let the row repaint with the progress
        _save(window, target)
        window.queue.cancel(job.id)
        while time.monotonic() < deadline + 10 and job.state in (  # noqa: ASYNC110
            JobState.QUEUED,
            JobState.RUNNING,
        ):
            await asyncio.sleep(0.05)
    window.queue.clear_finished()


def _write_random(path: Path, mib: int) -> None:
    with open(path, "wb") as handle:
        for _ in range(mib):
            handle.write(os.urandom(1024 * 1024))


async def _settings(window: MainWindow, target: Path) -> None:
    """Open Settings as the toolbar button does, save its picture, close it."""
    window.action_settings.trigger()
    dialog: QDialog | None = None
    deadline = time.monotonic() + WAIT_SECONDS
    while dialog is None and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        found = window.findChild(QDialog, "settingsDialog")
        dialog = found if isinstance(found, QDialog) and found.isVisible() else None
    if dialog is None:
        return
    await asyncio.sleep(0.5)  # its keyring check and first status line
    _save(dialog, target)
    with contextlib.suppress(RuntimeError):
        dialog.reject()


async def _populate(window: MainWindow) -> None:
    """Open the first recording of both trees, compare, select it for the preview."""
    deadline = time.monotonic() + WAIT_SECONDS
    shown: tuple[TreePane, str] | None = None
    for pane in (window.local_pane, window.remote_pane):
        if not await _expand(pane, "users", deadline):
            continue
        user = _first_child(pane, "users")
        if user and await _expand(pane, user, deadline):
            await _expand(pane, f"{user}/recordings", deadline)
            recording = _first_child(pane, f"{user}/recordings")
            if recording:
                await _expand(pane, recording, deadline)
                shown = (pane, recording)
    if window.sync_controller is not None and window.remote is not None:
        # Compare the whole store, so the Status column shows the comparison badges.
        await window.sync_controller.compare_selected("users")
    if shown is not None and window.preview_pane is not None:
        # Select the last recording expanded, so the preview pane shows its thumbnail and facts.
        pane, recording = shown
        index = pane.proxy.mapFromSource(pane.model.index_for(recording))
        pane.view.setCurrentIndex(index)
        preview = window.preview_pane
        while time.monotonic() < deadline and not (  # noqa: ASYNC110 - a one-off wait
            preview.has_image() and preview.values["Duration"].text() != "—"
        ):
            await asyncio.sleep(0.05)
    while time.monotonic() < deadline and not all(  # noqa: ASYNC110 - a one-off wait
        usage.counted for usage in window.usage.sides.values()
    ):
        await asyncio.sleep(0.05)
    window.bottom_tabs.setCurrentIndex(0)
    await asyncio.sleep(0.3)
