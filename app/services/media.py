"""``MediaService``: media jobs in the app's queue, probe results, and thumbnails for the views.

Jobs go into the same :class:`~app.services.transfers.JobQueue` as transfers, under the
``ffmpeg`` resource (one at a time by default: encoding is CPU-bound). A job's bar covers its
whole storage round trip (download, ffmpeg, upload), reported as a share done, with the phase as
its detail. ffmpeg is looked up and checked once, on first use, so a missing ffmpeg shows as a
notice naming what to install, not as a crash at start-up.

Thumbnails are fetched once per object version into a small disk cache (a local store's file is
used where it lies) and handed to the views as ``QImage``\\ s, decoded off the event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QObject, Signal
from PySide6.QtGui import QImage

from app.services.transfers import (
    RESOURCE_FFMPEG,
    UNIT_PERCENT,
    Job,
    JobKind,
    JobQueue,
    ProgressReporter,
)
from file_storage.backends.base import ObjectInfo, StorageBackend
from file_storage.media import (
    FFmpegTools,
    MediaInfo,
    MediaInfoCache,
    MediaJobs,
    MediaProgress,
    MediaResult,
    load_tools,
    version_keys,
)
from file_storage.media.recipes import PRESETS

logger = logging.getLogger(__name__)

#: Thumbnails fetched at once (they are small; more would only crowd the connection pool).
THUMBNAIL_FETCHES = 3


@dataclass(frozen=True)
class MediaOperation:
    """One job the menus offer: ``kind`` is thumbnail, audio or transcode; ``option`` its
    audio format or preset."""

    kind: str
    option: str = ""

    @property
    def label(self) -> str:
        """What the job is called in the queue and in notices (translated)."""
        if self.kind == "thumbnail":
            return QCoreApplication.translate("MediaOperation", "Thumbnail")
        if self.kind == "audio":
            return QCoreApplication.translate("MediaOperation", "Extract audio ({format})").format(
                format=self.option.upper()
            )
        return QCoreApplication.translate("MediaOperation", "Transcode {preset}").format(
            preset=preset_name(self.option)
        )

    async def run(
        self, jobs: MediaJobs, path: str, progress: Callable[[MediaProgress], None]
    ) -> MediaResult:
        if self.kind == "thumbnail":
            return await jobs.thumbnail(path, progress=progress)
        if self.kind == "audio":
            fmt = "mp3" if self.option == "mp3" else "m4a"
            return await jobs.extract_audio(path, audio_format=fmt, progress=progress)
        return await jobs.transcode(path, preset=self.option, progress=progress)


#: The presets' descriptions (file_storage keeps them in English) for the menus.
PRESET_DESCRIPTIONS = {
    "1080p": QT_TRANSLATE_NOOP("MediaOperation", "Full HD, for the main player"),
    "720p": QT_TRANSLATE_NOOP("MediaOperation", "HD, the usual web rendition"),
    "480p": QT_TRANSLATE_NOOP("MediaOperation", "Small, for slow connections"),
    "source": QT_TRANSLATE_NOOP("MediaOperation", "Keep the source's resolution"),
}


def preset_name(name: str) -> str:
    """A preset's name as shown: ``1080p`` stays; ``source`` is a word, so it is translated."""
    if name == "source":
        return QCoreApplication.translate("MediaOperation", "source")
    return name


def preset_description(name: str) -> str:
    """The translated description of the transcode preset ``name``."""
    text = PRESET_DESCRIPTIONS.get(name)
    if text is None:
        return PRESETS[name].description
    return QCoreApplication.translate("MediaOperation", text)


THUMBNAIL = MediaOperation("thumbnail")
AUDIO_M4A = MediaOperation("audio", "m4a")
AUDIO_MP3 = MediaOperation("audio", "mp3")
TRANSCODES = tuple(MediaOperation("transcode", name) for name in PRESETS)


