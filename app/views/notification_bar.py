"""The notice strip at the top of the window: errors, warnings and notices, stacked.

Several notices can be pending at once (a preview error, then a quota warning, then "Link
copied"): they are kept in a stack, and the banner shows the most severe one (the newest among
equals) with a count of the others; the count opens a list of all of them. Errors and warnings
stay until dismissed (a user who looked away must still see them); notices expire after a few
seconds, later when a more severe notice hides them.

The strip keeps one fixed height whether a notice shows or not: a notice appearing never moves
the trees under the mouse. Long texts are cut to one line with the whole text as tooltip (and in
the list). The window's API is unchanged: ``show_message(level, message)``.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

from PySide6.QtCore import QCoreApplication, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QFontMetrics, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.icons import icon
from app.messages import Level

#: Per level: background, text and border colours. Fixed colours, not the palette's: the banner
#: is light in light and dark themes alike, so its text must not follow a dark theme's white.
STYLES = {
    "error": ("#fbe3e1", "#7a1f17", "#e8a29b"),
    "warning": ("#fff4d6", "#6b4d00", "#e7c765"),
    "info": ("#e4effc", "#17406e", "#9dbfe9"),
}
ICONS = {"error": "circle-x", "warning": "circle-alert", "info": "info"}
#: A notice (level info) on show disappears after this long.
INFO_TIMEOUT_MS = 6000
#: A notice hidden behind a more severe one waits this long in the list before it expires.
HIDDEN_INFO_TIMEOUT_MS = 30_000
#: At most this many notices are kept; the oldest of the least severe go first.
MAX_NOTICES = 50
#: The list's entries are cut at this width (pixels); each has the whole text as tooltip.
LIST_TEXT_WIDTH = 720


@dataclass(eq=False)
class Notice:
    """One pending message.

    Attributes:
        level: How severe it is.
        text: The whole sentence.
        repeats: How often the same text came again while it was pending ("×3").
        shown_at: Monotonic time it was last on show, or ``None`` if never.
    """

    level: Level
    text: str
    created: float = field(default_factory=time.monotonic)
    repeats: int = 1
    shown_at: float | None = None
    serial: int = 0

    def expires_at(self) -> float | None:
        """When an info notice goes away by itself; ``None`` for warnings and errors."""
        if self.level is not Level.INFO:
            return None
        if self.shown_at is not None:
            return self.shown_at + INFO_TIMEOUT_MS / 1000
        return self.created + HIDDEN_INFO_TIMEOUT_MS / 1000


class _Banner(QFrame):
    """The coloured banner itself (hidden while nothing is pending)."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("notificationBar")
        self.level = ""
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 2, 4, 2)
        layout.setSpacing(6)
        self.icon_label = QLabel()
        self.icon_label.setObjectName("notificationIcon")
        layout.addWidget(self.icon_label)
        self.label = QLabel()
        self.label.setObjectName("notificationText")
        self.label.setWordWrap(False)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        # Ignored: a long sentence is cut (with a tooltip), it never widens the window.
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout.addWidget(self.label, 1)
        self.more_button = QToolButton()
        self.more_button.setObjectName("notificationMore")
        self.more_button.setAutoRaise(True)
        self.more_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        layout.addWidget(self.more_button)
        self.close_button = QToolButton()
        self.close_button.setObjectName("notificationClose")
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip(QCoreApplication.translate("NotificationBar", "Dismiss"))
        layout.addWidget(self.close_button)
        self.full_text = ""

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_text()

    def set_text(self, text: str) -> None:
        self.full_text = text
        self._fit_text()

    def _fit_text(self) -> None:
        """One line: cut with an ellipsis when it does not fit; the tooltip has it all."""
        one_line = " ".join(self.full_text.split())
        width = max(40, self.label.width())
        shown = QFontMetrics(self.label.font()).elidedText(
            one_line, Qt.TextElideMode.ElideRight, width
        )
        self.label.setText(shown)
        self.label.setToolTip(self.full_text if shown != one_line else "")


