"""``ElidedLabel``: one line of text that fits the space it gets and never asks for more.

A plain ``QLabel`` asks for the width of its whole text, so a long codec description or path made
the window wider (860 -> 921 px in issue 12). This label is content with any width: it draws its
text cut with an ellipsis and then offers the full text as its tooltip.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class ElidedLabel(QLabel):
    """A single-line label that elides its text to its width; the tooltip then shows it all.

    Each line of a multi-line text is cut on its own; the label is as tall as its lines.

    Args:
        text: The full text.
        mode: Where the ellipsis goes (``ElideMiddle`` suits paths).
        parent: The owning widget.
        natural: Ask for the whole text's width when there is room (a status-bar field),
            instead of none (a field in a column that decides its own width).
    """

    def __init__(
        self,
        text: str = "",
        mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight,
        parent: QWidget | None = None,
        *,
        natural: bool = False,
    ) -> None:
        super().__init__(text, parent)
        self._mode = mode
        self._natural = natural
        self.setTextFormat(Qt.TextFormat.PlainText)
        horizontal = QSizePolicy.Policy.Preferred if natural else QSizePolicy.Policy.Ignored
        self.setSizePolicy(horizontal, QSizePolicy.Policy.Fixed)
        self._update_tooltip()

    def setText(self, text: str) -> None:
        super().setText(text)
        self._update_tooltip()
        self.updateGeometry()

    def shown_text(self) -> str:
        """The text as drawn (each line elided when it does not fit)."""
        width = max(0, self.contentsRect().width())
        metrics = self.fontMetrics()
        lines = self.text().split("\n")
        return "\n".join(metrics.elidedText(line, self._mode, width) for line in lines)

    def is_elided(self) -> bool:
        return self.shown_text() != self.text()

    def _height(self) -> int:
        margins = self.contentsMargins()
        lines = self.text().count("\n") + 1
        return self.fontMetrics().lineSpacing() * lines + margins.top() + margins.bottom() + 2

    def minimumSizeHint(self) -> QSize:
        return QSize(0, self._height())

    def sizeHint(self) -> QSize:
        if not self._natural:
            return QSize(0, self._height())
        margins = self.contentsMargins()  # the style sheet's padding
        width = max(self._whole_width(line) for line in self.text().split("\n"))
        return QSize(width + margins.left() + margins.right() + 4, self._height())

    def _whole_width(self, line: str) -> int:
        """The narrowest width that draws ``line`` uncut. ``elidedText`` may need a few pixels
        more than ``horizontalAdvance`` says (glyphs from a fallback font, such as arrows)."""
        metrics = self.fontMetrics()
        width = metrics.horizontalAdvance(line)
        limit = 2 * width + 16
        while width < limit and metrics.elidedText(line, self._mode, width) != line:
            width += 2
        return width

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_tooltip()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        alignment = self.alignment() | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(self.contentsRect(), int(alignment), self.shown_text())

    def _update_tooltip(self) -> None:
        self.setToolTip(self.text() if self.is_elided() else "")
