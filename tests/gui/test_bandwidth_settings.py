"""Bandwidth limits in Background…: typed in, refused with the parser's words, applied at once
to the process's shared limiter, and shown under the queue until the timetable switches."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale, QSettings, Qt, QTime
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QWidget
from pytestqt.qtbot import QtBot

import app.views.background_settings as background_settings
from app.services.transfers import JobQueue
from app.views.background_settings import (
    SETTING_BWLIMIT_DOWN,
    SETTING_BWLIMIT_SCHEDULE,
    SETTING_BWLIMIT_UP,
    BackgroundSettingsDialog,
    apply_saved_limits,
)
from app.views.bandwidth_status import BandwidthStatus
from app.views.transfer_panel import TransferPanel
from file_storage.bandwidth import BandwidthLimiter, BandwidthSyntaxError, parse_schedule
from file_storage.settings import StorageSettings

MiB = 1024 * 1024


@pytest.fixture(autouse=True)
def own_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """QSettings and the autostart folder in ``tmp_path``, never the user's."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qsettings")
    )
    QSettings().clear()


@pytest.fixture(autouse=True)
def unlimited_afterwards() -> Iterator[BandwidthLimiter]:
    """The shared limiter starts and ends unlimited, unpinned, on the real clock, so no other
    test is throttled by what this one set."""
    limiter = BandwidthLimiter.shared()

    def reset() -> None:
        limiter.configure()
        limiter.pinned = False
        limiter.clock = datetime.now
        background_settings._storage_limits = (None, None, None)

    reset()
    yield limiter
    reset()


def ok_button(dialog: BackgroundSettingsDialog) -> QWidget:
    button = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert button is not None
    return button


def type_into(widget: QWidget, text: str) -> None:
    """Select what the field shows and type over it, as a user does."""
    widget.setFocus()
    QTest.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(widget, text)


def test_typed_limits_are_saved_applied_at_once_and_shown_under_the_queue(
    qtbot: QtBot, unlimited_afterwards: BandwidthLimiter
) -> None:
    limiter = unlimited_afterwards
    panel = TransferPanel(JobQueue())
    qtbot.addWidget(panel)
    panel.show()
    assert panel.bandwidth_status.text() == "No limit"

    dialog = BackgroundSettingsDialog(tray_available=True)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.up_spin.text() == "No limit"
    type_into(dialog.up_spin, "20")
    dialog.up_unit.setFocus()
    QTest.keyClick(dialog.up_unit, Qt.Key.Key_Down)  # MiB/s -> Mbit/s
    assert dialog.up_unit.currentText() == "Mbit/s"
    type_into(dialog.down_spin, "10")  # MiB/s, the unit shown first
    QTest.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)

    assert not dialog.isVisible()
    assert QSettings().value(SETTING_BWLIMIT_UP) == "20Mbit/s"
    assert QSettings().value(SETTING_BWLIMIT_DOWN) == "10M"
    now = limiter.current()
    assert (now.up, now.down, now.until) == (2_500_000, 10 * MiB, None)
    assert limiter.up.rate == 2_500_000  # what transfers are held to, not only the report
    assert limiter.pinned  # a backend made later keeps STORAGE_BWLIMIT_* out
    assert panel.bandwidth_status.text() == "Upload limit 20 Mbit/s, download limit 10 MiB/s"

    again = BackgroundSettingsDialog(tray_available=True)
    qtbot.addWidget(again)
    again.show()
    assert (again.up_spin.value(), again.up_unit.currentText()) == (20.0, "Mbit/s")
    assert (again.down_spin.value(), again.down_unit.currentText()) == (10.0, "MiB/s")
    type_into(again.up_spin, "0")
    type_into(again.down_spin, "0")
    QTest.mouseClick(ok_button(again), Qt.MouseButton.LeftButton)
    assert not again.isVisible()
    assert (limiter.current().up, limiter.current().down) == (None, None)
    assert not limiter.pinned
    assert panel.bandwidth_status.text() == "No limit"


