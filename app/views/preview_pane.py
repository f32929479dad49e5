"""``PreviewPane``: the selected recording's poster frame and what a probe says about it.

It only displays; :class:`app.views.media_actions.MediaController` decides what to show and
fetches it. The picture is rescaled to the pane's width whenever the pane is resized.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QPixmap, QResizeEvent
from PySide6.QtWidgets import QFormLayout, QFrame, QLabel, QSizePolicy, QVBoxLayout, QWidget

from file_storage.media import MediaInfo, format_duration
from file_storage.units import human_size

NO_SELECTION = "Select a recording or a video to see its thumbnail and details."
NO_THUMBNAIL = "No thumbnail yet.\nRight-click the recording: Media → Make thumbnail."

#: The info rows, in order: (object name suffix, label).
FIELDS = (
    ("Duration", "Duration"),
    ("Resolution", "Resolution"),
    ("Video", "Video"),
    ("Audio", "Audio"),
    ("Bitrate", "Bit rate"),
    ("Container", "Container"),
    ("Size", "Size"),
)


class PreviewPane(QWidget):
    """Thumbnail on top, the probed facts below, and a one-line note (probing, errors)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("previewPane")
        self.title = QLabel("Preview")
        self.title.setObjectName("paneTitle")
        self.subtitle = QLabel()
        self.subtitle.setObjectName("previewPath")
        self.subtitle.setWordWrap(True)
        self.subtitle.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.image = QLabel(NO_SELECTION)
        self.image.setObjectName("previewImage")
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setWordWrap(True)
        self.image.setMinimumSize(QSize(160, 110))
        self.image.setFrameShape(QFrame.Shape.StyledPanel)
        self.image.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.values: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        for key, label in FIELDS:
            value = QLabel("—")
            value.setObjectName(f"preview{key}")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.values[key] = value
            form.addRow(label, value)
        self.note = QLabel()
        self.note.setObjectName("previewNote")
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.image)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addStretch(1)
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
        self.show_item("Preview", "")
        self.image.setText(NO_SELECTION)

    def set_image(self, image: QImage | None, placeholder: str = NO_THUMBNAIL) -> None:
        self._picture = image if image is not None and not image.isNull() else None
        if self._picture is None:
            self.image.setMinimumHeight(110)
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
            fps = f" at {info.frame_rate:g} fps" if info.frame_rate else ""
            texts = {
                "Duration": "—" if info.is_image else format_duration(info.duration),
                "Resolution": f"{info.resolution}{fps}" if info.resolution else "—",
                "Video": info.video_codec or "none",
                "Audio": info.audio_codec or "none",
                "Bitrate": f"{info.bit_rate // 1000:,} kb/s" if info.bit_rate else "—",
                "Container": info.container.split(",")[0],
            }
            for key, text in texts.items():
                self.values[key].setText(text)
        self.values["Size"].setText(human_size(size) if size is not None else "—")

    def set_note(self, text: str) -> None:
        self.note.setText(text)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._picture is not None:
            self._rescale()

    def _rescale(self) -> None:
        assert self._picture is not None
        width = max(120, self.image.width() - 8)
        scaled = self._picture.scaledToWidth(width, Qt.TransformationMode.SmoothTransformation)
        if scaled.height() > 360:
            scaled = self._picture.scaledToHeight(360, Qt.TransformationMode.SmoothTransformation)
        self.image.setMinimumHeight(scaled.height() + 4)
        self.image.setPixmap(QPixmap.fromImage(scaled))
