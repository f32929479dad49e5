"""``leap-storage media ...`` as a user runs it: a real subprocess on LOCAL and on SeaweedFS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from file_storage.sandbox import SeaweedSandbox
from tests.conftest import TEST_BUCKET
from tests.media.conftest import RECORDING, Clips

CLI = [sys.executable, "-m", "file_storage.cli.main"]


def leap_storage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], env=env, capture_output=True, text=True, timeout=180, check=False
    )


@pytest.fixture(params=["local", "s3"])
def cli_env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORAGE_")}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    env["STORAGE_LOCAL_PATH"] = str(tmp_path / "store")
    if request.param == "local":
        env["STORAGE_TYPE"] = "LOCAL"
    else:
        server: SeaweedSandbox = request.getfixturevalue("s3_server")
        env |= {
            "STORAGE_TYPE": "S3",
            "STORAGE_S3_BUCKET": TEST_BUCKET,
            "STORAGE_S3_PREFIX": f"cli-{uuid.uuid4().hex[:10]}",
            "STORAGE_S3_ENDPOINT_URL": server.endpoint_url,
            "STORAGE_S3_ACCESS_KEY_ID": server.access_key,
            "STORAGE_S3_SECRET_ACCESS_KEY": server.secret_key,
        }
    return env


def test_every_media_command_end_to_end(cli_env: dict[str, str], clips: Clips) -> None:
    source = f"{RECORDING}/source.mkv"
    assert leap_storage(cli_env, "put", str(clips.mkv), source).returncode == 0

    probed = leap_storage(cli_env, "media", "probe", "--json", source)
    assert probed.returncode == 0, probed.stderr
    info = json.loads(probed.stdout)
    assert (info["video_codec"], info["audio_codec"], info["width"]) == ("h264", "mp3", 320)
    assert Path(cli_env["XDG_CACHE_HOME"], "leap-sync", "media-info.sqlite3").is_file()

    for args, output in [
        (["thumbnail", "--at", "1.5", "--width", "160"], "thumbnail.jpg"),
        (["extract-audio"], "audio.m4a"),
        (["transcode", "--preset", "480p"], "video.mp4"),
    ]:
        done = leap_storage(cli_env, "media", *args, source)
        assert done.returncode == 0, done.stderr
        assert f"stored {RECORDING}/{output}" in done.stdout
        again = leap_storage(cli_env, "media", "probe", "--json", f"{RECORDING}/{output}")
        assert again.returncode == 0, again.stderr
    listing = leap_storage(cli_env, "ls", RECORDING).stdout
    for name in ("source.mkv", "thumbnail.jpg", "audio.m4a", "video.mp4"):
        assert name in listing


def test_errors_are_one_line_with_status_1(cli_env: dict[str, str], clips: Clips) -> None:
    missing = leap_storage(cli_env, "media", "thumbnail", "users/nothing.mp4")
    assert missing.returncode == 1
    assert missing.stderr.startswith("leap-storage: error: ")
    assert "nothing.mp4" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
    no_ffmpeg = leap_storage(
        cli_env | {"STORAGE_FFMPEG_PATH": "/opt/none/ffmpeg"}, "media", "probe", "x.mp4"
    )
    assert no_ffmpeg.returncode == 1
    assert "apt-get install ffmpeg" in no_ffmpeg.stderr
    assert "Traceback" not in no_ffmpeg.stderr + missing.stderr


def test_options_work_after_the_subcommand_too(
    cli_env: dict[str, str], clips: Clips, tmp_path: Path
) -> None:
    assert leap_storage(cli_env, "put", str(clips.av), "a/clip.mp4").returncode == 0
    env = cli_env | {"XDG_CACHE_HOME": str(tmp_path / "other-cache")}
    probed = leap_storage(env, "media", "probe", "--no-cache", "--download", "--json", "a/clip.mp4")
    assert probed.returncode == 0, probed.stderr
    assert json.loads(probed.stdout)["width"] == 320
    assert not (tmp_path / "other-cache" / "leap-sync" / "media-info.sqlite3").exists()
