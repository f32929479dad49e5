"""``leap-storage media probe|thumbnail|extract-audio|transcode``: media jobs from a shell.

They work on whatever backend the settings select: a local file is read in place; an S3 object
is read through a presigned URL (probe, thumbnail) or downloaded to ``STORAGE_LOCAL_PATH/temp``
first (audio, transcode). Outputs land next to the source, at the layout's names.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import TYPE_CHECKING, TypeVar

import click
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from file_storage.cli.progress_bar import stderr_console
from file_storage.cli.runner import CliState, run_with_backend
from file_storage.media import (
    AUDIO_FORMATS,
    DEFAULT_PRESET,
    PRESETS,
    MediaInfo,
    MediaInfoCache,
    MediaJobs,
    MediaProgress,
    MediaResult,
    default_cache_dir,
)
from file_storage.media.cache import CACHE_FILENAME
from file_storage.media.setup import create_media_jobs
from file_storage.units import human_size

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from file_storage.backends.base import StorageBackend


class MediaOptions:
    """What the ``media`` group's options decided."""

    def __init__(self, state: CliState, *, cache: bool, stream: bool) -> None:
        self.state = state
        self.cache = cache
        self.stream = stream


@contextmanager
def job_bar(label: str) -> Iterator[Callable[[MediaProgress], None]]:
    """A percentage bar whose text follows the job's phase; quiet when stderr is not a tty."""
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[phase]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=stderr_console,
        disable=not sys.stderr.isatty(),
    )
    with progress:
        task = progress.add_task(label, total=1000, phase="")

        def update(step: MediaProgress) -> None:
            progress.update(
                task, completed=round(step.fraction * 1000), phase=step.detail or step.phase
            )

        yield update


def run_media(options: MediaOptions, action: Callable[[MediaJobs], Awaitable[object]]) -> object:
    """Open the backend and the probe cache, build the job runner, run ``action``."""

    async def with_jobs(backend: StorageBackend) -> object:
        cache = MediaInfoCache(default_cache_dir() / CACHE_FILENAME) if options.cache else None
        try:
            jobs = await create_media_jobs(
                options.state.settings(), backend, cache=cache, stream_remote_reads=options.stream
            )
            return await action(jobs)
        finally:
            if cache is not None:
                cache.close()

    return run_with_backend(options.state, with_jobs)


def report(result: MediaResult) -> None:
    click.echo(
        f"stored {result.output} ({human_size(result.size)}; {result.info.summary()}) "
        f"in {result.total_seconds:.1f} s, ffmpeg {result.ffmpeg_seconds:.1f} s, "
        f"input {result.input_mode}"
    )


def print_info(key: str, info: MediaInfo, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"path": key, **asdict(info)}, indent=2))
        return
    rows = [
        ("duration", f"{info.duration:.3f} s" if info.duration is not None else "unknown"),
        ("container", info.container),
        ("video", info.video_codec or "none"),
        ("resolution", info.resolution or "-"),
        ("frame rate", f"{info.frame_rate:g} fps" if info.frame_rate else "-"),
        ("audio", info.audio_codec or "none"),
        ("bit rate", f"{info.bit_rate / 1000:.0f} kb/s" if info.bit_rate else "-"),
    ]
    click.echo(key)
    for name, value in rows:
        click.echo(f"  {name:<11} {value}")


NO_CACHE_HELP = "Neither read nor write the probe cache."
DOWNLOAD_HELP = "Download S3 objects to temp/ even for probes and thumbnails (no URL streaming)."


