"""The PyInstaller bundle, built once per test session (or reused while its sources are unchanged).

``packaging/build_bundle.py`` builds into ``build/bundle/dist`` unless ``dist/leap-sync`` (from
``make package``) or an earlier test build was made from the very same sources. A failed build
fails the tests that need it: they are the proof that the bundle works, so they never skip.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT = 900


@pytest.fixture(scope="session")
def bundle() -> Path:
    """The folder of the one-folder bundle (it holds the ``leap-sync`` executable)."""
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "packaging" / "build_bundle.py"),
            "--dist",
            str(ROOT / "build" / "bundle" / "dist"),
            "--work",
            str(ROOT / "build" / "bundle" / "work"),
            "--reuse",
            str(ROOT / "dist"),
        ],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"the bundle did not build:\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}")
    lines = result.stdout.strip().splitlines()
    folder = Path(lines[-1])
    sys.stderr.write(f"\n[bundle] {' | '.join(lines[:-1])} ({time.monotonic() - started:.0f} s)\n")
    assert (folder / "leap-sync").is_file(), result.stdout
    return folder
