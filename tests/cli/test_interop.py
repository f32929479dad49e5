"""After ``leap-storage sync`` in either direction, rclone and the aws CLI find nothing to do:
the sizes, contents and modification times they compare agree (uploads record rclone's
``mtime`` metadata; downloads set the local time from it, else from Last-Modified)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from file_storage.cli.main import cli
from tests.cli.conftest import Store
from tests.conftest import TEST_BUCKET

OLD = 1_500_000_000_250_000_000


def rclone(store: Store, *args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("rclone")
    if binary is None:
        pytest.skip("rclone is not installed (Debian: apt-get install rclone)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RCLONE_", "AWS_"))}
    env.update(
        RCLONE_CONFIG=os.devnull,
        RCLONE_CONFIG_LEAP_TYPE="s3",
        RCLONE_CONFIG_LEAP_PROVIDER="Other",
        RCLONE_CONFIG_LEAP_ACCESS_KEY_ID=store.server.access_key,
        RCLONE_CONFIG_LEAP_SECRET_ACCESS_KEY=store.server.secret_key,
        RCLONE_CONFIG_LEAP_ENDPOINT=store.server.endpoint_url,
        RCLONE_CONFIG_LEAP_REGION="us-east-1",
    )
    return subprocess.run(
        [binary, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def nothing_to_do(store: Store, local: Path) -> None:
    """rclone check, rclone copy --dry-run both ways and aws s3 sync --dryrun both ways."""
    remote = f"leap:{TEST_BUCKET}/{store.prefix}"
    checked = rclone(store, "check", str(local), remote, "--exclude", "temp/**")
    assert checked.returncode == 0, checked.stderr
    assert "0 differences found" in checked.stderr
    for source, target in ((str(local), remote), (remote, str(local))):
        dry = rclone(store, "copy", "--dry-run", "-v", source, target, "--exclude", "temp/**")
        assert dry.returncode == 0, dry.stderr
        assert "Skipped" not in dry.stderr, dry.stderr
    for source, target in ((str(local), store.url()), (store.url(), str(local))):
        planned = store.aws("s3", "sync", "--dryrun", source, target, "--exclude", "temp/*")
        assert planned == "", planned


def test_upload_sync_leaves_rclone_and_aws_nothing_to_do(store: Store) -> None:
    store.env["STORAGE_TYPE"] = "LOCAL"
    for i, size in enumerate((0, 1000, 3 * 1024 * 1024 + 5)):
        path = store.root / "users/user_000001/recordings/r1" / f"f{i}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(size))
        os.utime(path, ns=(OLD, OLD + i))
    done = CliRunner().invoke(cli, ["sync", "/", "--mode", "upload"], env=store.env)
    assert done.exit_code == 0, done.output
    nothing_to_do(store, store.root)


def test_download_sync_leaves_rclone_and_aws_nothing_to_do(store: Store, tmp_path: Path) -> None:
    theirs = tmp_path / "theirs"
    client = store.client()
    for i in range(3):  # as the aws CLI and s5cmd write them: no mtime metadata
        key = f"{store.prefix}/users/user_000002/recordings/r2/g{i}.bin"
        client.put_object(Bucket=TEST_BUCKET, Key=key, Body=os.urandom(500 + i))
    theirs.mkdir()
    # rclone writes its own: one object carries mtime metadata rclone chose
    extra = theirs / "by-rclone.bin"
    extra.write_bytes(b"r" * 700)
    os.utime(extra, ns=(OLD, OLD))
    copied = rclone(
        store,
        "copyto",
        str(extra),
        f"leap:{TEST_BUCKET}/{store.prefix}/users/user_000002/recordings/r2/by-rclone.bin",
    )
    assert copied.returncode == 0, copied.stderr
    store.env["STORAGE_TYPE"] = "LOCAL"
    done = CliRunner().invoke(cli, ["sync", "/", "--mode", "download"], env=store.env)
    assert done.exit_code == 0, done.output
    landed = store.root / "users/user_000002/recordings/r2/by-rclone.bin"
    assert landed.stat().st_mtime_ns == OLD  # rclone's mtime metadata, to the nanosecond
    nothing_to_do(store, store.root)
