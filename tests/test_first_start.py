"""First start of an installed app: with nothing configured and no demo server, open anyway."""

from __future__ import annotations

import argparse
import os
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
