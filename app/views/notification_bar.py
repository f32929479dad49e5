"""A dismissible banner at the top of the window for errors and notices.

Errors stay until dismissed (a user who looked away must still see them); notices fade after a few
seconds.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from app.icons import icon

STYLES = {
    "error": "background:#fbe3e1; color:#7a1f17; border:1px solid #e8a29b;",
    "warning": "background:#fff4d6; color:#6b4d00; border:1px solid #e7c765;",
    "info": "background:#e4effc; color:#17406e; border:1px solid #9dbfe9;",
}
INFO_TIMEOUT_MS = 6000


class NotificationBar(QFrame):
    """Shows one message at a time; a newer message replaces the older one."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notificationBar")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        self.label = QLabel()
        self.label.setObjectName("notificationText")
        self.label.setWordWrap(True)
        layout.addWidget(self.label, 1)
        close = QToolButton()
        close.setIcon(icon("x"))
        close.setAutoRaise(True)
        close.setToolTip(self.tr("Dismiss"))
        close.clicked.connect(self.hide)
        layout.addWidget(close)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        self.level = ""
        self.hide()

    def show_message(self, level: str, message: str) -> None:
        """Show ``message``; a lesser message never hides an error nobody has dismissed yet."""
        if self.isVisible() and self.level == "error" and level != "error":
            return  # it is in the log; the error stays until the user closes it
        self.level = level
        self.setStyleSheet(
            f"QFrame#notificationBar {{ {STYLES.get(level, STYLES['info'])} border-radius: 4px; }}"
        )
        self.label.setText(message)
        self.show()
        self._timer.stop()
        if level == "info":
            self._timer.start(INFO_TIMEOUT_MS)
