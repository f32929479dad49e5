"""A dropped file's original name: kept by ``leap-storage put`` and carried to S3 by a sync."""

from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner

from file_storage.cli.main import cli
from file_storage.sync import SyncExecutor, build_plan, compare
from tests.sync.conftest import Pair

SOURCE = "users/user_000042/recordings/lekciya-5/source.mp4"


def test_put_under_a_layout_name_keeps_the_original_name(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORAGE_")}
    env |= {"STORAGE_TYPE": "LOCAL", "STORAGE_LOCAL_PATH": str(tmp_path / "store")}
    dropped = tmp_path / "Лекция 5.mp4"
    dropped.write_bytes(b"video")
    runner = CliRunner()
    put = runner.invoke(cli, ["put", str(dropped), SOURCE], env=env)
    assert put.exit_code == 0, put.output
    shown = runner.invoke(cli, ["stat", "--json", SOURCE], env=env)
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["original_name"] == "Лекция 5.mp4"
    same = runner.invoke(cli, ["put", str(dropped), "users/user_000042/"], env=env)
    assert same.exit_code == 0, same.output
    plain = runner.invoke(cli, ["stat", "users/user_000042/Лекция 5.mp4"], env=env)
    assert "original name" not in plain.output  # stored under its own name: nothing to keep


async def test_sync_upload_carries_the_original_name(pair: Pair, tmp_path: Path) -> None:
    dropped = tmp_path / "Итоги недели.mkv"
    dropped.write_bytes(b"recording")
    await pair.local.upload_file(SOURCE, dropped, original_name=dropped.name)
    plan = build_plan(await compare(pair.local, pair.remote, pair.index, "users"), "upload")
    report = await SyncExecutor(pair.local, pair.remote, pair.index).execute(plan)
    assert report.ok, report.failed
    assert (await pair.remote.stat(SOURCE)).original_name == "Итоги недели.mkv"
