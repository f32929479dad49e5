"""The real app under Xvfb: ``leap-sync --demo --screenshot`` in light and dark palettes, and
in Russian (``LEAP_SYNC_LANG=ru``).

This runs the whole product end to end in a subprocess: the composition root, the SeaweedFS demo
sandbox, the ffmpeg sample recordings, both trees loading, the quota panel, a clean quit (the
sandbox stopped). The PNGs land in ``build/screenshots/`` for people to look at.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "build" / "screenshots"


@pytest.fixture(scope="module")
def xvfb_display() -> Iterator[str]:
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (make test installs the Debian package xvfb)")
    display = f":{90 + os.getpid() % 9}"
    process = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1400x900x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    if process.poll() is not None:
        pytest.fail(f"Xvfb could not start on {display}")
    yield display
    process.terminate()
    process.wait(5)


@pytest.mark.parametrize(
    ("variant", "theme", "language"),
    [("light", "light", "en"), ("dark", "dark", "en"), ("ru", "light", "ru")],
)
def test_demo_window_screenshot(
    xvfb_display: str, tmp_path: Path, variant: str, theme: str, language: str
) -> None:
    target = SHOTS / f"main-window-{variant}.png"
    target.unlink(missing_ok=True)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("STORAGE_")},
        "DISPLAY": xvfb_display,
        "QT_QPA_PLATFORM": "xcb",
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "HOME": str(tmp_path),
        "LEAP_SYNC_LANG": language,
    }
    argv = [sys.executable, "-m", "app.main", "--demo", "--screenshot", str(target)]
    if theme == "dark":
        argv.append("--dark")
    started = time.monotonic()
    result = subprocess.run(
        argv, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    image = QImage(str(target))
    assert not image.isNull()
    assert image.width() >= 1000
    assert image.height() >= 600
    # A populated window, not a blank frame: many distinct colours.
    colours = {
        image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)
    }
    assert len(colours) > 50
    # Dark means dark: the average of a strip of the window background is dim.
    sample = [
        QImage.pixelColor(image, x, image.height() - 60).lightness() for x in range(0, 400, 5)
    ]
    average = sum(sample) / len(sample)
    assert (average < 110) if theme == "dark" else (average > 150)
    # The sandbox the app started is gone once it quit.
    leftover = subprocess.run(
        ["pgrep", "-f", str(tmp_path / "data")], capture_output=True, text=True, check=False
    )
    assert leftover.stdout.strip() == "", "the demo SeaweedFS outlived the app"
    assert time.monotonic() - started < 120


def test_sigterm_quits_the_demo_app_within_five_seconds(xvfb_display: str, tmp_path: Path) -> None:
    """RELIABILITY F10 from outside: SIGTERM closes the window, the sandbox stops, exit 0."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("STORAGE_")},
        "DISPLAY": xvfb_display,
        "QT_QPA_PLATFORM": "xcb",
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "HOME": str(tmp_path),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "app.main", "--demo"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    marker = tmp_path / "data" / "LeapSync" / "Leap Sync" / "demo" / "samples-created"
    deadline = time.monotonic() + 90
    while not marker.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.1)
    assert marker.exists(), "the demo never finished starting"
    time.sleep(1.0)  # let the trees and usage count start their requests
    process.send_signal(signal.SIGTERM)
    started = time.monotonic()
    try:
        _out, err = process.communicate(timeout=10)
    finally:
        process.kill()
    assert time.monotonic() - started < 5.0
    assert process.returncode == 0, err[-3000:]
    leftover = subprocess.run(
        ["pgrep", "-f", str(tmp_path / "data")], capture_output=True, text=True, check=False
    )
    assert leftover.stdout.strip() == "", "the demo SeaweedFS outlived the app"
