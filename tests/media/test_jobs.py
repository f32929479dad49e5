"""Media jobs end to end with real ffmpeg, on LOCAL and on the real SeaweedFS."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from file_storage.backends.base import StorageBackend
from file_storage.errors import (
    MediaInputError,
    MediaProcessingError,
    MediaToolError,
    ObjectNotFoundError,
)
from file_storage.media import FFmpegTools, MediaInfoCache, MediaJobs, MediaProgress
from tests.media.conftest import RECORDING, Clips, leftover_temp_files


async def probe_stored(jobs: MediaJobs, path: str, tmp_path: Path) -> object:
    """Download ``path`` and probe the copy with a cache-free job runner (an independent check)."""
    copy = tmp_path / ("check-" + path.rsplit("/", 1)[-1])
    await jobs.backend.download_file(path, copy)
    checker = MediaJobs(jobs.backend, jobs.tools, temp_dir=jobs.temp_dir)
    return await checker._probe_local(copy, "check")


def recorder() -> tuple[list[MediaProgress], object]:
    seen: list[MediaProgress] = []
    return seen, seen.append


async def test_probe_reports_codecs_size_and_duration(
    jobs: MediaJobs, media_backend: StorageBackend, clips: Clips
) -> None:
    await media_backend.upload_file(f"{RECORDING}/source.mp4", clips.av)
    info = await jobs.probe(f"{RECORDING}/source.mp4")
    assert info.video_codec == "h264"
    assert info.audio_codec == "aac"
    assert (info.width, info.height) == (320, 240)
    assert info.duration == pytest.approx(4.0, abs=0.2)
    assert "mp4" in info.container
    assert info.bit_rate is not None
    assert info.bit_rate > 0
    assert info.frame_rate == pytest.approx(25.0)


async def test_probe_is_cached_per_version(
    jobs: MediaJobs, media_backend: StorageBackend, clips: Clips, tools: FFmpegTools
) -> None:
    path = f"{RECORDING}/source.mp4"
    await media_backend.upload_file(path, clips.av)
    first = await jobs.probe(path)
    # A runner whose ffmpeg and ffprobe cannot run still answers from the cache...
    broken = dataclasses.replace(tools, ffmpeg=Path("/nonexistent/ffmpeg"), ffprobe=None)
    cached = MediaJobs(media_backend, broken, temp_dir=jobs.temp_dir, cache=jobs.cache)
    assert await cached.probe(path) == first
    listed = [f async for page in media_backend.iter_pages(RECORDING) for f in page.files]
    assert cached.cached_info(listed[0]) == first  # a tree row finds it from its listing
    # ...until the object changes: a new version is probed afresh.
    await media_backend.upload_file(path, clips.audio_only)
    with pytest.raises(MediaToolError, match="Cannot start"):
        await cached.probe(path)
    assert (await jobs.probe(path)).video_codec is None


async def test_probe_without_ffprobe_parses_ffmpeg_output(
    media_backend: StorageBackend, clips: Clips, tools: FFmpegTools, temp_dir: Path
) -> None:
    """The imageio-ffmpeg wheel has no ffprobe: ffmpeg's own banner gives the same facts."""
    path = f"{RECORDING}/source.mkv"
    await media_backend.upload_file(path, clips.mkv)
    with_probe = await MediaJobs(media_backend, tools, temp_dir=temp_dir).probe(path)
    without = dataclasses.replace(tools, ffprobe=None)
    banner = await MediaJobs(media_backend, without, temp_dir=temp_dir).probe(path)
    assert (banner.video_codec, banner.audio_codec) == (with_probe.video_codec, "mp3")
    assert (banner.width, banner.height) == (320, 240)
    assert banner.duration == pytest.approx(with_probe.duration, abs=0.05)
    assert banner.container == with_probe.container == "matroska,webm"


async def test_thumbnail_is_a_jpeg_next_to_the_source(
    jobs: MediaJobs, media_backend: StorageBackend, clips: Clips, tmp_path: Path, temp_dir: Path
) -> None:
    await media_backend.upload_file(f"{RECORDING}/source.mp4", clips.av)
    seen, report = recorder()
    result = await jobs.thumbnail(f"{RECORDING}/source.mp4", progress=report)  # type: ignore[arg-type]
    assert result.output == f"{RECORDING}/thumbnail.jpg"
    assert result.input_mode == ("in place" if media_backend.name == "local" else "streamed")
    stored = await probe_stored(jobs, result.output, tmp_path)
    assert stored.video_codec == "mjpeg"  # type: ignore[attr-defined]
    assert (stored.width, stored.height) == (320, 240)  # type: ignore[attr-defined]
    assert seen[-1].fraction == 1.0
    assert [p.fraction for p in seen] == sorted(p.fraction for p in seen)
    assert leftover_temp_files(temp_dir) == []


