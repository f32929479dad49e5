"""Media jobs: the storage round trip's overhead against ffmpeg alone, and memory on a 2 GiB source.

Two measurements, both on one SeaweedFS sandbox:

1. **Overhead.** A 1-minute 720p H.264/AAC clip. For each job (thumbnail, extract audio,
   transcode), three variants run in rotating order: *ffmpeg alone* (the job's exact ffmpeg
   command on a local file, nothing else), the job on the **LOCAL** backend (source read in place,
   output probed and stored atomically) and on **S3** (probe and thumbnail read a presigned URL;
   audio and transcode download to ``temp/`` first; output uploaded). Medians of ``--reps``.
2. **Memory.** A 2 GiB source (raw 720p video + PCM audio in Matroska, so it is big without
   minutes of encoding) is uploaded, then thumbnailed and its audio extracted on S3 and on LOCAL,
   while a thread samples this process's RSS every 20 ms. The app runs these same coroutines on
   its event loop, so this is the app's memory during a job; ffmpeg's own memory is a separate
   process and is reported apart.

Usage, from the repository root::

    python -m bench.media_bench                 # 3 repetitions, 2 GiB memory run
    python -m bench.media_bench --reps 1 --big-gib 0.25   # a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from bench.machine import git_revision, machine_facts
from file_storage import LocalStorageBackend, S3StorageBackend
from file_storage.media import MediaInfoCache, MediaJobs, load_tools, recipes
from file_storage.media.process import run_ffmpeg
from file_storage.sandbox import SeaweedSandbox
from file_storage.units import human_size

REPO = Path(__file__).resolve().parent.parent
BUCKET = "leap-media-bench"
REC = "users/user_000001/recordings/bench"
MiB = 1024 * 1024


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def make_clip(ffmpeg: str, target: Path) -> None:
    """One minute of 1280x720 at 30 fps, H.264 + AAC, in MP4."""
    subprocess.run(
        [ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30:duration=60",
         "-f", "lavfi", "-i", "sine=frequency=330:duration=60",
         "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", str(target)],
        check=True,
    )  # fmt: skip


def make_big_source(ffmpeg: str, target: Path, size: int) -> None:
    """Raw 720p frames plus PCM audio in Matroska, about ``size`` bytes, written in seconds."""
    frame = 1280 * 720 * 3 // 2
    seconds = max(2, size // (frame * 25))
    subprocess.run(
        [ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc=size=1280x720:rate=25:duration={seconds}",
         "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
         "-c:v", "rawvideo", "-pix_fmt", "yuv420p", "-c:a", "pcm_s16le", str(target)],
        check=True,
    )  # fmt: skip


class RssSampler:
    """Samples this process's resident memory every ``interval`` seconds in a thread."""

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.process = psutil.Process()
        self.samples: list[int] = []
        self.child_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(self.process.memory_info().rss)
            for child in self.process.children(recursive=True):
                try:
                    if child.name().startswith("ffmpeg") or child.name().startswith("ffprobe"):
                        self.child_peak = max(self.child_peak, child.memory_info().rss)
                except psutil.Error:
                    pass
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


