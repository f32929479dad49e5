"""Idle cost of a running app whose background sync watches 20,000 files (issue 13).

The parent starts a SeaweedFS sandbox, makes a local store of ``--files`` small files (200 users x
10 recordings x 10 files for 20,000), syncs it once in a separate process (so both sides and the
sync history agree; that upload is not idle time), then starts the *app* in a child process,
offscreen: the real composition root (``build_workspace`` -> ``compose_window`` ->
``start_workspace``) with one two-way sync pair over ``users`` at the default settings (settle
5 s, bucket listing every 300 s). Once the pair's first run is done, the parent samples the
child's CPU time and RSS with psutil every 5 s for ``--minutes``; then the same app without a pair
for ``--baseline-minutes``.

    python -m bench.background_idle [--files 20000] [--minutes 10] [--out bench/BACKGROUND_IDLE.md]

Target (issue 13): under 1 % of one core and under 200 MB RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BUCKET = "bench-idle"
SAMPLE_S = 5.0


# ----------------------------------------------------------------- the child: the app


def child_settings(store: Path, data: Path, endpoint: str, key: str, secret: str) -> Any:
    from file_storage.settings import StorageSettings

    return StorageSettings(
        local_path=store,
        s3_bucket=BUCKET,
        s3_prefix="idle",
        s3_endpoint_url=endpoint,
        s3_access_key_id=key,
        s3_secret_access_key=secret,
        sync_index_path=data / "sync-index.sqlite3",
    )


async def child_seed(settings: Any, data: Path) -> None:
    """Sync the store once so both sides and the history agree (its own process: not idle)."""
    from app.workspace import build_workspace
    from file_storage.sync import SyncIndex
    from file_storage.sync.auto import PairRunner
    from file_storage.sync.pairs import PairMode, SyncPair

    workspace = build_workspace(settings, "Bench", cache_dir=data / "cache")
    assert workspace.remote is not None
    started = time.monotonic()
    pair = SyncPair("users", PairMode.TWO_WAY)
    async with SyncIndex(settings.sync_index_path) as index:
        # Settle 0: the files were made a moment ago, and nothing is writing them.
        seeder = PairRunner(workspace.local, workspace.remote, index, pair, settle_s=0.0)
        record = await seeder.sync_once()
    seconds = round(time.monotonic() - started, 1)
    print(json.dumps({"seeded": record.uploaded, "seconds": seconds}), flush=True)
    await workspace.aclose()


async def child_app(settings: Any, data: Path, *, pairs: bool) -> None:
    """The app as it runs: a window (offscreen) and background sync of one pair (or none)."""
    from app.views.log_panel import QtLogHandler
    from app.workspace import build_workspace, compose_window, start_workspace
    from file_storage.sync import pair_id
    from file_storage.sync.pairs import PairMode, PairStore, SyncPair

    workspace = build_workspace(settings, "Bench", cache_dir=data / "cache")
    assert workspace.remote is not None
    assert workspace.background is not None
    pair = SyncPair("users", PairMode.TWO_WAY, interval_s=settings.sync_interval_s)
    store_id = pair_id(workspace.local.base_path, workspace.remote.describe())
    PairStore.beside(settings.sync_index_path).set_pairs(store_id, [pair] if pairs else [])
    window = compose_window(workspace, QtLogHandler())
    window.show()
    start_workspace(workspace, window)
    background = workspace.background
    await asyncio.sleep(1)
    while not all(r.runs for r in background.runners.values()):
        await asyncio.sleep(0.5)
    runner = next(iter(background.runners.values()), None)
    mode = runner.watcher.mode if runner and runner.watcher else "no pair"
    error = runner.last.error if runner and runner.last else None
    print(json.dumps({"ready": True, "watcher": mode, "first_run_error": error}), flush=True)
    while True:
        await asyncio.sleep(60)
        print(json.dumps({"runs": sum(r.runs for r in background.runners.values())}), flush=True)


def run_child(args: argparse.Namespace) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        data = Path(args.data)
        settings = child_settings(Path(args.store), data, args.endpoint, args.key, args.secret)
        if args.seed:
            loop.run_until_complete(child_seed(settings, data))
        else:
            loop.run_until_complete(child_app(settings, data, pairs=not args.no_pairs))


# ----------------------------------------------------------------- the parent: measure


def make_store(root: Path, files: int) -> int:
    """``files`` files of 1 KiB under users/<u>/recordings/<r>/ (10 per recording)."""
    made = 0
    user = 0
    while made < files:
        for rec in range(10):
            folder = root / f"users/user_{user:06d}/recordings/rec-{rec}"
            folder.mkdir(parents=True, exist_ok=True)
            for n in range(10):
                if made >= files:
                    return made
                (folder / f"part-{n}.json").write_bytes(os.urandom(512).hex().encode())
                made += 1
        user += 1
    return made


def child_command(store: Path, data: Path, sandbox: Any, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "bench.background_idle",
        "--child",
        "--store",
        str(store),
        "--data",
        str(data),
        "--endpoint",
        sandbox.endpoint_url,
        "--key",
        sandbox.access_key,
        "--secret",
        sandbox.secret_key,
        *extra,
    ]


def _cpu(proc: Any) -> float:
    """The app's CPU seconds, with those of its ended worker processes (the compares)."""
    times = proc.cpu_times()
    return float(times.user + times.system + times.children_user + times.children_system)


