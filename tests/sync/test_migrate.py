"""The migration assistant: killed midway with SIGKILL, resumed, identical in the end."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from file_storage import LocalStorageBackend, S3StorageBackend
from file_storage.cli.main import cli
from file_storage.sandbox import SeaweedSandbox
from file_storage.sync import FileState, compare, migrate
from tests.conftest import TEST_BUCKET
from tests.sync.conftest import Pair

FILES = 240


def env_for(s3: SeaweedSandbox, root: Path, prefix: str, index: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STORAGE_", "AWS_"))}
    env.update(
        STORAGE_TYPE="LOCAL",
        STORAGE_LOCAL_PATH=str(root),
        STORAGE_S3_BUCKET=TEST_BUCKET,
        STORAGE_S3_PREFIX=prefix,
        STORAGE_S3_ENDPOINT_URL=s3.endpoint_url,
        STORAGE_S3_ACCESS_KEY_ID=s3.access_key,
        STORAGE_S3_SECRET_ACCESS_KEY=s3.secret_key,
        STORAGE_SYNC_INDEX_PATH=str(index),
    )
    return env


def synced_count(index: Path) -> int:
    try:
        with sqlite3.connect(index, timeout=5) as db:
            return int(db.execute("SELECT count(*) FROM sync_state").fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # not created yet


def test_migration_resumes_after_sigkill(s3_server: SeaweedSandbox, tmp_path: Path) -> None:
    root, index = tmp_path / "store", tmp_path / "data" / "index.sqlite3"
    for i in range(FILES):
        user = f"user_{i % 3 + 1:06d}"
        path = root / "users" / user / "recordings" / f"r{i:03d}" / "video.mp4"
        path.parent.mkdir(parents=True)
        path.write_bytes(os.urandom(48 * 1024 + i))
    prefix = f"t-{uuid.uuid4().hex[:12]}"
    env = env_for(s3_server, root, prefix, index)
    argv = [sys.executable, "-m", "file_storage.cli.main", "migrate", "--to", "s3"]

    child = subprocess.Popen(
        [*argv, "--concurrency", "1"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while synced_count(index) < FILES // 4:
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline, "the migration made no progress"
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    verified_before = synced_count(index)
    assert FILES // 4 <= verified_before < FILES, "killed too late to test a resume"

    done = subprocess.run(argv, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    match = re.search(
        r"migrated: (\d+) files .* (\d+) already there, (\d+) skipped, (\d+) failed", done.stdout
    )
    assert match, done.stdout
    copied, already, skipped, failed = map(int, match.groups())
    assert (skipped, failed) == (0, 0)
    assert copied + already == FILES
    assert already >= verified_before, "verified files must not be sent again"
    assert "user_000001" in done.stdout  # the per-user report

    async def check() -> None:
        local = LocalStorageBackend(root)
        remote = S3StorageBackend(
            TEST_BUCKET,
            prefix=prefix,
            access_key_id=s3_server.access_key,
            secret_access_key=s3_server.secret_key,
            endpoint_url=s3_server.endpoint_url,
        )
        async with local, remote:
            result = await compare(local, remote, None)  # by content alone, no history
            assert result.counts() == {FileState.IDENTICAL: FILES}

    asyncio.run(check())


async def test_migrate_with_delete_source_then_back(pair: Pair) -> None:
    for i in range(6):
        pair.write_local(f"users/user_00000{i % 2 + 1}/recordings/r{i}/audio.m4a", b"a" * i)
    pair.write_local("shared/thumbnails/t.jpg", b"jpg")
    progress = []
    report = await migrate(
        pair.local, pair.remote, pair.index, delete_source=True, on_progress=progress.append
    )
    assert report.ok, report.failed
    assert (report.files_copied, report.sources_deleted) == (7, 7)
    assert sorted(report.per_user) == ["(shared)", "user_000001", "user_000002"]
    assert report.per_user["user_000001"].files_done == 3
    assert progress[-1].files_done == 7
    assert not [p for p in pair.root.rglob("*") if p.is_file() and "temp" not in p.parts]
    assert len(await pair.remote.list_files()) == 7

    back = await migrate(pair.local, pair.remote, pair.index, to="local")
    assert back.ok, back.failed
    assert back.files_copied == 7
    assert pair.read_local("shared/thumbnails/t.jpg") == b"jpg"
    again = await migrate(pair.local, pair.remote, pair.index, to="local")
    assert (again.files_copied, again.already_present) == (0, 7)


async def test_migrate_dry_run_changes_nothing(pair: Pair) -> None:
    pair.write_local("users/user_000001/recordings/r/a.json", b"{}")
    report = await migrate(pair.local, pair.remote, pair.index, dry_run=True)
    assert len(report.plan.actions) == 1
    assert await pair.remote.list_files() == []


@pytest.fixture
def cli_env(s3_server: SeaweedSandbox, tmp_path: Path) -> dict[str, str]:
    return env_for(
        s3_server, tmp_path / "store", f"t-{uuid.uuid4().hex[:12]}", tmp_path / "index.sqlite3"
    )


def test_cli_diff_and_sync(cli_env: dict[str, str], tmp_path: Path) -> None:
    root = Path(cli_env["STORAGE_LOCAL_PATH"])
    for name in ("a", "b", "c"):
        path = root / "users/user_000001/recordings/r1" / f"{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name)
    runner = CliRunner()

    diff = runner.invoke(cli, ["diff"], env=cli_env)
    assert diff.exit_code == 1, diff.output  # the sides differ, as diff(1) says
    assert diff.output.count("only-local      users/") == 3
    assert "3 only-local" in diff.output

    dry = runner.invoke(cli, ["sync", "/", "--mode", "upload", "--dry-run"], env=cli_env)
    assert dry.exit_code == 0, dry.output
    assert "nothing was changed" in dry.output
    assert "3 only-local" in runner.invoke(cli, ["diff"], env=cli_env).output

    real = runner.invoke(cli, ["sync", "users", "--mode", "upload"], env=cli_env)
    assert real.exit_code == 0, real.output
    assert "synced: 3 copied" in real.output
    assert "3 identical" in runner.invoke(cli, ["diff", "users/user_000001"], env=cli_env).output

    for name in ("a", "b"):
        (root / "users/user_000001/recordings/r1" / f"{name}.json").unlink()
    blocked = runner.invoke(cli, ["sync", "users", "--mode", "mirror-up"], env=cli_env)
    assert blocked.exit_code == 1
    assert "2 of 3" in blocked.output
    allowed = runner.invoke(
        cli, ["sync", "users", "--mode", "mirror-up", "--max-delete", "100"], env=cli_env
    )
    assert allowed.exit_code == 0, allowed.output
    assert "2 deleted" in allowed.output


def test_cli_migrate_names_what_it_could_not_migrate_and_fails(
    cli_env: dict[str, str],
) -> None:
    """A file that differs on both sides is never overwritten by a migration: it is named,
    and the run exits 1 so a script does not take a partial migration for a finished one."""
    root = Path(cli_env["STORAGE_LOCAL_PATH"])
    folder = root / "users/user_000001/recordings/r1"
    folder.mkdir(parents=True)
    (folder / "same.json").write_text("same")
    (folder / "both.json").write_text("local edit")
    runner = CliRunner()
    assert runner.invoke(cli, ["migrate", "--to", "s3"], env=cli_env).exit_code == 0
    (folder / "new.json").write_text("new")
    (folder / "both.json").write_text("local edit, again")
    other = dict(cli_env, STORAGE_TYPE="S3")
    remote_edit = root.parent / "remote-edit.json"
    remote_edit.write_text("edited in the bucket")
    edited = runner.invoke(
        cli, ["put", str(remote_edit), "users/user_000001/recordings/r1/both.json"], env=other
    )
    assert edited.exit_code == 0, edited.output
    dry = runner.invoke(cli, ["migrate", "--to", "s3", "--dry-run"], env=cli_env)
    assert dry.exit_code == 0, dry.output
    assert "1 file (3 B) to copy, 1 already there, 1 cannot be migrated" in dry.output
    real = runner.invoke(cli, ["migrate", "--to", "s3"], env=cli_env)
    assert real.exit_code == 1
    assert "skipped users/user_000001/recordings/r1/both.json" in real.output
    assert "1 file not migrated" in real.output


def test_cli_mirror_of_an_empty_folder_on_both_sides_is_a_no_op(
    cli_env: dict[str, str],
) -> None:
    """Nothing on either side: nothing to delete, so the empty-source rule has nothing to stop."""
    done = CliRunner().invoke(
        cli, ["sync", "users/user_000077", "--mode", "mirror-up"], env=cli_env
    )
    assert done.exit_code == 0, done.output
