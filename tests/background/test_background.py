"""Sync pairs running by themselves, with the real watcher, SeaweedFS and ffmpeg."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from app.services.background_state import RunSummary, SyncState
from app.services.transfers import JobKind
from file_storage import LocalStorageBackend
from file_storage.sync.auto import PairRunner
from file_storage.sync.pairs import PairMode, SyncPair
from file_storage.sync.runlog import RunRecord
from file_storage.sync.settle import SettleTracker
from tests.background.conftest import SETTLE_S, Setup, wait_for, wait_until
from tests.conftest import MakeS3
from tests.media.conftest import make_clip

pytestmark = pytest.mark.s3

USER = "users/user_000011"
INBOX = f"{USER}/recordings"
SOURCE = f"{INBOX}/rec-1/source.mp4"


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    folder = tmp_path_factory.mktemp("background-clip")
    return make_clip(folder / "av.mp4", seconds=2, size="160x120").read_bytes()


async def test_slowly_written_recording_is_uploaded_once_when_complete_then_chained(
    setup: Setup, clip: bytes
) -> None:
    service = setup.start(SyncPair(INBOX, PairMode.UPLOAD, interval_s=60))
    summaries: list[RunSummary] = []
    service.state.runFinished.connect(summaries.append)
    await wait_until(
        lambda: service.runners and all(r.runs for r in service.runners.values()),
        10,
        "the start run",
    )

    # A recorder writes the file in 3 chunks, pausing longer than the settle time between them
    # and keeping the file open: it must not be taken for complete during a pause.
    target = setup.local.base_path / SOURCE
    target.parent.mkdir(parents=True)
    step = len(clip) // 3 + 1
    with open(target, "wb") as recorder:
        for start in range(0, len(clip), step):
            recorder.write(clip[start : start + step])
            recorder.flush()
            # Three settle times: long enough for a stable-looking file to be taken and sent.
            await asyncio.sleep(SETTLE_S * 3)
            assert not await setup.remote.exists(SOURCE), "uploaded while still being written"
    await wait_for(lambda: setup.remote.exists(SOURCE), 15, "the upload")
    assert await setup.remote.load(SOURCE) == clip

    # The after-upload chain ran, without a click: thumbnail and audio are in the bucket.
    folder = SOURCE.rpartition("/")[0]
    for name in ("thumbnail.jpg", "audio.m4a"):
        await wait_for(lambda n=name: setup.remote.exists(f"{folder}/{n}"), 30, name)

    # Uploaded once: one upload job in the queue, one upload in the run history.
    uploads = [
        job for job in setup.queue.jobs() if job.kind is JobKind.UPLOAD and job.source == SOURCE
    ]
    assert len(uploads) == 1
    runs = setup.runs()
    uploaded = [run for run in runs for kind, path in run.actions if path == SOURCE]
    assert len(uploaded) == 1
    assert uploaded[0].trigger == "watch"
    assert uploaded[0].mode == "upload"
    assert uploaded[0].uploaded == 1
    assert any(s.uploaded == 1 and s.pair == INBOX for s in summaries)
    assert service.state.state is SyncState.IDLE


async def test_remote_change_appears_locally_within_the_interval(setup: Setup) -> None:
    service = setup.start(SyncPair(USER, PairMode.TWO_WAY, interval_s=1))
    await wait_until(lambda: all(r.runs for r in service.runners.values()), 10, "the start run")
    path = f"{USER}/notes/agenda.txt"
    await setup.remote.save(path, b"from another computer")
    local = setup.local.base_path / path
    # The default interval (300 s) would never make it in time: the pair's interval is used.
    await wait_until(local.exists, 8, "the download")
    assert local.read_bytes() == b"from another computer"

    def recorded() -> list[RunRecord]:
        return [run for run in setup.runs() if ["download", path] in run.actions]

    await wait_until(lambda: bool(recorded()), 5, "the run in the history")
    run = recorded()[0]
    assert run.trigger == "interval"
    assert run.downloaded == 1


async def test_conflict_during_background_sync_keeps_both(setup: Setup) -> None:
    path = f"{USER}/notes/transcription.json"
    (setup.local.base_path / path).parent.mkdir(parents=True)
    (setup.local.base_path / path).write_bytes(b'{"v": 0}')
    service = setup.start(SyncPair(USER, PairMode.TWO_WAY, interval_s=60))
    await wait_for(lambda: setup.remote.exists(path), 10, "the first sync")
    await wait_until(lambda: service.state.state is SyncState.IDLE, 10, "idle")

    # While paused, both sides change the file; the run after the pause keeps both versions.
    service.state.pause()
    await setup.remote.save(path, b'{"v": "remote"}')
    await asyncio.sleep(1.1)  # the local edit is newer (modification times have 1 s in S3)
    (setup.local.base_path / path).write_bytes(b'{"v": "local edit"}')
    await asyncio.sleep(SETTLE_S * 3)
    runs_before = len(setup.runs())
    assert runs_before == 1, "a run happened while paused"
    service.state.resume()
    await wait_until(lambda: len(setup.runs()) > runs_before, 15, "the run after the pause")
    await wait_until(lambda: service.state.state is SyncState.IDLE, 10, "idle")

    run = next(run for run in setup.runs() if run.conflicts)
    assert run.conflicts[0][0] == path
    kept = run.conflicts[0][1]
    assert ".conflict-remote-" in kept
    # Both versions on both sides: the newer (local) keeps the name, S3's is renamed.
    assert (setup.local.base_path / path).read_bytes() == b'{"v": "local edit"}'
    assert await setup.remote.load(path) == b'{"v": "local edit"}'
    assert (setup.local.base_path / kept).read_bytes() == b'{"v": "remote"}'
    assert await setup.remote.load(kept) == b'{"v": "remote"}'


async def test_the_close_rule_alone_holds_a_file_whose_writer_pauses(setup: Setup) -> None:
    """Without the /proc writer check (as for another user's recorder), inotify's "closed by
    its writer" still holds a file whose writer pauses longer than the settle time."""
    folder = setup.local.base_path / INBOX
    folder.mkdir(parents=True)
    runner = PairRunner(
        setup.local,
        setup.remote,
        setup.index,
        SyncPair(INBOX, PairMode.UPLOAD, interval_s=60),
        run_log=setup.run_log,
        tracker=SettleTracker(SETTLE_S, writers=lambda paths: set()),
    )
    task = asyncio.ensure_future(runner.run())
    try:
        await wait_until(lambda: runner.runs > 0, 10, "the start run")
        path = f"{INBOX}/take-2.wav"
        with open(setup.local.base_path / path, "wb") as recorder:
            for _ in range(2):
                recorder.write(b"\0" * 65536)
                recorder.flush()
                await asyncio.sleep(SETTLE_S * 3)
                assert not await setup.remote.exists(path), "uploaded while still being written"
        await wait_for(lambda: setup.remote.exists(path), 10, "the upload")
        assert (await setup.remote.stat(path)).size == 2 * 65536
    finally:
        task.cancel()
        await asyncio.wait({task}, timeout=10)


async def test_quota_warning_after_a_run_fills_the_bucket_past_80_percent(
    tmp_path: Path, make_s3: MakeS3
) -> None:
    async with LocalStorageBackend(tmp_path / "store") as local:
        setup = Setup(tmp_path, local, make_s3(max_size_gb=1000 / 1024**3))  # 1000 bytes
        try:
            service = setup.start(SyncPair(INBOX, PairMode.UPLOAD, interval_s=60))
            await wait_until(lambda: all(r.runs for r in service.runners.values()), 10, "start")
            assert service.state.quota_warning is None
            path = f"{INBOX}/rec-3/notes.txt"
            (local.base_path / path).parent.mkdir(parents=True)
            (local.base_path / path).write_bytes(b"n" * 850)
            await wait_until(lambda: service.state.quota_warning is not None, 15, "the warning")
            assert service.state.quota_warning == pytest.approx(0.85)
        finally:
            await setup.aclose()
