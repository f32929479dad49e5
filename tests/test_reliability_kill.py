"""RELIABILITY R4 and F10: ``leap-storage get`` killed mid-download, as a real process.

The download runs in a child process (the CLI, on a real SeaweedFS) so that ``kill -9`` really
gives it no chance to clean up. The final path must then hold the previous version, never a
partial file; the next run must remove the leftover temp file and finish the job.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from file_storage import S3StorageBackend, S3Tuning
from file_storage.sandbox import SeaweedSandbox
from tests.conftest import TEST_BUCKET, MiB, sha256_of, write_random

SIZE = 256 * MiB
KEY = "users/user_000042/recordings/rec-1/source.mp4"
OLD = b"old version of the recording"


@dataclass(frozen=True)
class StoredObject:
    prefix: str
    sha256: str
    env: dict[str, str]


@pytest.fixture(scope="module")
def big_object(
    s3_server: SeaweedSandbox, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StoredObject]:
    """A 256 MiB object on the test server, uploaded once for this module."""
    prefix = f"t-{uuid.uuid4().hex[:12]}"
    source = write_random(tmp_path_factory.mktemp("kill") / "big.bin", SIZE, seed=4)

    def backend() -> S3StorageBackend:
        return S3StorageBackend(
            TEST_BUCKET,
            prefix=prefix,
            access_key_id=s3_server.access_key,
            secret_access_key=s3_server.secret_key,
            endpoint_url=s3_server.endpoint_url,
            tuning=S3Tuning(part_size=16 * MiB, multipart_threshold=16 * MiB),
        )

    async def upload() -> None:
        async with backend() as store:
            await store.upload_file(KEY, source)

    async def delete() -> None:
        async with backend() as store:
            await store.delete(KEY)

    asyncio.run(upload())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STORAGE_", "AWS_"))}
    env.update(
        STORAGE_TYPE="S3",
        STORAGE_S3_BUCKET=TEST_BUCKET,
        STORAGE_S3_PREFIX=prefix,
        STORAGE_S3_ENDPOINT_URL=s3_server.endpoint_url,
        STORAGE_S3_ACCESS_KEY_ID=s3_server.access_key,
        STORAGE_S3_SECRET_ACCESS_KEY=s3_server.secret_key,
    )
    digest = sha256_of(source)
    source.unlink()
    yield StoredObject(prefix, digest, env)
    asyncio.run(delete())


def start_get(obj: StoredObject, target: Path, cwd: Path) -> subprocess.Popen[bytes]:
    """Start ``leap-storage get KEY TARGET`` in a child process."""
    return subprocess.Popen(
        [sys.executable, "-m", "file_storage.cli.main", "get", KEY, str(target)],
        env=obj.env,
        cwd=cwd,  # no stray .env from the developer's checkout
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def partials_of(target: Path) -> list[Path]:
    return sorted(target.parent.glob(f".{target.name}.*.leap-partial"))


def wait_for_data_in_partial(process: subprocess.Popen[bytes], target: Path) -> Path:
    """Wait until the child's temp file exists and real bytes have landed at its start."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            _out, err = process.communicate()
            raise AssertionError(f"the download ended before it could be interrupted: {err!r}")
        for partial in target.parent.glob(f".{target.name}.{process.pid}-*.leap-partial"):
            try:
                with open(partial, "rb") as handle:
                    head = handle.read(64 * 1024)
            except FileNotFoundError:
                continue
            # The temp file is preallocated (zeros), so wait for content, not just for a size.
            if head.strip(b"\0"):
                return partial
        time.sleep(0.005)
    process.kill()
    raise AssertionError("no data arrived in the temp file within 60 s")


def test_sigkill_mid_download_then_rerun(big_object: StoredObject, tmp_path: Path) -> None:
    """R4: kill -9 mid-download: the old version stays; the next run cleans up and completes."""
    target = tmp_path / "downloads" / "source.mp4"
    target.parent.mkdir()
    target.write_bytes(OLD)

    process = start_get(big_object, target, tmp_path)
    partial = wait_for_data_in_partial(process, target)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=10)
    assert process.returncode == -signal.SIGKILL

    assert target.read_bytes() == OLD, "the final name holds something else than the old version"
    assert partial.exists(), "kill -9 left no temp file: the download was not interrupted"
    assert partial.stat().st_size > 0

    rerun = subprocess.run(
        [sys.executable, "-m", "file_storage.cli.main", "get", KEY, str(target)],
        env=big_object.env,
        cwd=tmp_path,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stderr.decode()
    assert partials_of(target) == [], "the leftover of the killed run was not cleaned up"
    assert sorted(p.name for p in target.parent.iterdir()) == ["source.mp4"]
    assert target.stat().st_size == SIZE
    assert sha256_of(target) == big_object.sha256


@pytest.mark.parametrize("old", [True, False], ids=["old-version", "no-file"])
def test_sigterm_mid_download_cleans_up_quickly(
    big_object: StoredObject, tmp_path: Path, old: bool
) -> None:
    """F10: SIGTERM mid-download: exit within 5 s, temp file removed, final path untouched."""
    target = tmp_path / "downloads" / "source.mp4"
    target.parent.mkdir()
    if old:
        target.write_bytes(OLD)

    process = start_get(big_object, target, tmp_path)
    wait_for_data_in_partial(process, target)
    sent = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        _out, err = process.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail("leap-storage did not exit within 5 s of SIGTERM")
    elapsed = time.monotonic() - sent
    assert elapsed < 5
    assert process.returncode not in (0, -signal.SIGTERM), "SIGTERM was not handled"
    assert b"interrupted" in err, err
    assert partials_of(target) == [], "the temp file was left behind"
    if old:
        assert target.read_bytes() == OLD
    else:
        assert not target.exists()
