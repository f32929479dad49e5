"""The status bar's connection indicator, fed by :class:`app.services.health.HealthService`.

A coloured dot and one short phrase: *Connected*, *Not responding (since 14:03:12)*,
*Offline*, *Reconnecting…*, with the last answer or error in the tooltip. A click checks at once.
Self-contained: give it the health service and put it in a status bar.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from app.services.health import ConnectionState, HealthService

#: Dot colour per state (green, amber, red, grey).
COLORS = {
    ConnectionState.CONNECTED: "#2e9d57",
    ConnectionState.NOT_RESPONDING: "#d08a00",
    ConnectionState.RECONNECTING: "#d08a00",
    ConnectionState.OFFLINE: "#d03b32",
    ConnectionState.CONNECTING: "#8a8a8a",
    ConnectionState.NO_BUCKET: "#8a8a8a",
}
#: English source texts (context "ConnectionStatus").
TEXTS = {
    ConnectionState.CONNECTING: QT_TRANSLATE_NOOP("ConnectionStatus", "Connecting…"),
    ConnectionState.CONNECTED: QT_TRANSLATE_NOOP("ConnectionStatus", "Connected"),
    ConnectionState.NOT_RESPONDING: QT_TRANSLATE_NOOP("ConnectionStatus", "Not responding"),
    ConnectionState.OFFLINE: QT_TRANSLATE_NOOP("ConnectionStatus", "Offline"),
    ConnectionState.RECONNECTING: QT_TRANSLATE_NOOP("ConnectionStatus", "Reconnecting…"),
    ConnectionState.NO_BUCKET: QT_TRANSLATE_NOOP("ConnectionStatus", "No bucket"),
}


def _tr(text: str) -> str:
    return QCoreApplication.translate("ConnectionStatus", text)


def status_text(health: HealthService) -> str:
    """The phrase for the health service's state, with the failure's start time if any."""
    text = _tr(TEXTS[health.state])
    if health.since is None:
        return text
    when = f"{health.since:%H:%M:%S}"
    if health.state is ConnectionState.RECONNECTING:
        return QCoreApplication.translate(
            "ConnectionStatus", "{state} (no answer since {time})"
        ).format(state=text, time=when)
    return QCoreApplication.translate("ConnectionStatus", "{state} (since {time})").format(
        state=text, time=when
    )


class ConnectionStatus(QWidget):
    """Dot + phrase for the bucket's connection; tooltip: the last answer or error.

    Args:
        health: The service whose state it shows (it follows ``stateChanged``).
        parent: The parent widget (the status bar takes it over when added).
    """

    def __init__(self, health: HealthService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connectionHealth")
        self.health = health
        self.dot = QLabel("●")
        self.dot.setObjectName("connectionDot")
        self.label = QLabel()
        self.label.setObjectName("connectionText")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.dot)
        layout.addWidget(self.label)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        health.stateChanged.connect(self.update_state)
        self.update_state()

    def text(self) -> str:
        """What the user reads (without the dot)."""
        return self.label.text()

    def update_state(self, *_args: object) -> None:
        health = self.health
        self.dot.setStyleSheet(f"color: {COLORS[health.state]};")
        self.label.setText(status_text(health))
        lines = [health.detail] if health.detail else []
        if health.last_error and health.last_error != health.detail:
            lines.append(
                QCoreApplication.translate("ConnectionStatus", "Last error: {error}").format(
                    error=health.last_error
                )
            )
        if health.remote is not None:
            lines.append(
                QCoreApplication.translate("ConnectionStatus", "Click to check the connection now.")
            )
        self.setToolTip("\n".join(lines))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        event.accept()  # the release that follows is the click

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.health.check_now()
        super().mouseReleaseEvent(event)
