"""Light and dark palettes on Qt's Fusion style, plus the app's stylesheet.

Fusion looks the same on every desktop and honours the palette fully, so one stylesheet
(``resources/styles/app.qss``) serves both themes; icons are recoloured from the palette.
"""

from __future__ import annotations

from importlib.resources import files

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

from app.icons import install_app_icon

DARK = {
    QPalette.ColorRole.Window: "#26282c",
    QPalette.ColorRole.WindowText: "#e6e6e6",
    QPalette.ColorRole.Base: "#1e1f22",
    QPalette.ColorRole.AlternateBase: "#2a2c30",
    QPalette.ColorRole.ToolTipBase: "#33363b",
    QPalette.ColorRole.ToolTipText: "#f0f0f0",
    QPalette.ColorRole.Text: "#e6e6e6",
    QPalette.ColorRole.Button: "#2f3237",
    QPalette.ColorRole.ButtonText: "#e6e6e6",
    QPalette.ColorRole.Highlight: "#3b7dd8",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.PlaceholderText: "#8a8f98",
    QPalette.ColorRole.Link: "#6aa6ff",
}


def apply_theme(app: QApplication, *, dark: bool = False) -> None:
    """Use Fusion with a light (default) or dark palette, load the stylesheet, set the app icon."""
    app.setStyle(QStyleFactory.create("Fusion"))
    palette = app.style().standardPalette()
    if dark:
        for role, color in DARK.items():
            palette.setColor(role, QColor(color))
        palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#6b6f76"))
        palette.setColor(
            QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#6b6f76")
        )
    app.setPalette(palette)
    app.setStyleSheet((files("resources") / "styles" / "app.qss").read_text(encoding="utf-8"))
    install_app_icon(app)
