"""``PreviewPane``: the selected recording's poster frame and what a probe says about it.

It only displays; :class:`app.views.media_actions.MediaController` decides what to show and
fetches it. The picture is scaled to fit the room the pane has, whenever it is resized; the pane
never asks for more room than it is given (a selection must not grow the window), and texts too
long for it are cut with an ellipsis and shown whole in their tooltip.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QEvent, QObject, QSize, Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.messages import format_size
from app.views.elided_label import ElidedLabel
from file_storage.media import MediaInfo, format_duration

NO_SELECTION = QT_TRANSLATE_NOOP(
    "PreviewPane", "Select a recording or a video to see its thumbnail and details."
)
NO_THUMBNAIL = QT_TRANSLATE_NOOP(
    "PreviewPane", "No thumbnail yet.\nRight-click the recording: Media → Make thumbnail."
)

#: The info rows, in order: (object name suffix, label shown translated).
FIELDS = (
    ("Duration", QT_TRANSLATE_NOOP("PreviewPane", "Duration")),
    ("Resolution", QT_TRANSLATE_NOOP("PreviewPane", "Resolution")),
    ("Video", QT_TRANSLATE_NOOP("PreviewPane", "Video")),
    ("Audio", QT_TRANSLATE_NOOP("PreviewPane", "Audio")),
    ("Bitrate", QT_TRANSLATE_NOOP("PreviewPane", "Bit rate")),
    ("Container", QT_TRANSLATE_NOOP("PreviewPane", "Container")),
    ("Size", QT_TRANSLATE_NOOP("PreviewPane", "Size")),
)


#: The picture's smallest height; it takes whatever height the pane has beyond that.
MIN_IMAGE_HEIGHT = 90


def _tr(text: str) -> str:
    return QCoreApplication.translate("PreviewPane", text)


class PreviewPane(QWidget):
    """Thumbnail on top, the probed facts below, and a one-line note (probing, errors)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("previewPane")
        self.title = ElidedLabel(self.tr("Preview"))
        self.title.setObjectName("paneTitle")
        self.subtitle = ElidedLabel(mode=Qt.TextElideMode.ElideMiddle)
        self.subtitle.setObjectName("previewPath")
        self.image = QLabel(_tr(NO_SELECTION))
        self.image.setObjectName("previewImage")
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setWordWrap(True)
        self.image.setMinimumSize(QSize(120, MIN_IMAGE_HEIGHT))
        self.image.setFrameShape(QFrame.Shape.StyledPanel)
        # Ignored both ways: the picture is fitted to the label, never the label to the picture
        # (that grew the window and let the picture cover the Duration line).
        self.image.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.values: dict[str, ElidedLabel] = {}
        form = QFormLayout()
        form.setVerticalSpacing(2)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for key, label in FIELDS:
            value = ElidedLabel("—")
            value.setObjectName(f"preview{key}")
            self.values[key] = value
            form.addRow(_tr(label), value)
        self.note = ElidedLabel()
        self.note.setObjectName("previewNote")
        content = QWidget()
        content.setObjectName("previewContent")
        self.content = content
        layout = QVBoxLayout(content)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.image, 1)
        layout.addLayout(form)
        layout.addWidget(self.note)
        # In a scroll area: when the pane is shorter than its content, it scrolls instead of
        # pushing the window taller or drawing the rows over each other.
        scroll = QScrollArea()
        self.scroll = scroll
        scroll.setObjectName("previewScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.image.installEventFilter(self)
        self._picture: QImage | None = None
        self.path = ""

    def show_item(self, title: str, path: str) -> None:
        """Start showing a new selection: title and path set, picture and facts cleared."""
        self.path = path
        self.title.setText(title)
        self.subtitle.setText(path)
        self.set_image(None, "")
        self.set_info(None)
        self.note.setText("")

    def clear(self) -> None:
        self.show_item(self.tr("Preview"), "")
        self.image.setText(_tr(NO_SELECTION))

    def set_image(self, image: QImage | None, placeholder: str | None = None) -> None:
        """Show ``image``, or ``placeholder`` (default: "No thumbnail yet") without one."""
        if placeholder is None:
            placeholder = _tr(NO_THUMBNAIL)
        self._picture = image if image is not None and not image.isNull() else None
        if self._picture is None:
            self.image.setPixmap(QPixmap())
            self.image.setText(placeholder)
        else:
            self._rescale()

    def has_image(self) -> bool:
        return self._picture is not None

    def set_info(self, info: MediaInfo | None, size: int | None = None) -> None:
        if info is None:
            for value in self.values.values():
                value.setText("—")
        else:
            fps = (
                self.tr(" at {fps} fps").format(fps=f"{info.frame_rate:g}")
                if info.frame_rate
                else ""
            )
            none = self.tr("none")
            bit_rate = self.tr("{rate} kb/s").format(rate=f"{info.bit_rate // 1000:,}")
            texts = {
                "Duration": "—" if info.is_image else format_duration(info.duration),
                "Resolution": f"{info.resolution}{fps}" if info.resolution else "—",
                "Video": info.video_codec or none,
                "Audio": info.audio_codec or none,
                "Bitrate": bit_rate if info.bit_rate else "—",
                "Container": info.container.split(",")[0],
            }
            for key, text in texts.items():
                self.values[key].setText(text)
        self.values["Size"].setText(format_size(size) if size is not None else "—")

    def set_note(self, text: str) -> None:
        self.note.setText(text)

    def minimumSizeHint(self) -> QSize:
        return QSize(120, 80)

    def needed_height(self) -> int:
        """The height that shows every line (title, path, the smallest picture, all facts and
        the note) without scrolling."""
        return self.content.minimumSizeHint().height()

    def facts_visible(self) -> bool:
        """Every fact row lies inside the visible part of the pane (none under its edge)."""
        viewport = self.scroll.viewport()
        shown = viewport.rect()
        for value in self.values.values():
            top_left = value.mapTo(viewport, value.rect().topLeft())
            bottom_right = value.mapTo(viewport, value.rect().bottomRight())
            if not (shown.contains(top_left) and shown.contains(bottom_right)):
                return False
        return True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.image and event.type() == QEvent.Type.Resize and self._picture:
            self._rescale()
        return False

    def _rescale(self) -> None:
        """Fit the picture inside the label, keeping its proportions."""
        assert self._picture is not None
        room = self.image.contentsRect().size() - QSize(4, 4)
        if room.width() < 8 or room.height() < 8:
            return
        scaled = self._picture.scaled(
            room, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
        self.image.setPixmap(QPixmap.fromImage(scaled))