def sample_app(command: list[str], minutes: float) -> dict[str, Any]:
    """Start the app child, wait for its first run, then sample CPU and RSS for ``minutes``."""
    import psutil

    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    watcher = None
    for line in child.stdout:
        message = json.loads(line)
        if message.get("ready"):
            watcher = message["watcher"]
            if message.get("first_run_error"):
                child.kill()
                raise SystemExit(f"The pair's first run failed: {message['first_run_error']}")
            break
    proc = psutil.Process(child.pid)
    cpu0 = _cpu(proc)
    wall0 = time.monotonic()
    samples: list[tuple[float, float, int]] = []  # (seconds, cpu % over the sample, rss)
    worker_rss_max = 0  # the compare's worker processes (alive only during a run)
    last_cpu, last_wall = cpu0, wall0
    while time.monotonic() - wall0 < minutes * 60:
        time.sleep(SAMPLE_S)
        rss = proc.memory_info().rss
        workers = 0
        for worker in proc.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                workers += worker.memory_info().rss
        worker_rss_max = max(worker_rss_max, workers)
        cpu, now = _cpu(proc), time.monotonic()
        samples.append((now - wall0, 100 * (cpu - last_cpu) / (now - last_wall), rss))
        last_cpu, last_wall = cpu, now
    total_cpu = last_cpu - cpu0
    wall = last_wall - wall0
    child.terminate()
    rest = child.communicate(timeout=30)[0]
    runs = [json.loads(line)["runs"] for line in rest.splitlines() if '"runs"' in line]
    rss_values = [rss for _, _, rss in samples]
    cpu_values = [cpu for _, cpu, _ in samples]
    return {
        "watcher": watcher,
        "minutes": round(wall / 60, 2),
        "cpu_percent_mean": round(100 * total_cpu / wall, 3),
        "cpu_percent_p95_5s": round(sorted(cpu_values)[int(0.95 * (len(cpu_values) - 1))], 2),
        "cpu_percent_max_5s": round(max(cpu_values), 2),
        "rss_mb_max": round(max(rss_values) / 1e6, 1),
        "rss_mb_median": round(statistics.median(rss_values) / 1e6, 1),
        "rss_mb_last": round(rss_values[-1] / 1e6, 1),
        "worker_rss_mb_max_seen": round(worker_rss_max / 1e6, 1),
        "runs_seen": runs[-1] if runs else None,
        "samples": [(round(t), round(c, 2), round(r / 1e6, 1)) for t, c, r in samples],
    }


