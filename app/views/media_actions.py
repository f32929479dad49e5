"""``MediaController``: the window's media menu, its preview pane, and thumbnails in the trees.

- The Media menu (toolbar button and context menu) runs a job on every recording source in the
  selection: a selected media file, or each ``source.*`` under a selected recording or folder, so
  "Make thumbnail" on a user folder does all of that user's recordings. Jobs go into the shared
  queue.
- "After upload" toggles chain jobs behind uploads of recording sources (upload, then thumbnail,
  then extract audio); they are remembered between sessions.
- The preview pane follows the current row: the recording's ``thumbnail.jpg`` and the source's
  probed facts (cached per version; probed on demand, without downloading on S3).
- A listed ``recordings`` folder gets each recording's thumbnail as its row icon.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QIcon, QImage, QPixmap
from PySide6.QtWidgets import QMenu, QToolButton

from app.icons import icon
from app.messages import describe, format_size
from app.models.storage_tree import PATH_ROLE, SIDE_LOCAL, SIDE_S3, StorageTreeModel
from app.services.media import (
    AUDIO_M4A,
    AUDIO_MP3,
    THUMBNAIL,
    TRANSCODES,
    MediaOperation,
    MediaService,
    preset_description,
    preset_name,
)
from app.services.transfers import Job
from file_storage.backends.base import ObjectInfo, StorageBackend
from file_storage.errors import ObjectNotFoundError, StorageError
from file_storage.path_builder import SOURCE_EXTENSIONS, StoragePathBuilder

if TYPE_CHECKING:
    from app.views.main_window import MainWindow
    from app.views.preview_pane import PreviewPane
    from app.views.tree_pane import TreePane

logger = logging.getLogger(__name__)

#: What counts as media when a single file is selected (sources, outputs, and the usual rest).
MEDIA_EXTENSIONS = SOURCE_EXTENSIONS | {"mpg", "mpeg", "flv", "wmv", "ogg", "opus", "flac", "aac"}
IMAGE_EXTENSIONS = frozenset({"jpg", "jpeg", "png", "webp"})
#: Quiet time after the current row changes before the preview loads (arrow keys held down).
PREVIEW_DELAY_MS = 250
#: Size of the thumbnails shown as recording icons in the trees.
TREE_ICON_SIZE = QSize(28, 16)
SETTING_AUTO_THUMBNAIL = "media/afterUploadThumbnail"
SETTING_AUTO_AUDIO = "media/afterUploadAudio"


def extension(path: str) -> str:
    name = path.rpartition("/")[2]
    return name.rpartition(".")[2].lower() if "." in name else ""


def is_recording_source(path: str) -> bool:
    """``users/<u>/recordings/<id>/source.<ext>``: what chained jobs and folder batches use."""
    folder, _, name = path.rpartition("/")
    return (
        name.startswith("source.")
        and extension(name) in SOURCE_EXTENSIONS
        and StoragePathBuilder.parse_recording(path) is not None
        and folder.count("/") == 3
    )


class MediaController(QObject):
    """Media actions and previews for a :class:`MainWindow` (see the module docstring).

    Args:
        window: The window whose panes, backends, queue and notices it uses.
        media: The media service.
        preview: The pane it fills.
        settings: Where the "after upload" toggles are remembered.
    """

    def __init__(
        self,
        window: MainWindow,
        media: MediaService,
        preview: PreviewPane,
        settings: QSettings | None = None,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.media = media
        self.preview = preview
        self.settings = settings if settings is not None else QSettings()
        self._generation = 0
        self._closed = False
        self._preview_task: asyncio.Task[None] | None = None
        self._pending: tuple[str, str] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self._start_preview)
        self._build_actions()
        media.outputStored.connect(self._output_stored)
        for pane in (window.local_pane, window.remote_pane):
            pane.view.setIconSize(TREE_ICON_SIZE)
            pane.view.selectionModel().currentChanged.connect(
                lambda current, _previous, p=pane: self._current_changed(p, current)
            )
        for model in (window.local_model, window.remote_model):
            model.set_media_lookup(media.cached_info)

    # ----------------------------------------------------------------- actions and menus

    def _action(self, name: str, text: str, icon_name: str, tip: str) -> QAction:
        action = QAction(icon(icon_name), text, self.window)
        action.setObjectName(name)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        return action

    def _build_actions(self) -> None:
        run = self._run_on_selection
        self.action_info = self._action(
            "actionMediaInfo",
            self.tr("Media info"),
            "info",
            self.tr("Probe the selected video and show its details"),
        )
        self.action_info.triggered.connect(
            lambda: self.window.run_task(self.probe_selected(self.window.focused_pane()))
        )
        self.action_thumbnail = self._action(
            "actionThumbnail",
            self.tr("Make thumbnail"),
            "image",
            self.tr("Store a poster frame (10% in) as thumbnail.jpg for each selected recording"),
        )
        self.action_thumbnail.triggered.connect(lambda: run(THUMBNAIL))
        self.action_audio = self._action(
            "actionExtractAudio",
            self.tr("Extract audio (M4A)"),
            "music",
            self.tr("Store the audio track as audio.m4a (AAC) for each selected recording"),
        )
        self.action_audio.triggered.connect(lambda: run(AUDIO_M4A))
        self.action_audio_mp3 = self._action(
            "actionExtractAudioMp3",
            self.tr("Extract audio (MP3)"),
            "music",
            self.tr("Store the audio track as audio.mp3 for each selected recording"),
        )
        self.action_audio_mp3.triggered.connect(lambda: run(AUDIO_MP3))
        self.transcode_actions: list[QAction] = []
        for operation in TRANSCODES:
            description = preset_description(operation.option)
            action = self._action(
                f"actionTranscode_{operation.option}",
                f"{preset_name(operation.option)} — {description}",
                "film",
                self.tr("Store video.mp4 (H.264 + AAC, {description})").format(
                    description=description[:1].lower() + description[1:]
                ),
            )
            action.triggered.connect(lambda _checked=False, op=operation: run(op))
            self.transcode_actions.append(action)
        self.action_auto_thumbnail = self._toggle(
            "actionAfterUploadThumbnail",
            self.tr("After upload: make thumbnail"),
            SETTING_AUTO_THUMBNAIL,
            self.tr("Queue a thumbnail behind every uploaded recording source"),
        )
        self.action_auto_audio = self._toggle(
            "actionAfterUploadAudio",
            self.tr("After upload: extract audio"),
            SETTING_AUTO_AUDIO,
            self.tr("Queue an audio extraction behind every uploaded recording source"),
        )
        self.menu = self.build_menu(self.window)
        self.menu_button = QToolButton()
        self.menu_button.setObjectName("mediaMenuButton")
        self.menu_button.setText(self.tr("Media"))
        self.menu_button.setIcon(icon("clapperboard"))
        self.menu_button.setToolTip(
            self.tr("Thumbnails, audio and transcodes of the selected recordings")
        )
        self.menu_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu_button.setMenu(self.menu)

    def _toggle(self, name: str, text: str, key: str, tip: str) -> QAction:
        action = self._action(name, text, "cloud-upload", tip)
        action.setCheckable(True)
        action.setChecked(self.settings.value(key, False, type=bool))  # type: ignore[arg-type]
        action.toggled.connect(lambda on: self.settings.setValue(key, on))
        return action

    def build_menu(self, parent: Any) -> QMenu:
        """The Media menu (for the toolbar button, and as a context submenu)."""
        menu = QMenu(self.tr("Media"), parent)
        menu.setObjectName("mediaMenu")
        menu.setIcon(icon("clapperboard"))
        menu.addAction(self.action_info)
        menu.addAction(self.action_thumbnail)
        menu.addAction(self.action_audio)
        menu.addAction(self.action_audio_mp3)
        transcode = menu.addMenu(icon("film"), self.tr("Transcode to MP4"))
        transcode.setObjectName("transcodeMenu")
        for action in self.transcode_actions:
            transcode.addAction(action)
        menu.addSeparator()
        menu.addAction(self.action_auto_thumbnail)
        menu.addAction(self.action_auto_audio)
        return menu

    # ----------------------------------------------------------------- running jobs

    def _side(self, pane: TreePane) -> tuple[str, StorageBackend | None]:
        if pane is self.window.remote_pane:
            return SIDE_S3, self.window.remote
        return SIDE_LOCAL, self.window.local

    def _run_on_selection(self, operation: MediaOperation) -> None:
        # The pane is taken now, while a context menu still says which pane it was opened in.
        self.window.run_task(self.run_on_selection(operation, self.window.focused_pane()))

    async def run_on_selection(
        self, operation: MediaOperation, pane: TreePane | None = None
    ) -> list[Job]:
        """Queue ``operation`` for every source in the (focused) pane's selection."""
        pane = pane or self.window.focused_pane()
        side, backend = self._side(pane)
        if backend is None:
            self.window.notify(
                "warning", self.tr("No bucket is configured yet: open Settings to add one.")
            )
            return []
        sources = await self.sources_in(backend, pane.selected_paths())
        if not sources:
            self.window.notify(
                "info",
                self.tr(
                    "Select a video, a recording, or a folder of recordings to run media jobs on."
                ),
            )
            return []
        await self.media.tools()  # a missing ffmpeg is one notice, not a failed job per file
        jobs = [self.media.add_job(side, backend, operation, path) for path in sources]
        if len(jobs) > 1:
            self.window.notify(
                "info",
                self.tr("Queued “{job}” for %n file(s).", "", len(jobs)).format(
                    job=operation.label
                ),
            )
        return jobs

    async def sources_in(self, backend: StorageBackend, paths: list[str]) -> list[str]:
        """Media files behind a selection: selected media files, and every recording source
        (``source.*``) under selected folders, found with one paginated listing each."""
        found: list[str] = []
        for path in paths:
            if extension(path) in MEDIA_EXTENSIONS:
                try:
                    await backend.stat(path)
                    found.append(path)
                    continue
                except ObjectNotFoundError:
                    pass  # a folder named like a file: list it
            async for page in backend.iter_pages(path, recursive=True):
                found.extend(info.path for info in page.files if is_recording_source(info.path))
        return list(dict.fromkeys(found))

    def chain_after_upload(
        self, side: str, backend: StorageBackend, upload: Job, path: str
    ) -> list[Job]:
        """Queue the "after upload" jobs behind ``upload`` if ``path`` is a recording source."""
        if not is_recording_source(path):
            return []
        operations = []
        if self.action_auto_thumbnail.isChecked():
            operations.append(THUMBNAIL)
        if self.action_auto_audio.isChecked():
            operations.append(AUDIO_M4A)
        chained: list[Job] = []
        previous = upload
        for operation in operations:
            job = self.media.make_job(side, backend, operation, path)
            job.after = previous.id
            self.window.queue.add(job)
            chained.append(job)
            previous = job
        return chained

    def _output_stored(self, side: str, path: str) -> None:
        self.window.schedule_refresh(side, path, stored=True)
        if path.endswith("/thumbnail.jpg"):
            model = self._model(side)
            recording = path.rpartition("/")[0]
            self.window.run_task(self._tree_thumbnail(side, model, recording, path))
        if self.preview.path and path.rpartition("/")[0] == self._recording_of(self.preview.path):
            self._pending = (side, self.preview.path)
            self._timer.start()

    # ----------------------------------------------------------------- probing

    async def probe_selected(self, pane: TreePane | None = None) -> None:
        pane = pane or self.window.focused_pane()
        side, backend = self._side(pane)
        if backend is None:
            return
        sources = await self.sources_in(backend, pane.selected_paths()[:1])
        if not sources:
            self.window.notify("info", self.tr("Select a video or a recording to see its details."))
            return
        await self._show(side, backend, sources[0], refresh_probe=True)

    # ----------------------------------------------------------------- preview

    def _model(self, side: str) -> StorageTreeModel:
        return self.window.remote_model if side == SIDE_S3 else self.window.local_model

    def _current_changed(self, pane: TreePane, current: Any) -> None:
        path = current.data(PATH_ROLE) if current.isValid() else None
        if not path:
            return
        side, _ = self._side(pane)
        self._pending = (side, str(path))
        self._timer.start()

    def close(self) -> None:
        """The window closes: no preview starts any more and the one loading is cancelled
        (it would otherwise write into labels deleted with the window)."""
        self._closed = True
        self._timer.stop()
        self._pending = None
        if self._preview_task is not None:
            self._preview_task.cancel()
            self._preview_task = None

    def _start_preview(self) -> None:
        if self._pending is None or self._closed:
            return
        side, path = self._pending
        self._pending = None
        backend = self.window.remote if side == SIDE_S3 else self.window.local
        if backend is None:
            return
        if self._preview_task is not None:
            self._preview_task.cancel()
        self._preview_task = self.window.run_task(self._show(side, backend, path))

    @staticmethod
    def _recording_of(path: str) -> str | None:
        recording = StoragePathBuilder.parse_recording(path + "/x")
        if recording is None:
            return None
        return StoragePathBuilder().recording_root(*recording)

    async def _show(
        self, side: str, backend: StorageBackend, path: str, *, refresh_probe: bool = False
    ) -> None:
        """Fill the preview for ``path`` (a file or a recording folder)."""
        self._generation += 1
        generation = self._generation
        recording = self._recording_of(path)
        is_file = "." in path.rpartition("/")[2] and path != recording
        title = path.rpartition("/")[2] if is_file else (recording or path).rpartition("/")[2]
        self.preview.show_item(title, path)
        media_file: ObjectInfo | None = None
        picture: ObjectInfo | None = None
        if is_file:
            try:
                info = await backend.stat(path)
            except StorageError as exc:
                self.preview.set_note(describe(exc))
                return
            if extension(path) in IMAGE_EXTENSIONS:
                picture = info
            elif extension(path) in MEDIA_EXTENSIONS:
                media_file = info
        if recording is not None and (picture is None or media_file is None):
            listed = await self._recording_files(backend, recording)
            picture = picture or listed.get("thumbnail")
            if media_file is None and not is_file:
                media_file = listed.get("source") or listed.get("video")
        if generation != self._generation:
            return
        if picture is not None:
            image = await self.media.thumbnail(backend, picture)
            if generation != self._generation:
                return
            self.preview.set_image(image)
        elif recording is None and media_file is None:
            self.preview.set_image(None, self.tr("Not a recording or a media file."))
        if media_file is None:
            return
        self.preview.set_info(None, media_file.size)
        cached = None if refresh_probe else self.media.cached_info(media_file)
        if cached is None:
            self.preview.set_note(
                self.tr("Probing {name}…").format(name=media_file.path.rpartition("/")[2])
            )
            cached = await (await self.media.jobs_for(backend)).probe(
                media_file.path, refresh=refresh_probe
            )
        if generation != self._generation:
            return
        self.preview.set_info(cached, media_file.size)
        note = (
            self.tr("{name}, {size}, in the S3 bucket")
            if side == SIDE_S3
            else self.tr("{name}, {size}, in the local store")
        )
        text = note.format(
            name=media_file.path.rpartition("/")[2], size=format_size(media_file.size)
        )
        if media_file.original_name is None:
            # Listings do not carry metadata; one stat tells the name the file was dropped with.
            with contextlib.suppress(StorageError):
                media_file = await backend.stat(media_file.path)
        if generation != self._generation:
            return
        if media_file.original_name:
            text += "\n" + self.tr("Original name: {name}").format(name=media_file.original_name)
        self.preview.set_note(text)

    async def _recording_files(self, backend: StorageBackend, recording: str) -> dict[str, Any]:
        """The recording's source, video and thumbnail files, from one listing page."""
        files: dict[str, ObjectInfo] = {}
        async for page in backend.iter_pages(recording, recursive=False):
            for info in page.files:
                name = info.path.rpartition("/")[2]
                if name == "thumbnail.jpg":
                    files["thumbnail"] = info
                elif name == "video.mp4":
                    files["video"] = info
                elif is_recording_source(info.path):
                    files["source"] = info
        return files

    # ----------------------------------------------------------------- tree thumbnails

    def connect_loader(self, side: str, loader: Any) -> None:
        """Show thumbnails for the recordings this loader lists."""
        loader.recordingMediaListed.connect(
            lambda _folder, media: self._recordings_listed(side, media)
        )

    def _recordings_listed(self, side: str, media: Mapping[str, Mapping[str, ObjectInfo]]) -> None:
        model = self._model(side)
        for recording, files in media.items():
            thumbnail = files.get("thumbnail")
            if thumbnail is not None:
                self.window.run_task(self._tree_thumbnail(side, model, recording, thumbnail))

    async def _tree_thumbnail(
        self, side: str, model: StorageTreeModel, recording: str, thumbnail: ObjectInfo | str
    ) -> None:
        backend = self.window.remote if side == SIDE_S3 else self.window.local
        if backend is None:
            return
        info = thumbnail if isinstance(thumbnail, ObjectInfo) else await backend.stat(thumbnail)
        image = await self.media.thumbnail(backend, info)
        if image is None:
            return
        model.set_recording_icon(recording, tree_icon(image))


def tree_icon(image: QImage) -> QIcon:
    """A thumbnail cropped to the tree's 16:9 icon box (centre crop, smooth scaling)."""
    box = TREE_ICON_SIZE * 2  # sharp on high-DPI screens too
    scaled = image.scaled(
        box,
        Qt.AspectRatioMode.KeepAspectRatioByExpanding,
        Qt.TransformationMode.SmoothTransformation,
    )
    x = (scaled.width() - box.width()) // 2
    y = (scaled.height() - box.height()) // 2
    return QIcon(QPixmap.fromImage(scaled.copy(x, y, box.width(), box.height())))
