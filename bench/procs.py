"""Run one child process and measure its wall time and peak memory.

The command is started through :mod:`bench.launch`, a stdlib-only interpreter that forks it and
reads its ``ru_maxrss`` with ``wait4``. Forking straight from the harness would not work: Linux
carries the forking process's resident size into the child's high-water mark, so every child
would report at least the harness's own peak. ``getrusage(RUSAGE_CHILDREN)`` deltas would not
work either: its ``ru_maxrss`` is a maximum over every child ever waited for, not a sum.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

LAUNCHER = Path(__file__).with_name("launch.py")


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
    result_path = stdout_path.with_suffix(".rusage.json")
    launcher = [sys.executable, "-I", "-S", str(LAUNCHER), str(result_path)]
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        subprocess.run(
            launcher + argv,
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    measured = json.loads(result_path.read_text())
    run = ChildRun(
        returncode=measured["returncode"],
        seconds=measured["seconds"],
        peak_rss=measured["peak_rss"],
        stdout=stdout_path.read_text(errors="replace"),
        stderr=stderr_path.read_text(errors="replace"),
    )
    if check and run.returncode != 0:
        raise ChildFailedError(
            f"{' '.join(argv[:4])}... exited {run.returncode}: {run.stderr[-2000:]}"
        )
    return run
