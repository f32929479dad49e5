"""The S3 transport under a stalled connection, a frozen server and a SlowDown episode.

Issue 11: with the server frozen (SIGSTOP) or a zero-window connection, ``put`` and ``get`` sat
silent for 90 s with a 5 s read timeout; a 3-second ``SlowDown`` episode failed uploads (about
1.5 s of total backoff). Faults come from a relay on 127.0.0.1 (tests/fault_proxy.py) in front of
the session's SeaweedFS, or from a SeaweedFS sandbox of the test's own, stopped with SIGSTOP.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from file_storage import S3StorageBackend, S3Tuning
from file_storage.errors import EndpointNotRespondingError
from file_storage.sandbox import SeaweedSandbox
from tests.conftest import TEST_BUCKET, write_random
from tests.fault_proxy import FaultProxy

MiB = 1024 * 1024
STALL_S = 2.0
ATTEMPTS = 3
#: Longest wait of the retries between ATTEMPTS attempts (RetryPolicy: base 0.5 s, doubling).
MAX_BACKOFF_S = 0.5 + 1.0
#: Enough for a loaded 2-core machine; far below what a hang would take.
SLACK_S = 10.0


def stall_tuning(**extra: object) -> S3Tuning:
    return S3Tuning(
        part_size=5 * MiB,
        multipart_threshold=5 * MiB,
        max_attempts=ATTEMPTS,
        connect_timeout=2,
        read_timeout=60,  # the watchdog, not aiohttp's sock_read, must end the stall
        stall_timeout=STALL_S,
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
async def proxy(s3_server: SeaweedSandbox) -> AsyncIterator[tuple[FaultProxy, str]]:
    relay = FaultProxy(s3_server.endpoint_url)
    url = await relay.start()
    try:
        yield relay, url
    finally:
        await relay.close()


def backend_at(
    server: SeaweedSandbox, endpoint: str, tuning: S3Tuning, prefix: str | None = None
) -> S3StorageBackend:
    return S3StorageBackend(
        TEST_BUCKET,
        prefix=prefix or f"t-{uuid.uuid4().hex[:12]}",
        access_key_id=server.access_key,
        secret_access_key=server.secret_key,
        endpoint_url=endpoint,
        tuning=tuning,
    )


async def expect_not_responding(action: object, bound: float) -> float:
    """Run ``action`` (a coroutine); it must fail as not responding within ``bound`` seconds."""
    started = time.monotonic()
    with pytest.raises(EndpointNotRespondingError) as info:
        await asyncio.wait_for(action, timeout=bound + 30)  # type: ignore[arg-type]
    elapsed = time.monotonic() - started
    assert elapsed < bound, f"took {elapsed:.1f}s (bound {bound:.1f}s)"
    assert "not responding" in str(info.value)
    assert info.value.kind == "not-responding"
    return elapsed


BOUND_S = STALL_S * ATTEMPTS + MAX_BACKOFF_S + SLACK_S


# ----------------------------------------------------------------- stalls


async def test_single_put_into_zero_window_fails_as_not_responding(
    s3_server: SeaweedSandbox, proxy: tuple[FaultProxy, str], tmp_path: Path
) -> None:
    relay, url = proxy
    source = write_random(tmp_path / "small.bin", 3 * MiB)
    backend = backend_at(s3_server, url, stall_tuning())
    stalls: list[int] = []
    backend.on_stall = lambda: stalls.append(1)
    async with backend:
        await backend.upload_file("warmup.bin", source)  # connection pool and URL base ready
        relay.frozen = True
        await expect_not_responding(backend.upload_file("stalled.bin", source), BOUND_S)
    assert backend.stats.stalls == ATTEMPTS
    assert len(stalls) == ATTEMPTS
    assert backend.stats.retries == ATTEMPTS - 1


async def test_multipart_put_into_zero_window_fails_and_is_aborted(
    s3_server: SeaweedSandbox, proxy: tuple[FaultProxy, str], tmp_path: Path, raw_s3: object
) -> None:
    relay, url = proxy
    source = write_random(tmp_path / "big.bin", 16 * MiB)
    backend = backend_at(s3_server, url, stall_tuning(max_concurrency=2))
    async with backend:

        async def freeze_after_first_part(done: int) -> None:
            if done >= 5 * MiB:
                relay.frozen = True

        # The abort cannot pass the frozen relay: the upload is remembered, not forgotten.
        await expect_not_responding(
            backend.upload_file("big.bin", source, progress=freeze_after_first_part),
            BOUND_S + backend.tuning.connect_timeout + 5,
        )
        assert [key for key, _ in backend.stats.orphaned_uploads] == [backend.key_for("big.bin")]
        relay.frozen = False
        # The relay holds its frozen connections; new ones go through again.
        assert await backend.abort_orphaned_uploads() == 1
    assert backend.stats.stalls >= ATTEMPTS


async def test_get_that_stops_mid_body_fails_as_not_responding(
    s3_server: SeaweedSandbox, proxy: tuple[FaultProxy, str], tmp_path: Path
) -> None:
    relay, url = proxy
    prefix = f"t-{uuid.uuid4().hex[:12]}"
    async with backend_at(s3_server, s3_server.endpoint_url, stall_tuning(), prefix) as direct:
        await direct.upload_file("movie.mp4", write_random(tmp_path / "src.bin", 12 * MiB))
    backend = backend_at(s3_server, url, stall_tuning(), prefix)
    async with backend:
        relay.freeze_after_down = relay.down_bytes + 3 * MiB
        await expect_not_responding(
            backend.download_file("movie.mp4", tmp_path / "out.mp4"), BOUND_S + STALL_S
        )
    assert not (tmp_path / "out.mp4").exists()


async def test_listing_of_a_frozen_relay_fails_as_not_responding(
    s3_server: SeaweedSandbox, proxy: tuple[FaultProxy, str]
) -> None:
    relay, url = proxy
    async with backend_at(s3_server, url, stall_tuning()) as backend:
        relay.frozen = True
        await expect_not_responding(backend.list_files(""), BOUND_S)


@pytest.fixture
def own_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[SeaweedSandbox]:
    """A SeaweedFS of this test alone: it will be frozen with SIGSTOP (never the shared one)."""
    sandbox = SeaweedSandbox(tmp_path_factory.mktemp("frozen-seaweedfs"))
    sandbox.start()
    try:
        sandbox.create_bucket(TEST_BUCKET)
        yield sandbox  # type: ignore[misc]
    finally:
        if sandbox.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(sandbox.process.pid, signal.SIGCONT)
        sandbox.stop()


async def test_put_and_get_against_a_server_frozen_with_sigstop(
    own_server: SeaweedSandbox, tmp_path: Path
) -> None:
    assert own_server.process is not None
    group = own_server.process.pid
    source = write_random(tmp_path / "big.bin", 12 * MiB)
    backend = backend_at(own_server, own_server.endpoint_url, stall_tuning())
    async with backend:
        await backend.upload_file("before.bin", source)
        os.killpg(group, signal.SIGSTOP)
        try:
            await expect_not_responding(
                backend.upload_file("during.bin", source),
                BOUND_S + backend.tuning.connect_timeout + 5,
            )
            await expect_not_responding(
                backend.download_file("before.bin", tmp_path / "out.bin"), BOUND_S
            )
        finally:
            os.killpg(group, signal.SIGCONT)
        # The server is back: the remembered upload is aborted, the object reads again.
        await backend.abort_orphaned_uploads()
        result = await backend.download_file("before.bin", tmp_path / "again.bin")
        assert result.verified


# ----------------------------------------------------------------- throttling


@pytest.mark.parametrize("operation", ["put-single", "put-multipart", "get", "list"])
async def test_three_second_slowdown_episode_succeeds_without_a_hot_loop(
    s3_server: SeaweedSandbox, tmp_path: Path, operation: str
) -> None:
    prefix = f"t-{uuid.uuid4().hex[:12]}"
    tuning = S3Tuning(part_size=5 * MiB, multipart_threshold=5 * MiB)  # default attempts
    small = write_random(tmp_path / "small.bin", 1 * MiB, seed=1)
    big = write_random(tmp_path / "big.bin", 12 * MiB, seed=2)
    async with backend_at(s3_server, s3_server.endpoint_url, tuning, prefix) as direct:
        await direct.upload_file("there.bin", big)
    relay = FaultProxy(s3_server.endpoint_url)
    url = await relay.start()
    try:
        async with backend_at(s3_server, url, tuning, prefix) as backend:
            relay.slowdown_s = 3.0
            if operation == "put-single":
                await backend.upload_file("small.bin", small)
            elif operation == "put-multipart":
                await backend.upload_file("big.bin", big)
            elif operation == "get":
                result = await backend.download_file("there.bin", tmp_path / "out.bin")
                assert result.verified
            else:
                assert await backend.list_files("") == ["there.bin"]
            elapsed = time.monotonic() - (relay.slowdown_started or 0)
            retries = backend.stats.retries
    finally:
        await relay.close()
    assert elapsed >= 3.0  # the episode was lived through, not skipped
    assert relay.slowdowns, "the relay never throttled"
    # No hot loop: every request line was refused at most attempts - 1 times, and the waits
    # were long enough to outlast the episode with at most that many refusals.
    assert max(relay.slowdowns.values()) <= tuning.max_attempts - 1
    # Each refusal was followed by exactly one retry, counted where a health view reads it.
    assert retries == sum(relay.slowdowns.values())
    assert relay.relayed_connections >= 1


async def test_an_upload_that_could_not_be_aborted_is_aborted_when_the_backend_closes(
    s3_server: SeaweedSandbox, proxy: tuple[FaultProxy, str], tmp_path: Path, raw_s3: Any
) -> None:
    """The retry of a remembered abort at close ran after the backend marked itself closed, so
    every request it made was refused and the upload stayed open."""
    relay, url = proxy
    source = write_random(tmp_path / "big.bin", 16 * MiB)
    backend = backend_at(s3_server, url, stall_tuning(max_concurrency=2))
    async with backend:

        async def freeze_after_first_part(done: int) -> None:
            if done >= 5 * MiB:
                relay.frozen = True

        await expect_not_responding(
            backend.upload_file("big.bin", source, progress=freeze_after_first_part),
            BOUND_S + backend.tuning.connect_timeout + 5,
        )
        assert len(backend.stats.orphaned_uploads) == 1
        relay.frozen = False
    assert backend.stats.orphaned_uploads == []
    page = await raw_s3.list_multipart_uploads(Bucket=TEST_BUCKET, Prefix=backend.prefix + "/")
    assert page.get("Uploads", []) == []
