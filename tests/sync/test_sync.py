"""Each sync mode's result, the safety stops, the trash, and conflicts that keep both versions."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from file_storage import EndpointUnreachableError, S3StorageBackend, S3Tuning, SyncSafetyError
from file_storage.sync import (
    Action,
    ActionKind,
    FileState,
    StepWork,
    SyncExecutor,
    SyncMode,
    build_plan,
    compare,
    conflict_path,
    purge_trash,
)
from file_storage.sync.trash import stamp_of
from tests.conftest import TEST_BUCKET, MiB
from tests.sync.conftest import Pair

U = "users/user_000042/recordings/rec-1"


async def sync(pair: Pair, mode: SyncMode, prefix: str = "", **kwargs: Any) -> Any:
    plan = build_plan(await compare(pair.local, pair.remote, pair.index, prefix), mode, **kwargs)
    return await SyncExecutor(pair.local, pair.remote, pair.index).execute(plan)


def local_tree(pair: Pair) -> dict[str, bytes]:
    return {
        p.relative_to(pair.root).as_posix(): p.read_bytes()
        for p in pair.root.rglob("*")
        if p.is_file() and not p.relative_to(pair.root).as_posix().startswith("temp/")
    }


async def remote_tree(pair: Pair) -> dict[str, bytes]:
    return {
        path: await pair.remote.load(path)
        for path in await pair.remote.list_files()
        if not path.startswith("temp/")
    }


async def test_upload_then_everything_is_identical(pair: Pair) -> None:
    pair.write_local(f"{U}/a.json", b"a")
    pair.write_local(f"{U}/b.json", b"b")
    await pair.remote.save(f"{U}/extra.json", b"only in S3")
    report = await sync(pair, SyncMode.UPLOAD)
    assert report.ok
    assert report.files_copied == 2
    assert await remote_tree(pair) == {
        f"{U}/a.json": b"a",
        f"{U}/b.json": b"b",
        f"{U}/extra.json": b"only in S3",
    }
    after = await compare(pair.local, pair.remote, pair.index)
    assert after.counts() == {FileState.IDENTICAL: 2, FileState.ONLY_REMOTE: 1}


async def test_download_replaces_different_and_keeps_old_in_trash(pair: Pair) -> None:
    pair.write_local(f"{U}/a.json", b"local a")
    await pair.remote.save(f"{U}/a.json", b"remote a")
    await pair.put_foreign(f"{U}/b.json", b"foreign b")
    report = await sync(pair, SyncMode.DOWNLOAD)
    assert report.ok, report.failed
    assert local_tree(pair) == {f"{U}/a.json": b"remote a", f"{U}/b.json": b"foreign b"}
    trashed = list((pair.root / "temp/.trash").rglob("a.json"))
    assert [p.read_bytes() for p in trashed] == [b"local a"]
    assert not list((pair.root / "temp/.sync").iterdir()), "staging file left behind"


async def test_mirror_up_deletes_extra_remote_files_into_trash(pair: Pair) -> None:
    pair.write_local(f"{U}/a.json", b"a")
    pair.write_local(f"{U}/b.json", b"b")
    pair.write_local(f"{U}/c.json", b"c")
    await pair.remote.save(f"{U}/a.json", b"a")
    await pair.remote.save(f"{U}/b.json", b"old b")
    await pair.remote.save(f"{U}/stale.json", b"stale")
    report = await sync(pair, SyncMode.MIRROR_UP)
    assert report.ok, report.failed
    assert report.files_deleted == 1
    assert await remote_tree(pair) == {
        f"{U}/a.json": b"a",
        f"{U}/b.json": b"b",
        f"{U}/c.json": b"c",
    }
    keys = await pair.remote_keys("temp/.trash/")
    assert [k.rsplit("/", 1)[1] for k in keys] == ["b.json", "stale.json"]
    assert [await pair.remote.load(k) for k in keys] == [b"old b", b"stale"]


async def test_mirror_down_deletes_extra_local_files_into_trash(pair: Pair) -> None:
    await pair.remote.save(f"{U}/a.json", b"a")
    await pair.remote.save(f"{U}/b.json", b"b")
    pair.write_local(f"{U}/a.json", b"a")
    pair.write_local(f"{U}/stale.json", b"stale")
    report = await sync(pair, SyncMode.MIRROR_DOWN)
    assert report.ok, report.failed
    assert local_tree(pair) == {f"{U}/a.json": b"a", f"{U}/b.json": b"b"}
    assert [p.read_bytes() for p in (pair.root / "temp/.trash").rglob("stale.json")] == [b"stale"]


async def test_dry_run_plan_changes_nothing(pair: Pair) -> None:
    pair.write_local(f"{U}/a.json", b"a" * 10)
    await pair.remote.save(f"{U}/b.json", b"b" * 20)
    await pair.remote.save(f"{U}/c.json", b"c" * 30)
    plan = build_plan(await compare(pair.local, pair.remote, pair.index), SyncMode.MIRROR_UP)
    assert plan.counts() == {ActionKind.UPLOAD: 1, ActionKind.DELETE_REMOTE: 2}
    assert plan.bytes_by_kind()[ActionKind.DELETE_REMOTE] == 50
    assert plan.total_bytes == 10
    assert plan.blocked is not None  # 2 of 2 remote files: 100% > 50%
    assert local_tree(pair) == {f"{U}/a.json": b"a" * 10}
    assert sorted(await remote_tree(pair)) == [f"{U}/b.json", f"{U}/c.json"]


async def test_mirror_stops_above_the_delete_share(pair: Pair) -> None:
    for name in "abc":
        await pair.remote.save(f"{U}/{name}.json", name.encode())
    pair.write_local(f"{U}/a.json", b"a")
    result = await compare(pair.local, pair.remote, pair.index)
    plan = build_plan(result, SyncMode.MIRROR_UP)
    with pytest.raises(SyncSafetyError, match="2 of 3"):
        await SyncExecutor(pair.local, pair.remote, pair.index).execute(plan)
    assert len(await remote_tree(pair)) == 3
    allowed = build_plan(result, SyncMode.MIRROR_UP, max_delete_percent=100)
    report = await SyncExecutor(pair.local, pair.remote, pair.index).execute(allowed)
    assert report.files_deleted == 2


async def test_mirror_refuses_an_empty_source(pair: Pair) -> None:
    await pair.remote.save(f"{U}/a.json", b"a")
    plan = build_plan(
        await compare(pair.local, pair.remote, pair.index),
        SyncMode.MIRROR_UP,
        max_delete_percent=100,
    )
    with pytest.raises(SyncSafetyError, match="empty"):
        await SyncExecutor(pair.local, pair.remote, pair.index).execute(plan)
    pair.write_local(f"{U}/only.json", b"x")
    await pair.remote.delete(f"{U}/a.json")
    down = build_plan(
        await compare(pair.local, pair.remote, pair.index),
        SyncMode.MIRROR_DOWN,
        max_delete_percent=100,
    )
    assert down.blocked is not None
    assert "empty" in down.blocked


async def test_unreachable_source_refuses_to_plan(pair: Pair) -> None:
    dead = S3StorageBackend(
        TEST_BUCKET,
        prefix=pair.remote.prefix,
        access_key_id="x",
        secret_access_key="y",
        endpoint_url="http://127.0.0.1:9",
        tuning=S3Tuning(max_attempts=1, connect_timeout=1),
    )
    pair.write_local(f"{U}/a.json", b"a")
    async with dead:
        with pytest.raises(EndpointUnreachableError):
            await compare(pair.local, dead, pair.index)


async def test_two_way_merges_both_sides(pair: Pair) -> None:
    pair.write_local(f"{U}/shared.json", b"v1", age=60)
    pair.write_local(f"{U}/deleted-there.json", b"v1", age=60)
    pair.write_local(f"{U}/deleted-here.json", b"v1", age=60)
    assert (await sync(pair, SyncMode.TWO_WAY)).ok
    pair.write_local(f"{U}/new-here.json", b"new local")
    await pair.remote.save(f"{U}/new-there.json", b"new remote")
    pair.write_local(f"{U}/shared.json", b"v2 local")
    await pair.remote.delete(f"{U}/deleted-there.json")
    (pair.root / f"{U}/deleted-here.json").unlink()

    report = await sync(pair, SyncMode.TWO_WAY, max_delete_percent=100)
    assert report.ok, report.failed
    expected = {
        f"{U}/new-here.json": b"new local",
        f"{U}/new-there.json": b"new remote",
        f"{U}/shared.json": b"v2 local",
    }
    assert local_tree(pair) == expected
    assert await remote_tree(pair) == expected
    again = await compare(pair.local, pair.remote, pair.index)
    assert set(again.counts()) == {FileState.IDENTICAL}


async def test_conflict_keeps_both_versions(pair: Pair) -> None:
    """RELIABILITY R9: both sides changed; neither version is lost."""
    pair.write_local(f"{U}/notes.json", b"v1", age=600)
    assert (await sync(pair, SyncMode.TWO_WAY)).ok
    pair.write_local(f"{U}/notes.json", b"local edit", age=300)  # older edit
    await pair.remote.save(f"{U}/notes.json", b"remote edit")  # newer edit wins the name

    result = await compare(pair.local, pair.remote, pair.index)
    assert result.entries[0].state is FileState.CONFLICT
    report = await SyncExecutor(pair.local, pair.remote, pair.index).execute(
        build_plan(result, SyncMode.TWO_WAY)
    )
    assert report.ok, report.failed
    [(_path, loser)] = report.conflicts
    assert ".conflict-local-" in loser
    both = {f"{U}/notes.json": b"remote edit", loser: b"local edit"}
    assert local_tree(pair) == both
    assert await remote_tree(pair) == both
    again = await compare(pair.local, pair.remote, pair.index)
    assert set(again.counts()) == {FileState.IDENTICAL}


async def test_local_winner_of_a_conflict(pair: Pair) -> None:
    pair.write_local(f"{U}/a.txt", b"local, newer")
    await pair.remote.save(f"{U}/a.txt", b"remote, older!")
    import os

    future = time.time() + 3600
    os.utime(pair.root / f"{U}/a.txt", (future, future))
    report = await sync(pair, SyncMode.TWO_WAY)  # DIFFERENT without history: keep both
    assert report.ok, report.failed
    [(_path, loser)] = report.conflicts
    assert ".conflict-remote-" in loser
    both = {f"{U}/a.txt": b"local, newer", loser: b"remote, older!"}
    assert local_tree(pair) == both
    assert await remote_tree(pair) == both


async def test_delete_never_beats_a_modification(pair: Pair) -> None:
    pair.write_local(f"{U}/a.json", b"v1", age=60)
    assert (await sync(pair, SyncMode.TWO_WAY)).ok
    (pair.root / f"{U}/a.json").unlink()
    await pair.remote.save(f"{U}/a.json", b"v2 remote")
    result = await compare(pair.local, pair.remote, pair.index)
    assert result.entries[0].state is FileState.CHANGED_REMOTE
    report = await SyncExecutor(pair.local, pair.remote, pair.index).execute(
        build_plan(result, SyncMode.TWO_WAY)
    )
    assert report.ok
    assert pair.read_local(f"{U}/a.json") == b"v2 remote"


async def test_changed_since_compare_is_skipped_not_overwritten(pair: Pair) -> None:
    pair.write_local(f"{U}/a.json", b"local")
    await pair.remote.save(f"{U}/a.json", b"remote")
    plan = build_plan(await compare(pair.local, pair.remote, pair.index), SyncMode.UPLOAD)
    await pair.remote.save(f"{U}/a.json", b"remote, edited meanwhile")
    report = await SyncExecutor(pair.local, pair.remote, pair.index).execute(plan)
    assert len(report.failed) == 1
    assert await pair.remote.load(f"{U}/a.json") == b"remote, edited meanwhile"


async def test_runner_sees_every_step_and_progress(pair: Pair, tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * (6 * MiB))
    pair.write_local(f"{U}/video.mp4", big.read_bytes())
    pair.write_local(f"{U}/small.json", b"s")
    seen: dict[str, list[int]] = {}

    async def runner(action: Action, work: StepWork) -> None:
        progress = seen.setdefault(action.path, [])
        await work(progress.append)

    plan = build_plan(await compare(pair.local, pair.remote, pair.index), SyncMode.UPLOAD)
    report = await SyncExecutor(pair.local, pair.remote, pair.index, runner=runner).execute(plan)
    assert report.ok
    assert sorted(seen) == [f"{U}/small.json", f"{U}/video.mp4"]
    assert seen[f"{U}/video.mp4"][-1] == 6 * MiB


async def test_cancel_stops_the_run(pair: Pair) -> None:
    for i in range(30):
        pair.write_local(f"{U}/f{i}.json", b"x")
    started = asyncio.Event()

    async def runner(action: Action, work: StepWork) -> None:
        started.set()
        await asyncio.sleep(10)

    plan = build_plan(await compare(pair.local, pair.remote, pair.index), SyncMode.UPLOAD)
    task = asyncio.create_task(
        SyncExecutor(pair.local, pair.remote, pair.index, runner=runner).execute(plan)
    )
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_trash_expires(pair: Pair) -> None:
    old = stamp_of(time.time() - 40 * 86400)
    fresh = stamp_of(time.time() - 86400)
    pair.write_local(f"temp/.trash/{old}/{U}/a.json", b"old")
    pair.write_local(f"temp/.trash/{fresh}/{U}/a.json", b"fresh")
    await pair.remote.save(f"temp/.trash/{old}/{U}/a.json", b"old")
    assert await purge_trash(pair.local, 30) == 1
    assert await purge_trash(pair.remote, 30) == 1
    assert not (pair.root / f"temp/.trash/{old}").exists()
    assert (pair.root / f"temp/.trash/{fresh}/{U}/a.json").exists()
    assert await pair.remote_keys("temp/") == []


def test_conflict_names() -> None:
    assert conflict_path("a/b/source.mp4", "local", "20250101T000000Z") == (
        "a/b/source.conflict-local-20250101T000000Z.mp4"
    )
    assert conflict_path("README", "remote", "S") == "README.conflict-remote-S"
    long = conflict_path("x/" + "n" * 250 + ".mp4", "local", "20250101T000000Z")
    assert len(long.rsplit("/", 1)[1].encode()) <= 255
