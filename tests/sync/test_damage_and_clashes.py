"""Issue 10, case 8: a folder deeper than PATH_MAX, a damaged sync index, and a file and a
folder of the same name in the bucket. Each is reported in one line; the rest goes on."""

from __future__ import annotations

import os
import sqlite3
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from file_storage.cli.main import cli
from file_storage.sandbox import SeaweedSandbox
from file_storage.sync import SyncExecutor, SyncMode, build_plan, compare
from tests.conftest import TEST_BUCKET
from tests.sync.conftest import Pair
from tests.sync.test_migrate import env_for

OK = "users/user_000001/recordings/r1/ok.json"


def make_too_deep(root: Path) -> str:
    """A folder chain longer than PATH_MAX, built one level at a time through dir fds."""
    name = "d" * 200
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(25):  # 25 * 201 bytes > 4096
            os.mkdir(name, dir_fd=fd)
            child = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = child
        out = os.open("deep.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(out, b"deep")
        os.close(out)
    finally:
        os.close(fd)
    return name


@pytest.fixture
def cli_env(s3_server: SeaweedSandbox, tmp_path: Path) -> dict[str, str]:
    root = tmp_path / "store"
    (root / OK).parent.mkdir(parents=True)
    (root / OK).write_text("{}")
    return env_for(
        s3_server, root, f"t-{uuid.uuid4().hex[:12]}", tmp_path / "data" / "index.sqlite3"
    )


def test_a_folder_deeper_than_path_max_is_skipped_and_the_rest_goes_on(
    cli_env: dict[str, str],
) -> None:
    root = Path(cli_env["STORAGE_LOCAL_PATH"])
    top = make_too_deep(root)
    runner = CliRunner()

    listed = runner.invoke(cli, ["ls", "-r"], env=cli_env)
    assert listed.exit_code == 0, listed.output
    assert OK in listed.output
    assert f"leap-storage: warning: skipped '{top}/" in listed.output
    assert "longer than this system allows" in listed.output

    usage = runner.invoke(cli, ["du"], env=cli_env)
    assert usage.exit_code == 0, usage.output
    assert "1 files  (total)" in usage.output
    # A total that leaves a folder out says so, and which.
    assert f"leap-storage: warning: skipped '{top}/" in usage.output
    assert "longer than this system allows" in usage.output

    diff = runner.invoke(cli, ["diff"], env=cli_env)
    assert diff.exit_code == 1, diff.output  # the sides differ, as diff(1) says
    assert f"only-local      {OK}" in diff.output
    warnings = [line for line in diff.output.splitlines() if "warning" in line]
    assert len(warnings) == 1
    assert warnings[0].startswith(f"leap-storage: warning: '{top}/")
    assert "longer than this system allows" in warnings[0]


def corrupt_pages(index: Path) -> None:
    """Garbage over everything after the first page: the header still says SQLite."""
    with sqlite3.connect(index) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("PRAGMA journal_mode=DELETE")
        db.execute("CREATE TABLE IF NOT EXISTS filler (x BLOB)")
        db.executemany("INSERT INTO filler VALUES (?)", [(os.urandom(100),) for _ in range(200)])
    db.close()
    size = index.stat().st_size
    with open(index, "r+b") as handle:
        handle.seek(4096)
        handle.write(os.urandom(size - 4096))


@pytest.mark.parametrize("damage", ["pages", "whole file"])
def test_a_damaged_index_is_one_line_naming_the_file_and_the_fix(
    cli_env: dict[str, str], damage: str
) -> None:
    index = Path(cli_env["STORAGE_SYNC_INDEX_PATH"])
    runner = CliRunner()
    assert runner.invoke(cli, ["sync", "/", "--mode", "upload"], env=cli_env).exit_code == 0
    if damage == "pages":
        corrupt_pages(index)
    else:
        index.write_bytes(os.urandom(16384))

    broken = runner.invoke(cli, ["diff"], env=cli_env)

    assert broken.exit_code == 1
    lines = broken.output.strip().splitlines()
    assert len(lines) == 1, broken.output
    assert lines[0].startswith(f"leap-storage: error: The sync index {index} is damaged")
    assert "leap-storage rebuild-index" in lines[0]

    rebuilt = runner.invoke(cli, ["rebuild-index"], env=cli_env)
    assert rebuilt.exit_code == 0, rebuilt.output
    kept = [p for p in index.parent.iterdir() if ".damaged-" in p.name]
    assert kept, "the damaged file is moved aside, not deleted"
    again = runner.invoke(cli, ["diff"], env=cli_env)
    assert again.exit_code == 0, again.output
    assert "1 identical" in again.output


async def test_a_file_and_a_folder_of_the_same_name_are_skipped_with_the_clash_named(
    pair: Pair,
) -> None:
    for name in ("a/c", "a/c/x", "a/ok.txt"):
        await pair.raw.put_object(Bucket=TEST_BUCKET, Key=pair.key(name), Body=name.encode())
    result = await compare(pair.local, pair.remote, pair.index)
    assert [e.path for e in result.entries] == ["a/ok.txt"]
    reasons = dict(result.skipped)
    assert sorted(reasons) == ["a/c", "a/c/x"]
    assert "a/c is a file and also the folder of a/c/x" in reasons["a/c"]
    assert "its folder a/c is also a file" in reasons["a/c/x"]

    plan = build_plan(result, SyncMode.DOWNLOAD)
    assert dict(plan.skipped) == reasons
    report = await SyncExecutor(pair.local, pair.remote, pair.index).execute(plan)
    assert report.ok, report.failed
    assert pair.read_local("a/ok.txt") == b"a/ok.txt"


def test_cli_sync_names_the_clash_and_copies_the_rest(cli_env: dict[str, str]) -> None:
    runner = CliRunner()
    other = dict(cli_env, STORAGE_TYPE="S3")
    src = Path(cli_env["STORAGE_LOCAL_PATH"]).parent / "src.txt"
    src.write_text("x")
    for key in ("a/c", "a/c/x", "a/ok.txt"):
        assert runner.invoke(cli, ["put", str(src), key], env=other).exit_code == 0
    done = runner.invoke(cli, ["sync", "/", "--mode", "download"], env=cli_env)
    assert done.exit_code == 1, done.output  # files skipped for safety: a script must know
    assert "skipped         a/c: name clash: a/c is a file and also the folder of a/c/x" in (
        done.output
    )
    assert "Errno" not in done.output
    assert (Path(cli_env["STORAGE_LOCAL_PATH"]) / "a/ok.txt").read_text() == "x"
