"""Fixtures for media jobs: real clips made by ffmpeg, on LOCAL and on the real SeaweedFS."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from file_storage.backends.base import StorageBackend
from file_storage.backends.local import LocalStorageBackend
from file_storage.backends.s3.backend import S3StorageBackend, S3Tuning
from file_storage.media import FFmpegTools, MediaInfoCache, MediaJobs, load_tools
from file_storage.media.tools import find_ffmpeg
from file_storage.sandbox import SeaweedSandbox
from tests.conftest import TEST_BUCKET

MiB = 1024 * 1024
RECORDING = "users/user_000007/recordings/rec-1"


def make_clip(
    path: Path,
    *,
    seconds: float = 4,
    size: str = "320x240",
    audio: bool = True,
    video: bool = True,
    extra: list[str] | None = None,
) -> Path:
    """Generate a clip with ffmpeg's testsrc and sine sources (fast x264 preset)."""
    args = [str(find_ffmpeg()), "-hide_banner", "-loglevel", "error", "-y"]
    if video:
        args += ["-f", "lavfi", "-i", f"testsrc=size={size}:rate=25:duration={seconds}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    if video:
        args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if audio:
        args += ["-c:a", "aac", "-b:a", "64k"]
    args += [*(extra or []), str(path)]
    subprocess.run(args, check=True, timeout=120)
    return path


@dataclass(frozen=True)
class Clips:
    av: Path  # 4 s, 320x240, h264 + aac, mp4
    mkv: Path  # 4 s, 320x240, h264 + mp3, mkv
    audio_only: Path  # 4 s aac in m4a
    video_only: Path  # 4 s h264, no audio
    hd: Path  # 2 s, 1280x720, h264 + aac
    odd: Path  # 2 s, 321x241 (odd sizes, lossless FFV1 in Matroska), no audio
    long: Path  # 40 s 640x360, for cancel tests
    not_media: Path  # random bytes


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Clips:
    folder = tmp_path_factory.mktemp("clips")
    noise = folder / "noise.mp4"
    noise.write_bytes(bytes(range(256)) * 4096)
    return Clips(
        av=make_clip(folder / "av.mp4"),
        mkv=make_clip(folder / "av.mkv", extra=["-c:a", "libmp3lame"]),
        audio_only=make_clip(folder / "audio.m4a", video=False),
        video_only=make_clip(folder / "video.mp4", audio=False),
        hd=make_clip(folder / "hd.mp4", seconds=2, size="1280x720"),
        odd=make_clip(
            folder / "odd.mkv", seconds=2, size="321x241", audio=False, extra=["-c:v", "ffv1"]
        ),
        long=make_clip(folder / "long.mp4", seconds=40, size="640x360"),
        not_media=noise,
    )


@pytest.fixture(scope="session")
def tools() -> FFmpegTools:
    return asyncio.run(load_tools())


@pytest.fixture(params=["local", "s3"])
async def media_backend(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[StorageBackend]:
    """Each media test runs on LOCAL and on the real SeaweedFS."""
    instance: StorageBackend
    if request.param == "local":
        instance = LocalStorageBackend(tmp_path / "store")
    else:
        server: SeaweedSandbox = request.getfixturevalue("s3_server")
        instance = S3StorageBackend(
            TEST_BUCKET,
            prefix=f"media-{uuid.uuid4().hex[:12]}",
            access_key_id=server.access_key,
            secret_access_key=server.secret_key,
            endpoint_url=server.endpoint_url,
            tuning=S3Tuning(part_size=5 * MiB, multipart_threshold=5 * MiB),
        )
    async with instance:
        yield instance


@pytest.fixture
def temp_dir(tmp_path: Path) -> Path:
    """The local scratch folder (the local store's temp/ in the app)."""
    return tmp_path / "store" / "temp"


@pytest.fixture
def jobs(media_backend: StorageBackend, tools: FFmpegTools, temp_dir: Path) -> MediaJobs:
    return MediaJobs(media_backend, tools, temp_dir=temp_dir, cache=MediaInfoCache(None))


def leftover_temp_files(temp_dir: Path) -> list[Path]:
    return sorted(temp_dir.glob("leap-media-*")) if temp_dir.exists() else []
