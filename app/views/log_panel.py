"""The log panel: every log record of the app, redacted, with a level filter.

Records may come from worker threads (botocore, keyring), so the handler hands them to the GUI
thread through a queued Qt signal.
"""

from __future__ import annotations

import contextlib
import logging

from PySide6.QtCore import QT_TRANSLATE_NOOP, QObject, Qt, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

#: The level filter's choices: English source text (shown translated) -> logging level.
LEVELS = {
    QT_TRANSLATE_NOOP("LogPanel", "Debug"): logging.DEBUG,
    QT_TRANSLATE_NOOP("LogPanel", "Info"): logging.INFO,
    QT_TRANSLATE_NOOP("LogPanel", "Warning"): logging.WARNING,
    QT_TRANSLATE_NOOP("LogPanel", "Error"): logging.ERROR,
}
MAX_LINES = 5000


class _Bridge(QObject):
    record = Signal(int, str)


class QtLogHandler(logging.Handler):
    """A logging handler that emits formatted records as a Qt signal (thread-safe).

    Install it with :func:`file_storage.redaction.configure_logging` so the redaction filter
    sits in front of it.
    """

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.bridge = _Bridge()
        self.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")
        )

    def emit(self, record: logging.LogRecord) -> None:
        # RuntimeError: the panel is already gone (the app is quitting).
        with contextlib.suppress(RuntimeError):
            self.bridge.record.emit(record.levelno, self.format(record))


class LogPanel(QWidget):
    """Shows log lines at or above the chosen level; keeps the last 5000 lines."""

    def __init__(self, handler: QtLogHandler, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lines: list[tuple[int, str]] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("Show:")))
        self.level_combo = QComboBox()
        self.level_combo.setObjectName("logLevel")
        for text, level in LEVELS.items():
            self.level_combo.addItem(self.tr(text), level)
        self.level_combo.setCurrentIndex(self.level_combo.findData(logging.INFO))
        self.level_combo.currentIndexChanged.connect(self._refilter)
        row.addWidget(self.level_combo)
        row.addStretch(1)
        layout.addLayout(row)
        self.view = QPlainTextEdit()
        self.view.setObjectName("logView")
        self.view.setReadOnly(True)
        self.view.setMaximumBlockCount(MAX_LINES)
        self.view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        layout.addWidget(self.view)
        handler.bridge.record.connect(self.append, Qt.ConnectionType.QueuedConnection)

    @property
    def level(self) -> int:
        return int(self.level_combo.currentData())

    def append(self, levelno: int, text: str) -> None:
        self._lines.append((levelno, text))
        del self._lines[:-MAX_LINES]
        if levelno >= self.level:
            self.view.appendPlainText(text)
            self.view.moveCursor(QTextCursor.MoveOperation.End)

    def _refilter(self) -> None:
        level = self.level
        self.view.setPlainText("\n".join(t for lvl, t in self._lines if lvl >= level))
        self.view.moveCursor(QTextCursor.MoveOperation.End)
