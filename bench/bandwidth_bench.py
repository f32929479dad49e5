"""Does a bandwidth limit hold over 30 s? (issue 13: "within 10 % over 30 s").

Three files go up at once, then come down at once, through one S3 backend whose limiter allows
``--rate`` MiB/s each way; sized so each direction takes ``--seconds`` at the limit. Reported per
direction: bytes over wall time (the uploads' last PUT answered, so the server holds every byte;
the downloads' files are complete and verified), the limiter's own count, and the rate of each
5-second window from the limiter's counters sampled every 0.25 s. Usage::

    .venv/bin/python -m bench.bandwidth_bench --rate 2 --seconds 30
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from file_storage import S3StorageBackend, S3Tuning
from file_storage.bandwidth import BandwidthLimiter, TokenBucket
from file_storage.sandbox import SeaweedSandbox

BUCKET = "bench-bandwidth"
MiB = 1024 * 1024
FILES = 3


async def measured(
    bucket: TokenBucket, work: Callable[[], Awaitable[object]]
) -> tuple[float, int, list[tuple[float, int]]]:
    samples: list[tuple[float, int]] = []
    start_bytes = bucket.bytes
    started = time.monotonic()

    async def sample() -> None:
        while True:
            samples.append((time.monotonic() - started, bucket.bytes - start_bytes))
            await asyncio.sleep(0.25)

    sampler = asyncio.create_task(sample())
    try:
        await work()
    finally:
        sampler.cancel()
        await asyncio.gather(sampler, return_exceptions=True)
    elapsed = time.monotonic() - started
    samples.append((elapsed, bucket.bytes - start_bytes))
    return elapsed, bucket.bytes - start_bytes, samples


def windows(samples: list[tuple[float, int]], width: float) -> list[float]:
    """MiB/s over consecutive windows of about ``width`` seconds (between actual samples)."""
    rates = []
    t0 = 0.0
    while t0 + width <= samples[-1][0]:
        start_t, start_b = next((t, b) for t, b in samples if t >= t0)
        end_t, end_b = next((t, b) for t, b in reversed(samples) if t <= t0 + width)
        rates.append((end_b - start_b) / (end_t - start_t) / MiB)
        t0 += width
    return rates


def report(
    name: str, size: int, rate: float, result: tuple[float, int, list[tuple[float, int]]]
) -> None:
    elapsed, counted, samples = result
    wall = size / elapsed / MiB
    per_window = windows(samples, 5.0)
    print(
        f"  {name:8s} {size / MiB:.0f} MiB in {elapsed:.2f} s: {wall:.3f} MiB/s "
        f"({(wall / rate - 1) * 100:+.1f} % of the {rate:g} MiB/s limit); limiter counted "
        f"{counted / MiB:.1f} MiB"
    )
    print(
        "           5 s windows (MiB/s): "
        + ", ".join(f"{r:.2f}" for r in per_window)
        + f"  (min {min(per_window):.2f}, max {max(per_window):.2f})"
    )


async def run(server: SeaweedSandbox, work: Path, rate: float, seconds: float) -> None:
    limiter = BandwidthLimiter(up=rate * MiB, down=rate * MiB)
    size = int(rate * MiB * seconds)
    per_file = size // FILES
    sources = []
    for i in range(FILES):
        path = work / f"src-{i}.bin"
        path.write_bytes(os.urandom(per_file))
        sources.append(path)
    backend = S3StorageBackend(
        BUCKET,
        prefix="bw",
        access_key_id=server.access_key,
        secret_access_key=server.secret_key,
        endpoint_url=server.endpoint_url,
        tuning=S3Tuning(bandwidth=limiter),
    )
    async with backend:
        await backend.check()
        up = await measured(
            limiter.up,
            lambda: asyncio.gather(*(backend.upload_file(p.name, p) for p in sources)),
        )
        targets = [work / f"back-{i}.bin" for i in range(FILES)]
        down = await measured(
            limiter.down,
            lambda: asyncio.gather(
                *(backend.download_file(p.name, t) for p, t in zip(sources, targets, strict=True))
            ),
        )
        for source, target in zip(sources, targets, strict=True):
            assert source.read_bytes() == target.read_bytes()
    print(
        f"{FILES} files of {per_file / MiB:.1f} MiB at once each way, limit {rate:g} MiB/s "
        f"(up and down), default tuning (16 MiB parts, 6 in flight)"
    )
    report("upload", per_file * FILES, rate, up)
    report("download", per_file * FILES, rate, down)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=2.0, help="MiB/s each way")
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="leap-bw-") as tmp:
        work = Path(tmp)
        server = SeaweedSandbox(work / "seaweed")
        server.start()
        try:
            server.create_bucket(BUCKET)
            asyncio.run(run(server, work, args.rate, args.seconds))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
