"""Turn the measured runs into medians, ratios, target verdicts and ``RESULTS.md``.

Times of clients that ran a reduced count (the design note's pattern, which is too slow to run
at full size on every repetition) are extrapolated from their measured rate and always marked so.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from bench.spec import CLIENTS, PEERS

MiB = 1024 * 1024
RSS_LIMIT = 200 * 1000 * 1000  # "under 200 MB", read strictly as decimal megabytes

UNITS = {
    "big_up": "MiB/s",
    "big_down": "MiB/s",
    "small_up": "files/s",
    "small_down": "files/s",
    "list": "objects/s",
    "total": "objects/s",
    "quota": "saves/s",
}

TITLES = {
    "big_up": "Upload one big file",
    "big_down": "Download one big file",
    "small_up": "Upload many small files",
    "small_down": "Download many small files",
    "list": "List every object under a prefix",
    "total": "Bucket total (sum of sizes) under a prefix",
    "quota": "Saves with a quota set",
}


@dataclass
class RunResult:
    """One client running one workload once."""

    workload: str
    client: str
    rep: int
    position: int
    seconds: float
    process_seconds: float
    peak_rss: int
    items: int
    nbytes: int
    full_count: int
    value: int | None = None
    requests: int | None = None
    listings: int | None = None
    rss_idle: int | None = None
    rss_hwm: int | None = None
    load1: float | None = None

    def rate(self) -> float:
        """Throughput in the workload's unit (see :data:`UNITS`)."""
        if UNITS[self.workload] == "MiB/s":
            return self.nbytes / MiB / self.seconds
        return self.items / self.seconds