def test_a_bad_timetable_shows_the_parsers_message_and_ok_stays_disabled(
    qtbot: QtBot, unlimited_afterwards: BandwidthLimiter
) -> None:
    limiter = unlimited_afterwards
    bad = "Mon-Fri 9-18 20Mbit/s"
    with pytest.raises(BandwidthSyntaxError) as refused:
        parse_schedule(bad)
    dialog = BackgroundSettingsDialog(tray_available=True)
    qtbot.addWidget(dialog)
    dialog.show()
    assert ok_button(dialog).isEnabled()
    assert not dialog.timetable_error.isVisible()
    type_into(dialog.timetable, bad)

    assert dialog.timetable_error.isVisible()
    assert dialog.timetable_error.text() == str(refused.value)
    assert "'9' is not a time" in dialog.timetable_error.text()
    assert not ok_button(dialog).isEnabled()
    QTest.keyClick(dialog.timetable, Qt.Key.Key_Return)  # Enter does not save it either
    assert dialog.isVisible()
    assert limiter.schedule is None
    assert QSettings().value(SETTING_BWLIMIT_SCHEDULE) is None

    good = "Mon-Fri 09:00-18:00 20Mbit/s:off; otherwise off"
    type_into(dialog.timetable, good)
    assert not dialog.timetable_error.isVisible()
    assert ok_button(dialog).isEnabled()
    QTest.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert QSettings().value(SETTING_BWLIMIT_SCHEDULE) == good
    assert limiter.schedule is not None
    assert limiter.schedule.text == good
    limiter.clock = lambda: datetime(2026, 12, 7, 10, 0)  # a Monday
    assert (limiter.current().up, limiter.current().down) == (2_500_000, None)


def test_saved_limits_win_over_storage_settings_at_start_and_clearing_brings_those_back(
    qapp: QApplication, unlimited_afterwards: BandwidthLimiter
) -> None:
    limiter = unlimited_afterwards
    storage = StorageSettings.model_construct(
        bwlimit_up="1M", bwlimit_down=None, bwlimit_schedule=None
    )
    QSettings().setValue(SETTING_BWLIMIT_DOWN, "4M")
    QSettings().setValue(SETTING_BWLIMIT_SCHEDULE, "Mon 25:00-26:00 1M")  # edited by hand
    apply_saved_limits(storage)
    assert (limiter.current().up, limiter.current().down) == (None, 4 * MiB)
    assert limiter.schedule is None  # the unreadable timetable is left out
    limiter.apply_settings("1M")  # a backend built later from STORAGE_BWLIMIT_UP
    assert limiter.current().up is None

    QSettings().setValue(SETTING_BWLIMIT_DOWN, "")
    QSettings().setValue(SETTING_BWLIMIT_SCHEDULE, "")
    apply_saved_limits(storage)
    assert (limiter.current().up, limiter.current().down) == (1 * MiB, None)


def test_the_queue_label_follows_a_timetable_switch_on_an_injected_clock(
    qtbot: QtBot, unlimited_afterwards: BandwidthLimiter
) -> None:
    limiter = unlimited_afterwards
    moment = [datetime(2026, 12, 7, 17, 59, 59, 700_000)]  # a Monday, 0.3 s before 18:00
    limiter.clock = lambda: moment[0]
    limiter.configure_from_text(schedule="Mon-Fri 09:00-18:00 20Mbit/s:off; otherwise off")
    status = BandwidthStatus()
    qtbot.addWidget(status)
    status.show()
    six_pm = QLocale().toString(QTime(18, 0), QLocale.FormatType.ShortFormat)  # "18:00"
    assert status.text() == f"Upload limit 20 Mbit/s until {six_pm}"
    assert status.next_check_ms <= 1000  # the timer is set to the boundary, not a poll

    moment[0] += timedelta(seconds=1)  # the clock crosses 18:00; the timer notices
    tuesday = QLocale().dayName(2, QLocale.FormatType.ShortFormat)
    nine = QLocale().toString(QTime(9, 0), QLocale.FormatType.ShortFormat)
    qtbot.waitUntil(lambda: status.text() == f"No limit until {tuesday} {nine}", timeout=5000)
    assert status.next_check_ms > 60_000  # the next look: at most 15 min, not a busy loop


def test_a_whole_day_rule_typed_in_the_dialog_limits_the_whole_day(
    qtbot: QtBot, unlimited_afterwards: BandwidthLimiter
) -> None:
    """``00:00-24:00`` is the whole day (it used to be read as an empty span and never held)."""
    limiter = unlimited_afterwards
    limiter.clock = lambda: datetime(2026, 12, 12, 15, 30)  # a Saturday afternoon
    dialog = BackgroundSettingsDialog(tray_available=True)
    qtbot.addWidget(dialog)
    dialog.show()
    type_into(dialog.timetable, "weekends 00:00-24:00 10M; otherwise off")
    assert ok_button(dialog).isEnabled()
    QTest.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    now = limiter.current()
    assert (now.up, now.down) == (10 * MiB, 10 * MiB)
    assert now.until == datetime(2026, 12, 13, 0, 0)
