"""Downloads that resume (issue 11): an interrupted ``get`` continues where it stopped.

A ``leap-storage get`` of a 40 MiB object runs in a child process through a relay
(tests/fault_proxy.py) that counts the bytes it delivers and stops delivering at about 60 %; the
child is then killed with SIGKILL (no chance to clean up). Its temp file beside the target and the
resume record on it (``user.leap.resume``: object, ETag, byte ranges on disk) are what the next
run may use, and only after proving every byte again:

- the next ``get`` fetches only what is missing (counted at the relay) and the file is proven;
- an object replaced since the kill is fetched again from zero, and says so (no mix);
- a byte flipped in the kept file fails the final proof: the kept file is dropped and the object
  fetched again from zero, and the output says so (nothing unproven is saved).

In one process, a connection lost for good keeps the temp file too, and the next download of the
same object resumes it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from file_storage import S3Tuning
from file_storage.atomic import RESUME_XATTR, is_ours
from file_storage.errors import EndpointUnreachableError
from file_storage.sandbox import SeaweedSandbox
from tests.conftest import TEST_BUCKET, MakeS3, MiB
from tests.fault_proxy import FaultProxy

SIZE = 40 * MiB
STOP_AT = 24 * MiB  # about 60 %
KEY = "users/user_000042/recordings/rec-1/source.mp4"
#: Request and response heads of one run (a HEAD, part HEADs, eight ranged GETs): far below this.
HEADERS_SLACK = 256 * 1024


def payload(seed: int) -> bytes:
    return hashlib.shake_256(seed.to_bytes(4, "big")).digest(SIZE)


def partials_of(target: Path) -> list[Path]:
    return sorted(target.parent.glob(f".{target.name}.*.leap-partial"))


def kept_ranges(partial: Path) -> list[list[int]]:
    record = json.loads(os.getxattr(partial, RESUME_XATTR))
    ranges: list[list[int]] = record["done"]
    return ranges


@dataclass
class Store:
    prefix: str
    env: dict[str, str]


@pytest.fixture
async def store(make_s3: MakeS3, s3_server: SeaweedSandbox, raw_s3: Any) -> Store:
    """The 40 MiB object, written as 8 parts of 5 MiB (a multipart ETag, no SHA-256 needed)."""
    writer = make_s3()
    await raw_s3.put_object(Bucket=TEST_BUCKET, Key=writer.key_for("probe"), Body=b"x")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STORAGE_", "AWS_"))}
    env.update(
        STORAGE_TYPE="S3",
        STORAGE_S3_BUCKET=TEST_BUCKET,
        STORAGE_S3_PREFIX=writer.prefix,
        STORAGE_S3_ACCESS_KEY_ID=s3_server.access_key,
        STORAGE_S3_SECRET_ACCESS_KEY=s3_server.secret_key,
    )
    await put_multipart(raw_s3, writer.key_for(KEY), payload(1))
    return Store(writer.prefix, env)


async def put_multipart(raw_s3: Any, key: str, data: bytes, part: int = 5 * MiB) -> None:
    created = await raw_s3.create_multipart_upload(Bucket=TEST_BUCKET, Key=key)
    parts = []
    for number, start in enumerate(range(0, len(data), part), start=1):
        answer = await raw_s3.upload_part(
            Bucket=TEST_BUCKET,
            Key=key,
            UploadId=created["UploadId"],
            PartNumber=number,
            Body=data[start : start + part],
        )
        parts.append({"ETag": answer["ETag"], "PartNumber": number})
    await raw_s3.complete_multipart_upload(
        Bucket=TEST_BUCKET,
        Key=key,
        UploadId=created["UploadId"],
        MultipartUpload={"Parts": parts},
    )


async def run_get(store: Store, proxy_url: str, target: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "file_storage.cli.main",
        "get",
        KEY,
        str(target),
        env={**store.env, "STORAGE_S3_ENDPOINT_URL": proxy_url},
        cwd=target.parent,  # no stray .env from the developer's checkout
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def killed_get(store: Store, s3_server: SeaweedSandbox, target: Path) -> tuple[Path, int]:
    """Run ``get`` until the relay stopped at ~60 % and the temp file took those bytes, then
    SIGKILL it; return the kept temp file and how many bytes its record says are on disk."""
    proxy = FaultProxy(s3_server.endpoint_url)
    url = await proxy.start()
    proxy.freeze_after_down = STOP_AT
    try:
        child = await run_get(store, url, target)
        deadline = time.monotonic() + 60
        kept, last_change = -1, time.monotonic()
        while time.monotonic() < deadline:
            if child.returncode is not None:
                _out, err = await child.communicate()
                raise AssertionError(f"get ended before it was killed: {err.decode()}")
            found = partials_of(target)
            now = kept
            if found and proxy.down_bytes >= STOP_AT:
                now = sum(b - a for a, b in kept_ranges(found[0]))
            if now != kept:
                kept, last_change = now, time.monotonic()
            elif kept > 0 and time.monotonic() - last_change > 0.5:
                break  # the relay holds the rest: nothing more can land
            await asyncio.sleep(0.05)
        else:
            raise AssertionError(f"no bytes kept within 60 s (relayed {proxy.down_bytes})")
        child.send_signal(signal.SIGKILL)
        await child.communicate()
        assert child.returncode == -signal.SIGKILL
    finally:
        await proxy.close()
    [partial] = partials_of(target)
    assert is_ours(partial)
    # Most of what was relayed reached the file, and no more than that is claimed.
    assert STOP_AT // 2 < kept <= STOP_AT, kept
    return partial, kept


async def resumed_get(store: Store, s3_server: SeaweedSandbox, target: Path) -> tuple[str, int]:
    """Run ``get`` to the end through a counting relay; return its output and bytes relayed."""
    proxy = FaultProxy(s3_server.endpoint_url)
    url = await proxy.start()
    try:
        child = await run_get(store, url, target)
        out, err = await asyncio.wait_for(child.communicate(), 90)
    finally:
        await proxy.close()
    assert child.returncode == 0, err.decode()
    return out.decode(), proxy.down_bytes


async def test_killed_get_resumes_with_only_the_missing_bytes(
    store: Store, s3_server: SeaweedSandbox, tmp_path: Path
) -> None:
    target = tmp_path / "source.mp4"
    _partial, kept = await killed_get(store, s3_server, target)

    output, relayed = await resumed_get(store, s3_server, target)

    assert target.read_bytes() == payload(1)
    assert "resumed:" in output, output
    assert SIZE - kept <= relayed < SIZE - kept + HEADERS_SLACK, (relayed, kept)
    assert partials_of(target) == [], "the kept temp file was not used up"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["source.mp4"]
    assert RESUME_XATTR not in os.listxattr(target)


async def test_object_replaced_after_the_kill_starts_again_from_zero(
    store: Store, s3_server: SeaweedSandbox, raw_s3: Any, tmp_path: Path, make_s3: MakeS3
) -> None:
    target = tmp_path / "source.mp4"
    await killed_get(store, s3_server, target)
    key = make_s3(prefix=store.prefix).key_for(KEY)
    await put_multipart(raw_s3, key, payload(2))

    output, relayed = await resumed_get(store, s3_server, target)

    assert target.read_bytes() == payload(2), "the new version, not a mix of two"
    assert "not resumed: the object changed" in output, output
    assert "resumed:" not in output.replace("not resumed:", "")
    assert relayed >= SIZE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["source.mp4"]


async def test_flipped_byte_in_kept_file_is_caught_and_fetched_again(
    store: Store, s3_server: SeaweedSandbox, tmp_path: Path
) -> None:
    target = tmp_path / "source.mp4"
    partial, kept = await killed_get(store, s3_server, target)
    start, end = kept_ranges(partial)[0]
    at = (start + end) // 2
    with open(partial, "r+b") as handle:  # a bit rot in the kept bytes, under the record
        handle.seek(at)
        byte = handle.read(1)
        handle.seek(at)
        handle.write(bytes([byte[0] ^ 0x01]))

    output, relayed = await resumed_get(store, s3_server, target)

    assert target.read_bytes() == payload(1)
    assert "not resumed: the kept partial file failed the final proof" in output, output
    # The missing part, then everything again: nothing of the damaged file was trusted.
    assert relayed >= SIZE - kept + SIZE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["source.mp4"]


async def test_lost_connection_keeps_the_temp_file_for_the_next_download(
    store: Store, s3_server: SeaweedSandbox, make_s3: MakeS3, tmp_path: Path
) -> None:
    """In one process (the app): a connection lost for good fails the download but keeps its
    bytes; the next download of the same object fetches only the rest."""
    proxy = FaultProxy(s3_server.endpoint_url)
    url = await proxy.start()
    try:
        tuning = S3Tuning(
            part_size=5 * MiB, multipart_threshold=5 * MiB, stall_timeout=1.0, max_attempts=2
        )
        backend = make_s3(prefix=store.prefix, endpoint_url=url, tuning=tuning)
        target = tmp_path / "source.mp4"
        proxy.freeze_after_down = STOP_AT
        with pytest.raises(EndpointUnreachableError):
            await backend.download_file(KEY, target)
        assert not target.exists()
        [partial] = partials_of(target)
        kept = sum(b - a for a, b in kept_ranges(partial))
        assert STOP_AT // 2 < kept <= STOP_AT, kept

        proxy.freeze_after_down = None
        before = proxy.down_bytes
        result = await backend.download_file(KEY, target)
        relayed = proxy.down_bytes - before
    finally:
        await proxy.close()
    assert target.read_bytes() == payload(1)
    assert result.verified
    assert result.resumed_bytes == kept
    assert SIZE - kept <= relayed < SIZE - kept + HEADERS_SLACK, (relayed, kept)
    assert partials_of(target) == []