@dataclass
class Summary:
    """Medians of one client on one workload, and how it compares with the peers."""

    workload: str
    client: str
    runs: list[RunResult]
    ratios: dict[str, float] = field(default_factory=dict)

    @property
    def scaled(self) -> bool:
        return self.runs[0].items < self.runs[0].full_count

    @property
    def measured_seconds(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def rate(self) -> float:
        return statistics.median(r.rate() for r in self.runs)

    @property
    def seconds(self) -> float:
        """Median time for the full workload, extrapolated from the rate if the count was cut."""
        if not self.scaled:
            return self.measured_seconds
        return self.runs[0].full_count / statistics.median(r.items / r.seconds for r in self.runs)

    @property
    def peak_rss_median(self) -> float:
        return statistics.median(r.peak_rss for r in self.runs)

    @property
    def peak_rss_max(self) -> int:
        return max(r.peak_rss for r in self.runs)


def summarize(results: list[RunResult]) -> dict[str, dict[str, Summary]]:
    """Group runs by workload and client, then compute ratios to s5cmd and to the best peer."""
    table: dict[str, dict[str, Summary]] = {}
    for result in results:
        by_client = table.setdefault(result.workload, {})
        summary = by_client.setdefault(result.client, Summary(result.workload, result.client, []))
        summary.runs.append(result)
    for by_client in table.values():
        peers = {c: s.seconds for c, s in by_client.items() if c in PEERS}
        best = min(peers.values()) if peers else None
        for summary in by_client.values():
            if "s5cmd" in peers:
                summary.ratios["s5cmd"] = summary.seconds / peers["s5cmd"]
            if best:
                summary.ratios["best"] = summary.seconds / best
    return table


def ratio_lines(table: dict[str, dict[str, Summary]]) -> list[str]:
    """One line per peer: file_storage's median time over the peer's, workload by workload.

    Below 1.00x file_storage was faster. Workloads the peer did not run are left out.
    """
    lines = []
    for peer in ("s5cmd", "aws"):
        cells = []
        for workload, by_client in table.items():
            ours, theirs = by_client.get("file_storage"), by_client.get(peer)
            if ours is not None and theirs is not None and theirs.seconds > 0:
                cells.append(f"{workload} {ours.seconds / theirs.seconds:.2f}x")
        if cells:
            lines.append(f"file_storage / {peer} (median time ratio): {', '.join(cells)}")
    return lines


@dataclass(frozen=True)
class Verdict:
    target: str
    measured: str
    met: bool | None  # None: not measured in this run


def _ratio_verdict(
    table: dict[str, dict[str, Summary]], workload: str, limit: float, label: str
) -> Verdict:
    fs = table.get(workload, {}).get("file_storage")
    if fs is None or "s5cmd" not in fs.ratios:
        return Verdict(f"{label} <= {limit:.2f}x s5cmd", "not measured", None)
    ratio = fs.ratios["s5cmd"]
    peer = table[workload]["s5cmd"]
    return Verdict(
        f"{label} <= {limit:.2f}x s5cmd",
        f"{ratio:.2f}x ({fs.seconds:.2f} s vs {peer.seconds:.2f} s)",
        ratio <= limit,
    )


def verdicts(table: dict[str, dict[str, Summary]]) -> list[Verdict]:
    """Check the issue's targets, each as a ratio to s5cmd measured in the same run."""
    out = [
        _ratio_verdict(table, "big_up", 1.05, "Big file upload"),
        _ratio_verdict(table, "big_down", 1.3, "Big file download"),
        _ratio_verdict(table, "small_up", 1.0, "Small files upload"),
        _ratio_verdict(table, "small_down", 1.0, "Small files download"),
        _ratio_verdict(table, "list", 1.5, "Listing"),
    ]
    fs_runs = [s for w in table.values() for c, s in w.items() if c == "file_storage"]
    if fs_runs:
        worst = max(fs_runs, key=lambda s: s.peak_rss_max)
        out.append(
            Verdict(
                "file_storage peak RSS < 200 MB (190.7 MiB) in every workload",
                f"max {worst.peak_rss_max / MiB:.1f} MiB ({worst.workload})",
                worst.peak_rss_max < RSS_LIMIT,
            )
        )
    quota = table.get("quota", {}).get("file_storage")
    if quota is not None:
        listings = max(r.listings or 0 for r in quota.runs)
        per_save = statistics.median((r.requests or 0) / r.items for r in quota.runs)
        out.append(
            Verdict(
                "A quota-checked save costs no listing",
                f"{listings} listing(s) for {quota.runs[0].items} saves (one initial count); "
                f"{per_save:.2f} requests/save including that count",
                listings <= 1,
            )
        )
    else:
        out.append(Verdict("A quota-checked save costs no listing", "not measured", None))
    return out


def _fmt_rate(value: float) -> str:
    return f"{value:,.2f}" if value < 10 else f"{value:,.1f}"


def _fmt_rss(value: float) -> str:
    return f"{value / MiB:.0f}"


def _fmt_ratio(summary: Summary, key: str) -> str:
    value = summary.ratios.get(key)
    return "—" if value is None else f"{value:.2f}x"


def workload_table(workload: str, by_client: dict[str, Summary]) -> list[str]:
    """Markdown rows for one workload, clients in the fixed order of :data:`CLIENTS`."""
    unit = UNITS[workload]
    lines = [
        f"| client | median time (s) | all runs (s) | {unit} (median) | peak RSS MiB median "
        "(max) | vs s5cmd | vs best peer |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for client in CLIENTS:
        summary = by_client.get(client)
        if summary is None:
            continue
        runs = ", ".join(f"{r.seconds:.2f}" for r in sorted(summary.runs, key=lambda r: r.rep))
        time_cell = f"{summary.seconds:.2f}"
        if summary.scaled:
            time_cell = f"{summary.seconds:.1f} † (est.)"
            runs = f"{runs} (for {summary.runs[0].items} of {summary.runs[0].full_count})"
        lines.append(
            f"| {client} | {time_cell} | {runs} | {_fmt_rate(summary.rate)} | "
            f"{_fmt_rss(summary.peak_rss_median)} ({_fmt_rss(summary.peak_rss_max)}) | "
            f"{_fmt_ratio(summary, 's5cmd')} | {_fmt_ratio(summary, 'best')} |"
        )
    return lines


def quota_table(by_client: dict[str, Summary]) -> list[str]:
    lines = [
        "| client | saves per run | median time (s) | all runs (s) | saves/s | est. time for "
        "the full count (s) | full listings per run | requests per save | peak RSS MiB |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for client, summary in by_client.items():
        first = summary.runs[0]
        runs = ", ".join(f"{r.seconds:.2f}" for r in sorted(summary.runs, key=lambda r: r.rep))
        est = f"{summary.seconds:.1f}" + (" † (est.)" if summary.scaled else "")
        per_save = statistics.median((r.requests or 0) / r.items for r in summary.runs)
        listings = statistics.median(r.listings or 0 for r in summary.runs)
        lines.append(
            f"| {client} | {first.items} | {summary.measured_seconds:.2f} | {runs} | "
            f"{_fmt_rate(summary.rate)} | {est} | {listings:g} | {per_save:.2f} | "
            f"{_fmt_rss(summary.peak_rss_max)} |"
        )
    return lines


def raw_table(results: list[RunResult]) -> list[str]:
    """Every run in execution order: proves the interleaving and shows process-level times."""
    lines = [
        "| # | workload | rep | client | time (s) | process wall (s) | peak RSS MiB | "
        "idle RSS MiB | requests | items | load avg before |",
        "|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for number, r in enumerate(results, 1):
        idle = "—" if r.rss_idle is None else _fmt_rss(r.rss_idle)
        requests = "—" if r.requests is None else str(r.requests)
        load = "—" if r.load1 is None else f"{r.load1:.2f}"
        lines.append(
            f"| {number} | {r.workload} | {r.rep} | {r.client} | {r.seconds:.3f} | "
            f"{r.process_seconds:.3f} | {_fmt_rss(r.peak_rss)} | {idle} | {requests} | "
            f"{r.items} | {load} |"
        )
    return lines


def render(
    results: list[RunResult], meta: dict[str, Any], facts: dict[str, str], notes: list[str]
) -> str:
    """The whole RESULTS.md."""
    table = summarize(results)
    lines = ["# Benchmark results", ""]
    lines += [f"- **Command:** `{meta['command']}` (from the repository root)"]
    lines += [f"- **Date:** {meta['started']} → {meta['finished']} ({meta['duration']})"]
    lines += [f"- **Configuration:** {meta['config']}"]
    lines += [f"- **Ratios:** {line}" for line in ratio_lines(table)]
    lines.append("")
    lines += ["## Machine", "", "| fact | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in facts.items()]
    lines += ["", "## Targets (ratios to s5cmd in this run)", ""]
    lines += ["| target | measured | met? |", "|---|---|---|"]
    for v in verdicts(table):
        met = "not measured" if v.met is None else ("**met**" if v.met else "**NOT met**")
        lines.append(f"| {v.target} | {v.measured} | {met} |")
    lines += ["", "## Results by workload", ""]
    for workload, by_client in table.items():
        lines += [f"### {TITLES[workload]} (`{workload}`)", ""]
        if workload == "quota":
            lines += quota_table(by_client)
        else:
            lines += workload_table(workload, by_client)
        lines.append("")
    lines += ["## How to read this", ""]
    lines += [f"- {note}" for note in notes]
    lines += ["", "## Every run, in execution order", ""]
    lines += raw_table(results)
    lines.append("")
    return "\n".join(lines)
