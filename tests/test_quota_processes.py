"""Quotas across processes: one machine's writers share their count and reservations.

Twenty real ``leap-storage put`` processes start at once against SeaweedFS with files that add
up to 1.5 times the quota; what they store together never exceeds it (each process used to count
an empty store and let its own upload through). A killed process's reservation is given back,
a stale count is redone, and a write is refused only on a fresh count.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from file_storage.errors import StorageQuotaExceededError
from file_storage.factory import create_s3_backend
from file_storage.quota import QuotaTracker
from file_storage.quota_ledger import QuotaLedger, default_ledger_path
from file_storage.sandbox import SeaweedSandbox
from file_storage.settings import StorageSettings
from tests.conftest import TEST_BUCKET, write_random

LEAP_STORAGE = Path(__file__).resolve().parents[1] / ".venv" / "bin" / "leap-storage"
MiB = 1024 * 1024
GiB = 1024**3
PROCESSES = 20
FILE_SIZE = MiB
QUOTA = PROCESSES * FILE_SIZE * 2 // 3  # the files add up to 1.5 x the quota


def cli_env(server: SeaweedSandbox, tmp_path: Path, prefix: str, quota: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STORAGE_", "AWS_"))}
    return env | {
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "STORAGE_TYPE": "S3",
        "STORAGE_S3_BUCKET": TEST_BUCKET,
        "STORAGE_S3_PREFIX": prefix,
        "STORAGE_S3_ENDPOINT_URL": server.endpoint_url,
        "STORAGE_S3_ACCESS_KEY_ID": server.access_key,
        "STORAGE_S3_SECRET_ACCESS_KEY": server.secret_key,
        "STORAGE_S3_MAX_SIZE_GB": repr(quota / GiB),
        "STORAGE_SYNC_INDEX_PATH": str(tmp_path / "state" / "sync-index.sqlite3"),
    }


async def stored_bytes(raw_s3: Any, prefix: str) -> tuple[int, int]:
    """(objects, bytes) under ``prefix``, as another client sees them."""
    count = total = 0
    paginator = raw_s3.get_paginator("list_objects_v2")
    async for page in paginator.paginate(Bucket=TEST_BUCKET, Prefix=f"{prefix}/"):
        for item in page.get("Contents", []):
            count += 1
            total += item["Size"]
    return count, total


async def test_twenty_puts_at_once_never_exceed_the_quota(
    s3_server: SeaweedSandbox, raw_s3: Any, tmp_path: Path
) -> None:
    prefix = f"quota-procs-{uuid.uuid4().hex[:8]}"
    env = cli_env(s3_server, tmp_path, prefix, QUOTA)
    sources = [
        write_random(tmp_path / "src" / f"c{i:02d}.bin", FILE_SIZE, seed=i) for i in range(20)
    ]
    children = [
        subprocess.Popen(  # twenty at once is the point; waited for below
            [str(LEAP_STORAGE), "put", str(source), f"clips/{source.name}"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for source in sources
    ]
    results = [await asyncio.to_thread(child.communicate, timeout=600) for child in children]
    codes = [child.returncode for child in children]

    objects, total = await stored_bytes(raw_s3, prefix)
    succeeded = codes.count(0)
    refused = [err for code, (_, err) in zip(codes, results, strict=True) if code == 1]
    print(f"quota {QUOTA} bytes: {succeeded} stored ({total} bytes), {len(refused)} refused")
    assert total <= QUOTA, f"{total} bytes stored, quota {QUOTA}"
    assert objects == succeeded >= 1
    assert succeeded + len(refused) == PROCESSES, codes
    for err in refused:
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        assert "quota exceeded" in lines[0].lower(), err
    ledger_path = default_ledger_path(Path(env["STORAGE_SYNC_INDEX_PATH"]))
    with sqlite3.connect(ledger_path) as db:
        (held,) = db.execute("SELECT COUNT(*) FROM reservations").fetchone()
    assert held == 0, "a finished process left a reservation behind"
    assert not list((ledger_path.parent / "quota-holders").iterdir()), "holder files left"


# --------------------------------------------------------------------------- crashed holder

HOLDER_SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from file_storage.quota import QuotaTracker
    from file_storage.quota_ledger import QuotaLedger

    async def main() -> None:
        async def nothing_stored() -> int:
            return 0
        tracker = QuotaTracker(int(sys.argv[2]), nothing_stored, "test store")
        tracker.share(QuotaLedger(Path(sys.argv[1]), "store-a"))
        async with tracker.reserve(int(sys.argv[3])):
            print("held", flush=True)
            await asyncio.sleep(600)

    asyncio.run(main())
    """
)


async def test_a_killed_process_gives_its_reservation_back(tmp_path: Path) -> None:
    ledger_path = tmp_path / "ledger.sqlite3"
    limit = 100 * MiB

    async def nothing_stored() -> int:
        return 0

    tracker = QuotaTracker(limit, nothing_stored, "test store")
    tracker.share(QuotaLedger(ledger_path, "store-a"))
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER_SCRIPT, str(ledger_path), str(limit), str(80 * MiB)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    try:
        assert child.stdout is not None
        assert await asyncio.to_thread(child.stdout.readline) == "held\n"
        with pytest.raises(StorageQuotaExceededError):
            async with tracker.reserve(50 * MiB):
                pass
        assert await tracker.room() == (80 * MiB, limit)  # what a plan sees: the other's hold
        child.send_signal(signal.SIGKILL)
        await asyncio.to_thread(child.wait, 30)
        assert await tracker.room() == (0, limit)
        holders = list((tmp_path / "quota-holders").iterdir())
        assert tracker.ledger is not None
        assert [path.stem for path in holders] == [tracker.ledger.holder_id]
        async with tracker.reserve(50 * MiB) as reservation:
            reservation.commit(50 * MiB)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    other = QuotaTracker(limit, nothing_stored, "test store")
    other.share(QuotaLedger(ledger_path, "store-b"))
    async with other.reserve(limit):  # another store's records are its own
        pass


