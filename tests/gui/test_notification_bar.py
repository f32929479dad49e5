"""The banner stays readable in the dark theme: its text colour does not follow the palette."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.theme import apply_theme
from app.views.notification_bar import STYLES, NotificationBar


@pytest.fixture
def dark(qapp: QApplication) -> Iterator[None]:
    palette, style_sheet = qapp.palette(), qapp.styleSheet()
    apply_theme(qapp, dark=True)
    yield
    qapp.setPalette(palette)
    qapp.setStyleSheet(style_sheet)


@pytest.mark.parametrize("level", ["info", "warning", "error"])
def test_banner_text_is_dark_on_its_light_background_in_the_dark_theme(
    qtbot: QtBot, dark: None, level: str
) -> None:
    bar = NotificationBar()
    qtbot.addWidget(bar)
    bar.show_message(level, "Compared users: 3 only here")
    bar.label.ensurePolished()
    text = bar.label.palette().color(QPalette.ColorRole.WindowText)
    assert text == QColor(STYLES[level][1])
    assert QApplication.palette().color(QPalette.ColorRole.WindowText).lightness() > 200
