"""Folders, streams, s3:// names, cp/mv and rm -r of ``leap-storage`` on SeaweedFS, each
result checked with the aws CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner

from file_storage.cli.main import cli
from tests.cli.conftest import Store
from tests.conftest import TEST_BUCKET, MiB, sha256_of, write_random

OLD = 1_600_000_000_123_456_789  # an mtime in the past, with nanoseconds


def run(store: Store, *args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env=store.env, input=stdin)
    return result.exit_code, result.stdout, result.stderr


def make_tree(folder: Path) -> None:
    write_random(folder / "source.mp4", 2 * MiB + 3, seed=1)
    (folder / "thumbs").mkdir()
    (folder / "thumbs" / "thumbnail.jpg").write_bytes(b"jpg" * 100)
    (folder / "notes.tmp").write_text("scratch")
    os.utime(folder / "source.mp4", ns=(OLD, OLD))


def test_put_r_get_r_with_filters_keep_bytes_and_mtime(store: Store, tmp_path: Path) -> None:
    local = tmp_path / "rec-1"
    local.mkdir()
    make_tree(local)

    code, _, err = run(store, "put", "-r", str(local), "users/u1/rec-1", "--exclude", "*.tmp")
    assert code == 0, err
    assert store.keys() == {
        "users/u1/rec-1/source.mp4": 2 * MiB + 3,
        "users/u1/rec-1/thumbs/thumbnail.jpg": 300,
    }
    # rclone's mtime metadata: seconds.nanoseconds
    head = store.aws_head("users/u1/rec-1/source.mp4")
    digest = sha256_of(local / "source.mp4")
    assert head["Metadata"] == {"mtime": "1600000000.123456789", "sha256": digest}

    back = tmp_path / "back"
    code, _, err = run(store, "get", "-r", store.url("users/u1"), str(back), "--include", "*.mp4")
    assert code == 0, err
    got = back / "rec-1" / "source.mp4"
    assert sorted(p.name for p in back.rglob("*") if p.is_file()) == ["source.mp4"]
    assert sha256_of(got) == sha256_of(local / "source.mp4")
    assert got.stat().st_mtime_ns == OLD


def test_get_sets_mtime_from_last_modified_without_metadata(store: Store, tmp_path: Path) -> None:
    plain = tmp_path / "plain.bin"
    plain.write_bytes(b"x" * 1000)
    # written as the aws CLI and s5cmd write: no mtime metadata
    store.client().put_object(Bucket=TEST_BUCKET, Key=f"{store.prefix}/plain.bin", Body=b"x" * 1000)
    modified = store.head("plain.bin")["LastModified"]
    code, _, err = run(store, "get", "plain.bin", str(tmp_path / "got.bin"))
    assert code == 0, err
    expected = modified.timestamp()
    assert abs((tmp_path / "got.bin").stat().st_mtime - expected) < 1.0


def test_stdin_and_stdout_streams(store: Store, tmp_path: Path) -> None:
    data = os.urandom(3 * MiB + 17)
    code, _, err = run(store, "put", "-", "tmp/piped.bin", stdin=data)
    assert code == 0, err
    assert store.aws_keys("tmp/") == {"tmp/piped.bin": len(data)}

    result = CliRunner().invoke(cli, ["get", "tmp/piped.bin", "-"], env=store.env)
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes == data
    assert not (Path.cwd() / "-").exists()


def test_cp_and_mv_inside_the_store_keep_metadata(store: Store, tmp_path: Path) -> None:
    src = tmp_path / "Лекция 5.mp4"
    write_random(src, 2 * MiB, seed=3)
    assert run(store, "put", str(src), "users/u1/r1/source.mp4")[0] == 0

    code, _, err = run(store, "cp", "users/u1/r1/source.mp4", "users/u1/r2/")
    assert code == 0, err
    copied = store.head("users/u1/r2/source.mp4")
    assert copied["Metadata"] == store.head("users/u1/r1/source.mp4")["Metadata"]

    code, _, err = run(store, "mv", "-r", store.url("users/u1/r2"), "users/u2/r9")
    assert code == 0, err
    assert set(store.aws_keys("users/")) == {"users/u1/r1/source.mp4", "users/u2/r9/source.mp4"}

    stat = CliRunner().invoke(cli, ["stat", "users/u2/r9/source.mp4", "--json"], env=store.env)
    assert json.loads(stat.stdout)["original_name"] == "Лекция 5.mp4"


def test_rm_of_a_folder_counts_asks_and_deletes(store: Store, tmp_path: Path) -> None:
    local = tmp_path / "rec"
    local.mkdir()
    make_tree(local)
    assert run(store, "put", "-r", str(local), "users/u1/rec")[0] == 0

    code, _, err = run(store, "rm", "users/u1/rec")
    assert code == 1
    assert "a folder" in err
    code, _, err = run(store, "rm", "-r", "users/u1/rec")
    assert code == 1
    assert "3 file(s)" in err
    assert "--yes" in err
    assert len(store.keys()) == 3
    code, out, err = run(store, "rm", "-r", "users/u1/rec", "--include", "*.tmp", "--yes")
    assert code == 0, err
    assert "removed 1 file(s)" in out
    code, out, err = run(store, "rm", "-r", "users/u1/rec", "--yes")
    assert code == 0, err
    assert "removed 2 file(s)" in out
    assert store.aws_keys() == {}


def test_s3_names_outside_the_settings_are_refused(store: Store) -> None:
    code, _, err = run(store, "stat", "s3://another-bucket/x")
    assert code == 2
    assert "another-bucket" in err
    code, _, err = run(store, "ls", "s3://leap-tests/not-the-prefix/x")
    assert code == 2
    assert "prefix" in err
