"""Quick timing of the S3 transport: 200 small objects up, then 1 GiB up and down.

Used to compare the request paths before and after a transport change (one SeaweedFS on
loopback, default tuning, unlimited bandwidth). Each measurement is the median of ``--rounds``.
Usage::

    .venv/bin/python -m bench.transport_quick --files 200 --size-mib 1024 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

from file_storage import S3StorageBackend
from file_storage.sandbox import SeaweedSandbox

BUCKET = "bench-transport"
MiB = 1024 * 1024


def backend_of(server: SeaweedSandbox, prefix: str) -> S3StorageBackend:
    return S3StorageBackend(
        BUCKET,
        prefix=prefix,
        access_key_id=server.access_key,
        secret_access_key=server.secret_key,
        endpoint_url=server.endpoint_url,
    )


async def small_files(server: SeaweedSandbox, count: int, round_: int) -> float:
    blobs = [os.urandom(4096 + i) for i in range(count)]
    async with backend_of(server, f"small-{round_}") as backend:
        await backend.check()
        started = time.perf_counter()
        sem = asyncio.Semaphore(16)

        async def one(i: int) -> None:
            async with sem:
                await backend.save(f"f{i:04d}.bin", blobs[i])

        await asyncio.gather(*(one(i) for i in range(count)))
        return time.perf_counter() - started


async def big_up(server: SeaweedSandbox, source: Path, round_: int) -> float:
    async with backend_of(server, "big") as backend:
        await backend.check()
        started = time.perf_counter()
        await backend.upload_file(f"big-{round_}.bin", source)
        return time.perf_counter() - started


async def big_down(server: SeaweedSandbox, target: Path, round_: int) -> float:
    async with backend_of(server, "big") as backend:
        await backend.check()
        started = time.perf_counter()
        await backend.download_file(f"big-{round_}.bin", target)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    times: dict[str, list[float]] = {"small": [], "up": [], "down": []}
    with tempfile.TemporaryDirectory(prefix="leap-transport-") as tmp:
        work = Path(tmp)
        server = SeaweedSandbox(work / "seaweed")
        server.start()
        try:
            server.create_bucket(BUCKET)
            source = work / "source.bin"
            with open(source, "wb") as handle:
                for _ in range(args.size_mib // 8):
                    handle.write(os.urandom(8 * MiB))
            for round_ in range(args.rounds):
                times["small"].append(asyncio.run(small_files(server, args.files, round_)))
                times["up"].append(asyncio.run(big_up(server, source, round_)))
                target = work / "down.bin"
                times["down"].append(asyncio.run(big_down(server, target, round_)))
                target.unlink()
        finally:
            server.stop()
    print(f"{args.files} small files, {args.size_mib} MiB up/down, {args.rounds} rounds")
    for name, values in times.items():
        print(
            f"  {name:6s} median {statistics.median(values):6.2f} s  "
            f"runs: {', '.join(f'{v:.2f}' for v in values)}"
        )


if __name__ == "__main__":
    main()
