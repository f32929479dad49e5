"""Icons from ``resources/icons``, recoloured for the current palette.

The Lucide SVGs draw with ``currentColor``; Qt's SVG renderer would paint that black, which
vanishes on a dark palette. Each icon is rendered with the palette's text colour instead.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

SIZES = (16, 20, 24, 32, 48)


def _svg_text(name: str) -> str:
    return (files("resources") / "icons" / f"{name}.svg").read_text(encoding="utf-8")


@cache
def _icon(name: str, color: str) -> QIcon:
    svg = _svg_text(name).replace("currentColor", color)
    renderer = QSvgRenderer(QByteArray(svg.encode()))
    icon = QIcon()
    for size in SIZES:
        for ratio in (1.0, 2.0):
            pixmap = QPixmap(int(size * ratio), int(size * ratio))
            pixmap.setDevicePixelRatio(ratio)
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            renderer.render(painter, QRectF(0, 0, size, size))
            painter.end()
            icon.addPixmap(pixmap)
    return icon


def icon(name: str, color: str | QColor | None = None) -> QIcon:
    """Return the icon ``name`` (a file in resources/icons without ``.svg``).

    Args:
        name: Icon name, e.g. ``"upload"``.
        color: Stroke colour; defaults to the application palette's text colour.
    """
    if color is None:
        app = QGuiApplication.instance()
        color = app.palette().windowText().color() if app else QColor("#333")  # type: ignore[attr-defined]
    if isinstance(color, QColor):
        color = color.name()
    return _icon(name, color)


#: The application's id: the name of its desktop entry, AppStream file and installed icons.
APP_ID = "io.leapsync.LeapSync"
APP_ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)


@cache
def app_icon() -> QIcon:
    """Return the application icon: PNGs rendered from ``icons/app/leap-sync.svg``.

    PNGs (made by packaging/render_icons.py), so the window manager gets crisp pixels at each size.
    """
    folder = files("resources") / "icons" / "app"
    result = QIcon()
    for size in APP_ICON_SIZES:
        pixmap = QPixmap()
        pixmap.loadFromData((folder / f"leap-sync-{size}.png").read_bytes(), "PNG")
        result.addPixmap(pixmap)
    return result


def install_app_icon(app: QGuiApplication) -> None:
    """Give every window the app icon, and tell Wayland compositors which desktop entry is ours."""
    app.setWindowIcon(app_icon())
    app.setDesktopFileName(APP_ID)