async def timed(action: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await action()
    return time.perf_counter() - started


async def overhead_run(
    sandbox: SeaweedSandbox, work: Path, reps: int, preset: str
) -> list[dict[str, Any]]:
    tools = await load_tools()
    ffmpeg = str(tools.ffmpeg)
    clip = work / "clip-720p-60s.mp4"
    log("making the 1-minute 720p clip")
    make_clip(ffmpeg, clip)
    local = LocalStorageBackend(work / "local-store")
    remote = S3StorageBackend(
        BUCKET,
        prefix="overhead",
        access_key_id=sandbox.access_key,
        secret_access_key=sandbox.secret_key,
        endpoint_url=sandbox.endpoint_url,
    )
    source = f"{REC}/source.mp4"
    rows: list[dict[str, Any]] = []
    async with local, remote:
        await local.upload_file(source, clip)
        await remote.upload_file(source, clip)
        probe_jobs = MediaJobs(local, tools, temp_dir=work / "probe-temp")
        info = await probe_jobs.probe(source)
        out = work / "alone-out"
        out.mkdir(exist_ok=True)
        chosen = recipes.preset_named(preset)
        seconds = recipes.thumbnail_time(info, None, None)
        alone_args: dict[str, Callable[[Path], list[str]]] = {
            "thumbnail": lambda o: recipes.thumbnail_args(
                str(clip), str(o), info, seconds, recipes.DEFAULT_THUMBNAIL_WIDTH, []
            ),
            "extract audio (m4a)": lambda o: recipes.audio_args(str(clip), str(o), info, "m4a"),
            f"transcode {preset}": lambda o: recipes.transcode_args(
                str(clip), str(o), info, chosen
            ),
        }
        suffixes = {"thumbnail": ".jpg", "extract audio (m4a)": ".m4a"}

        def job_call(jobs: MediaJobs, name: str) -> Callable[[], Awaitable[Any]]:
            if name == "thumbnail":
                return lambda: jobs.thumbnail(source)
            if name.startswith("extract"):
                return lambda: jobs.extract_audio(source)
            return lambda: jobs.transcode(source, preset=preset)

        for name, build in alone_args.items():
            times: dict[str, list[float]] = {"ffmpeg alone": [], "LOCAL job": [], "S3 job": []}
            variants = list(times)
            for rep in range(reps):
                order = variants[rep % 3 :] + variants[: rep % 3]
                for variant in order:
                    if variant == "ffmpeg alone":
                        target = out / f"out{suffixes.get(name, '.mp4')}"
                        elapsed = await timed(
                            lambda t=target, b=build, n=name: run_ffmpeg(ffmpeg, b(t), what=n)
                        )
                    else:
                        backend = local if variant == "LOCAL job" else remote
                        # A fresh cache: each job probes its source, as a first run does.
                        jobs = MediaJobs(
                            backend, tools, temp_dir=work / "temp", cache=MediaInfoCache(None)
                        )
                        elapsed = await timed(job_call(jobs, name))
                    times[variant].append(elapsed)
                    log(f"{name:<22} {variant:<13} rep {rep + 1}: {elapsed:6.2f} s")
            alone = statistics.median(times["ffmpeg alone"])
            for variant, values in times.items():
                median = statistics.median(values)
                rows.append(
                    {
                        "job": name,
                        "variant": variant,
                        "median_s": round(median, 3),
                        "runs": [round(v, 3) for v in values],
                        "overhead_s": round(median - alone, 3),
                        "ratio": round(median / alone, 3) if alone else None,
                    }
                )
    return rows


async def memory_run(sandbox: SeaweedSandbox, work: Path, size: int) -> list[dict[str, Any]]:
    tools = await load_tools()
    big = work / "big-source.mkv"
    log(f"making a {human_size(size)} source")
    make_big_source(str(tools.ffmpeg), big, size)
    actual = big.stat().st_size
    log(f"source is {human_size(actual)}")
    local = LocalStorageBackend(work / "big-local")
    remote = S3StorageBackend(
        BUCKET,
        prefix="memory",
        access_key_id=sandbox.access_key,
        secret_access_key=sandbox.secret_key,
        endpoint_url=sandbox.endpoint_url,
    )
    source = f"{REC}/source.mkv"
    rows: list[dict[str, Any]] = []
    async with local, remote:
        steps: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
            ("upload to S3 (for the jobs)", lambda: remote.upload_file(source, big)),
            ("LOCAL: store the source", lambda: local.upload_file(source, big)),
        ]
        s3_jobs = MediaJobs(remote, tools, temp_dir=work / "big-temp")
        local_jobs = MediaJobs(local, tools, temp_dir=work / "big-temp")
        steps += [
            ("S3: thumbnail (streamed)", lambda: s3_jobs.thumbnail(source)),
            ("S3: extract audio (downloads the source)", lambda: s3_jobs.extract_audio(source)),
            ("LOCAL: thumbnail (in place)", lambda: local_jobs.thumbnail(source)),
            ("LOCAL: extract audio (in place)", lambda: local_jobs.extract_audio(source)),
        ]
        for name, step in steps:
            before = psutil.Process().memory_info().rss
            with RssSampler() as sampler:
                elapsed = await timed(step)
            peak = max(sampler.samples or [before])
            rows.append(
                {
                    "step": name,
                    "seconds": round(elapsed, 2),
                    "rss_before_mib": round(before / MiB, 1),
                    "rss_peak_mib": round(peak / MiB, 1),
                    "rss_growth_mib": round((peak - before) / MiB, 1),
                    "ffmpeg_peak_mib": round(sampler.child_peak / MiB, 1),
                }
            )
            log(f"{name:<36} {elapsed:6.1f} s, RSS {before / MiB:.0f} -> peak {peak / MiB:.0f} MiB")
    rows.insert(0, {"source_bytes": actual})
    return rows


