"""The app skeleton: the window opens with its two panes (headless, pytest-qt)."""

from __future__ import annotations

import subprocess
import sys

from PySide6.QtCore import QPoint
from pytestqt.qtbot import QtBot

from app.main import describe_settings
from app.main_window import MainWindow
from file_storage.settings import StorageSettings


def test_main_window_has_local_and_remote_panes(qtbot: QtBot) -> None:
    window = MainWindow("/data/store", "s3://bucket/storage at http://127.0.0.1:8333")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.local_tree.objectName() == "localTree"
    assert window.remote_tree.objectName() == "remoteTree"
    assert window.local_tree.isVisible()
    assert window.remote_tree.isVisible()
    left = window.local_tree.mapToGlobal(QPoint(0, 0)).x()
    assert left < window.remote_tree.mapToGlobal(QPoint(0, 0)).x()
    headers = [
        window.local_tree.model().headerData(i, window.local_tree.header().orientation())
        for i in range(3)
    ]
    assert headers == ["Name", "Size", "Modified"]


def test_headings_never_show_the_secret() -> None:
    settings = StorageSettings(
        s3_bucket="recordings",
        s3_secret_access_key="TOPSECRETVALUE",
        s3_access_key_id="AK",
        s3_endpoint_url="http://127.0.0.1:9000",
    )
    local, remote = describe_settings(settings)
    assert "TOPSECRETVALUE" not in local + remote
    assert "s3://recordings/storage" in remote


def test_version_flag() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app.main", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.startswith("leap-sync ")
