"""Run one workload with one in-process client, in a fresh process, and print what it measured.

Each measurement gets its own interpreter so the peak RSS the orchestrator reads with ``wait4``
belongs to that workload alone: earlier runs cannot leave their high-water mark behind.

Usage (the orchestrator does this)::

    BENCH_S3_ACCESS_KEY=... BENCH_S3_SECRET_KEY=... python -m bench.worker '<RunSpec JSON>' \
        [--profile out.prof]

The last line of stdout is a JSON object: ``seconds`` (the operation, including opening and
closing the client), ``items``, ``bytes``, ``value`` (listed count or total size), ``requests``,
``listings``, ``rss_idle`` (RSS after imports, before any work) and ``rss_hwm`` (peak RSS since
``exec``, a cross-check of the launcher's number).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import psutil

from bench.note_pattern import NoteS3Backend
from bench.spec import ACCESS_KEY_ENV, SECRET_KEY_ENV, RunSpec, small_name
from file_storage import S3StorageBackend, S3Tuning

Client = Any  # S3StorageBackend or NoteS3Backend: the same method names, duck-typed


@asynccontextmanager
async def open_client(spec: RunSpec, counters: dict[str, int]) -> AsyncIterator[Client]:
    """Yield the client of ``spec.client``; file_storage is opened once and closed at the end."""
    credentials = {
        "access_key_id": os.environ[ACCESS_KEY_ENV],
        "secret_access_key": os.environ[SECRET_KEY_ENV],
    }
    if spec.client == "note":
        note = NoteS3Backend(
            spec.bucket,
            prefix=spec.prefix,
            endpoint_url=spec.endpoint,
            max_size_gb=spec.max_size_gb,
            **credentials,
        )
        yield note
        counters["requests"] = note.requests
        counters["listings"] = note.listings
        return
    backend = S3StorageBackend(
        spec.bucket,
        prefix=spec.prefix,
        endpoint_url=spec.endpoint,
        max_size_gb=spec.max_size_gb,
        tuning=S3Tuning(),
        **credentials,
    )
    _count_listings(backend, counters)
    async with backend:
        yield backend
    counters["requests"] = backend.stats.requests


def _count_listings(backend: S3StorageBackend, counters: dict[str, int]) -> None:
    """Count full listings (quota counts go through ``iter_pages`` too) via the public method."""
    original = backend.iter_pages

    def counting(*args: Any, **kwargs: Any) -> Any:
        counters["listings"] += 1
        return original(*args, **kwargs)

    backend.iter_pages = counting  # type: ignore[method-assign]


async def bounded(count: int, concurrency: int, job: Callable[[int], Awaitable[Any]]) -> None:
    """Run ``job(0..count-1)`` with at most ``concurrency`` in flight (gather + semaphore)."""
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int) -> None:
        async with gate:
            await job(index)

    await asyncio.gather(*(one(i) for i in range(count)))


async def big_up(client: Client, spec: RunSpec) -> dict[str, int]:
    await client.upload_file(spec.remote, Path(spec.local))
    return {"items": 1, "bytes": spec.size}


async def big_down(client: Client, spec: RunSpec) -> dict[str, int]:
    result = await client.download_file(spec.remote, Path(spec.local))
    # The bucket's big object was written by s5cmd (a foreign multipart layout): our download must
    # prove it (multipart ETag recomputed with the real part layout), or the run is not comparable.
    checks = getattr(result, "checks", None)
    if checks is not None and not checks:
        raise RuntimeError(f"download not verified: {result.unverified_reason}")
    return {"items": 1, "bytes": spec.size, "verified": int(bool(checks))}


async def small_up(client: Client, spec: RunSpec) -> dict[str, int]:
    local = Path(spec.local)

    async def job(i: int) -> None:
        await client.upload_file(f"{spec.remote}/{small_name(i)}", local / small_name(i))

    await bounded(spec.count, spec.concurrency, job)
    return {"items": spec.count, "bytes": spec.count * spec.size}


async def small_down(client: Client, spec: RunSpec) -> dict[str, int]:
    local = Path(spec.local)
    local.mkdir(parents=True, exist_ok=True)

    async def job(i: int) -> None:
        await client.download_file(f"{spec.remote}/{small_name(i)}", local / small_name(i))

    await bounded(spec.count, spec.concurrency, job)
    return {"items": spec.count, "bytes": spec.count * spec.size}


async def list_all(client: Client, spec: RunSpec) -> dict[str, int]:
    names = await client.list_files(spec.remote)
    return {"items": len(names), "value": len(names)}


async def total(client: Client, spec: RunSpec) -> dict[str, int]:
    size = await client.get_total_size()
    return {"items": spec.count, "value": size}


async def quota(client: Client, spec: RunSpec) -> dict[str, int]:
    payload = os.urandom(spec.size)

    async def job(i: int) -> None:
        await client.save(f"{spec.remote}/{small_name(i)}", payload)

    await bounded(spec.count, spec.concurrency, job)
    return {"items": spec.count, "bytes": spec.count * spec.size}


WORKLOAD_FUNCS: dict[str, Callable[[Client, RunSpec], Awaitable[dict[str, int]]]] = {
    "big_up": big_up,
    "big_down": big_down,
    "small_up": small_up,
    "small_down": small_down,
    "list": list_all,
    "total": total,
    "quota": quota,
}


async def measure(spec: RunSpec) -> dict[str, Any]:
    """Time opening the client, the workload and closing the client, as an app would pay it."""
    counters = {"requests": 0, "listings": 0}
    func = WORKLOAD_FUNCS[spec.workload]
    started = time.perf_counter()
    async with open_client(spec, counters) as client:
        outcome = await func(client, spec)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, **counters, **outcome}


def vm_hwm() -> int:
    """This process's peak RSS since ``exec`` (``VmHWM``), a cross-check of the launcher's."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", help="RunSpec as JSON")
    parser.add_argument("--profile", help="write a cProfile of the run to this file")
    args = parser.parse_args(argv)
    spec = RunSpec.from_json(args.spec)
    rss_idle = psutil.Process().memory_info().rss
    if args.profile:
        profiler = cProfile.Profile()
        result = profiler.runcall(asyncio.run, measure(spec))
        profiler.dump_stats(args.profile)
    else:
        result = asyncio.run(measure(spec))
    result["rss_idle"] = rss_idle
    result["rss_hwm"] = vm_hwm()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
