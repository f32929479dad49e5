"""First start of an installed app: with nothing configured and no demo server, open anyway."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.main import demo_available, resolve_settings


async def test_without_the_sandbox_binary_the_app_opens_on_a_local_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bundle ships without SeaweedFS: the first start must reach Settings, not crash."""
    for name in list(os.environ):
        if name.startswith("STORAGE_") or name == "LEAP_WEED":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    monkeypatch.setattr(sys, "executable", str(tmp_path / "bundle" / "leap-sync"))
    assert not demo_available()
    args = argparse.Namespace(demo=False)
    startup, demo = await resolve_settings(args, tmp_path / "config", tmp_path / "data")
    assert demo is None
    assert startup.label == "No connection"
    assert startup.settings.local_path == tmp_path / "data" / "store"
    assert startup.settings.s3_bucket == ""
    assert "open Settings" in startup.warning
    assert "weed" in startup.warning


def broken_weed(folder: Path) -> Path:
    """A stand-in server binary that exits at once, as weed does when it cannot start."""
    folder.mkdir(parents=True, exist_ok=True)
    weed = folder / "weed"
    weed.write_text("#!/bin/sh\necho 'cannot start' >&2\nexit 1\n")
    weed.chmod(0o755)
    return weed


async def test_a_demo_that_cannot_start_opens_a_local_store_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("STORAGE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LEAP_WEED", str(broken_weed(tmp_path / "bin")))
    args = argparse.Namespace(demo=False)
    startup, demo = await resolve_settings(args, tmp_path / "config", tmp_path / "data")
    assert demo is None
    assert startup.label == "No connection"
    assert "the demo could not start" in startup.warning
    assert "SeaweedFS exited at start" in startup.warning


def test_the_demo_asked_for_by_name_fails_in_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORAGE_")}
    env |= {
        "LEAP_WEED": str(broken_weed(tmp_path / "bin")),
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "app.main", "--demo"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("leap-sync: error: SeaweedFS exited")
    assert "Traceback" not in done.stderr
