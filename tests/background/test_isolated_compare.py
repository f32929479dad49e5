"""The app's pairs compare in a worker process (file_storage.sync.isolated): the plan comes back
and is run in the app's queue; a failing worker is the run's error, not an empty plan."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from app.services.background import BackgroundSync
from app.services.background_state import SyncState
from file_storage.errors import StorageError
from file_storage.sandbox import SeaweedSandbox
from file_storage.settings import StorageSettings
from file_storage.sync.isolated import PlanRequest, plan_in_child
from file_storage.sync.pairs import PairMode, SyncPair
from file_storage.sync.plan import SyncMode
from tests.background.conftest import SETTLE_S, Setup, wait_until
from tests.conftest import TEST_BUCKET

pytestmark = pytest.mark.s3

FOLDER = "users/user_000021"


def settings_of(
    setup: Setup, server: SeaweedSandbox, *, secret: str | None = None
) -> StorageSettings:
    return StorageSettings(
        local_path=setup.local.base_path,
        s3_bucket=TEST_BUCKET,
        s3_prefix=setup.remote.prefix,
        s3_endpoint_url=server.endpoint_url,
        s3_access_key_id=server.access_key,
        s3_secret_access_key=secret or server.secret_key,
        sync_index_path=setup.tmp_path / "index.sqlite3",
    )


def start(setup: Setup, settings: StorageSettings, pair: SyncPair) -> BackgroundSync:
    service = BackgroundSync(
        setup.local,
        setup.remote,
        setup.queue,
        setup.index,
        setup.pairs,
        setup.run_log,
        settle_s=SETTLE_S,
        settings=settings,
    )
    setup.services.append(service)
    service.set_pairs([pair])
    service.start()
    return service


async def test_worker_plans_and_the_app_copies_both_ways(
    setup: Setup, s3_server: SeaweedSandbox
) -> None:
    local_file = setup.local.base_path / FOLDER / "here.txt"
    local_file.parent.mkdir(parents=True)
    local_file.write_bytes(b"made here")
    await setup.remote.save(f"{FOLDER}/there.txt", b"made there")

    service = start(setup, settings_of(setup, s3_server), SyncPair(FOLDER, PairMode.TWO_WAY))
    runner = next(iter(service.runners.values()))
    assert runner.planner != runner._plan_here  # the worker process plans
    await wait_until(lambda: runner.last is not None, 60, "the start run")
    assert runner.last is not None
    assert runner.last.error is None
    assert (runner.last.uploaded, runner.last.downloaded) == (1, 1)
    assert await setup.remote.load(f"{FOLDER}/here.txt") == b"made here"
    assert (setup.local.base_path / FOLDER / "there.txt").read_bytes() == b"made there"
    # The worker wrote the history to the shared index: the next plan has nothing to do.
    plan = await plan_in_child(
        PlanRequest(
            settings_of(setup, s3_server),
            setup.tmp_path / "index.sqlite3",
            FOLDER,
            SyncMode.TWO_WAY,
            50.0,
        )
    )
    assert (plan.actions, plan.unchanged, plan.blocked) == ([], 2, None)


async def test_worker_storage_error_is_the_runs_error(
    setup: Setup, s3_server: SeaweedSandbox
) -> None:
    (setup.local.base_path / FOLDER).mkdir(parents=True)
    (setup.local.base_path / FOLDER / "a.txt").write_bytes(b"a")
    settings = settings_of(setup, s3_server, secret="not-the-secret")
    service = start(setup, settings, SyncPair(FOLDER, PairMode.UPLOAD))
    runner = next(iter(service.runners.values()))
    await wait_until(lambda: runner.last is not None, 60, "the start run")
    assert runner.last is not None
    assert runner.last.error, "a failed compare must not pass for an empty plan"
    assert runner.last.uploaded == 0
    assert service.state.state is SyncState.ERROR
    assert not await setup.remote.exists(f"{FOLDER}/a.txt")


async def test_worker_that_dies_without_an_answer_raises(
    setup: Setup, s3_server: SeaweedSandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sys, "executable", "/bin/false")
    request = PlanRequest(
        settings_of(setup, s3_server), tmp_path / "index.sqlite3", FOLDER, SyncMode.UPLOAD, 50.0
    )
    with pytest.raises(StorageError, match="worker process \\(exit code 1\\)"):
        await plan_in_child(request)
