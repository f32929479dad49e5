"""Cancel, ffmpeg failures, redaction and a full disk: nothing stored, nothing left (R7, F5)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from file_storage.backends.base import StorageBackend
from file_storage.backends.local import LocalStorageBackend
from file_storage.errors import DiskFullError, MediaProcessingError
from file_storage.media import FFmpegTools, MediaInfo, MediaInfoCache, MediaJobs, MediaProgress
from tests.media.conftest import RECORDING, Clips, leftover_temp_files

pytest_plugins = ["tests.disk_fixtures"]


def processes_mentioning(text: str) -> list[int]:
    """PIDs of live processes whose command line contains ``text`` (zombies excluded)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ")
            state = Path(f"/proc/{entry}/stat").read_text().split(") ", 1)[1][0]
        except OSError:
            continue
        if text.encode() in cmdline and state != "Z":
            found.append(int(entry))
    return found


async def stored_digest(backend: StorageBackend, path: str) -> str:
    digest = hashlib.sha256()
    async for chunk in backend.iter_chunks(path):
        digest.update(chunk)
    return digest.hexdigest()


async def test_cancel_mid_encode_stops_ffmpeg_and_stores_nothing(
    jobs: MediaJobs, media_backend: StorageBackend, clips: Clips, temp_dir: Path
) -> None:
    """R7: cancel while ffmpeg encodes: ffmpeg gone, temp files gone, no output, source intact."""
    source = f"{RECORDING}/source.mp4"
    await media_backend.upload_file(source, clips.long)
    before = await stored_digest(media_backend, source)
    encoding = asyncio.Event()

    def progress(update: MediaProgress) -> None:
        if update.detail == "encoding" and update.fraction > 0.05:
            encoding.set()

    task = asyncio.create_task(jobs.transcode(source, preset="source", progress=progress))
    await asyncio.wait_for(encoding.wait(), 120)
    assert processes_mentioning(str(temp_dir)), "ffmpeg should be running on a temp output"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert processes_mentioning(str(temp_dir)) == []
    assert leftover_temp_files(temp_dir) == []
    assert not await media_backend.exists(f"{RECORDING}/video.mp4")
    assert await stored_digest(media_backend, source) == before


async def test_a_failed_ffmpeg_run_reports_its_stderr_and_stores_nothing(
    media_backend: StorageBackend, clips: Clips, tools: FFmpegTools, temp_dir: Path
) -> None:
    """R7: ffmpeg fails (the file is not what its cached probe said): a typed error quoting
    ffmpeg's stderr, no output object, no temp file, the source untouched."""
    source = f"{RECORDING}/source.mp4"
    await media_backend.upload_file(source, clips.not_media)
    cache = MediaInfoCache(None)
    lie = MediaInfo(duration=4.0, container="mov,mp4", video_codec="h264", width=320, height=240)
    await cache.put(await media_backend.stat(source), lie)
    jobs = MediaJobs(media_backend, tools, temp_dir=temp_dir, cache=cache)
    for run in (jobs.thumbnail(source), jobs.transcode(source)):
        with pytest.raises(MediaProcessingError) as failure:
            await run
        assert failure.value.returncode != 0
        assert failure.value.stderr_tail
        assert "Invalid data" in str(failure.value) or "moov atom" in str(failure.value)
    assert not await media_backend.exists(f"{RECORDING}/thumbnail.jpg")
    assert not await media_backend.exists(f"{RECORDING}/video.mp4")
    assert leftover_temp_files(temp_dir) == []
    assert (
        await stored_digest(media_backend, source)
        == hashlib.sha256(clips.not_media.read_bytes()).hexdigest()
    )


async def test_errors_and_logs_never_show_a_presigned_url_or_secret(
    make_s3: Callable[..., StorageBackend],
    s3_server: object,
    clips: Clips,
    tools: FFmpegTools,
    temp_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """S4: ffmpeg reads S3 through a presigned URL; neither its log line nor its error output
    may leak the signature, the credential or the secret key."""
    backend = make_s3()
    await backend.upload_file("clips/noise.mp4", clips.not_media)
    await backend.upload_file("clips/good.mp4", clips.av)
    jobs = MediaJobs(backend, tools, temp_dir=temp_dir)
    caplog.set_level(logging.DEBUG, logger="file_storage.media")
    with pytest.raises(MediaProcessingError) as failure:
        await jobs.probe("clips/noise.mp4")
    await jobs.thumbnail("clips/good.mp4")
    access_key = s3_server.access_key  # type: ignore[attr-defined]
    secret_key = s3_server.secret_key  # type: ignore[attr-defined]
    texts = {
        "error": str(failure.value),
        "tail": failure.value.stderr_tail,
        "log": caplog.text,
    }
    assert "http://" in texts["error"] + texts["log"], "the URL itself is shown (redacted)"
    assert "[REDACTED]" in texts["log"]
    for name, text in texts.items():
        assert "X-Amz-Signature=" not in text.replace("X-Amz-Signature=[REDACTED]", ""), name
        assert access_key not in text, name
        assert secret_key not in text, name


async def test_not_enough_temp_space_fails_before_downloading(
    make_s3: Callable[..., StorageBackend],
    clips: Clips,
    tools: FFmpegTools,
    tiny_disk: Callable[[str], Path],
) -> None:
    """F5: a source larger than the free space in temp/ fails with DiskFullError up front."""
    backend = make_s3()
    await backend.upload_file(f"{RECORDING}/source.mp4", clips.long)
    temp_dir = tiny_disk("1M")
    jobs = MediaJobs(backend, tools, temp_dir=temp_dir)
    with pytest.raises(DiskFullError, match="Not enough space"):
        await jobs.extract_audio(f"{RECORDING}/source.mp4")
    assert os.listdir(temp_dir) == []
    assert not await backend.exists(f"{RECORDING}/audio.m4a")


async def test_disk_filling_up_during_encode_fails_cleanly(
    tmp_path: Path, clips: Clips, tools: FFmpegTools, tiny_disk: Callable[[str], Path]
) -> None:
    """F5: ffmpeg hits ENOSPC writing its output: DiskFullError, the partial output removed."""
    temp_dir = tiny_disk("512k")
    async with LocalStorageBackend(tmp_path / "store") as backend:
        await backend.upload_file(f"{RECORDING}/source.mp4", clips.long)
        jobs = MediaJobs(backend, tools, temp_dir=temp_dir)
        with pytest.raises(DiskFullError, match="disk filled up"):
            await jobs.transcode(f"{RECORDING}/source.mp4", preset="source")
        assert os.listdir(temp_dir) == []
        assert not await backend.exists(f"{RECORDING}/video.mp4")