# --------------------------------------------------------------------------- recounts


class FakeClock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def quota_backend(
    server: SeaweedSandbox, tmp_path: Path, prefix: str, quota: int, clock: FakeClock
) -> Any:
    settings = StorageSettings(
        storage_type="S3",
        s3_bucket=TEST_BUCKET,
        s3_prefix=prefix,
        s3_endpoint_url=server.endpoint_url,
        s3_access_key_id=server.access_key,
        s3_secret_access_key=server.secret_key,
        s3_max_size_gb=quota / GiB,
        sync_index_path=tmp_path / "sync-index.sqlite3",
        quota_recount_s=300,
    )
    backend = create_s3_backend(settings)
    assert backend.quota.ledger is not None
    backend.quota.ledger.clock = clock
    return backend


async def test_usage_is_recounted_when_older_than_the_setting(
    s3_server: SeaweedSandbox, raw_s3: Any, tmp_path: Path
) -> None:
    prefix = f"quota-age-{uuid.uuid4().hex[:8]}"
    clock = FakeClock()
    one = write_random(tmp_path / "one.bin", MiB)
    async with quota_backend(s3_server, tmp_path, prefix, 3 * MiB, clock) as backend:
        await backend.upload_file("a.bin", one)
        # Another program stores 2 MiB; a count younger than the setting does not see it yet.
        await raw_s3.put_object(Bucket=TEST_BUCKET, Key=f"{prefix}/other.bin", Body=b"o" * 2 * MiB)
        clock.now += 299
        await backend.upload_file("b.bin", one)
        assert backend.quota.used_bytes == 2 * MiB
        clock.now += 2  # now the count is older than 300 s: recount, 4 MiB are used
        with pytest.raises(StorageQuotaExceededError):
            await backend.upload_file("c.bin", one)
        assert backend.quota.used_bytes == 4 * MiB


async def test_a_write_is_refused_only_on_a_fresh_count(
    s3_server: SeaweedSandbox, raw_s3: Any, tmp_path: Path
) -> None:
    prefix = f"quota-fresh-{uuid.uuid4().hex[:8]}"
    clock = FakeClock()
    two = write_random(tmp_path / "two.bin", 2 * MiB)
    async with quota_backend(s3_server, tmp_path, prefix, 3 * MiB, clock) as backend:
        await backend.upload_file("a.bin", two)
        # Another program frees the space: the batch below is larger than the free space the
        # ledger knows of, so it recounts before refusing, and the write fits.
        await raw_s3.delete_object(Bucket=TEST_BUCKET, Key=f"{prefix}/a.bin")
        with pytest.raises(StorageQuotaExceededError):  # a count seconds old is trusted
            await backend.upload_file("b.bin", two)
        clock.now += 6
        await backend.upload_file("b.bin", two)
        assert backend.quota.used_bytes == 2 * MiB
        with pytest.raises(StorageQuotaExceededError):
            await backend.upload_file("c.bin", two)


async def test_room_recounts_before_a_batch_larger_than_the_free_space(
    s3_server: SeaweedSandbox, raw_s3: Any, tmp_path: Path
) -> None:
    prefix = f"quota-room-{uuid.uuid4().hex[:8]}"
    clock = FakeClock()
    two = write_random(tmp_path / "two.bin", 2 * MiB)
    async with quota_backend(s3_server, tmp_path, prefix, 3 * MiB, clock) as backend:
        await backend.upload_file("a.bin", two)
        await raw_s3.delete_object(Bucket=TEST_BUCKET, Key=f"{prefix}/a.bin")
        assert await backend.quota.room(1 * MiB) == (2 * MiB, 3 * MiB)  # fits: not counted
        clock.now += 6
        assert await backend.quota.room(1 * MiB) == (2 * MiB, 3 * MiB)
        assert await backend.quota.room(2 * MiB) == (0, 3 * MiB)  # does not fit: counted again


async def test_two_backends_in_one_process_share_the_ledger(
    s3_server: SeaweedSandbox, tmp_path: Path
) -> None:
    prefix = f"quota-two-{uuid.uuid4().hex[:8]}"
    clock = FakeClock()
    two = write_random(tmp_path / "two.bin", 2 * MiB)
    first = quota_backend(s3_server, tmp_path, prefix, 3 * MiB, clock)
    second = quota_backend(s3_server, tmp_path, prefix, 3 * MiB, clock)
    async with first, second:
        await first.upload_file("a.bin", two)
        with pytest.raises(StorageQuotaExceededError):
            await second.upload_file("b.bin", two)
        await second.delete("a.bin")  # a delete in one backend frees the space for the other
        await first.upload_file("c.bin", two)
