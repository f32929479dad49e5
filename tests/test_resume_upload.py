"""Interrupted multipart uploads are resumed, not restarted (issue 11, item 2, upload side).

A ``leap-storage put`` killed with SIGKILL at 60 % leaves its upload open with the parts it
finished noted in the journal (file_storage/backends/s3/journal.py). The next put of the same
file to the same key lists the upload's parts, trusts those whose ETag and size match the
journal, sends only the rest, and completes: about 40 % of the bytes. A file that changed in
between is restarted from zero. Within one put, a connection lost after some parts went through
goes on with the missing parts instead of failing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from file_storage import S3StorageBackend, S3Tuning
from file_storage.backends.s3.journal import UploadJournal, journal_path_beside
from file_storage.backends.s3.transfer import MultipartUpload
from file_storage.sandbox import SeaweedSandbox
from tests.conftest import TEST_BUCKET, cli_s3_env, sha256_of, write_random
from tests.fault_proxy import FaultProxy

pytestmark = pytest.mark.s3

MiB = 1024 * 1024
PART = 5 * MiB
SIZE = 48 * MiB  # 10 parts, the last one 3 MiB
PARTS = 10
KILL_AFTER_PARTS = 6


class CountingProxy(FaultProxy):
    """The fault relay, also counting the bytes sent upstream (client to server).

    ``freeze_after_up = n``: every connection stops once ``n`` bytes went upstream (held, as
    ``frozen``). ``reset_after_up = n``: once ``n`` bytes went upstream, every open connection
    is reset and new ones are reset on accept for ``refuse_s`` seconds (a lost connection).
    """

    def __init__(self, upstream: str) -> None:
        super().__init__(upstream)
        self.up_bytes = 0
        self.freeze_after_up: int | None = None
        self.reset_after_up: int | None = None
        self.refuse_s = 0.0
        self.refuse_until = 0.0
        self.resets = 0

    def _stalled(self, downstream: bool) -> bool:
        limit = self.freeze_after_up
        return super()._stalled(downstream) or (limit is not None and self.up_bytes >= limit)

    def _reset_all(self) -> None:
        self.resets += 1
        self.refuse_until = time.monotonic() + self.refuse_s
        for writer in list(self._writers):
            writer.transport.abort()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if time.monotonic() < self.refuse_until:
            writer.transport.abort()
            return
        await super()._handle(reader, writer)

    async def _pump(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, *, downstream: bool
    ) -> None:
        while True:
            if self._stalled(downstream):
                await self._hold()
                return
            data = await source.read(65536)
            if not data:
                with contextlib.suppress(OSError):
                    sink.write_eof()
                return
            if self._stalled(downstream):
                await self._hold()  # frozen while this read waited: never delivered
                return
            if downstream:
                self.down_bytes += len(data)
            else:
                self.up_bytes += len(data)
                limit = self.reset_after_up
                if limit is not None and self.up_bytes >= limit:
                    self.reset_after_up = None
                    self._reset_all()
                    return
            sink.write(data)
            await sink.drain()


def cli_env(server: SeaweedSandbox, endpoint: str, prefix: str, index: Path) -> dict[str, str]:
    # One part at a time: once part 7's bytes flow, part 6 is in the journal.
    return cli_s3_env(server, endpoint, prefix, index, STORAGE_S3_MAX_CONCURRENCY="1")


def backend_for(
    server: SeaweedSandbox, prefix: str, journal: Path, endpoint: str, **tuning: Any
) -> S3StorageBackend:
    return S3StorageBackend(
        TEST_BUCKET,
        prefix=prefix,
        access_key_id=server.access_key,
        secret_access_key=server.secret_key,
        endpoint_url=endpoint,
        tuning=S3Tuning(part_size=PART, multipart_threshold=PART, upload_journal=journal, **tuning),
    )


async def open_uploads(raw_s3: Any, prefix: str) -> list[str]:
    page = await raw_s3.list_multipart_uploads(Bucket=TEST_BUCKET, Prefix=prefix + "/")
    return [upload["UploadId"] for upload in page.get("Uploads", [])]


async def kill_put_at_60_percent(
    server: SeaweedSandbox, source: Path, prefix: str, index: Path, relay: CountingProxy, url: str
) -> str:
    """Run ``leap-storage put`` of ``source`` through ``relay``; SIGKILL it with 6 of its 10
    parts done. The relay freezes 1 MiB into part 7 (nothing more reaches the server), the test
    waits for the journal to hold part 6, then kills. Returns the upload id."""
    journal = UploadJournal(journal_path_beside(index))
    relay.freeze_after_up = relay.up_bytes + KILL_AFTER_PARTS * PART + MiB
    process = subprocess.Popen(
        [sys.executable, "-m", "file_storage.cli.main", "put", str(source), "lecture.mp4"],
        env=cli_env(server, url, prefix, index),
        cwd=source.parent,  # no stray .env from the developer's checkout
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "the put never got 6 parts into the journal"
            entries = await asyncio.to_thread(journal.entries, None)
            if entries:
                noted = await asyncio.to_thread(journal.parts, entries[0].upload_id)
                if len(noted) >= KILL_AFTER_PARTS:
                    break
            await asyncio.sleep(0.02)
        process.kill()
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        if process.stderr is not None:
            process.stderr.close()
    relay.freeze_after_up = None  # new connections pass again (the killed one's stay held)
    assert sorted(noted) == list(range(1, KILL_AFTER_PARTS + 1))
    return entries[0].upload_id


def aws_head(server: SeaweedSandbox, key: str) -> dict[str, Any] | None:
    """``aws s3api head-object`` as another client sees the object (None: no aws CLI here)."""
    try:
        from bench.cli_tools import aws_binary

        binary = aws_binary()
    except (ImportError, FileNotFoundError):
        return None
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID=server.access_key,
        AWS_SECRET_ACCESS_KEY=server.secret_key,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    if "AWS_CA_BUNDLE" in os.environ:
        env["AWS_CA_BUNDLE"] = os.environ["AWS_CA_BUNDLE"]
    command = [binary, "s3api", "head-object", "--endpoint-url", server.endpoint_url]
    done = subprocess.run(
        [*command, "--bucket", TEST_BUCKET, "--key", key],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.fixture
async def relay(s3_server: SeaweedSandbox) -> Any:
    proxy = CountingProxy(s3_server.endpoint_url)
    url = await proxy.start()
    try:
        yield proxy, url
    finally:
        await proxy.close()


async def test_a_put_killed_at_60_percent_is_resumed_by_the_next_put(
    s3_server: SeaweedSandbox,
    raw_s3: Any,
    tmp_path: Path,
    relay: tuple[CountingProxy, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    proxy, url = relay
    prefix = f"t-{uuid.uuid4().hex[:12]}"
    index = tmp_path / "data" / "index.sqlite3"
    source = write_random(tmp_path / "lecture.mp4", SIZE, seed=11)
    upload_id = await kill_put_at_60_percent(s3_server, source, prefix, index, proxy, url)
    assert await open_uploads(raw_s3, prefix) == [upload_id]
    # cleanup-uploads keeps it (its file is unchanged) and says whose it is.
    listed = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "file_storage.cli.main", "cleanup-uploads"],
        env=cli_env(s3_server, url, prefix, index),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    assert f"an interrupted put of {source} (its next put resumes it)" in listed.stdout
    assert await open_uploads(raw_s3, prefix) == [upload_id]

    backend = backend_for(s3_server, prefix, journal_path_beside(index), url)
    backend.list_parts_page = 4  # 6 parts stored: ListParts takes two pages
    caplog.set_level(logging.INFO, logger="file_storage")
    sent_before = proxy.up_bytes
    async with backend:
        await backend.upload_file("lecture.mp4", source)
        sent = backend.stats.bytes_uploaded
        assert 0.30 * SIZE <= sent <= 0.55 * SIZE, f"sent {sent / SIZE:.0%} of the file"
        assert proxy.up_bytes - sent_before < 0.55 * SIZE  # what really went over the wire
        assert "Resuming the upload of" in caplog.text
        assert caplog.text.count("s3 list_parts") >= 2, "ListParts was not read in pages"
        assert await open_uploads(raw_s3, prefix) == []
        assert await backend.journal_entries() == []
        # Verified exactly like a fresh upload: SHA-256 metadata and the multipart ETag.
        result = await backend.download_file("lecture.mp4", tmp_path / "back.mp4")
        assert result.verified
    assert sha256_of(tmp_path / "back.mp4") == sha256_of(source)
    head = aws_head(s3_server, f"{prefix}/lecture.mp4")
    if head is not None:
        assert head["ContentLength"] == SIZE
        assert head["ETag"].strip('"').endswith(f"-{PARTS}")
        assert head["Metadata"]["sha256"] == sha256_of(source)


async def test_a_file_changed_after_the_kill_is_uploaded_again_from_zero(
    s3_server: SeaweedSandbox,
    raw_s3: Any,
    tmp_path: Path,
    relay: tuple[CountingProxy, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    proxy, url = relay
    prefix = f"t-{uuid.uuid4().hex[:12]}"
    index = tmp_path / "data" / "index.sqlite3"
    source = write_random(tmp_path / "lecture.mp4", SIZE, seed=12)
    await kill_put_at_60_percent(s3_server, source, prefix, index, proxy, url)
    write_random(source, SIZE, seed=13)  # edited: same name, same size, other bytes

    backend = backend_for(s3_server, prefix, journal_path_beside(index), url)
    caplog.set_level(logging.INFO, logger="file_storage")
    async with backend:
        await backend.upload_file("lecture.mp4", source)
        assert backend.stats.bytes_uploaded == SIZE
        assert "lecture.mp4 changed since" in caplog.text  # said, then aborted
        assert "Resuming" not in caplog.text
        assert await open_uploads(raw_s3, prefix) == []
        assert await backend.journal_entries() == []
        result = await backend.download_file("lecture.mp4", tmp_path / "back.mp4")
        assert result.verified
    assert sha256_of(tmp_path / "back.mp4") == sha256_of(source)


async def test_a_lost_connection_mid_put_goes_on_without_resending_done_parts(
    s3_server: SeaweedSandbox,
    raw_s3: Any,
    tmp_path: Path,
    relay: tuple[CountingProxy, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    proxy, url = relay
    prefix = f"t-{uuid.uuid4().hex[:12]}"
    size = 24 * MiB  # 5 parts
    source = write_random(tmp_path / "talk.mp4", size, seed=14)
    # Two attempts per request: the reset and the refusals after it outlast a request's own
    # retries, so only the put going on with its missing parts can save the upload.
    backend = backend_for(
        s3_server, prefix, tmp_path / "uploads.sqlite3", url, max_attempts=2, max_concurrency=2
    )
    sends: list[tuple[int, bool]] = []
    put_part = backend.put_part

    async def counted(upload: MultipartUpload, number: int, data: bytes | memoryview) -> str:
        try:
            etag = await put_part(upload, number, data)
        except BaseException:
            sends.append((number, False))
            raise
        sends.append((number, True))
        return etag

    backend.put_part = counted  # type: ignore[method-assign]
    caplog.set_level(logging.INFO, logger="file_storage")
    async with backend:
        await backend.check()
        proxy.refuse_s = 1.0
        proxy.reset_after_up = proxy.up_bytes + size // 2
        sent_before = proxy.up_bytes
        await backend.upload_file("talk.mp4", source)
        assert proxy.resets == 1
        assert "going on with the" in caplog.text
        assert await open_uploads(raw_s3, prefix) == []
        result = await backend.download_file("talk.mp4", tmp_path / "back.mp4")
        assert result.verified
    assert sha256_of(tmp_path / "back.mp4") == sha256_of(source)
    # Each part was stored once and never sent again after that.
    stored = [number for number, ok in sends if ok]
    assert sorted(stored) == [1, 2, 3, 4, 5]
    for number in stored:
        first_ok = sends.index((number, True))
        assert (number, False) not in sends[first_ok:], f"part {number} sent again"
    assert any(not ok for _number, ok in sends), "the reset failed no part"
    # At most the parts in flight at the reset went twice.
    assert proxy.up_bytes - sent_before < size + 2 * PART + MiB
