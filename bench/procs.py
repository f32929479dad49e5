"""Run one child process and measure its wall time and peak memory.

Peak RSS comes from ``os.wait4``: the kernel reports the child's own high-water mark (and that of
any descendants it waited for), so each measurement is exact and independent of earlier children.
``getrusage(RUSAGE_CHILDREN)`` could not do that: its ``ru_maxrss`` is a maximum over every child
ever waited for, so a small run after a big one would inherit the big one's number.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ChildRun:
    """What one child did: exit code, wall seconds, peak RSS and its captured output."""

    returncode: int
    seconds: float
    peak_rss: int
    stdout: str
    stderr: str


class ChildFailedError(RuntimeError):
    """A measured command exited non-zero; the benchmark must not report its time."""


def run_measured(
    argv: list[str],
    *,
    env: dict[str, str],
    cwd: Path,
    stdout_path: Path,
    stderr_path: Path,
    check: bool = True,
) -> ChildRun:
    """Run ``argv`` to completion; output goes to files so big listings cost no pipe reads."""
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            argv, env=env, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL
        )
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
    run = ChildRun(
        returncode=process.returncode,
        seconds=seconds,
        peak_rss=usage.ru_maxrss * 1024,  # Linux reports KiB
        stdout=stdout_path.read_text(errors="replace"),
        stderr=stderr_path.read_text(errors="replace"),
    )
    if check and run.returncode != 0:
        raise ChildFailedError(
            f"{' '.join(argv[:4])}... exited {run.returncode}: {run.stderr[-2000:]}"
        )
    return run
