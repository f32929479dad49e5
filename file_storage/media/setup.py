"""Building a :class:`MediaJobs` from the storage settings (shared by the CLI and the app)."""

from __future__ import annotations

import os
from pathlib import Path

from file_storage.backends.base import StorageBackend
from file_storage.media.cache import MediaInfoCache
from file_storage.media.jobs import MediaJobs
from file_storage.media.tools import load_tools
from file_storage.path_builder import StoragePathBuilder
from file_storage.settings import StorageSettings


def media_temp_dir(settings: StorageSettings) -> Path:
    """The local scratch folder: ``temp/`` in the local store (the design note's Option B)."""
    paths = StoragePathBuilder(settings.local_path)
    return paths.base_path / paths.temp_root()


def endpoint_ca_bundle(settings: StorageSettings) -> Path | None:
    """The CA bundle the S3 client trusts, for ffmpeg reading presigned HTTPS URLs."""
    if settings.s3_ca_bundle is not None:
        return settings.s3_ca_bundle
    env = os.environ.get("AWS_CA_BUNDLE")
    return Path(env) if env else None


async def create_media_jobs(
    settings: StorageSettings,
    backend: StorageBackend,
    *,
    cache: MediaInfoCache | None,
    stream_remote_reads: bool = True,
) -> MediaJobs:
    """Check ffmpeg (from the settings, PATH or imageio-ffmpeg) and wire a job runner.

    Raises:
        MediaToolError: ffmpeg is missing or unusable; the message says what to install.
    """
    tools = await load_tools(settings.ffmpeg_path, settings.ffprobe_path)
    return MediaJobs(
        backend,
        tools,
        temp_dir=media_temp_dir(settings),
        cache=cache,
        path_builder=StoragePathBuilder(settings.local_path),
        stream_remote_reads=stream_remote_reads,
        ca_bundle=endpoint_ca_bundle(settings),
    )
