"""Facts about the machine and tools, so a result can be compared with a later run."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import psutil

from bench.cli_tools import aws_binary, s5cmd_binary
from file_storage.sandbox import find_weed


def _first_line(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    except OSError as exc:
        return f"unavailable ({exc})"
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0] if text else "unknown"


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def git_revision() -> str:
    """The commit the library was measured at, and whether file_storage had local changes."""
    head = _first_line(["git", "rev-parse", "--short", "HEAD"])
    status = subprocess.run(
        ["git", "status", "--porcelain", "--", "file_storage"],
        capture_output=True,
        text=True,
        check=False,
    )
    dirty = bool(status.stdout.strip())
    return head + (" + uncommitted changes in file_storage/" if dirty else "")


def machine_facts() -> dict[str, str]:
    memory = psutil.virtual_memory().total
    return {
        "nproc": str(len(os.sched_getaffinity(0))),
        "memory": f"{memory / 1024**3:.1f} GiB",
        "CPU model": cpu_model(),
        "kernel": platform.release(),
        "Python": sys.version.split()[0],
        "SeaweedFS (`weed version`)": _first_line([str(find_weed()), "version"]),
        "s5cmd": _first_line([s5cmd_binary(), "version"]),
        "aws CLI": _first_line([aws_binary(), "--version"]),
        "file_storage at": git_revision(),
    }
