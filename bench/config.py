"""Benchmark sizes and the command line that sets them (``--quick`` for a smoke run)."""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from bench.spec import CLIENTS, WORKLOADS

KiB = 1024
MiB = 1024 * KiB

ALIASES = {
    "big": ("big_up", "big_down"),
    "small": ("small_up", "small_down"),
    "listing": ("list", "total"),
    "all": WORKLOADS,
}


@dataclass(frozen=True)
class BenchConfig:
    """What to run and how big. The defaults are the issue's workloads.

    ``note_small_count`` and ``note_quota_saves`` cut the design note's pattern down: at full size
    it needs minutes per repetition. Its times are then extrapolated from its rate and marked.
    """

    reps: int = 3
    big_mib: int = 1024
    small_count: int = 1000
    small_kib: int = 64
    list_count: int = 20_000
    list_object_bytes: int = 1024
    quota_saves: int = 1000
    note_small_count: int = 100
    note_quota_saves: int = 50
    concurrency: int = 32
    quota_gb: float = 100.0
    workloads: tuple[str, ...] = WORKLOADS
    clients: tuple[str, ...] = CLIENTS
    keep_work: bool = False
    work_root: Path = Path("bench/work")
    output: Path = Path("bench/RESULTS.md")
    profile_dir: Path | None = None
    quick: bool = False

    @property
    def big_bytes(self) -> int:
        return self.big_mib * MiB

    @property
    def small_bytes(self) -> int:
        return self.small_kib * KiB

    def describe(self) -> str:
        """One line for RESULTS.md with every size that shaped the numbers."""
        shown = {
            k: v
            for k, v in asdict(self).items()
            if k not in {"keep_work", "work_root", "output", "profile_dir"}
        }
        return ", ".join(
            f"{k}={','.join(v) if isinstance(v, tuple) else v}" for k, v in shown.items()
        )


QUICK = {
    "reps": 1,
    "big_mib": 64,
    "small_count": 100,
    "list_count": 2000,
    "quota_saves": 100,
    "note_small_count": 20,
    "note_quota_saves": 10,
}


def _names(values: list[str] | None, allowed: tuple[str, ...], what: str) -> tuple[str, ...]:
    if not values:
        return allowed
    chosen: list[str] = []
    for value in values:
        for name in value.split(","):
            expanded = ALIASES.get(name, (name,)) if what == "workload" else (name,)
            for item in expanded:
                if item not in allowed:
                    raise SystemExit(f"Unknown {what} {item!r}; choose from {', '.join(allowed)}")
                if item not in chosen:
                    chosen.append(item)
    return tuple(n for n in allowed if n in chosen)


def parse_args(argv: list[str] | None = None) -> BenchConfig:
    """Build the config: defaults, then ``--quick``, then explicit flags win."""
    p = argparse.ArgumentParser(
        prog="python -m bench.run_bench",
        description="Benchmark file_storage against the design note's pattern, aws and s5cmd.",
    )
    p.add_argument("--quick", action="store_true", help="small sizes and 1 repetition")
    p.add_argument("--reps", type=int, help="repetitions per workload (median of these)")
    p.add_argument(
        "--only",
        action="append",
        metavar="WORKLOAD",
        help=f"run only these (comma list, repeatable): {', '.join(WORKLOADS)}, "
        f"or {', '.join(ALIASES)}",
    )
    p.add_argument("--clients", action="append", help=f"subset of {', '.join(CLIENTS)}")
    p.add_argument("--big-mib", type=int, help="size of the big file (MiB)")
    p.add_argument("--small-count", type=int, help="number of small files")
    p.add_argument("--small-kib", type=int, help="size of each small file and save (KiB)")
    p.add_argument("--list-count", type=int, help="objects to list and sum")
    p.add_argument("--quota-saves", type=int, help="saves with a quota set")
    p.add_argument("--note-small-count", type=int, help="small files for the note's pattern")
    p.add_argument("--note-quota-saves", type=int, help="saves for the note's pattern")
    p.add_argument("--concurrency", type=int, help="in-flight operations (in-process clients)")
    p.add_argument("--output", type=Path, help="where to write the Markdown report")
    p.add_argument("--keep-work", action="store_true", help="keep bench/work/<run> afterwards")
    p.add_argument(
        "--profile-dir",
        type=Path,
        help="cProfile every in-process run into this folder (times include profiler overhead)",
    )
    args = p.parse_args(argv)
    config = BenchConfig()
    if args.quick:
        config = replace(config, quick=True, **QUICK)
    overrides = {
        name: getattr(args, name)
        for name in (
            "reps",
            "big_mib",
            "small_count",
            "small_kib",
            "list_count",
            "quota_saves",
            "note_small_count",
            "note_quota_saves",
            "concurrency",
            "output",
            "profile_dir",
        )
        if getattr(args, name) is not None
    }
    config = replace(
        config,
        workloads=_names(args.only, WORKLOADS, "workload"),
        clients=_names(args.clients, CLIENTS, "client"),
        keep_work=args.keep_work,
        **overrides,
    )
    if config.reps < 1:
        raise SystemExit("--reps must be at least 1")
    return config
