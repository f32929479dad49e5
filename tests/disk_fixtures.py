"""A fixture mounting small tmpfs file systems, for disk-full tests (RELIABILITY F5)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """Mount small tmpfs file systems (``mount -t tmpfs -o size=...``); unmounted at teardown."""
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        point = tmp_path / f"disk{len(mounted)}"
        point.mkdir()
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            text = result.stderr.lower()
            if "permission" in text or "only root" in text or "not permitted" in text:
                pytest.skip(f"cannot mount a tmpfs here (needs root): {result.stderr.strip()}")
            raise AssertionError(f"mount failed: {result.stderr}")
        mounted.append(point)
        return point

    yield mount
    for point in reversed(mounted):
        subprocess.run(["umount", "-l", str(point)], check=False, capture_output=True)