class MediaService(QObject):
    """Media jobs, probes and thumbnails for both stores.

    Signals:
        outputStored(str, str): A job stored a file: the side ("local"/"s3") and its path.

    Args:
        queue: The shared job queue.
        cache: Probe results by object version (shared with the CLI's format).
        thumbnail_dir: Where fetched thumbnails are kept.
        temp_dir: The local scratch folder (the local store's ``temp/``).
        ffmpeg_path, ffprobe_path: From the settings; ``None`` looks on PATH, then imageio-ffmpeg.
        ca_bundle: CA bundle for ffmpeg reading presigned HTTPS URLs.
        tools_loader: Finds and checks ffmpeg (tests may pass a pre-built :class:`FFmpegTools`).
    """

    outputStored = Signal(str, str)

    def __init__(
        self,
        queue: JobQueue,
        *,
        cache: MediaInfoCache,
        thumbnail_dir: Path,
        temp_dir: Path,
        ffmpeg_path: Path | None = None,
        ffprobe_path: Path | None = None,
        ca_bundle: Path | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.queue = queue
        self.cache = cache
        self.thumbnail_dir = thumbnail_dir
        self.temp_dir = temp_dir
        self._ffmpeg_path = ffmpeg_path
        self._ffprobe_path = ffprobe_path
        self._ca_bundle = ca_bundle
        self._tools: FFmpegTools | None = None
        self._tools_lock = asyncio.Lock()
        self._fetches = asyncio.Semaphore(THUMBNAIL_FETCHES)
        self._images: dict[str, QImage] = {}

    # ----------------------------------------------------------------- ffmpeg

    async def tools(self) -> FFmpegTools:
        """The checked ffmpeg, found on first use.

        Raises:
            MediaToolError: ffmpeg is missing or unusable (the message says what to install).
        """
        async with self._tools_lock:
            if self._tools is None:
                self._tools = await load_tools(self._ffmpeg_path, self._ffprobe_path)
                logger.info(
                    "ffmpeg %s at %s (ffprobe: %s)",
                    self._tools.version,
                    self._tools.ffmpeg,
                    self._tools.ffprobe or "none; probing parses ffmpeg's output",
                )
            return self._tools

    async def jobs_for(self, backend: StorageBackend) -> MediaJobs:
        return MediaJobs(
            backend,
            await self.tools(),
            temp_dir=self.temp_dir,
            cache=self.cache,
            ca_bundle=self._ca_bundle,
        )

    # ----------------------------------------------------------------- jobs

    def make_job(
        self, side: str, backend: StorageBackend, operation: MediaOperation, path: str
    ) -> Job:
        """A queue job running ``operation`` on ``path``; add it (or chain it) yourself."""
        name = "/".join(path.split("/")[-2:])
        job = Job(
            f"{operation.label}: {name}",
            JobKind.MEDIA,
            source=path,
            total=100,
            unit=UNIT_PERCENT,
            resource=RESOURCE_FFMPEG,
        )

        async def run(progress: ProgressReporter) -> None:
            jobs = await self.jobs_for(backend)
            try:
                job.input_size = (await backend.stat(path)).size
            except Exception:  # the job itself reports a missing source
                logger.debug("no size for %s", path, exc_info=True)

            def report(step: MediaProgress) -> None:
                progress(round(step.fraction * 100))
                progress.set_detail(step.detail or step.phase)

            result = await operation.run(jobs, path, report)
            job.destination = result.output
            self.outputStored.emit(side, result.output)

        job.run = run
        return job

    def add_job(
        self, side: str, backend: StorageBackend, operation: MediaOperation, path: str
    ) -> Job:
        """Queue ``operation`` on ``path`` now."""
        return self.queue.add(self.make_job(side, backend, operation, path))

    # ----------------------------------------------------------------- probes

    def cached_info(self, info: ObjectInfo) -> MediaInfo | None:
        """The probe of a listed object if it is cached (a fast, indexed lookup)."""
        return self.cache.get_sync(info)

    async def probe(self, backend: StorageBackend, path: str) -> MediaInfo:
        return await (await self.jobs_for(backend)).probe(path)

    # ----------------------------------------------------------------- thumbnails

    async def thumbnail(self, backend: StorageBackend, info: ObjectInfo) -> QImage | None:
        """The picture stored at ``info`` (a ``thumbnail.jpg``), fetched once per version."""
        key = version_keys(info)[0]
        if key in self._images:
            return self._images[key]
        async with self._fetches:
            local = await backend.local_file(info.path)
            if local is None:
                local = self.thumbnail_dir / (hashlib.sha256(key.encode()).hexdigest() + ".jpg")
                if not local.exists():
                    self.thumbnail_dir.mkdir(parents=True, exist_ok=True)
                    await backend.download_file(info.path, local)
            image = await asyncio.to_thread(QImage, str(local))
        if image.isNull():
            logger.warning("%s is not a picture Qt can read", info.path)
            return None
        self._images[key] = image
        return image
