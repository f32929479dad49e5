"""The settle rule (when a changed file is complete), the writer check, and the pairs file."""

from __future__ import annotations

from pathlib import Path

import pytest

from file_storage.sync.pairs import PairError, PairMode, PairStore, SyncPair
from file_storage.sync.settle import SettleTracker, open_for_writing, proc_available


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def tracker_on(files: dict[Path, tuple[int, int]], busy: set[Path], clock: Clock) -> SettleTracker:
    return SettleTracker(
        5.0,
        clock=clock,
        wall=lambda: 1e9,  # files' mtimes (below) are "just now": no shortcut on first look
        stat=files.get,
        writers=lambda paths: {p for p in paths if p in busy},
    )


def test_a_file_open_for_writing_is_held_however_long_it_is_stable() -> None:
    clock, path = Clock(), Path("/store/rec/source.mp4")
    files = {path: (100, int(1e18))}
    tracker = tracker_on(files, set(), clock)
    tracker.written(path)  # IN_MODIFY, no IN_CLOSE_WRITE yet
    clock.now += 3600
    assert tracker.ready() == ([], [])
    assert tracker.next_check_in() is None  # nothing to look at until an event arrives
    tracker.closed(path)
    assert tracker.ready() == ([], [])  # first look: remember size and mtime
    clock.now += 4.9
    assert tracker.ready() == ([], [])
    clock.now += 0.2
    assert tracker.ready() == ([path], [])
    assert not tracker.pending


def test_a_growing_file_restarts_the_settle_time() -> None:
    clock, path = Clock(), Path("/store/a.mp4")
    files = {path: (1, int(1e18))}
    tracker = tracker_on(files, set(), clock)
    tracker.appeared(path)
    tracker.ready()
    clock.now += 4
    files[path] = (2, int(1e18))
    assert tracker.ready() == ([], [])
    clock.now += 4
    assert tracker.ready() == ([], [])
    clock.now += 1.1
    assert tracker.ready() == ([path], [])


def test_a_process_holding_it_open_for_writing_holds_it_and_gone_files_are_reported() -> None:
    clock, path, other = Clock(), Path("/store/a.mp4"), Path("/store/b.mp4")
    files = {path: (1, 0), other: (1, 0)}
    busy = {path}
    tracker = tracker_on(files, busy, clock)
    tracker.appeared(path)
    tracker.appeared(other)
    tracker.ready()
    clock.now += 6
    del files[other]
    assert tracker.ready() == ([], [other])
    busy.clear()
    clock.now += 5
    assert tracker.ready() == ([path], [])


def test_old_untracked_files_are_settled_unless_open(tmp_path: Path) -> None:
    old = tmp_path / "old.bin"
    old.write_bytes(b"x")
    import os

    os.utime(old, (1, 1))
    fresh = tmp_path / "fresh.bin"
    fresh.write_bytes(b"x")
    tracker = SettleTracker(5.0)
    assert tracker.unsettled([old, fresh]) == {fresh}
    if proc_available():
        with open(old, "ab"):
            assert tracker.unsettled([old]) == {old}
        assert tracker.unsettled([old]) == set()


@pytest.mark.skipif(not proc_available(), reason="needs /proc (Linux)")
def test_open_for_writing_sees_writers_not_readers(tmp_path: Path) -> None:
    path = tmp_path / "rec.mp4"
    path.write_bytes(b"data")
    with open(path, "rb"):
        assert open_for_writing([path]) == set()
    with open(path, "r+b"):
        assert open_for_writing([path]) == {path}
    assert open_for_writing([path]) == set()


def test_pairs_are_kept_per_store_and_checked(tmp_path: Path) -> None:
    store = PairStore(tmp_path / "sync-pairs.json")
    first = SyncPair("/users/u1/recordings/", PairMode.UPLOAD, interval_s=60)
    store.set_pairs("store-a", [first, SyncPair("users/u2", PairMode.TWO_WAY)])
    again = PairStore(tmp_path / "sync-pairs.json").load()
    assert again.pairs("store-a")[0] == first
    assert again.pairs("store-a")[0].folder == "users/u1/recordings"
    assert again.pairs("store-b") == []
    with pytest.raises(PairError, match="overlap"):
        store.set_pairs("store-a", [SyncPair("users"), SyncPair("users/u1")])
    assert len(PairStore(store.path).load().pairs("store-a")) == 2  # nothing changed
    for bad in ("../etc", "temp/x", "a//b"):
        with pytest.raises(PairError):
            SyncPair(bad)
    with pytest.raises(PairError):
        SyncPair("users", interval_s=0.1)


def test_an_unreadable_pairs_file_is_reported_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "sync-pairs.json"
    path.write_text("{not json")
    with pytest.raises(PairError, match="not readable"):
        PairStore(path).load()
    assert path.read_text() == "{not json"
