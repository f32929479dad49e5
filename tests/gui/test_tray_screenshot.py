"""The tray icon's states in a real tray host: Xvfb plus ``trayer`` (Debian package ``trayer``).

The pictures go to ``build/screenshots/tray-*.png``; the test checks that the host really shows
the icon in each state's colour (and the error's red only in the error state).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


@pytest.fixture
def tray_display() -> Iterator[str]:
    """A private X display with a tray host at its top right corner."""
    if shutil.which("Xvfb") is None or shutil.which("trayer") is None:
        pytest.skip("needs Xvfb and trayer (apt-get install -y xvfb trayer)")
    read, write = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "640x400x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        display = f":{pipe.readline().strip()}"
    env = {**os.environ, "DISPLAY": display}
    trayer = subprocess.Popen(
        [
            "trayer", "--edge", "top", "--align", "right", "--widthtype", "pixel",
            "--width", "160", "--height", "32", "--tint", "0xdddddd",
            "--transparent", "true", "--alpha", "0",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(0.8)
    try:
        yield display
    finally:
        trayer.kill()  # it ignores SIGTERM for seconds
        trayer.wait(5)
        xvfb.terminate()
        xvfb.wait(5)


def test_the_tray_host_shows_each_state(tray_display: str) -> None:
    env = {**os.environ, "DISPLAY": tray_display, "QT_QPA_PLATFORM": "xcb"}
    done = subprocess.run(
        [sys.executable, "-m", "tests.gui.tray_shots", str(SHOTS)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    shares = {
        name: (float(own), float(red))
        for name, own, red in (line.split() for line in done.stdout.splitlines())
    }
    for state in ("idle", "syncing", "paused", "error", "quota"):
        own, red = shares[f"tray-{state}.png"]
        assert own > 0.01, f"{state}: the tray shows no icon in the state's colour"
        if state != "error":
            assert red < 0.002, f"{state}: the error's red is on show"
        assert (SHOTS / f"tray-{state}.png").stat().st_size > 1000
    assert (SHOTS / "tray-menu.png").exists()
