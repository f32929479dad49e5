"""Shared fixtures: a real SeaweedFS for the whole session, fresh backends per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import aioboto3
import pytest

from file_storage import LocalStorageBackend, S3StorageBackend, S3Tuning, StorageBackend
from file_storage.sandbox import SeaweedSandbox

TEST_BUCKET = "leap-tests"
MiB = 1024 * 1024

# Tests must never depend on the developer's own settings or AWS profile.
for _name in list(os.environ):
    if _name.startswith("STORAGE_") or _name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID"):
        os.environ.pop(_name)
# Nor on their language: tests read English texts (the app, and any app they start, follow
# LEAP_SYNC_LANG over Settings and the system locale). Russian tests choose it explicitly.
os.environ["LEAP_SYNC_LANG"] = "en"


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedSandbox]:
    """One SeaweedFS for the test session, on loopback and free ports."""
    sandbox = SeaweedSandbox(tmp_path_factory.mktemp("seaweedfs"))
    sandbox.start()
    try:
        sandbox.create_bucket(TEST_BUCKET)
        yield sandbox
    finally:
        sandbox.stop()


@pytest.fixture
def s3_client_kwargs(s3_server: SeaweedSandbox) -> dict[str, Any]:
    """Keyword arguments for a raw aioboto3 client on the test server (for checks)."""
    return {
        "aws_access_key_id": s3_server.access_key,
        "aws_secret_access_key": s3_server.secret_key,
        "region_name": "us-east-1",
        "endpoint_url": s3_server.endpoint_url,
    }


@pytest.fixture
async def raw_s3(s3_client_kwargs: dict[str, Any]) -> AsyncIterator[Any]:
    """A plain aioboto3 client, to look at the bucket behind the backend's back."""
    kwargs = dict(s3_client_kwargs)
    endpoint = kwargs.pop("endpoint_url")
    session = aioboto3.Session(**kwargs)
    async with session.client("s3", endpoint_url=endpoint) as client:
        yield client


MakeS3 = Callable[..., S3StorageBackend]


@pytest.fixture
async def make_s3(s3_server: SeaweedSandbox) -> AsyncIterator[MakeS3]:
    """Build S3 backends on a fresh prefix of the test bucket; all closed at teardown."""
    created: list[S3StorageBackend] = []

    def make(
        *,
        prefix: str | None = None,
        max_size_gb: float | None = None,
        tuning: S3Tuning | None = None,
        secret: str | None = None,
        endpoint_url: str | None = None,
    ) -> S3StorageBackend:
        backend = S3StorageBackend(
            TEST_BUCKET,
            prefix=prefix if prefix is not None else f"t-{uuid.uuid4().hex[:12]}",
            access_key_id=s3_server.access_key,
            secret_access_key=secret or s3_server.secret_key,
            endpoint_url=endpoint_url or s3_server.endpoint_url,
            max_size_gb=max_size_gb,
            tuning=tuning or S3Tuning(part_size=5 * MiB, multipart_threshold=5 * MiB),
        )
        created.append(backend)
        return backend

    yield make
    for backend in created:
        await backend.aclose()


@pytest.fixture(params=["local", "s3"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StorageBackend]:
    """The backend of shared suites: each test runs once on LOCAL and once on S3.

    The contract suite (tests/test_contract.py) widens this to HYBRID as well.
    """
    async with make_backend(request.param, request, tmp_path) as instance:
        yield instance


def make_backend(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> StorageBackend:
    """A fresh LOCAL (on ``tmp_path``), S3 (fresh prefix) or HYBRID (both) backend."""
    if kind == "local":
        return LocalStorageBackend(tmp_path / "store")
    server: SeaweedSandbox = request.getfixturevalue("s3_server")
    s3 = S3StorageBackend(
        TEST_BUCKET,
        prefix=f"t-{uuid.uuid4().hex[:12]}",
        access_key_id=server.access_key,
        secret_access_key=server.secret_key,
        endpoint_url=server.endpoint_url,
        tuning=S3Tuning(part_size=5 * MiB, multipart_threshold=5 * MiB),
    )
    if kind == "s3":
        return s3
    from file_storage.backends.hybrid import HybridStorageBackend
    from file_storage.sync import SyncIndex

    local = LocalStorageBackend(tmp_path / "store")
    return HybridStorageBackend(local, s3, SyncIndex(tmp_path / "index.sqlite3"))


def write_random(path: Path, size: int, *, seed: int = 0) -> Path:
    """Write ``size`` pseudo-random bytes to ``path`` without holding them all in memory."""
    import random

    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        remaining = size
        while remaining:
            n = min(remaining, 4 * MiB)
            handle.write(rng.randbytes(n))
            remaining -= n
    return path


def sha256_of(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(4 * MiB):
            digest.update(chunk)
    return digest.hexdigest()


def freezable_server(folder: Path, bucket: str) -> Iterator[SeaweedSandbox]:
    """A SeaweedFS of a test module's own, with ``bucket``, that its tests may freeze (SIGSTOP).

    For a module fixture: ``yield from freezable_server(tmp_path_factory.mktemp(...), BUCKET)``.
    Whatever the tests did, the process is thawed before it is stopped, so no stopped process
    outlives the module.
    """
    sandbox = SeaweedSandbox(folder)
    sandbox.start()
    try:
        sandbox.create_bucket(bucket)
        yield sandbox
    finally:
        thaw(sandbox)
        sandbox.stop()


def thaw(server: SeaweedSandbox) -> None:
    """Let a server frozen with SIGSTOP run again (a no-op when it runs or is gone)."""
    import contextlib
    import signal

    assert server.process is not None
    with contextlib.suppress(ProcessLookupError):
        os.kill(server.process.pid, signal.SIGCONT)


def cli_s3_env(
    server: SeaweedSandbox, endpoint: str, prefix: str, index: Path, **extra: str
) -> dict[str, str]:
    """The environment of a ``leap-storage`` child on the test bucket: 5 MiB parts, its own
    index, nothing inherited from the caller's ``STORAGE_*``/``AWS_*``; ``extra`` adds settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STORAGE_", "AWS_"))}
    env.update(
        STORAGE_TYPE="S3",
        STORAGE_S3_BUCKET=TEST_BUCKET,
        STORAGE_S3_PREFIX=prefix,
        STORAGE_S3_ENDPOINT_URL=endpoint,
        STORAGE_S3_ACCESS_KEY_ID=server.access_key,
        STORAGE_S3_SECRET_ACCESS_KEY=server.secret_key,
        STORAGE_S3_PART_SIZE_MB="5",
        STORAGE_S3_MULTIPART_THRESHOLD_MB="5",
        STORAGE_SYNC_INDEX_PATH=str(index),
        **extra,
    )
    return env