def measure(args: argparse.Namespace) -> dict[str, Any]:
    from file_storage.sandbox import SeaweedSandbox

    work = Path(tempfile.mkdtemp(prefix="bg-idle-"))
    store, data = work / "store", work / "data"
    made = make_store(store, args.files)
    folders = sum(1 for _ in store.rglob("*") if _.is_dir())
    with SeaweedSandbox(work / "seaweed") as sandbox:
        sandbox.create_bucket(BUCKET)
        seed = subprocess.run(
            child_command(store, data, sandbox, "--seed"),
            capture_output=True,
            text=True,
            check=True,
        )
        seeded = json.loads(seed.stdout.strip().splitlines()[-1])
        result = sample_app(child_command(store, data, sandbox), args.minutes)
        baseline = sample_app(
            child_command(store, data, sandbox, "--no-pairs"), args.baseline_minutes
        )
    baseline.pop("samples")
    result.update(
        files=made,
        folders_watched=folders + 1,
        seed=seeded,
        baseline=baseline,
        machine=(
            f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
        ),
    )
    return result


def write_report(result: dict[str, Any], out: Path) -> None:
    samples = result.pop("samples")
    base = result["baseline"]
    assert isinstance(samples, list)
    assert isinstance(base, dict)
    per_minute = [s for s in samples if round(s[0]) % 60 < SAMPLE_S]
    lines = [
        "# Background sync: idle cost of a running app watching 20,000 files",
        "",
        "Measured by `python -m bench.background_idle` (see its docstring): the real app",
        "offscreen, one two-way sync pair over the store at the default settings (settle 5 s,",
        "bucket listing every 300 s), after a first sync so that both sides agree. CPU is the app",
        "process's user+system time, with that of its ended compare workers, over wall time",
        "(100 % = one core); RSS of the app process from psutil every 5 s.",
        "The baseline is the same app and store with no sync pair (background sync idle).",
        "",
        f"Machine: {result['machine']}.",
        "",
        "| Measure | Result | Target |",
        "|---|---|---|",
        f"| Files / folders watched | {result['files']} / {result['folders_watched']} "
        f"({result['watcher']}) | 20,000 files |",
        f"| Duration | {result['minutes']} min | 10 min |",
        f"| CPU, mean | **{result['cpu_percent_mean']} %** | < 1 % |",
        f"| CPU, 5 s samples: p95 / max | {result['cpu_percent_p95_5s']} % / "
        f"{result['cpu_percent_max_5s']} % | |",
        f"| RSS: median / max / last | {result['rss_mb_median']} / **{result['rss_mb_max']}** / "
        f"{result['rss_mb_last']} MB | < 200 MB |",
        f"| Compare worker process: largest RSS seen in a 5 s sample | "
        f"{result['worker_rss_mb_max_seen']} MB (only while a run compares) | |",
        f"| Background runs during the window (compare of both sides) | {result['runs_seen']} | |",
        f"| First sync before measuring (not idle) | {result['seed']} | |",
        "",
        f"Baseline, the same app without a sync pair, {base['minutes']} min: CPU mean "
        f"{base['cpu_percent_mean']} %, RSS median / max {base['rss_mb_median']} / "
        f"{base['rss_mb_max']} MB.",
        "",
        "Per minute (seconds since start, CPU % over the 5 s sample, RSS MB):",
        "",
        "```",
        *(f"{t:>5} s  {c:>6} %  {r:>7} MB" for t, c, r in per_minute),
        "```",
        "",
    ]
    out.write_text("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=Path("bench/BACKGROUND_IDLE.md"))
    parser.add_argument("--baseline-minutes", type=float, default=2.0)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-pairs", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--seed", action="store_true", help=argparse.SUPPRESS)
    for name in ("store", "data", "endpoint", "key", "secret"):
        parser.add_argument(f"--{name}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args)
        return
    result = measure(args)
    (args.out.with_suffix(".json")).write_text(json.dumps(result, indent=2))
    write_report(result, args.out)
    print(args.out.read_text())


if __name__ == "__main__":
    main()
