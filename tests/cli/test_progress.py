"""The sync bar of ``leap-storage sync`` moves while a long file transfers, not only at its end."""

from __future__ import annotations

from pathlib import Path

from file_storage import LocalStorageBackend
from file_storage.cli.sync_commands import ByteProgress
from file_storage.sync import SyncExecutor, SyncIndex, SyncMode, build_plan, compare
from tests.conftest import MakeS3, MiB, write_random


async def test_sync_progress_moves_during_a_multipart_upload(
    make_s3: MakeS3, tmp_path: Path
) -> None:
    size = 6 * MiB  # two parts (5 MiB + 1 MiB) on the test tuning
    write_random(tmp_path / "store/users/user_000001/r1/video.mp4", size)
    shown: list[int] = []
    finished_at: list[int] = []
    async with (
        LocalStorageBackend(tmp_path / "store") as local,
        make_s3() as remote,
        SyncIndex(tmp_path / "index.sqlite3") as index,
    ):
        plan = build_plan(await compare(local, remote, index), SyncMode.UPLOAD)
        bar = ByteProgress(shown.append)

        def done(action: object, error: str | None) -> None:
            finished_at.append(len(shown))
            bar.done(action, error)  # type: ignore[arg-type]

        report = await SyncExecutor(
            local, remote, index, runner=bar.runner, on_action=done
        ).execute(plan)
    assert report.ok, report.failed
    before_the_end = shown[: finished_at[0]]
    assert [n for n in before_the_end if 0 < n < size], shown
    assert shown[-1] == size
