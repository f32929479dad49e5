"""Screenshots of the tray icon's states in a real tray host (run under Xvfb with ``trayer``).

``python -m tests.gui.tray_shots OUT_DIR`` with ``DISPLAY`` set: builds the app's tray on a local
workspace, puts it in each state, grabs the tray strip from the screen (what the tray host really
shows) and saves ``tray-<state>.png`` (the strip enlarged, with the tooltip's text under it) and
``tray-menu.png`` (the menu open), then prints one line per file with the share of its tray
strip that has the state's colour and the share that has the error's red, for the test.

To refresh the pictures in the docs: ``xvfb-run`` is not enough (no tray host); start ``Xvfb``,
then ``trayer --edge top --align right --widthtype pixel --width 160 --height 32 --tint 0xdddddd
--transparent true --alpha 0`` on it, and run ``python -m tests.gui.tray_shots docs/screenshots``.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

import qasync
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QApplication

from app.services.background_state import BackgroundState
from app.views.log_panel import QtLogHandler
from app.views.tray import _LOOK, TrayController
from app.workspace import WorkspaceHost, build_workspace
from file_storage.settings import StorageSettings

#: Where trayer sits: the top right corner (``--edge top --align right``), 160 x 32.
STRIP = QRect(0, 0, 160, 32)
SCALE = 3


def colour_share(image: QImage, colour: str) -> float:
    """The share of ``image``'s pixels within a small distance of ``colour``."""
    want = QColor(colour)
    hits = total = 0
    for x in range(image.width()):
        for y in range(image.height()):
            pixel = image.pixelColor(x, y)
            total += 1
            if (
                abs(pixel.red() - want.red())
                + abs(pixel.green() - want.green())
                + abs(pixel.blue() - want.blue())
                < 60
            ):
                hits += 1
    return hits / max(1, total)


def grab_strip(app: QApplication) -> QPixmap:
    screen = app.primaryScreen()
    width = screen.geometry().width()
    return screen.grabWindow(0, width - STRIP.width(), 0, STRIP.width(), STRIP.height())


def captioned(strip: QPixmap, caption: str) -> QPixmap:
    """The strip enlarged, with the tooltip's lines under it."""
    big = strip.scaled(strip.width() * SCALE, strip.height() * SCALE)
    out = QPixmap(big.width(), big.height() + 70)
    out.fill(QColor("#ffffff"))
    painter = QPainter(out)
    painter.drawPixmap(0, 0, big)
    font = QFont()
    font.setPixelSize(16)
    painter.setFont(font)
    painter.setPen(QColor("#222222"))
    painter.drawText(
        QRect(10, big.height() + 6, big.width() - 20, 60),
        int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop),
        caption,
    )
    painter.end()
    return out


async def main(out: Path) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    root = Path(tempfile.mkdtemp())
    workspace = build_workspace(
        StorageSettings(local_path=root / "store"), "Shots", cache_dir=root / "cache"
    )
    host = WorkspaceHost(workspace, QtLogHandler())
    state = BackgroundState()
    tray = TrayController(host, state, lambda: None)
    assert tray.available, "no tray host on this display"
    tray.show()
    out.mkdir(parents=True, exist_ok=True)
    steps = {
        "idle": state.set_idle,
        "syncing": lambda: state.set_syncing(0.42),
        "paused": lambda: tray.pause_for_hour(),
        "error": lambda: (tray.toggle_pause(), state.set_error("The bucket refused the key.")),
        "quota": lambda: (state.set_idle(), state.set_quota(87, 100)),
    }
    for name, step in steps.items():
        step()
        await asyncio.sleep(0.3)  # the tray host repaints
        assert tray.shown_state == name, (name, tray.shown_state)
        strip = grab_strip(app)
        share = colour_share(strip.toImage(), _LOOK[name][0])
        red = colour_share(strip.toImage(), _LOOK["error"][0])
        captioned(strip, tray.icon.toolTip()).save(str(out / f"tray-{name}.png"))
        print(f"tray-{name}.png {share:.4f} {red:.4f}", flush=True)
    geometry = app.primaryScreen().geometry()
    tray.menu.popup(QPoint(geometry.width() - 240, STRIP.height() + 2))
    await asyncio.sleep(0.3)
    shot = app.primaryScreen().grabWindow(0, geometry.width() - 260, 0, 260, 220)
    shot.save(str(out / "tray-menu.png"))
    print("tray-menu.png 1 0", flush=True)
    tray.menu.hide()
    tray.hide()
    await workspace.aclose()
    host.window.deleteLater()


if __name__ == "__main__":
    application = QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(application)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(main(Path(sys.argv[1])))
