"""How fast a 20,000-object bucket prefix shows in the S3 tree, and how long the window freezes.

Runs the app's real pieces on one qasync loop, offscreen, against a SeaweedFS sandbox: the
``StorageTreeModel`` filled by a ``TreeLoader`` over ``S3StorageBackend``. Scenarios:

- ``model``: model + loader + the pane's filter proxy, no widget (what the test suite asserts);
- ``pane``: the ``TreePane`` shown, the prefix expanded by the view as a user would;
- ``pane-size``: the same, sorted by size (new pages then land among the old rows).

Measured per run: time from the expand to the first inserted rows, time to the whole listing, the
longest pause of a 10 ms QTimer (the freeze a user feels) and the list requests made. On the loaded
folder, the ``pane`` scenarios also time a header click (re-sort) and a filter keystroke.

    python -m bench.tree_first_rows [--count 20000] [--reps 3] [--out bench/TREE_FIRST_ROWS.md]

``--relayout`` instead times one full layout of an open ``--count``-row folder by the view (the
step every insert under an open folder repeats), through the pane's filter proxy and with the view
on the tree model directly, in CPU time of the GUI thread; no server is needed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import aiohttp
import boto3
import qasync
from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtWidgets import QApplication

from app.models.storage_tree import NAME_COLUMN, SIZE_COLUMN, StorageTreeModel
from app.services.tree_loader import TreeLoader
from app.views.tree_pane import TreePane, make_proxy
from file_storage import S3StorageBackend
from file_storage.sandbox import SeaweedSandbox

BUCKET = "tree-bench"
SCENARIOS = ("model", "pane", "pane-size")


@dataclass
class Run:
    scenario: str
    first_rows_ms: float
    all_rows_s: float
    max_gap_ms: float
    p99_gap_ms: float
    requests: int
    resort_ms: float | None = None
    filter_ms: float | None = None
    max_cpu_ms: float | None = None
    p99_cpu_ms: float | None = None


class GapProbe:
    """Records the gaps between ticks of a 10 ms QTimer, and the GUI thread's CPU time in each
    (what the app itself spent: unlike the gap, it does not grow when other processes take the
    cores)."""

    def __init__(self) -> None:
        self.gaps_ms: list[float] = []
        self.cpu_ms: list[float] = []
        self._last = time.perf_counter()
        self._last_cpu = time.thread_time()
        self._timer = QTimer()
        self._timer.setInterval(10)
        self._timer.timeout.connect(self._tick)
        self._timer.start()

    def _tick(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        self.gaps_ms.append((now - self._last) * 1000)
        self.cpu_ms.append((cpu - self._last_cpu) * 1000)
        self._last, self._last_cpu = now, cpu

    def stop(self) -> list[float]:
        self._timer.stop()
        self._tick()
        return self.gaps_ms


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


async def populate(filer_url: str, folder: str, count: int) -> None:
    """Create ``count`` empty objects through the filer (ten times faster than S3 PUTs)."""
    semaphore = asyncio.Semaphore(32)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=32)) as http:

        async def put(i: int) -> None:
            async with semaphore, http.put(f"{filer_url}/{folder}/obj_{i:05d}.bin", data=b"") as r:
                r.raise_for_status()

        await asyncio.gather(*(put(i) for i in range(count)))


async def wait_for(event: asyncio.Event, timeout: float = 120) -> None:
    await asyncio.wait_for(event.wait(), timeout)


async def one_run(s3: S3StorageBackend, scenario: str, count: int) -> Run:
    model = StorageTreeModel("s3")
    loader = TreeLoader(s3, None, model)
    done: dict[str, asyncio.Event] = {"": asyncio.Event(), "bulk": asyncio.Event()}
    loader.loadFinished.connect(lambda path, _n: done[path].set() if path in done else None)
    pane: TreePane | None = None
    if scenario == "model":
        proxy = make_proxy(model)
        proxy.sort(NAME_COLUMN)
        model.fetchMore(QModelIndex())
    else:
        pane = TreePane(model, "remoteTree", "S3 bucket")
        pane.resize(1000, 700)
        pane.show()
        proxy = pane.proxy
        if scenario == "pane-size":
            pane.view.sortByColumn(SIZE_COLUMN, Qt.SortOrder.DescendingOrder)
    await wait_for(done[""])
    bulk = model.index_for("bulk")
    proxy.rowCount(proxy.mapFromSource(bulk))

    first = asyncio.Event()
    model.rowsInserted.connect(lambda parent, *_: first.set() if parent == bulk else None)
    requests = s3.stats.requests
    probe = GapProbe()
    started = time.perf_counter()
    if pane is not None:
        pane.view.expand(proxy.mapFromSource(bulk))
    else:
        model.fetchMore(bulk)
    await wait_for(first)
    first_ms = (time.perf_counter() - started) * 1000
    await wait_for(done["bulk"])
    all_s = time.perf_counter() - started
    await asyncio.sleep(0.3)  # let the view finish laying out what arrived last
    gaps = probe.stop()
    assert model.rowCount(bulk) == count, model.rowCount(bulk)
    run = Run(
        scenario,
        first_ms,
        all_s,
        max(gaps),
        percentile(gaps, 99),
        s3.stats.requests - requests,
        max_cpu_ms=max(probe.cpu_ms),
        p99_cpu_ms=percentile(probe.cpu_ms, 99),
    )
    if pane is not None:
        run.resort_ms, run.filter_ms = await interactions(pane)
        pane.close()
        pane.deleteLater()
    await loader.aclose()
    return run


async def interactions(pane: TreePane) -> tuple[float, float]:
    """Time a header click (re-sort) and a filter keystroke on the loaded folder, paint included."""
    app = QApplication.instance()
    assert app is not None
    started = time.perf_counter()
    pane.view.sortByColumn(NAME_COLUMN, Qt.SortOrder.DescendingOrder)
    app.processEvents()
    resort_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    # The rows a typed filter keeps (what the pane does once typing pauses; the store search
    # it also starts runs on the loop and is not timed here).
    pane.proxy.setFilterFixedString("obj_1999")
    app.processEvents()
    filter_ms = (time.perf_counter() - started) * 1000
    pane.proxy.setFilterFixedString("")
    app.processEvents()
    return resort_ms, filter_ms


def report(runs: list[Run], count: int, reps: int) -> str:
    lines = [
        f"# First rows of a {count:,}-object S3 prefix in the tree",
        "",
        f"- Command: `python -m bench.tree_first_rows --count {count} --reps {reps}`",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"- Machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        "SeaweedFS `weed mini` on loopback, Qt offscreen",
        "- Gap: longest pause between ticks of a 10 ms QTimer from the expand to the end of the"
        " listing (p99 over all ticks beside it). CPU: the GUI thread's CPU time between two"
        " ticks (max, p99), which other processes on the machine do not inflate. Medians over"
        " the repetitions; every run below.",
        f"- Load average when the report was written: {os.getloadavg()[0]:.1f}",
        "",
        "| scenario | first rows (ms) | all rows (s) | max gap (ms) | p99 gap (ms) "
        "| max CPU/tick (ms) | p99 CPU/tick (ms) | requests | re-sort (ms) | filter (ms) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def cell(values: list[float | None], digits: int = 0) -> str:
        present = [v for v in values if v is not None]
        return f"{statistics.median(present):.{digits}f}" if present else "—"

    for scenario in SCENARIOS:
        mine = [r for r in runs if r.scenario == scenario]
        if not mine:
            continue
        lines.append(
            f"| {scenario} | {cell([r.first_rows_ms for r in mine])} "
            f"| {cell([r.all_rows_s for r in mine], 2)} | {cell([r.max_gap_ms for r in mine])} "
            f"| {cell([r.p99_gap_ms for r in mine])} | {cell([r.max_cpu_ms for r in mine])} "
            f"| {cell([r.p99_cpu_ms for r in mine])} | {cell([r.requests for r in mine])} "
            f"| {cell([r.resort_ms for r in mine])} | {cell([r.filter_ms for r in mine])} |"
        )
    lines += ["", "Every run:", ""]
    lines += [f"- {r}" for r in runs]
    return "\n".join(lines) + "\n"


async def main_async(args: argparse.Namespace, sandbox: SeaweedSandbox) -> list[Run]:
    s3 = S3StorageBackend(
        BUCKET,
        prefix="p",
        access_key_id=sandbox.access_key,
        secret_access_key=sandbox.secret_key,
        endpoint_url=sandbox.endpoint_url,
    )
    runs: list[Run] = []
    async with s3:
        for rep in range(args.reps):
            for scenario in args.scenarios:
                run = await one_run(s3, scenario, args.count)
                print(f"rep {rep + 1} {run}", file=sys.stderr)
                runs.append(run)
    return runs


def relayout_cost(count: int, reps: int = 3) -> str:
    """CPU ms of one full view layout of a ``count``-row open folder: via the proxy, direct."""
    from datetime import UTC, datetime

    from PySide6.QtWidgets import QTreeView

    from file_storage.backends.base import ObjectInfo

    app = QApplication.instance() or QApplication([])
    model = StorageTreeModel("s3")
    model.fetchMore(QModelIndex())
    model.add_page("", ["bulk"], [])
    model.finish_loading("")
    bulk = model.index_for("bulk")
    model.fetchMore(bulk)
    now = datetime.now(UTC)
    files = [ObjectInfo(f"bulk/obj_{i:05d}.bin", i, now, None) for i in range(count)]
    model.add_page("bulk", [], files)
    model.finish_loading("bulk")
    pane = TreePane(model, "remoteTree", "S3 bucket")
    direct = QTreeView()
    direct.setUniformRowHeights(True)
    direct.setModel(model)
    results = []
    for name, view, index in (
        ("through the filter proxy (the pane)", pane.view, pane.proxy.mapFromSource(bulk)),
        ("on the tree model directly", direct, bulk),
    ):
        view.resize(1000, 700)
        view.show()
        view.expand(index)
        app.processEvents()
        times = []
        for _ in range(reps):
            started = time.thread_time()
            view.doItemsLayout()
            times.append((time.thread_time() - started) * 1000)
        results.append(f"| {name} | {count:,} | {statistics.median(times):.0f} |")
        view.close()
    header = [
        f"- Command: `python -m bench.tree_first_rows --relayout --count {count}`",
        f"- Load average: {os.getloadavg()[0]:.1f}",
        "",
        "| view | rows open | CPU ms per full layout (median) |",
        "|---|---:|---:|",
    ]
    return "\n".join(header + results) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--out", type=Path)
    parser.add_argument("--relayout", action="store_true", help="time one view layout only")
    args = parser.parse_args()
    if args.relayout:
        print(relayout_cost(args.count, args.reps))
        return
    args.scenarios = [s for s in args.scenarios.split(",") if s]
    with tempfile.TemporaryDirectory(prefix="tree-bench-") as work:
        sandbox = SeaweedSandbox(Path(work))
        sandbox.start()
        try:
            client = boto3.client(
                "s3",
                endpoint_url=sandbox.endpoint_url,
                aws_access_key_id=sandbox.access_key,
                aws_secret_access_key=sandbox.secret_key,
                region_name="us-east-1",
            )
            client.create_bucket(Bucket=BUCKET)
            client.close()
            filer = f"http://127.0.0.1:{sandbox.ports['filer.port']}/buckets/{BUCKET}"
            started = time.perf_counter()
            asyncio.run(populate(filer, "p/bulk", args.count))
            print(f"populated in {time.perf_counter() - started:.1f} s", file=sys.stderr)
            app = QApplication.instance() or QApplication([])
            app.setQuitOnLastWindowClosed(False)  # each run closes its pane
            loop = qasync.QEventLoop(app)
            with loop:
                runs = loop.run_until_complete(main_async(args, sandbox))
        finally:
            sandbox.stop()
    text = report(runs, args.count, args.reps)
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
