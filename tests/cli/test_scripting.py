"""Scripting with ``leap-storage``: --json shapes, exit codes, -q, --help examples, shell
completion, and cleanup-uploads on a server that cannot list multipart uploads."""

from __future__ import annotations

import json
from pathlib import Path

import click
from click.testing import CliRunner

from file_storage.cli.main import cli
from tests.cli.conftest import Store
from tests.cli.refusing_proxy import RefusingProxy


def invoke(store: Store, *args: str, **env: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env={**store.env, **env})
    return result.exit_code, result.stdout, result.stderr


def local_files(store: Store, *names: str) -> None:
    for name in names:
        path = store.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name)


def test_diff_and_sync_exit_codes_and_json(store: Store) -> None:
    local_files(store, "users/u1/r1/a.json", "users/u1/r1/b.json", "users/u1/r1/skip.tmp")
    store.env["STORAGE_TYPE"] = "LOCAL"

    code, out, _ = invoke(store, "diff", "--json", "--exclude", "*.tmp")
    assert code == 1  # the sides differ
    report = json.loads(out)
    assert report["differ"] is True
    assert report["counts"]["only-local"] == 2
    assert {e["path"] for e in report["entries"]} == {"users/u1/r1/a.json", "users/u1/r1/b.json"}

    code, out, err = invoke(
        store, "-q", "sync", "/", "--mode", "upload", "--json", "--exclude", "*.tmp"
    )
    assert code == 0, err
    synced = json.loads(out)
    assert synced["copied"] == 2
    assert synced["failed"] == []
    assert synced["exit_code"] == 0
    assert sorted(store.aws_keys()) == ["users/u1/r1/a.json", "users/u1/r1/b.json"]

    code, out, _ = invoke(store, "-q", "diff", "--exclude", "*.tmp")
    assert code == 0  # same files now
    assert out == ""  # -q: no summary


def test_ls_du_stat_json_shapes(store: Store, tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"v" * 2048)
    assert invoke(store, "-q", "put", str(clip), "users/user_000001/r1/video.mp4")[0] == 0
    assert invoke(store, "-q", "put", str(clip), "users/user_000001/r1/notes.txt")[0] == 0

    code, out, err = invoke(store, "ls", "-r", "--include", "*.mp4", "--json")
    assert code == 0, err
    listed = json.loads(out)
    assert [f["path"] for f in listed["files"]] == ["users/user_000001/r1/video.mp4"]
    assert set(listed["files"][0]) == {"path", "size", "modified", "etag"}

    code, out, _ = invoke(store, "ls", "--include", "*.mp4", "--json")
    assert json.loads(out)["folders"] == ["users"]  # a folder that may hold videos stays

    code, out, _ = invoke(store, "du", "--json")
    usage = json.loads(out)
    assert (usage["files"], usage["bytes"]) == (2, 4096)
    assert usage["users"] == [{"user": "user_000001", "files": 2, "bytes": 4096}]

    code, out, _ = invoke(store, "stat", store.url("users/user_000001/r1/video.mp4"), "--json")
    assert json.loads(out)["size"] == 2048


def test_cleanup_uploads_says_when_the_server_cannot_list_them(store: Store) -> None:
    code, out, err = invoke(store, "cleanup-uploads")
    assert code == 0, err  # the control: SeaweedFS lists them
    assert "aborted 0" in out
    with RefusingProxy(store.server.endpoint_url) as proxy:
        code, out, err = invoke(store, "cleanup-uploads", STORAGE_S3_ENDPOINT_URL=proxy.url)
    assert proxy.refused, "the listing went through the proxy"
    assert code == 1
    assert "does not list unfinished multipart uploads" in err
    assert "lifecycle rule" in err


def test_every_command_shows_examples_in_its_help() -> None:
    runner = CliRunner()
    names: list[list[str]] = [[]]
    for name, command in cli.commands.items():
        if isinstance(command, click.Group):
            names += [[name, sub] for sub in command.commands]
        else:
            names.append([name])
    missing = []
    for words in names:
        shown = runner.invoke(cli, [*words, "--help"]).output
        if "Examples:" not in shown or "leap-storage" not in shown.split("Examples:")[1]:
            missing.append(" ".join(words) or "leap-storage")
    assert missing == []


def test_shell_completion_through_click() -> None:
    result = CliRunner().invoke(
        cli,
        [],
        prog_name="leap-storage",
        env={
            "_LEAP_STORAGE_COMPLETE": "bash_complete",
            "COMP_WORDS": "leap-storage sy",
            "COMP_CWORD": "1",
        },
    )
    assert "sync" in result.output


def test_migrate_with_a_filter_and_json(store: Store) -> None:
    local_files(store, "users/u1/r1/a.json", "users/u1/r1/skip.tmp")
    store.env["STORAGE_TYPE"] = "LOCAL"
    code, out, err = invoke(store, "migrate", "--to", "s3", "--exclude", "*.tmp", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert (report["copied"], report["failed"], report["exit_code"]) == (1, [], 0)
    assert list(store.aws_keys()) == ["users/u1/r1/a.json"]
