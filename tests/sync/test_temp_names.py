"""Issue 10, case 7: a user file named like one of our temp files is an ordinary file.

Writes into a store stage under the store's ``temp/`` area; a temp file beside a target outside
any store is marked as ours. Nothing hides or deletes a file for its name alone: not a listing,
not the sweep at store open, not two-way sync.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from file_storage import LocalStorageBackend
from file_storage.atomic import PARTIAL_SUFFIX, sweep_stale_partials
from file_storage.sync import SyncExecutor, SyncMode, build_plan, compare
from tests.sync.conftest import Pair

U = "users/user_000042/recordings/rec-1"


def dead_pid() -> int:
    """A PID that runs no process (so a sweep would take the name for a dead writer's)."""
    for pid in range(4_000_000, 3_000_000, -1):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            continue
    raise AssertionError("no free PID found")


def lookalike(name: str) -> str:
    return f".{name}.{dead_pid()}-abcd{PARTIAL_SUFFIX}"


async def two_way(pair: Pair) -> None:
    plan = build_plan(await compare(pair.local, pair.remote, pair.index), SyncMode.TWO_WAY)
    report = await SyncExecutor(pair.local, pair.remote, pair.index).execute(plan)
    assert report.ok, report.failed


async def test_a_temp_looking_user_file_survives_two_way_sync_and_store_open(pair: Pair) -> None:
    path = f"{U}/{lookalike('clip.mp4')}"
    await pair.remote.save(path, b"the user's own file")
    await two_way(pair)  # downloads it
    assert pair.read_local(path) == b"the user's own file"
    listed = await pair.local.list_files()
    assert path in listed, "a local listing must not hide a user's file for its name"

    await two_way(pair)  # a hidden file would now look deleted here and be deleted in S3
    assert await pair.remote.load(path) == b"the user's own file"

    async with LocalStorageBackend(pair.root):  # the leftover sweep at open
        pass
    assert pair.read_local(path) == b"the user's own file"


def test_a_write_beside_a_target_never_sweeps_a_user_file(tmp_path: Path) -> None:
    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    users = downloads / lookalike("video.mp4")
    users.write_bytes(b"not ours")
    assert sweep_stale_partials(downloads / "video.mp4") == 0
    assert users.read_bytes() == b"not ours"


class SlowSource:
    """Bytes that arrive slowly, so the test can look at the store mid-upload."""

    def __init__(self, size: int, started: asyncio.Event, release: asyncio.Event) -> None:
        self.size = size
        self.description = "slow test source"
        self._started = started
        self._release = release

    async def read_at(self, offset: int, length: int) -> bytes:
        if offset > 0:
            self._started.set()
            await self._release.wait()
        return b"v" * length

    async def sha256(self) -> str:  # pragma: no cover - the local backend hashes as it copies
        raise NotImplementedError

    async def check_unchanged(self) -> None:
        return None


async def test_writes_into_a_store_stage_under_its_temp_folder(tmp_path: Path) -> None:
    started, release = asyncio.Event(), asyncio.Event()
    async with LocalStorageBackend(tmp_path / "store") as store:
        task = asyncio.create_task(
            store.upload_source(f"{U}/a.bin", SlowSource(9 * 1024 * 1024, started, release))
        )
        await asyncio.wait_for(started.wait(), 10)
        folder = store.base_path / U
        assert not folder.exists() or list(folder.iterdir()) == [], "nothing beside the target"
        staged = list((store.base_path / "temp").rglob(f"*{PARTIAL_SUFFIX}"))
        assert len(staged) == 1
        assert os.stat(staged[0]).st_dev == os.stat(store.base_path).st_dev
        release.set()
        await task
        assert [p.name for p in folder.iterdir()] == ["a.bin"]
        assert list((store.base_path / "temp").rglob(f"*{PARTIAL_SUFFIX}")) == []


async def test_a_download_to_a_long_name_fits_its_temp_name(tmp_path: Path) -> None:
    """A 250-byte target name: the temp name beside it is cut to fit 255 bytes."""
    async with LocalStorageBackend(tmp_path / "store") as store:
        await store.save(f"{U}/a.bin", b"content")
        target = tmp_path / "out" / ("n" * 246 + ".mp4")
        await store.download_file(f"{U}/a.bin", target)
        assert target.read_bytes() == b"content"
        assert [p.name for p in target.parent.iterdir()] == [target.name]