class NotificationBar(QWidget):
    """Keeps pending notices and shows the most severe one in a banner of fixed height.

    Signals:
        noticesChanged(): a notice was added, dismissed or expired.
    """

    noticesChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notificationArea")
        self._serials = itertools.count(1)
        self._notices: list[Notice] = []
        #: A notice the user picked from the list; shown until dismissed or outranked.
        self._chosen: Notice | None = None
        self.banner = _Banner(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.banner)
        self.banner.close_button.clicked.connect(self.dismiss_current)
        self.banner.more_button.clicked.connect(self.show_list)
        self.menu = QMenu(self)
        self.menu.setObjectName("notificationList")
        self.menu.setToolTipsVisible(True)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._expire)
        # The same height with or without a notice: nothing below moves when one appears.
        self.banner.label.setText("Ag")
        self.banner.close_button.setIcon(icon("x"))
        self.banner.more_button.setText("+9")
        self.setFixedHeight(self.banner.sizeHint().height())
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.banner.hide()

    # ----------------------------------------------------------------- compatibility

    @property
    def label(self) -> QLabel:
        """The banner's text label (what the user reads)."""
        return self.banner.label

    @property
    def close_button(self) -> QToolButton:
        return self.banner.close_button

    @property
    def level(self) -> str:
        """The level of the notice on show (``""`` when none)."""
        return self.banner.level

    # ----------------------------------------------------------------- reading

    def notices(self) -> list[Notice]:
        """Every pending notice, the one on show first, then by severity and newest first."""
        ordered = sorted(self._notices, key=lambda n: (n.level.severity, n.serial), reverse=True)
        current = self.current()
        if current is not None:
            ordered.remove(current)
            ordered.insert(0, current)
        return ordered

    def current(self) -> Notice | None:
        """The notice on show: the most severe (newest among equals), unless one was chosen."""
        if not self._notices:
            return None
        if self._chosen is not None and self._chosen in self._notices:
            return self._chosen
        return max(self._notices, key=lambda n: (n.level.severity, n.serial))

    # ----------------------------------------------------------------- changing

    def show_message(self, level: str | Level, message: str) -> None:
        """Add a notice; the banner shows the most severe pending one."""
        parsed = Level.parse(level)
        if self._chosen is not None and parsed.severity >= self._chosen.level.severity:
            self._chosen = None  # what the user picked gives way to news as severe
        for notice in self._notices:
            if notice.level is parsed and notice.text == message:
                # The same sentence again: one entry, counted, as new as the last one.
                notice.repeats += 1
                notice.serial = next(self._serials)
                notice.created = time.monotonic()
                notice.shown_at = None
                break
        else:
            self._notices.append(Notice(parsed, message, serial=next(self._serials)))
            self._trim()
        self._refresh()

    def dismiss_current(self) -> None:
        """Close the notice on show; the next one (if any) takes its place."""
        current = self.current()
        if current is not None:
            self._remove(current)

    def dismiss_all(self) -> None:
        self._notices.clear()
        self._refresh()

    def choose(self, notice: Notice) -> None:
        """Show ``notice`` (picked from the list) instead of the most severe one."""
        if notice in self._notices:
            self._chosen = notice
            self._refresh()

    def show_list(self) -> None:
        """Open the list of every pending notice under the count button (does not block)."""
        self.menu.clear()
        for notice in self.notices():
            text = " ".join(notice.text.split())
            if notice.repeats > 1:
                text = self.tr("{text} (×{count})").format(text=text, count=notice.repeats)
            text = self.menu.fontMetrics().elidedText(
                text, Qt.TextElideMode.ElideRight, LIST_TEXT_WIDTH
            )
            level_icon = icon(ICONS[notice.level.value], STYLES[notice.level.value][1])
            action = QAction(level_icon, text.replace("&", "&&"))  # "&" is no shortcut here
            action.setParent(self.menu)
            action.setToolTip(notice.text)
            action.triggered.connect(lambda _checked=False, n=notice: self.choose(n))
            self.menu.addAction(action)
        self.menu.addSeparator()
        self.menu.addAction(icon("list-x"), self.tr("Dismiss all"), self.dismiss_all)
        button = self.banner.more_button
        self.menu.popup(button.mapToGlobal(QPoint(0, button.height())))

    # ----------------------------------------------------------------- internals

    def _remove(self, notice: Notice) -> None:
        if notice in self._notices:
            self._notices.remove(notice)
        if self._chosen is notice:
            self._chosen = None
        self._refresh()

    def _trim(self) -> None:
        while len(self._notices) > MAX_NOTICES:
            oldest_least = min(self._notices, key=lambda n: (n.level.severity, n.serial))
            self._notices.remove(oldest_least)

    def _expire(self) -> None:
        now = time.monotonic()
        expired = [
            n for n in self._notices if (at := n.expires_at()) is not None and at <= now + 0.01
        ]
        for notice in expired:
            self._notices.remove(notice)
            if self._chosen is notice:
                self._chosen = None
        self._refresh()

    def _refresh(self) -> None:
        current = self.current()
        banner = self.banner
        if current is None:
            banner.level = ""
            banner.set_text("")
            banner.hide()
        else:
            if current.shown_at is None:
                current.shown_at = time.monotonic()
            self._paint(current)
            banner.show()
        for notice in self._notices:
            if notice is not current and notice.level is Level.INFO:
                notice.shown_at = None  # hidden: it waits in the list
        self._arm_timer()
        self.noticesChanged.emit()

    def _paint(self, notice: Notice) -> None:
        banner = self.banner
        level = notice.level.value
        banner.level = level
        background, text, border = STYLES[level]
        banner.setStyleSheet(
            f"QFrame#notificationBar {{ background: {background}; border: 1px solid {border}; "
            f"border-radius: 4px; }} "
            f"QFrame#notificationBar QLabel, QFrame#notificationBar QToolButton "
            f"{{ color: {text}; background: transparent; }}"
        )
        banner.icon_label.setPixmap(icon(ICONS[level], text).pixmap(16, 16))
        banner.close_button.setIcon(icon("x", text))
        sentence = notice.text
        if notice.repeats > 1:
            sentence = self.tr("{text} (×{count})").format(text=sentence, count=notice.repeats)
        banner.set_text(sentence)
        others = len(self._notices) - 1
        banner.more_button.setVisible(others > 0)
        banner.more_button.setText(self.tr("+%n more", "", others))
        banner.more_button.setToolTip(self.tr("Show every notice"))

    def _arm_timer(self) -> None:
        deadlines = [at for n in self._notices if (at := n.expires_at()) is not None]
        self._timer.stop()
        if deadlines:
            delay = max(0.0, min(deadlines) - time.monotonic())
            self._timer.start(int(delay * 1000) + 1)
