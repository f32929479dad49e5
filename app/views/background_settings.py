"""Settings → Background: start at login, keep running in the tray, notifications.

*Start Leap Sync when I log in* writes an XDG autostart entry,
``$XDG_CONFIG_HOME/autostart/leap-sync.desktop`` (``~/.config/autostart`` by default), which every
freedesktop session (GNOME, KDE, Xfce, ...) reads at login; switching it off removes the file.
The entry starts the app with ``--background``: in the tray, without opening the window (the
window opens when there is no tray).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from app.icons import APP_ID
from app.services.notifications import SETTING_NOTIFICATIONS, notifications_enabled
from app.views.tray import SETTING_CLOSE_TO_TRAY, close_to_tray_enabled

AUTOSTART_NAME = "leap-sync.desktop"


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
    """Start at login, close to the tray, and notifications, saved on OK.

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

    def save(self) -> None:
        """Apply the choices; stay open with the reason when the autostart file fails."""
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
    "BackgroundSettingsDialog",
    "autostart_enabled",
    "autostart_entry",
    "autostart_path",
    "launch_command",
    "set_autostart",
]
