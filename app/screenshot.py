"""``leap-sync --screenshot PNG``: a picture of the populated window, for docs and review.

Expands the first user and recording in both trees, waits until listings and usage have arrived,
and saves the window as it is drawn.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from PySide6.QtWidgets import QApplication

from app.views.main_window import MainWindow
from app.views.tree_pane import TreePane

WAIT_SECONDS = 15.0


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
    """Populate the view a little and save a PNG of the window to ``target``."""
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
    QApplication.processEvents()
    target.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(target))