async def test_thumbnail_time_width_and_bad_times(
    jobs: MediaJobs, media_backend: StorageBackend, clips: Clips, tmp_path: Path
) -> None:
    await media_backend.upload_file("talks/keynote.mp4", clips.av)
    result = await jobs.thumbnail("talks/keynote.mp4", at=3.5, width=160)
    assert result.output == "talks/keynote.thumbnail.jpg"
    assert result.info.width == 160
    assert result.info.height == 120
    with pytest.raises(MediaInputError, match="outside the video"):
        await jobs.thumbnail("talks/keynote.mp4", at=60)
    with pytest.raises(MediaInputError, match="from 0 to 1"):
        await jobs.thumbnail("talks/keynote.mp4", fraction=1.5)


@pytest.mark.parametrize(("audio_format", "codec"), [("m4a", "aac"), ("mp3", "mp3")])
async def test_extract_audio(
    jobs: MediaJobs,
    media_backend: StorageBackend,
    clips: Clips,
    tmp_path: Path,
    temp_dir: Path,
    audio_format: str,
    codec: str,
) -> None:
    await media_backend.upload_file(f"{RECORDING}/source.mkv", clips.mkv)
    seen, report = recorder()
    result = await jobs.extract_audio(
        f"{RECORDING}/source.mkv",
        audio_format=audio_format,  # type: ignore[arg-type]
        progress=report,  # type: ignore[arg-type]
    )
    assert result.output == f"{RECORDING}/audio.{audio_format}"
    assert result.input_mode == ("in place" if media_backend.name == "local" else "downloaded")
    stored = await probe_stored(jobs, result.output, tmp_path)
    assert stored.audio_codec == codec  # type: ignore[attr-defined]
    assert stored.video_codec is None  # type: ignore[attr-defined]
    assert stored.duration == pytest.approx(4.0, abs=0.2)  # type: ignore[attr-defined]
    phases = [p.phase for p in seen]
    expected = ["process", "upload", "done"]
    if media_backend.name != "local":
        expected.insert(0, "download")
    assert [p for i, p in enumerate(phases) if i == 0 or phases[i - 1] != p] == expected
    assert [p.fraction for p in seen] == sorted(p.fraction for p in seen)
    assert seen[-1].fraction == 1.0
    assert leftover_temp_files(temp_dir) == []


async def test_transcode_to_h264_aac_faststart_without_upscaling(
    jobs: MediaJobs, media_backend: StorageBackend, clips: Clips, tmp_path: Path, temp_dir: Path
) -> None:
    await media_backend.upload_file(f"{RECORDING}/source.mkv", clips.mkv)
    seen, report = recorder()
    result = await jobs.transcode(f"{RECORDING}/source.mkv", preset="480p", progress=report)  # type: ignore[arg-type]
    assert result.output == f"{RECORDING}/video.mp4"
    copy = tmp_path / "video.mp4"
    await media_backend.download_file(result.output, copy)
    head = copy.read_bytes()[:1_000_000]
    assert 0 < head.find(b"moov") < head.find(b"mdat"), "the index must come first (faststart)"
    stored = await probe_stored(jobs, result.output, tmp_path)
    assert (stored.video_codec, stored.audio_codec) == ("h264", "aac")  # type: ignore[attr-defined]
    assert (stored.width, stored.height) == (320, 240)  # type: ignore[attr-defined]
    assert stored.duration == pytest.approx(4.0, abs=0.2)  # type: ignore[attr-defined]
    encoding = [p for p in seen if p.phase == "process" and p.detail == "encoding"]
    assert encoding, "ffmpeg's -progress output must reach the callback"
    assert seen[-1].fraction == 1.0
    assert leftover_temp_files(temp_dir) == []


async def test_transcode_scales_down_keeping_the_aspect_or_keeps_the_size(
    jobs: MediaJobs, media_backend: StorageBackend, clips: Clips
) -> None:
    await media_backend.upload_file("in/hd.mp4", clips.hd)  # 1280x720
    smaller = await jobs.transcode("in/hd.mp4", preset="480p")
    assert smaller.output == "in/hd.video.mp4"
    assert (smaller.info.width, smaller.info.height) == (854, 480)
    same = await jobs.transcode("in/hd.mp4", preset="source", output="in/same.mp4")
    assert (same.info.width, same.info.height) == (1280, 720)
    assert same.info.duration == pytest.approx(2.0, abs=0.2)


