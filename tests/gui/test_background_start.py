"""One instance per user (two real processes), and start at login (the XDG autostart entry)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QDir, QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from app.single_instance import SingleInstance, instance_name
from app.views.background_settings import (
    BackgroundSettingsDialog,
    autostart_enabled,
    autostart_path,
)
from app.views.tray import SETTING_CLOSE_TO_TRAY, close_to_tray_enabled
from tests.gui.helpers_window import wait_until


@pytest.fixture(autouse=True)
def own_places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings and the autostart folder in ``tmp_path``, never the user's."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qsettings")
    )
    QSettings().clear()


def app_config_dir(tmp_path: Path) -> Path:
    """Where ``app.main`` finds its configuration with ``XDG_CONFIG_HOME`` in ``tmp_path``."""
    return tmp_path / "config" / "LeapSync" / "Leap Sync"


def start_app(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORAGE_")}
    env |= {
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "TMPDIR": QDir.tempPath(),  # where the first instance's socket and lock are
        "STORAGE_LOCAL_PATH": str(tmp_path / "store"),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "app.main", *args],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def test_a_second_start_raises_the_first_and_exits(tmp_path: Path) -> None:
    first = SingleInstance(instance_name(app_config_dir(tmp_path)))
    assert first.claim()
    asked: list[bool] = []
    first.activateRequested.connect(lambda: asked.append(True))
    try:
        second = start_app(tmp_path)
        code = await asyncio.to_thread(second.wait, 60)
        _out, err = second.communicate()
        assert code == 0, err[-2000:]
        await wait_until(lambda: bool(asked), 10, "the first instance to be asked to show")
        assert not (tmp_path / "store").exists(), "the second start must not open the app"
    finally:
        first.release()


async def test_a_crashed_instance_does_not_block_the_next_start(tmp_path: Path) -> None:
    """A lock left by a killed process (its pid is gone) is taken over, and the socket too."""
    name = instance_name(app_config_dir(tmp_path))
    code = (
        "import sys, time\n"
        "from PySide6.QtCore import QCoreApplication\n"
        "from app.single_instance import SingleInstance\n"
        "app = QCoreApplication([])\n"
        f"ok = SingleInstance({name!r}).claim()\n"
        "print('CLAIMED' if ok else 'NOT', flush=True)\n"
        "if ok: time.sleep(3600)\n"
    )
    crashed = subprocess.Popen(
        [sys.executable, "-c", code],
        env={**os.environ, "TMPDIR": QDir.tempPath()},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = await asyncio.to_thread(crashed.stdout.readline)  # type: ignore[union-attr]
        assert line.strip() == "CLAIMED"
    finally:
        crashed.kill()
        crashed.wait(10)
        crashed.stdout.close()  # type: ignore[union-attr]
    after = SingleInstance(name)
    try:
        assert after.claim(), "the dead process's lock was not taken over"
        asked: list[bool] = []
        after.activateRequested.connect(lambda: asked.append(True))
        third = await asyncio.to_thread(  # one more start: it finds the new instance
            subprocess.run,
            [sys.executable, "-c", code],
            env={**os.environ, "TMPDIR": QDir.tempPath()},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert third.stdout.strip() == "NOT", third.stderr[-2000:]
        await wait_until(lambda: bool(asked), 10, "the new instance to be asked to show")
    finally:
        after.release()


def click_ok(dialog: BackgroundSettingsDialog) -> None:
    button = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def test_start_at_login_writes_and_removes_the_autostart_entry(qapp: QApplication) -> None:
    entry = autostart_path()
    assert entry.parent.parent == Path(os.environ["XDG_CONFIG_HOME"])
    dialog = BackgroundSettingsDialog(tray_available=True)
    dialog.show()
    assert not dialog.autostart.isChecked()
    QTest.mouseClick(dialog.autostart, Qt.MouseButton.LeftButton)
    QTest.mouseClick(dialog.close_to_tray, Qt.MouseButton.LeftButton)  # on by default: off
    click_ok(dialog)
    assert not dialog.isVisible()
    text = entry.read_text(encoding="utf-8")
    assert text.startswith("[Desktop Entry]\nType=Application\n")
    exec_line = next(line for line in text.splitlines() if line.startswith("Exec="))
    assert exec_line.endswith(" --background")
    assert autostart_enabled()
    assert QSettings().value(SETTING_CLOSE_TO_TRAY) in (False, "false")
    assert not close_to_tray_enabled()

    again = BackgroundSettingsDialog(tray_available=True)
    again.show()
    assert again.autostart.isChecked()
    QTest.mouseClick(again.autostart, Qt.MouseButton.LeftButton)
    click_ok(again)
    assert not entry.exists()
    assert not autostart_enabled()


def test_an_unwritable_autostart_folder_is_said_and_the_dialog_stays(
    qapp: QApplication,
) -> None:
    blocker = autostart_path().parent
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("not a folder")
    dialog = BackgroundSettingsDialog(tray_available=False)
    dialog.show()
    QTest.mouseClick(dialog.autostart, Qt.MouseButton.LeftButton)
    click_ok(dialog)
    assert dialog.isVisible()
    assert dialog.error.isVisible()
    assert dialog.error.text().startswith("The login entry could not be changed:")
    dialog.close()