def render(
    meta: dict[str, Any], overhead: list[dict[str, Any]], memory: list[dict[str, Any]]
) -> str:
    lines = [
        "# Media jobs: storage round trip overhead and memory",
        "",
        f"Run {meta['when']} at commit {meta['revision']} on {meta['machine']}.",
        f"Command: `{meta['command']}`. ffmpeg {meta['ffmpeg']}.",
        "",
        "## Overhead against ffmpeg alone (1-minute 1280x720 H.264/AAC clip, "
        f"medians of {meta['reps']})",
        "",
        "| job | variant | median | overhead | ratio | runs |",
        "|---|---|---:|---:|---:|---|",
    ]
    for row in overhead:
        runs = ", ".join(f"{v:.2f}" for v in row["runs"])
        lines.append(
            f"| {row['job']} | {row['variant']} | {row['median_s']:.2f} s | "
            f"{row['overhead_s']:+.2f} s | {row['ratio']:.2f}x | {runs} |"
        )
    if memory:
        source = memory[0]["source_bytes"]
        lines += [
            "",
            f"## Memory with a {human_size(source)} source (this process's RSS, sampled every "
            "20 ms)",
            "",
            "| step | time | RSS before | RSS peak | growth | ffmpeg's own peak |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for row in memory[1:]:
            lines.append(
                f"| {row['step']} | {row['seconds']:.1f} s | {row['rss_before_mib']:.0f} MiB | "
                f"{row['rss_peak_mib']:.0f} MiB | {row['rss_growth_mib']:+.0f} MiB | "
                f"{row['ffmpeg_peak_mib']:.0f} MiB |"
            )
    lines.append("")
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> int:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    work = (REPO / "bench" / "work" / f"media-{stamp}-{os.getpid()}").resolve()
    work.mkdir(parents=True)
    sandbox = SeaweedSandbox(work / "seaweed")
    sandbox.start(timeout=60)
    try:
        sandbox.create_bucket(BUCKET)
        tools = await load_tools()
        overhead = await overhead_run(sandbox, work, args.reps, args.preset)
        memory = (
            await memory_run(sandbox, work, int(args.big_gib * 1024 * MiB)) if args.big_gib else []
        )
    finally:
        sandbox.stop()
        if not args.keep_work:
            shutil.rmtree(work, ignore_errors=True)
    facts = machine_facts()
    meta = {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "revision": git_revision(),
        "machine": f"{facts.get('CPU model', '?')}, {facts.get('nproc', '?')} cores",
        "command": "python -m bench.media_bench " + " ".join(args.argv),
        "ffmpeg": tools.version,
        "reps": args.reps,
    }
    report = render(meta, overhead, memory)
    (REPO / "bench" / "MEDIA_RESULTS.md").write_text(report)
    (REPO / "bench" / "MEDIA_RESULTS.json").write_text(
        json.dumps({"meta": meta, "overhead": overhead, "memory": memory}, indent=2) + "\n"
    )
    print(report)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=3, help="repetitions per variant")
    parser.add_argument("--preset", default="480p", help="transcode preset to time")
    parser.add_argument(
        "--big-gib", type=float, default=2.0, help="size of the memory run's source (0: skip)"
    )
    parser.add_argument("--keep-work", action="store_true", help="keep bench/work/media-*")
    args = parser.parse_args(argv)
    import sys

    args.argv = sys.argv[1:] if argv is None else argv
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    raise SystemExit(main())