async def test_bad_inputs_are_refused_up_front(
    jobs: MediaJobs, media_backend: StorageBackend, clips: Clips, temp_dir: Path
) -> None:
    await media_backend.upload_file(f"{RECORDING}/source.m4a", clips.audio_only)
    await media_backend.upload_file("clips/silent.mp4", clips.video_only)
    with pytest.raises(MediaInputError, match="no video stream"):
        await jobs.thumbnail(f"{RECORDING}/source.m4a")
    with pytest.raises(MediaInputError, match="no video stream"):
        await jobs.transcode(f"{RECORDING}/source.m4a")
    with pytest.raises(MediaInputError, match="no audio stream"):
        await jobs.extract_audio("clips/silent.mp4")
    with pytest.raises(MediaInputError, match=r"Unknown transcode preset 'huge'.*1080p"):
        await jobs.transcode("clips/silent.mp4", preset="huge")
    with pytest.raises(MediaInputError, match="is the source itself"):
        await jobs.transcode("clips/silent.mp4", output="clips/silent.mp4")
    with pytest.raises(ObjectNotFoundError):
        await jobs.thumbnail(f"{RECORDING}/missing.mp4")
    assert not await media_backend.exists(f"{RECORDING}/thumbnail.jpg")
    assert not await media_backend.exists(f"{RECORDING}/video.mp4")
    assert leftover_temp_files(temp_dir) == []


async def test_stale_temp_files_from_a_crash_are_removed(
    jobs: MediaJobs, media_backend: StorageBackend, clips: Clips, temp_dir: Path
) -> None:
    import fcntl
    import os

    temp_dir.mkdir(parents=True, exist_ok=True)
    crashed = temp_dir / "leap-media-crashed.mp4"  # a killed job's: nobody holds it
    crashed.write_bytes(b"left behind")
    os.utime(crashed, (time.time() - 3600,) * 2)
    running = temp_dir / "leap-media-running.mp4"  # another process's running job: locked
    running.write_bytes(b"in use")
    os.utime(running, (time.time() - 3600,) * 2)
    holder = os.open(running, os.O_RDONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)
    just_made = temp_dir / "leap-media-new.mp4"  # created this instant, not locked yet
    just_made.write_bytes(b"")
    try:
        await media_backend.upload_file("a.mp4", clips.av)
        await jobs.thumbnail("a.mp4")
        assert not crashed.exists()
        assert running.exists()
        assert just_made.exists()
    finally:
        os.close(holder)


async def test_in_memory_and_file_caches_survive_reopen(tmp_path: Path, clips: Clips) -> None:
    from file_storage.backends.local import LocalStorageBackend
    from file_storage.media import load_tools

    tools = await load_tools()
    async with LocalStorageBackend(tmp_path / "store") as backend:
        await backend.upload_file("x/a.mp4", clips.av)
        cache = MediaInfoCache(tmp_path / "cache" / "media.sqlite3")
        runner = MediaJobs(backend, tools, temp_dir=tmp_path / "t", cache=cache)
        info = await runner.probe("x/a.mp4")
        cache.close()
        reopened = MediaInfoCache(tmp_path / "cache" / "media.sqlite3")
        assert await reopened.get(await backend.stat("x/a.mp4")) == info
        reopened.close()


async def test_odd_sizes_are_made_even_for_h264_and_kept_for_thumbnails(
    jobs: MediaJobs, media_backend: StorageBackend, clips: Clips
) -> None:
    """H.264 needs even sizes: 321x241 becomes 320x240 (aspect kept); a JPEG keeps 321x241."""
    await media_backend.upload_file(f"{RECORDING}/source.mkv", clips.odd)
    for preset in ("480p", "source"):
        video = await jobs.transcode(f"{RECORDING}/source.mkv", preset=preset)
        assert (video.info.width, video.info.height) == (320, 240), preset
    picture = await jobs.thumbnail(f"{RECORDING}/source.mkv")
    assert (picture.info.width, picture.info.height) == (321, 241)


async def test_errors_name_the_stored_path_in_one_line(
    jobs: MediaJobs, media_backend: StorageBackend, clips: Clips
) -> None:
    """Not the presigned link or the local disk path: the key the user asked for."""
    await media_backend.upload_file(f"{RECORDING}/source.m4a", clips.audio_only)
    await media_backend.upload_file(f"{RECORDING}/notes.mp4", clips.not_media)
    with pytest.raises(MediaInputError) as no_video:
        await jobs.thumbnail(f"{RECORDING}/source.m4a")
    with pytest.raises(MediaProcessingError) as not_media:
        await jobs.probe(f"{RECORDING}/notes.mp4")
    assert str(no_video.value).startswith(f"{RECORDING}/source.m4a has no video stream")
    assert str(not_media.value) == (
        f"{RECORDING}/notes.mp4 is not a media file ffmpeg can read "
        "(Invalid data found when processing input)."
    )
    for error in (no_video.value, not_media.value):
        assert "\n" not in str(error)
        assert "http" not in str(error)
        assert "/tmp" not in str(error)  # no local disk path either (the store is in tmp_path)
