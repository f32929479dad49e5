"""The About dialog: one version (the package metadata), and the licences of what is installed."""

from __future__ import annotations

from importlib.metadata import metadata, version
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QStyleFactory
from pytestqt.qtbot import QtBot

from app import __version__
from app.theme import apply_theme
from app.views.about_dialog import DISTRIBUTIONS, LUCIDE_VERSION, AboutDialog, components

ROOT = Path(__file__).resolve().parents[2]


def _rows(dialog: AboutDialog) -> dict[str, tuple[str, str, str]]:
    table = dialog.table
    rows = {}
    for row in range(table.rowCount()):
        name, release, licence = (table.item(row, column).text() for column in range(3))
        link = table.cellWidget(row, 3)
        assert isinstance(link, QLabel)
        rows[name] = (release, licence, link.text())
    return rows


def test_shows_the_version_from_the_package_metadata(qtbot: QtBot) -> None:
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    assert __version__ == version("leap-sync")
    assert f"Version {version('leap-sync')}" in dialog.title_label.text()
    assert dialog.summary_label.text() == metadata("leap-sync")["Summary"]
    assert dialog.windowTitle() == "About Leap Sync"


def test_lists_the_licences_of_the_installed_components(qtbot: QtBot) -> None:
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    rows = _rows(dialog)
    assert rows["Qt"][1] == "LGPL-3.0-only"
    assert rows["PySide6_Essentials"][0] == version("PySide6_Essentials")
    assert "LGPL-3.0-only" in rows["PySide6_Essentials"][1]
    assert rows["qasync"][1] == "BSD-2-Clause"
    assert rows["botocore"][1] == "Apache-2.0"
    assert rows["keyring"][1] == "MIT"
    assert rows["pydantic"][1] == "MIT"
    assert rows["Lucide icons"] == (
        LUCIDE_VERSION,
        "ISC",
        '<a href="https://lucide.dev">https://lucide.dev</a>',
    )
    # Every listed distribution that is installed here has a row, with a licence and a version.
    for name in DISTRIBUTIONS:
        meta = metadata(name)
        assert rows[meta["Name"]][0] == meta["Version"]
        assert rows[meta["Name"]][1] not in ("", "see its licence file"), name
    assert all(url.startswith('<a href="https://') for _, _, url in rows.values())


def test_the_lucide_version_is_the_one_the_icons_came_from() -> None:
    readme = (ROOT / "resources" / "icons" / "README.md").read_text(encoding="utf-8")
    assert f"`lucide-static` {LUCIDE_VERSION}" in readme
    assert (ROOT / "resources" / "icons" / "LICENSE-lucide.txt").is_file()


def test_components_leave_out_what_is_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.views.about_dialog.DISTRIBUTIONS", ("qasync", "no-such-dist"))
    names = [component.name for component in components()]
    assert names == ["Python", "Qt", "qasync", "Lucide icons"]


def test_links_open_externally_and_about_qt_is_offered(qtbot: QtBot) -> None:
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    assert dialog.notice_label.openExternalLinks()
    assert all(
        dialog.table.cellWidget(row, 3).openExternalLinks()  # type: ignore[union-attr]
        for row in range(dialog.table.rowCount())
    )
    assert dialog.findChild(QPushButton, "aboutQtButton") is not None


def test_reads_well_in_light_and_dark(qtbot: QtBot) -> None:
    """The stylesheet and palettes apply to the dialog, and the app icon is the window icon."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    # Leave the shared QApplication as the other GUI tests know it.
    before = (app.style().name(), app.palette(), app.styleSheet(), app.windowIcon())
    before_desktop_name = app.desktopFileName()
    try:
        for dark in (False, True):
            apply_theme(app, dark=dark)
            assert app.styleSheet().startswith("/* Leap Sync stylesheet")
            dialog = AboutDialog()
            qtbot.addWidget(dialog)
            dialog.show()
            qtbot.waitExposed(dialog)
            image = dialog.grab().toImage()
            background = image.pixelColor(image.width() - 2, image.height() // 2).lightness()
            text = dialog.palette().windowText().color().lightness()
            assert (background < 128) == dark
            assert abs(background - text) > 100  # text stands out from its background
            assert not app.windowIcon().isNull()
            assert app.desktopFileName() == "io.leapsync.LeapSync"
            dialog.close()
    finally:
        style, palette, stylesheet, window_icon = before
        app.setStyle(QStyleFactory.create(style))
        app.setPalette(palette)
        app.setStyleSheet(stylesheet)
        app.setWindowIcon(window_icon)
        app.setDesktopFileName(before_desktop_name)
