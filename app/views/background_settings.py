"""Settings → Background: start at login, keep running in the tray, notifications, bandwidth.

*Start Leap Sync when I log in* writes an XDG autostart entry,
``$XDG_CONFIG_HOME/autostart/leap-sync.desktop`` (``~/.config/autostart`` by default), which every
freedesktop session (GNOME, KDE, Xfce, ...) reads at login; switching it off removes the file.
The entry starts the app with ``--background``: in the tray, without opening the window (the
window opens when there is no tray).

*Bandwidth limits* (upload, download, a weekly timetable in the library's syntax, see
:mod:`file_storage.bandwidth`) are kept in QSettings (``background/bwlimit_*``, as rate texts such
as ``20Mbit/s``) and applied to :meth:`BandwidthLimiter.shared` at start
(:func:`apply_saved_limits`) and on OK, so running transfers follow them at once. Limits set here
win over ``STORAGE_BWLIMIT_*``; while all three are empty, those settings (environment, ``.env``,
profile) apply.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sys
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.icons import APP_ID
from app.services.notifications import SETTING_NOTIFICATIONS, notifications_enabled
from app.views.bandwidth_status import bandwidth_signals
from app.views.tray import SETTING_CLOSE_TO_TRAY, close_to_tray_enabled
from file_storage.bandwidth import (
    BandwidthLimiter,
    BandwidthSyntaxError,
    parse_rate,
    parse_schedule,
)
from file_storage.settings import StorageSettings

AUTOSTART_NAME = "leap-sync.desktop"

#: QSettings keys of the bandwidth limits: rate texts (``20Mbit/s``, ``10M``) and a timetable;
#: empty is no limit / no timetable.
SETTING_BWLIMIT_UP = "background/bwlimit_up"
SETTING_BWLIMIT_DOWN = "background/bwlimit_down"
SETTING_BWLIMIT_SCHEDULE = "background/bwlimit_schedule"
#: The units the dialog offers: shown name and the suffix of the stored rate text.
RATE_UNITS = (("KiB/s", "K"), ("MiB/s", "M"), ("Mbit/s", "Mbit/s"))
_STORED_RATE_RE = re.compile(r"^(\d+(?:\.\d+)?)(K|M|Mbit/s)$")
MAX_RATE = 100_000.0

logger = logging.getLogger(__name__)
#: ``STORAGE_BWLIMIT_UP``/``DOWN``/``SCHEDULE`` of the settings the app started with; they
#: apply again when the dialog's limits are all cleared.
_storage_limits: tuple[str | None, str | None, str | None] = (None, None, None)


def saved_limits(settings: QSettings | None = None) -> tuple[str, str, str]:
    """``(up, down, timetable)`` as stored (empty strings: none)."""
    settings = settings if settings is not None else QSettings()
    keys = (SETTING_BWLIMIT_UP, SETTING_BWLIMIT_DOWN, SETTING_BWLIMIT_SCHEDULE)
    up, down, schedule = (str(settings.value(key, "") or "").strip() for key in keys)
    return up, down, schedule


def apply_limits(up: str, down: str, schedule: str) -> None:
    """Put the app's limits in force for every transfer of the process, at once.

    Any of them set: they replace ``STORAGE_BWLIMIT_*`` (the limiter is pinned, so a backend
    created later, e.g. on a profile switch, does not put the environment's back). All empty:
    the ``STORAGE_BWLIMIT_*`` settings the app started with apply.

    Raises:
        BandwidthSyntaxError: A value cannot be read (nothing was changed).
    """
    limiter = BandwidthLimiter.shared()
    if up or down or schedule:
        limiter.configure_from_text(up or None, down or None, schedule or None)
        limiter.pinned = True
    else:
        limiter.pinned = False
        limiter.configure_from_text(*_storage_limits)
    bandwidth_signals().changed.emit()


def apply_saved_limits(storage: StorageSettings | None = None) -> None:
    """At start: remember ``storage``'s ``STORAGE_BWLIMIT_*`` and apply the saved limits.

    A stored value that cannot be read (edited by hand) is left out, with a warning in the log.
    """
    global _storage_limits
    if storage is not None:
        _storage_limits = (storage.bwlimit_up, storage.bwlimit_down, storage.bwlimit_schedule)
    values = list(saved_limits())
    checks = (("upload limit", parse_rate), ("download limit", parse_rate))
    for index, (name, parse) in enumerate((*checks, ("timetable", parse_schedule))):
        try:
            if values[index]:
                parse(values[index])
        except BandwidthSyntaxError as exc:
            logger.warning("The saved %s is ignored: %s", name, exc)
            values[index] = ""
    up, down, schedule = values
    apply_limits(up, down, schedule)


def split_rate(text: str) -> tuple[float, int]:
    """A stored rate text as ``(number, index into RATE_UNITS)``; ``(0, 1)`` for none.

    A rate written in another form (``1G``, ``5MB``, by hand or from the CLI) is shown in MiB/s.
    """
    match = _STORED_RATE_RE.match(text.strip())
    if match:
        suffixes = [suffix for _name, suffix in RATE_UNITS]
        return float(match.group(1)), suffixes.index(match.group(2))
    try:
        rate = parse_rate(text) if text.strip() else None
    except BandwidthSyntaxError:
        rate = None
    return (round(rate / (1024 * 1024), 2), 1) if rate else (0.0, 1)


def join_rate(value: float, unit: int) -> str:
    """The stored text of ``value`` in ``RATE_UNITS[unit]``; empty for 0 (no limit)."""
    return f"{value:g}{RATE_UNITS[unit][1]}" if value > 0 else ""


def autostart_path() -> Path:
    """Where the autostart entry lives (``$XDG_CONFIG_HOME/autostart/leap-sync.desktop``)."""
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "autostart" / AUTOSTART_NAME


def launch_command() -> list[str]:
    """How this installation is started: the bundle, the ``leap-sync`` script, or the module."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    script = shutil.which("leap-sync")
    if script:
        return [script]
    return [sys.executable, "-m", "app.main"]


def _exec_quote(arg: str) -> str:
    """Quote one argument for a desktop entry's ``Exec`` key (freedesktop rules)."""
    if arg and not any(ch in arg for ch in " \t\n\"'\\><~|&;$*?#()`%="):
        return arg
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`").replace("$", "\\$")
    return f'"{escaped.replace("%", "%%")}"'


def autostart_entry(command: list[str] | None = None) -> str:
    """The autostart file's text."""
    args = [*(command or launch_command()), "--background"]
    return "\n".join(
        [
            "[Desktop Entry]",
            "Type=Application",
            "Name=Leap Sync",
            "Comment=Keep recordings in sync in the background",
            f"Exec={' '.join(_exec_quote(a) for a in args)}",
            f"Icon={APP_ID}",
            "Terminal=false",
            "X-GNOME-Autostart-enabled=true",
            "",
        ]
    )


def autostart_enabled() -> bool:
    """Whether the autostart entry exists (and was not disabled by the desktop's own tool)."""
    path = autostart_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return False
    return "Hidden=true" not in text and "X-GNOME-Autostart-enabled=false" not in text


def set_autostart(enabled: bool) -> Path:
    """Write or remove the autostart entry; return its path.

    Raises:
        OSError: The file could not be written or removed (the dialog says why).
    """
    path = autostart_path()
    if enabled:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(autostart_entry(), encoding="utf-8")
        tmp.replace(path)
    else:
        path.unlink(missing_ok=True)
    return path


class BackgroundSettingsDialog(QDialog):
    """Start at login, close to the tray, notifications and bandwidth limits, saved on OK.

    Args:
        tray_available: Whether this desktop shows tray icons (the tray option says so if not).
    """

    def __init__(self, tray_available: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("backgroundSettings")
        self.setWindowTitle(self.tr("Background"))
        layout = QVBoxLayout(self)
        self.autostart = QCheckBox(self.tr("Start Leap Sync when I log in"))
        self.autostart.setObjectName("autostartBox")
        self.autostart.setChecked(autostart_enabled())
        self.autostart.setToolTip(str(autostart_path()))
        self.close_to_tray = QCheckBox(
            self.tr("Keep syncing in the tray when the window is closed")
        )
        self.close_to_tray.setObjectName("closeToTrayBox")
        self.close_to_tray.setChecked(close_to_tray_enabled())
        self.notifications = QCheckBox(self.tr("Show desktop notifications"))
        self.notifications.setObjectName("notificationsBox")
        self.notifications.setChecked(notifications_enabled())
        for box in (self.autostart, self.close_to_tray, self.notifications):
            layout.addWidget(box)
        if not tray_available:
            note = QLabel(
                self.tr("This desktop shows no tray icons: closing the window quits Leap Sync.")
            )
            note.setWordWrap(True)
            layout.addWidget(note)
        layout.addWidget(self._bandwidth_box())
        self.error = QLabel()
        self.error.setObjectName("backgroundError")
        self.error.setStyleSheet("color: #d03b32")
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.buttons = buttons
        self.timetable.textChanged.connect(self._check_timetable)
        self._check_timetable()

    # ----------------------------------------------------------------- bandwidth

    def _rate_row(self, name: str, stored: str) -> tuple[QHBoxLayout, QDoubleSpinBox, QComboBox]:
        spin = QDoubleSpinBox()
        spin.setObjectName(f"{name}Spin")
        spin.setRange(0.0, MAX_RATE)
        spin.setDecimals(1)
        spin.setSpecialValueText(self.tr("No limit"))
        unit = QComboBox()
        unit.setObjectName(f"{name}Unit")
        unit.addItems([shown for shown, _suffix in RATE_UNITS])
        value, index = split_rate(stored)
        spin.setValue(value)
        unit.setCurrentIndex(index)
        row = QHBoxLayout()
        row.addWidget(spin, 1)
        row.addWidget(unit)
        return row, spin, unit

    def _bandwidth_box(self) -> QGroupBox:
        up, down, schedule = saved_limits()
        box = QGroupBox(self.tr("Bandwidth limits (all transfers together)"))
        form = QFormLayout(box)
        up_row, self.up_spin, self.up_unit = self._rate_row("uploadLimit", up)
        down_row, self.down_spin, self.down_unit = self._rate_row("downloadLimit", down)
        form.addRow(self.tr("Upload:"), up_row)
        form.addRow(self.tr("Download:"), down_row)
        self.timetable = QLineEdit(schedule)
        self.timetable.setObjectName("timetableEdit")
        self.timetable.setPlaceholderText("Mon-Fri 09:00-18:00 20Mbit/s; otherwise off")
        self.timetable.setClearButtonEnabled(True)
        self.timetable.setMinimumWidth(self.fontMetrics().averageCharWidth() * 44)
        form.addRow(self.tr("Timetable:"), self.timetable)
        self.timetable_error = QLabel()
        self.timetable_error.setObjectName("timetableError")
        self.timetable_error.setStyleSheet("color: #d03b32")
        self.timetable_error.setWordWrap(True)
        self.timetable_error.hide()
        form.addRow("", self.timetable_error)
        hint = QLabel(
            self.tr(
                "While a timetable rule covers the time, its rate replaces the limits above. "
                "Rates: 512K or 10M (bytes per second), 20Mbit/s, off."
            )
        )
        hint.setWordWrap(True)
        form.addRow("", hint)
        return box

    def _check_timetable(self) -> bool:
        """Show the parser's message under the field and keep OK disabled while it is bad."""
        try:
            parse_schedule(self.timetable.text())
        except BandwidthSyntaxError as exc:
            self.timetable_error.setText(str(exc))
            self.timetable_error.show()
            ok = False
        else:
            self.timetable_error.hide()
            ok = True
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)
        return ok

    def limits(self) -> tuple[str, str, str]:
        """``(up, down, timetable)`` as they will be stored."""
        return (
            join_rate(self.up_spin.value(), self.up_unit.currentIndex()),
            join_rate(self.down_spin.value(), self.down_unit.currentIndex()),
            self.timetable.text().strip(),
        )

    def _save_limits(self) -> bool:
        if not self._check_timetable():
            return False
        up, down, schedule = self.limits()
        settings = QSettings()
        settings.setValue(SETTING_BWLIMIT_UP, up)
        settings.setValue(SETTING_BWLIMIT_DOWN, down)
        settings.setValue(SETTING_BWLIMIT_SCHEDULE, schedule)
        apply_limits(up, down, schedule)
        return True

    def save(self) -> None:
        """Apply the choices; stay open with the reason when the autostart file fails."""
        if not self._save_limits():
            return
        settings = QSettings()
        settings.setValue(SETTING_CLOSE_TO_TRAY, self.close_to_tray.isChecked())
        settings.setValue(SETTING_NOTIFICATIONS, self.notifications.isChecked())
        if self.autostart.isChecked() != autostart_enabled():
            try:
                set_autostart(self.autostart.isChecked())
            except OSError as exc:
                self.error.setText(
                    self.tr("The login entry could not be changed: {error}").format(
                        error=exc.strerror or exc
                    )
                )
                self.error.show()
                return
        self.accept()


__all__ = [
    "SETTING_BWLIMIT_DOWN",
    "SETTING_BWLIMIT_SCHEDULE",
    "SETTING_BWLIMIT_UP",
    "BackgroundSettingsDialog",
    "apply_limits",
    "apply_saved_limits",
    "autostart_enabled",
    "autostart_entry",
    "autostart_path",
    "launch_command",
    "saved_limits",
    "set_autostart",
]
