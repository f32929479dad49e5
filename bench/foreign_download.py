"""Time a verified download of a foreign multipart object against s5cmd, in the same run.

An object written by s5cmd (50 MiB parts, no SHA-256 metadata) is downloaded alternately by
s5cmd and by ``S3StorageBackend.download_file`` (default tuning), which proves the bytes by
recomputing the multipart ETag with the object's real part layout; the same bytes uploaded by
this app (SHA-256 metadata, checked together with the ETag) are timed too. Each round's files are
checked byte for byte against the source. Besides wall time, each client's CPU time (user +
system, all threads; ``getrusage``) is given: on a shared machine under load, wall time follows
the CPU a client needs, so CPU seconds per run is the steadier comparison. Usage::

    .venv/bin/python -m bench.foreign_download --size-mib 1024 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import resource
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench.cli_tools import s5cmd_binary
from file_storage import S3StorageBackend
from file_storage.sandbox import SeaweedSandbox

BUCKET = "bench-foreign"
MiB = 1024 * 1024


def write_source(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    with open(path, "wb") as handle:
        left = size
        while left:
            block = os.urandom(min(left, 8 * MiB))
            handle.write(block)
            digest.update(block)
            left -= len(block)
    return digest.hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(8 * MiB):
            digest.update(block)
    return digest.hexdigest()


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def s5cmd(server: SeaweedSandbox, *args: str) -> None:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": server.access_key,
        "AWS_SECRET_ACCESS_KEY": server.secret_key,
        "AWS_REGION": "us-east-1",
    }
    subprocess.run(
        [s5cmd_binary(), "--endpoint-url", server.endpoint_url, *args],
        env=env,
        check=True,
        capture_output=True,
    )


def backend_of(server: SeaweedSandbox) -> S3StorageBackend:
    return S3StorageBackend(
        BUCKET,
        prefix="",
        access_key_id=server.access_key,
        secret_access_key=server.secret_key,
        endpoint_url=server.endpoint_url,
    )


async def ours(
    server: SeaweedSandbox, key: str, target: Path
) -> tuple[float, float, tuple[str, ...]]:
    """Wall and CPU seconds of one verified download, and the proofs that matched."""
    async with backend_of(server) as backend:
        cpu = cpu_seconds(resource.RUSAGE_SELF)
        started = time.perf_counter()
        result = await backend.download_file(key, target)
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds(resource.RUSAGE_SELF) - cpu
    return elapsed, cpu, result.checks


async def upload_own(server: SeaweedSandbox, source: Path) -> None:
    """The same bytes stored by this app: SHA-256 metadata and 16 MiB parts."""
    async with backend_of(server) as backend:
        await backend.upload_file("own.bin", source)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="leap-foreign-") as tmp:
        work = Path(tmp)
        server = SeaweedSandbox(work / "seaweed")
        server.start()
        try:
            server.create_bucket(BUCKET)
            source = work / "source.bin"
            expected = write_source(source, args.size_mib * MiB)
            s5cmd(server, "cp", str(source), f"s3://{BUCKET}/clip.bin")
            asyncio.run(upload_own(server, source))
            times: dict[str, list[float]] = {"s5cmd": [], "leap (verified)": [], "leap own": []}
            cpus: dict[str, list[float]] = {name: [] for name in times}
            loads: list[float] = []
            checks: dict[str, tuple[str, ...]] = {}
            for round_ in range(args.rounds):
                loads.append(os.getloadavg()[0])
                target = work / f"s5cmd-{round_}.bin"
                cpu = cpu_seconds(resource.RUSAGE_CHILDREN)
                started = time.perf_counter()
                s5cmd(server, "cp", f"s3://{BUCKET}/clip.bin", str(target))
                times["s5cmd"].append(time.perf_counter() - started)
                cpus["s5cmd"].append(cpu_seconds(resource.RUSAGE_CHILDREN) - cpu)
                assert sha256_file(target) == expected
                target.unlink()
                for name, key in (("leap (verified)", "clip.bin"), ("leap own", "own.bin")):
                    target = work / f"leap-{round_}.bin"
                    elapsed, cpu_used, checks[name] = asyncio.run(ours(server, key, target))
                    times[name].append(elapsed)
                    cpus[name].append(cpu_used)
                    assert sha256_file(target) == expected
                    target.unlink()
        finally:
            server.stop()
    base = statistics.median(times["s5cmd"])
    base_cpu = statistics.median(cpus["s5cmd"])
    print(f"{args.size_mib} MiB object written by s5cmd (50 MiB parts), {args.rounds} rounds")
    print(f"  1-minute load average before each round: {', '.join(f'{v:.1f}' for v in loads)}")
    for name, values in times.items():
        median = statistics.median(values)
        cpu = statistics.median(cpus[name])
        print(
            f"  {name:16s} median {median:6.2f} s  ({args.size_mib / median:6.0f} MiB/s)  "
            f"{median / base:4.2f}x s5cmd  CPU {cpu:5.2f} s ({cpu / base_cpu:4.2f}x)  "
            f"runs: {', '.join(f'{v:.2f}' for v in values)}"
        )
    for name, proof in checks.items():
        print(f"  {name} proof: {'+'.join(proof) or 'none'}")
    print("  (leap own: the same bytes uploaded by this app, with x-amz-meta-sha256, 16 MiB parts)")


if __name__ == "__main__":
    main()