def _no_cache(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.find_object(MediaOptions).cache = False  # type: ignore[union-attr]


def _download(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.find_object(MediaOptions).stream = False  # type: ignore[union-attr]


F = TypeVar("F", bound=Callable[..., object])


def job_options(command: F) -> F:
    """``--no-cache`` and ``--download`` also after the subcommand (``media probe --no-cache``)."""
    command = click.option(
        "--no-cache", is_flag=True, expose_value=False, callback=_no_cache,
        help=NO_CACHE_HELP,
    )(command)  # fmt: skip
    return click.option(
        "--download", is_flag=True, expose_value=False, callback=_download,
        help=DOWNLOAD_HELP,
    )(command)  # fmt: skip


def register(group: click.Group) -> None:
    """Add the ``media`` command group to ``leap-storage``."""

    @group.group(
        "media",
        epilog="""\b
Examples:
  leap-storage media probe users/user_000042/recordings/rec-1/source.mp4 --json
  leap-storage media --download transcode users/user_000042/rec-1/source.mp4 --preset 720p
""",
    )
    @click.option("--no-cache", is_flag=True, help=NO_CACHE_HELP)
    @click.option(
        "--download",
        is_flag=True,
        help=DOWNLOAD_HELP,
    )
    @click.pass_context
    def media(ctx: click.Context, no_cache: bool, download: bool) -> None:
        """Probe, thumbnail, extract audio from or transcode a stored recording with ffmpeg."""
        ctx.obj = MediaOptions(ctx.obj, cache=not no_cache, stream=not download)

    @media.command(
        "probe",
        epilog="""\b
Examples:
  leap-storage media probe users/user_000042/recordings/rec-1/source.mp4 --json
""",
    )
    @job_options
    @click.argument("key")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @click.option("--refresh", is_flag=True, help="Probe again even if the cache knows it.")
    @click.pass_obj
    def probe(options: MediaOptions, key: str, as_json: bool, refresh: bool) -> None:
        """Show duration, container, codecs, resolution and bit rate of KEY."""
        info = run_media(options, lambda jobs: jobs.probe(key, refresh=refresh))
        assert isinstance(info, MediaInfo)
        print_info(key, info, as_json)

    @media.command(
        "thumbnail",
        epilog="""\b
Examples:
  leap-storage media thumbnail users/user_000042/recordings/rec-1/source.mp4 --at 12.5
""",
    )
    @job_options
    @click.argument("key")
    @click.option("--at", type=float, help="Seconds into the video (default: 10% of it).")
    @click.option("--fraction", type=float, help="Position as a share of the duration (0-1).")
    @click.option("--width", type=int, default=1280, show_default=True, help="Maximum width.")
    @click.option("--output", help="Where to store it (default: thumbnail.jpg beside KEY).")
    @click.pass_obj
    def thumbnail(
        options: MediaOptions,
        key: str,
        at: float | None,
        fraction: float | None,
        width: int,
        output: str | None,
    ) -> None:
        """Store a JPEG poster frame of KEY."""
        if at is not None and fraction is not None:
            raise click.UsageError("use either --at or --fraction, not both")

        async def action(jobs: MediaJobs) -> MediaResult:
            with job_bar(f"thumbnail {key}") as bar:
                return await jobs.thumbnail(
                    key, at=at, fraction=fraction, width=width, output=output, progress=bar
                )

        result = run_media(options, action)
        assert isinstance(result, MediaResult)
        report(result)

    @media.command(
        "extract-audio",
        epilog="""\b
Examples:
  leap-storage media extract-audio users/user_000042/recordings/rec-1/source.mp4 --format mp3
""",
    )
    @job_options
    @click.argument("key")
    @click.option(
        "--format",
        "audio_format",
        type=click.Choice(AUDIO_FORMATS),
        default="m4a",
        show_default=True,
        help="m4a (AAC) or mp3.",
    )
    @click.option("--output", help="Where to store it (default: audio.<format> beside KEY).")
    @click.pass_obj
    def extract_audio(
        options: MediaOptions, key: str, audio_format: str, output: str | None
    ) -> None:
        """Store the audio track of KEY."""

        async def action(jobs: MediaJobs) -> MediaResult:
            with job_bar(f"audio {key}") as bar:
                return await jobs.extract_audio(
                    key,
                    audio_format="mp3" if audio_format == "mp3" else "m4a",
                    output=output,
                    progress=bar,
                )

        result = run_media(options, action)
        assert isinstance(result, MediaResult)
        report(result)

    @media.command(
        "transcode",
        epilog="""\b
Examples:
  leap-storage media transcode users/user_000042/recordings/rec-1/source.mp4 --preset 720p
""",
    )
    @job_options
    @click.argument("key")
    @click.option(
        "--preset",
        type=click.Choice(list(PRESETS)),
        default=DEFAULT_PRESET,
        show_default=True,
        help="Output size; 'source' keeps the source's resolution. Never upscales.",
    )
    @click.option("--output", help="Where to store it (default: video.mp4 beside KEY).")
    @click.pass_obj
    def transcode(options: MediaOptions, key: str, preset: str, output: str | None) -> None:
        """Store KEY as H.264 + AAC MP4 (faststart)."""

        async def action(jobs: MediaJobs) -> MediaResult:
            with job_bar(f"transcode {key} ({preset})") as bar:
                return await jobs.transcode(key, preset=preset, output=output, progress=bar)

        result = run_media(options, action)
        assert isinstance(result, MediaResult)
        report(result)
