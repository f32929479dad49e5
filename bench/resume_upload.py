"""Benchmark a resumed upload: a 2 GiB ``leap-storage put`` killed at 60 %, then put again.

On a local SeaweedFS (started here, on loopback, with its own temp folder), with the default
settings (16 MiB parts, 6 in flight):

1. a fresh ``leap-storage put`` of the file, for reference (seconds);
2. the same put to another key, SIGKILLed as soon as the upload journal holds 60 % of its parts
   (watched, not timed);
3. the next put of the same file to that key, through the public API with the same settings and
   data folder: seconds and bytes it sent (``S3Stats.bytes_uploaded``), then the object is
   downloaded and verified (SHA-256 metadata and multipart ETag) and ListMultipartUploads must be
   empty.

Usage, from the repository root::

    python -m bench.resume_upload                 # 2 GiB; writes bench/RESUME_RESULTS.md
    python -m bench.resume_upload --size-mib 256 --no-write
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.machine import machine_facts
from file_storage import S3StorageBackend, S3Tuning
from file_storage.backends.s3.journal import UploadJournal, journal_path_beside
from file_storage.sandbox import SeaweedSandbox

BUCKET = "leap-resume-bench"
MiB = 1024 * 1024
PART = 16 * MiB  # the default STORAGE_S3_PART_SIZE_MB
REPO = Path(__file__).resolve().parent.parent


@dataclass
class Outcome:
    size: int
    fresh_s: float
    killed_after_s: float
    parts_at_kill: int
    parts_total: int
    resume_s: float
    resume_sent: int
    verified: bool
    open_uploads_after: int


def write_source(path: Path, size: int) -> str:
    """Random bytes, written in 64 MiB steps; return their SHA-256."""
    digest = hashlib.sha256()
    with open(path, "wb") as out:
        left = size
        while left:
            chunk = os.urandom(min(64 * MiB, left))
            digest.update(chunk)
            out.write(chunk)
            left -= len(chunk)
    return digest.hexdigest()


def cli_env(server: SeaweedSandbox, index: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STORAGE_", "AWS_"))}
    env.update(
        STORAGE_TYPE="S3",
        STORAGE_S3_BUCKET=BUCKET,
        STORAGE_S3_PREFIX="bench",
        STORAGE_S3_ENDPOINT_URL=server.endpoint_url,
        STORAGE_S3_ACCESS_KEY_ID=server.access_key,
        STORAGE_S3_SECRET_ACCESS_KEY=server.secret_key,
        STORAGE_SYNC_INDEX_PATH=str(index),
        PYTHONPATH=str(REPO),
    )
    return env


def put_command(source: Path, key: str) -> list[str]:
    return [sys.executable, "-m", "file_storage.cli.main", "-q", "put", str(source), key]


def fresh_put(server: SeaweedSandbox, source: Path, index: Path, work: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        put_command(source, "fresh.bin"), env=cli_env(server, index), cwd=work, check=True
    )
    return time.perf_counter() - started


def killed_put(
    server: SeaweedSandbox, source: Path, index: Path, work: Path, parts_total: int
) -> tuple[float, int]:
    """Start the put; SIGKILL it once the journal holds 60 % of its parts."""
    journal = UploadJournal(journal_path_beside(index))
    wanted = int(parts_total * 0.6)
    started = time.perf_counter()
    process = subprocess.Popen(
        put_command(source, "resumed.bin"), env=cli_env(server, index), cwd=work
    )
    try:
        while True:
            if process.poll() is not None:
                raise SystemExit("the put ended before 60 % of its parts were done")
            entries = journal.entries(None)
            if entries and len(journal.parts(entries[0].upload_id)) >= wanted:
                break
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(30)
    elapsed = time.perf_counter() - started
    return elapsed, len(journal.parts(entries[0].upload_id))


async def resume(
    server: SeaweedSandbox, source: Path, index: Path, work: Path
) -> tuple[float, int, bool, int]:
    """The next put, through the public API with the CLI's settings: seconds, bytes sent,
    verified after a download, multipart uploads still open."""
    backend = S3StorageBackend(
        BUCKET,
        prefix="bench",
        access_key_id=server.access_key,
        secret_access_key=server.secret_key,
        endpoint_url=server.endpoint_url,
        tuning=S3Tuning(upload_journal=journal_path_beside(index)),
    )
    async with backend:
        started = time.perf_counter()
        await backend.upload_file("resumed.bin", source)
        seconds = time.perf_counter() - started
        sent = backend.stats.bytes_uploaded
        result = await backend.download_file("resumed.bin", work / "back.bin")
        open_after = len(await backend.list_multipart_uploads())
    (work / "back.bin").unlink()
    return seconds, sent, result.verified, open_after


def run(size: int) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="leap-resume-") as tmp:
        work = Path(tmp)
        server = SeaweedSandbox(work / "seaweed")
        server.start()
        try:
            server.create_bucket(BUCKET)
            source = work / "resumed.bin"
            write_source(source, size)
            index = work / "data" / "index.sqlite3"
            fresh_s = fresh_put(server, source, index, work)
            parts_total = -(-size // PART)
            killed_s, at_kill = killed_put(server, source, index, work, parts_total)
            resume_s, sent, verified, open_after = asyncio.run(resume(server, source, index, work))
        finally:
            server.stop()
    return Outcome(
        size, fresh_s, killed_s, at_kill, parts_total, resume_s, sent, verified, open_after
    )


def report(outcome: Outcome, command: str) -> str:
    o = outcome
    share = o.resume_sent / o.size
    lines = [
        "# Resumed upload bench",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `{command}` (bench/resume_upload.py).",
        "",
        f"A {o.size / MiB / 1024:.2f} GiB file, default settings (16 MiB parts, 6 in flight), "
        "local SeaweedFS on loopback.",
        "",
        "| Step | Seconds | Bytes sent | Note |",
        "|---|---|---|---|",
        f"| fresh `leap-storage put` (reference) | {o.fresh_s:.1f} | {o.size / MiB:.0f} MiB | "
        "whole file, new process |",
        f"| `leap-storage put` SIGKILLed | {o.killed_after_s:.1f} | - | killed with "
        f"{o.parts_at_kill} of {o.parts_total} parts in the journal "
        f"({o.parts_at_kill / o.parts_total:.0%}) |",
        f"| next put of the same file (resumes) | {o.resume_s:.1f} | {o.resume_sent / MiB:.0f} "
        f"MiB ({share:.0%} of the file) | includes hashing the whole file for its SHA-256 |",
        "",
        f"After the resume: download verified = {o.verified}; multipart uploads still open = "
        f"{o.open_uploads_after}.",
        "",
        "Machine:",
        "",
    ]
    lines += [f"- {name}: {value}" for name, value in machine_facts().items()]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mib", type=int, default=2048)
    parser.add_argument("--no-write", action="store_true", help="print, do not write the file")
    args = parser.parse_args()
    outcome = run(args.size_mib * MiB)
    command = "python -m bench.resume_upload" + (
        f" --size-mib {args.size_mib}" if args.size_mib != 2048 else ""
    )
    text = report(outcome, command)
    print(text)
    if not args.no_write:
        (REPO / "bench" / "RESUME_RESULTS.md").write_text(text)


if __name__ == "__main__":
    main()
