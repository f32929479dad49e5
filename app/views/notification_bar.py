"""A dismissible banner at the top of the window for errors and notices.

Errors stay until dismissed (a user who looked away must still see them); notices fade after a few
seconds.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from app.icons import icon

#: Per level: background, text and border colours. Fixed colours, not the palette's: the banner
#: is light in light and dark themes alike, so its text must not follow a dark theme's white.
STYLES = {
    "error": ("#fbe3e1", "#7a1f17", "#e8a29b"),
    "warning": ("#fff4d6", "#6b4d00", "#e7c765"),
    "info": ("#e4effc", "#17406e", "#9dbfe9"),
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
        close.setObjectName("notificationClose")
        self.close_button = close
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
        background, text, border = STYLES.get(level, STYLES["info"])
        self.setStyleSheet(
            f"QFrame#notificationBar {{ background: {background}; border: 1px solid {border}; "
            f"border-radius: 4px; }} "
            f"QFrame#notificationBar QLabel {{ color: {text}; background: transparent; }}"
        )
        self.close_button.setIcon(icon("x", text))
        self.label.setText(message)
        self.show()
        self._timer.stop()
        if level == "info":
            self._timer.start(INFO_TIMEOUT_MS)
