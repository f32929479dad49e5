"""Media jobs on stored recordings: probe, thumbnail, extract audio, transcode.

ffmpeg cannot read or write S3 (the design note's "FFmpeg and S3"), so a job stages its input as
a local file, runs ffmpeg on local files, uploads the result next to the source (the path from
:class:`StoragePathBuilder`) and cleans up:

- a file in the local store is read **in place**, never copied;
- probes and thumbnails of S3 objects read a short-lived presigned URL with ffmpeg's ranged HTTP
  reads (a probe of a 2 GiB video fetches a few hundred KiB, not 2 GiB);
- extracting audio and transcoding read the whole input, so the object is first downloaded
  (streamed, verified) into the local ``temp/`` folder, after checking there is room.

The output is written to a temp file, probed back (a job never stores a file ffmpeg left broken),
then stored with the backend's atomic, verified upload. A failure or cancel at any point removes
every temp file and stores nothing; the source is only ever read (RELIABILITY R7). Probe results
are cached per object version (:mod:`file_storage.media.cache`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from file_storage.backends.base import ObjectInfo, StorageBackend
from file_storage.errors import DiskFullError, MediaInputError, MediaProcessingError
from file_storage.media import recipes
from file_storage.media.cache import MediaInfoCache
from file_storage.media.info import MediaInfo, parse_ffmpeg_banner, parse_ffprobe_json
from file_storage.media.process import capture, failure_from_stderr, run_ffmpeg
from file_storage.media.tools import FFmpegTools
from file_storage.path_builder import StoragePathBuilder
from file_storage.paths import validate_path
from file_storage.units import human_size

logger = logging.getLogger(__name__)

TEMP_PREFIX = "leap-media-"
#: Room left free on the temp disk beyond what a download needs (ffmpeg's output goes there too).
TEMP_HEADROOM = 256 * 1024 * 1024
#: A temp file no job holds a lock on, and older than this, was left by a crash; it is removed
#: when jobs run. (The age only covers the instant between creating a file and locking it.)
STALE_TEMP_SECONDS = 60.0
#: Seconds a probe (ffprobe or ``ffmpeg -i``) may take, including network reads.
PROBE_TIMEOUT = 120.0
#: Lifetime of the presigned URL ffmpeg reads a remote object through.
STREAM_URL_SECONDS = 3600

#: How much of a job's progress bar each phase fills, before normalising.
PHASE_WEIGHTS = {"download": 0.3, "process": 0.6, "upload": 0.1}


@dataclass(frozen=True)
class MediaProgress:
    """Where a job is: overall ``fraction`` (0..1), the current phase, and a detail line."""

    fraction: float
    phase: str
    detail: str = ""


MediaProgressCallback = Callable[[MediaProgress], None]


@dataclass(frozen=True)
class MediaResult:
    """What a job produced.

    Attributes:
        source: The storage path that was read.
        output: The storage path written.
        size: Size of the output in bytes.
        info: The output, probed back.
        input_mode: ``"in place"``, ``"streamed"`` or ``"downloaded"``.
        ffmpeg_seconds: Time spent in ffmpeg alone.
        total_seconds: Time of the whole job, storage round trip included.
    """

    source: str
    output: str
    size: int
    info: MediaInfo
    input_mode: str
    ffmpeg_seconds: float
    total_seconds: float


class _Phases:
    """Maps per-phase fractions onto one 0..1 bar; never goes backwards."""

    def __init__(self, sink: MediaProgressCallback | None, phases: Sequence[str]) -> None:
        self._sink = sink
        total = sum(PHASE_WEIGHTS[p] for p in phases)
        self._spans: dict[str, tuple[float, float]] = {}
        start = 0.0
        for phase in phases:
            width = PHASE_WEIGHTS[phase] / total
            self._spans[phase] = (start, width)
            start += width
        self._last = 0.0

    def report(self, phase: str, within: float, detail: str = "") -> None:
        if self._sink is None or phase not in self._spans:
            return
        start, width = self._spans[phase]
        fraction = min(1.0, max(self._last, start + width * min(1.0, max(0.0, within))))
        self._last = fraction
        self._sink(MediaProgress(fraction, phase, detail))

    def done(self) -> None:
        if self._sink is not None:
            self._last = 1.0
            self._sink(MediaProgress(1.0, "done"))


@dataclass
class _Input:
    """A staged input: what ffmpeg opens, options before ``-i``, and how it got there."""

    location: str
    options: list[str]
    mode: str


class MediaJobs:
    """Runs media jobs against one storage backend.

    Args:
        backend: Where sources are read and outputs written.
        tools: A checked ffmpeg (:func:`file_storage.media.tools.load_tools`).
        temp_dir: The local scratch folder (the local store's ``temp/``) for downloads and
            ffmpeg's output.
        cache: Probe results by object version; ``None`` disables caching.
        path_builder: Names the outputs.
        stream_remote_reads: Let probes and thumbnails of remote objects read a presigned URL
            instead of downloading the object first.
        ca_bundle: CA bundle ffmpeg checks an HTTPS endpoint's certificate against (the same
            one the backend uses); ``None`` uses the system's.
    """

    def __init__(
        self,
        backend: StorageBackend,
        tools: FFmpegTools,
        *,
        temp_dir: Path,
        cache: MediaInfoCache | None = None,
        path_builder: StoragePathBuilder | None = None,
        stream_remote_reads: bool = True,
        ca_bundle: Path | None = None,
    ) -> None:
        self.backend = backend
        self.tools = tools
        self.temp_dir = temp_dir
        self.cache = cache
        self.paths = path_builder or StoragePathBuilder()
        self.stream_remote_reads = stream_remote_reads
        self.ca_bundle = ca_bundle
        self._stale_checked = False

    # ----------------------------------------------------------------- public jobs

    async def probe(self, path: str, *, refresh: bool = False) -> MediaInfo:
        """Duration, container, codecs, resolution and bit rate of ``path`` (cached per version).

        Raises:
            ObjectNotFoundError: ``path`` does not exist.
            MediaProcessingError: ffmpeg could not read it as media.
        """
        info = await self.backend.stat(path)
        return await self._probe_object(info, refresh=refresh)

    async def thumbnail(
        self,
        path: str,
        *,
        at: float | None = None,
        fraction: float | None = None,
        width: int = recipes.DEFAULT_THUMBNAIL_WIDTH,
        output: str | None = None,
        progress: MediaProgressCallback | None = None,
    ) -> MediaResult:
        """Store a JPEG poster frame of ``path`` (default: 10 % in) as ``thumbnail.jpg``."""
        source = await self.backend.stat(path)
        target = self._output_path(source.path, output, "thumbnail", "jpg")
        media = await self._probe_object(source)
        seconds = recipes.thumbnail_time(media, at, fraction)
        recipes.thumbnail_args(source.path, "x", media, seconds, width, [])  # fails early
        return await self._run(
            source,
            target,
            ".jpg",
            lambda loc, opts, out: recipes.thumbnail_args(loc, out, media, seconds, width, opts),
            media=media,
            whole_input=False,
            expected_seconds=None,
            progress=progress,
        )

    async def extract_audio(
        self,
        path: str,
        *,
        audio_format: recipes.AudioFormat = "m4a",
        output: str | None = None,
        progress: MediaProgressCallback | None = None,
    ) -> MediaResult:
        """Store the audio of ``path`` as ``audio.m4a`` (AAC) or ``audio.mp3``."""
        if audio_format not in recipes.AUDIO_FORMATS:
            raise MediaInputError(f"Unknown audio format {audio_format!r}; use m4a or mp3.")
        if audio_format == "mp3":
            self.tools.require_encoder("libmp3lame", "extracting MP3 audio")
        else:
            self.tools.require_encoder("aac", "extracting AAC audio")
        source = await self.backend.stat(path)
        target = self._output_path(source.path, output, "audio", audio_format)
        media = await self._probe_object(source)
        recipes.audio_args(source.path, "x", media, audio_format)  # fails early without audio
        return await self._run(
            source,
            target,
            f".{audio_format}",
            lambda loc, opts, out: [*opts, *recipes.audio_args(loc, out, media, audio_format)],
            media=media,
            whole_input=True,
            expected_seconds=media.duration,
            progress=progress,
        )

    async def transcode(
        self,
        path: str,
        *,
        preset: str = recipes.DEFAULT_PRESET,
        output: str | None = None,
        progress: MediaProgressCallback | None = None,
    ) -> MediaResult:
        """Store ``path`` as ``video.mp4`` (H.264 + AAC, faststart) using a named preset."""
        chosen = recipes.preset_named(preset)
        self.tools.require_encoder("libx264", "transcoding to H.264")
        self.tools.require_encoder("aac", "transcoding to H.264 + AAC")
        source = await self.backend.stat(path)
        target = self._output_path(source.path, output, "video", "mp4")
        media = await self._probe_object(source)
        recipes.transcode_args(source.path, "x", media, chosen)  # fails early without video
        return await self._run(
            source,
            target,
            ".mp4",
            lambda loc, opts, out: [*opts, *recipes.transcode_args(loc, out, media, chosen)],
            media=media,
            whole_input=True,
            expected_seconds=media.duration,
            progress=progress,
        )

    def cached_info(self, info: ObjectInfo) -> MediaInfo | None:
        """The cached probe of a listed object, without any I/O beyond the cache (for trees)."""
        return self.cache.get_sync(info) if self.cache is not None else None

    # ----------------------------------------------------------------- the pipeline

    def _output_path(self, source: str, output: str | None, kind: str, extension: str) -> str:
        target = (
            validate_path(output) if output else self.paths.media_output(source, kind, extension)
        )
        if target == source:
            raise MediaInputError(
                f"The output {target} is the source itself; choose another output path."
            )
        return target

    async def _run(
        self,
        source: ObjectInfo,
        target: str,
        suffix: str,
        build_args: Callable[[str, list[str], str], list[str]],
        *,
        media: MediaInfo,
        whole_input: bool,
        expected_seconds: float | None,
        progress: MediaProgressCallback | None,
    ) -> MediaResult:
        started = time.monotonic()
        local = await self.backend.local_file(source.path)
        streamed = None if local is not None or whole_input else await self._streamable(source)
        downloads = local is None and streamed is None
        phases = _Phases(progress, [*(["download"] if downloads else []), "process", "upload"])
        async with contextlib.AsyncExitStack() as stack:
            staged = await stack.enter_async_context(
                self._staged_input(source, local, streamed, phases)
            )
            out_file = stack.enter_context(self._temp_file(suffix))

            def on_time(seconds: float) -> None:
                if expected_seconds:
                    phases.report("process", seconds / expected_seconds, "encoding")

            phases.report("process", 0.0, "starting ffmpeg")
            ffmpeg_started = time.monotonic()
            await run_ffmpeg(
                str(self.tools.ffmpeg),
                build_args(staged.location, staged.options, str(out_file)),
                what=source.path,
                path=source.path,
                on_progress=on_time,
            )
            ffmpeg_seconds = time.monotonic() - ffmpeg_started
            output_media = await self._probe_local(out_file, f"the output for {source.path}")
            size = out_file.stat().st_size
            if size == 0:
                raise MediaProcessingError(
                    f"ffmpeg wrote an empty output for {source.path}; nothing was stored.",
                    path=source.path,
                )
            phases.report("process", 1.0)

            async def on_upload(done: int) -> None:
                phases.report("upload", done / size, "storing")

            await self.backend.upload_file(target, out_file, progress=on_upload)
        stored = await self.backend.stat(target)
        if self.cache is not None:
            await self.cache.put(stored, output_media)
        phases.done()
        total = time.monotonic() - started
        logger.info(
            "media %s -> %s (%s, input %s) in %.2fs, ffmpeg %.2fs",
            source.path,
            target,
            human_size(size),
            staged.mode,
            total,
            ffmpeg_seconds,
        )
        return MediaResult(
            source=source.path,
            output=target,
            size=size,
            info=output_media,
            input_mode=staged.mode,
            ffmpeg_seconds=ffmpeg_seconds,
            total_seconds=total,
        )

    async def _streamable(self, source: ObjectInfo) -> _Input | None:
        """A presigned URL ffmpeg reads itself, or ``None``: streaming is off, or this ffmpeg
        has no protocol for the endpoint's scheme (the object is then downloaded)."""
        if not self.stream_remote_reads:
            return None
        url = await self.backend.get_presigned_url(source.path, expires_in=STREAM_URL_SECONDS)
        if not self.tools.can_read(url):
            return None
        return _Input(url, self._url_options(url), "streamed")

    @contextlib.asynccontextmanager
    async def _staged_input(
        self,
        source: ObjectInfo,
        local: Path | None,
        streamed: _Input | None,
        phases: _Phases,
    ) -> AsyncIterator[_Input]:
        """The input as ffmpeg opens it: the local file, the streamed URL, or a downloaded copy
        in ``temp/`` (removed on exit)."""
        if local is not None:
            yield _Input(str(local), [], "in place")
            return
        if streamed is not None:
            yield streamed
            return
        self._check_room(source)
        with self._temp_file(Path(source.path).suffix or ".bin") as copy:

            async def on_download(done: int) -> None:
                phases.report(
                    "download", done / max(1, source.size), f"downloading {human_size(done)}"
                )

            phases.report("download", 0.0, "downloading")
            await self.backend.download_file(source.path, copy, progress=on_download)
            yield _Input(str(copy), [], "downloaded")

    def _url_options(self, url: str) -> list[str]:
        """Input options for reading a URL: timeouts, reconnects, and certificate checks."""
        options = [
            "-rw_timeout",
            "30000000",  # microseconds without data before a read fails
            "-reconnect",
            "1",
            "-reconnect_on_network_error",
            "1",
            "-reconnect_delay_max",
            "5",
        ]
        if url.lower().startswith("https:"):
            options += ["-tls_verify", "1"]
            bundle = self.ca_bundle
            if bundle is not None:
                options += ["-ca_file", str(bundle)]
        return options

    def _check_room(self, source: ObjectInfo) -> None:
        self.temp_dir.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(self.temp_dir).free
        needed = source.size + TEMP_HEADROOM
        if free < needed:
            raise DiskFullError(
                f"Not enough space in {self.temp_dir} to process {source.path}: it needs "
                f"{human_size(needed)} and {human_size(free)} is free. Free some space and retry.",
                path=source.path,
            )

    @contextlib.contextmanager
    def _temp_file(self, suffix: str) -> Iterator[Path]:
        """A fresh, empty temp file in ``temp_dir``, removed on exit whatever happened."""
        self.temp_dir.mkdir(parents=True, exist_ok=True)
        if not self._stale_checked:
            self._stale_checked = True
            remove_stale_temp_files(self.temp_dir)
        fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=suffix, dir=self.temp_dir)
        path = Path(name)
        try:
            _lock(fd)  # "in use": other processes' clean-ups leave it alone; a crash unlocks it
            yield path
        finally:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            os.close(fd)

    # ----------------------------------------------------------------- probing

    async def _probe_object(self, info: ObjectInfo, *, refresh: bool = False) -> MediaInfo:
        if self.cache is not None and not refresh:
            cached = await self.cache.get(info)
            if cached is not None:
                return cached
        local = await self.backend.local_file(info.path)
        if local is not None:
            media = await self._probe_local(local, info.path)
        elif (streamed := await self._streamable(info)) is not None:
            media = await self._probe_location(streamed.location, streamed.options, info.path)
        else:
            media = await self._probe_downloaded(info)
        if self.cache is not None:
            await self.cache.put(info, media)
        return media

    async def _probe_downloaded(self, info: ObjectInfo) -> MediaInfo:
        self._check_room(info)
        with self._temp_file(Path(info.path).suffix or ".bin") as copy:
            await self.backend.download_file(info.path, copy)
            return await self._probe_local(copy, info.path)

    async def _probe_local(self, path: Path, what: str) -> MediaInfo:
        return await self._probe_location(str(path), [], what)

    async def _probe_location(self, location: str, options: list[str], what: str) -> MediaInfo:
        if self.tools.ffprobe is not None:
            args = [
                str(self.tools.ffprobe),
                "-v",
                "error",
                *options,
                "-print_format",
                "json",
                "-show_format",
                "-show_streams",
                location,
            ]
            status, out, err = await capture(args, timeout=PROBE_TIMEOUT, what=what, path=what)
            if status != 0:
                raise failure_from_stderr(err, status, what, what)
            try:
                return parse_ffprobe_json(out)
            except ValueError as exc:
                raise MediaProcessingError(
                    f"ffprobe gave unreadable output for {what}.", path=what
                ) from exc
        args = [str(self.tools.ffmpeg), "-hide_banner", "-nostdin", *options, "-i", location]
        status, _, err = await capture(args, timeout=PROBE_TIMEOUT, what=what, path=what)
        try:
            return parse_ffmpeg_banner(err)
        except ValueError:
            raise failure_from_stderr(err, status or 1, what, what) from None


def _lock(fd: int) -> bool:
    """Take an exclusive advisory lock on ``fd`` without waiting; ``False`` if someone has it."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks here; the age check alone decides
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def remove_stale_temp_files(folder: Path, max_age: float = STALE_TEMP_SECONDS) -> int:
    """Delete media temp files a crash left behind in ``folder``; return how many.

    Every running job (in this process or another: the app, the CLI) holds a lock on its temp
    files, and the kernel drops it when the process dies, so a file nobody holds is garbage.
    """
    removed = 0
    cutoff = time.time() - max_age
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(folder):
            if not entry.name.startswith(TEMP_PREFIX):
                continue
            with contextlib.suppress(OSError):
                if entry.stat().st_mtime >= cutoff:
                    continue
                fd = os.open(entry.path, os.O_RDONLY)
                try:
                    if _lock(fd):
                        os.unlink(entry.path)
                        removed += 1
                finally:
                    os.close(fd)
    return removed


__all__ = [
    "MediaJobs",
    "MediaProgress",
    "MediaProgressCallback",
    "MediaResult",
    "remove_stale_temp_files",
]
