"""Multipart uploads left open by a killed client are aborted by the next one (issue 11).

"Abort later" lived in memory: a ``leap-storage put`` killed with SIGKILL mid-upload left its
upload open (parts stored and billed), and ``cleanup-uploads`` only aborted uploads older than
24 h. The upload journal (file_storage/backends/s3/journal.py, beside the sync index) records
each upload with its process; the next write to the store aborts those whose process is gone.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from file_storage import S3StorageBackend, S3Tuning
from file_storage.backends.s3.journal import UploadJournal, journal_path_beside
from file_storage.sandbox import SeaweedSandbox
from tests.conftest import TEST_BUCKET, cli_s3_env, write_random
from tests.fault_proxy import FaultProxy

MiB = 1024 * 1024


def backend_for(
    server: SeaweedSandbox, prefix: str, journal: Path, endpoint: str | None = None
) -> S3StorageBackend:
    return S3StorageBackend(
        TEST_BUCKET,
        prefix=prefix,
        access_key_id=server.access_key,
        secret_access_key=server.secret_key,
        endpoint_url=endpoint or server.endpoint_url,
        tuning=S3Tuning(part_size=5 * MiB, multipart_threshold=5 * MiB, upload_journal=journal),
    )


async def open_uploads(raw_s3: Any, prefix: str) -> list[tuple[str, str]]:
    page = await raw_s3.list_multipart_uploads(Bucket=TEST_BUCKET, Prefix=prefix + "/")
    return [(u["Key"], u["UploadId"]) for u in page.get("Uploads", [])]


async def kill_put_mid_upload(
    server: SeaweedSandbox, tmp_path: Path, prefix: str, index: Path, relay: FaultProxy, url: str
) -> list[str]:
    """Run ``leap-storage put`` of 40 MiB, SIGKILL it once its upload is under way.

    The put goes through ``relay``, frozen as soon as the journal names the upload, so the kill
    always lands mid-upload. Returns the upload ids the journal held at the kill.
    """
    source = write_random(tmp_path / "lecture.mp4", 40 * MiB, seed=7)
    journal = UploadJournal(journal_path_beside(index))
    process = subprocess.Popen(
        [sys.executable, "-m", "file_storage.cli.main", "put", str(source), "lecture.mp4"],
        env=cli_s3_env(server, url, prefix, index),
        cwd=tmp_path,  # no stray .env from the developer's checkout
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        ids: list[str] = []
        while not ids:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "the put never started its multipart upload"
            await asyncio.sleep(0.05)
            ids = [entry.upload_id for entry in await asyncio.to_thread(journal.entries, None)]
        relay.frozen = True
        process.kill()
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        if process.stderr is not None:
            process.stderr.close()
    relay.frozen = False  # new connections pass again (the killed one's stay held)
    return ids


async def test_the_next_put_aborts_the_upload_of_a_killed_put(
    s3_server: SeaweedSandbox, raw_s3: Any, tmp_path: Path
) -> None:
    prefix = f"t-{uuid.uuid4().hex[:12]}"
    index = tmp_path / "data" / "index.sqlite3"
    relay = FaultProxy(s3_server.endpoint_url)
    url = await relay.start()
    try:
        ids = await kill_put_mid_upload(s3_server, tmp_path, prefix, index, relay, url)
        assert [upload for _key, upload in await open_uploads(raw_s3, prefix)] == ids
        # Its source is gone, so nobody will resume it (tests/test_resume_upload.py: a source
        # that is still there is kept for the next put of it).
        (tmp_path / "lecture.mp4").unlink()

        # The next put to the same store (same endpoint, bucket and data folder).
        backend = backend_for(s3_server, prefix, journal_path_beside(index), url)
        async with backend:
            await backend.save("next.txt", b"the next put")
            assert await open_uploads(raw_s3, prefix) == []
            assert await backend.journal_entries() == []
    finally:
        await relay.close()


async def test_uploads_of_running_processes_are_left_alone(
    s3_server: SeaweedSandbox, raw_s3: Any, tmp_path: Path
) -> None:
    prefix = f"t-{uuid.uuid4().hex[:12]}"
    journal_path = tmp_path / "uploads.sqlite3"
    backend = backend_for(s3_server, prefix, journal_path)
    key = f"{prefix}/in-progress.mp4"
    created = await raw_s3.create_multipart_upload(Bucket=TEST_BUCKET, Key=key)
    async with backend:
        # As another running process of this machine would (this test's process is alive).
        UploadJournal(journal_path).record(backend.journal_store, key, created["UploadId"])
        await backend.save("next.txt", b"x")
        assert await open_uploads(raw_s3, prefix) == [(key, created["UploadId"])]
        assert await backend.abort_journal_orphans() == 0
    await raw_s3.abort_multipart_upload(Bucket=TEST_BUCKET, Key=key, UploadId=created["UploadId"])


async def test_cleanup_uploads_lists_other_uploads_with_their_age_and_aborts_on_request(
    s3_server: SeaweedSandbox, raw_s3: Any, tmp_path: Path
) -> None:
    prefix = f"t-{uuid.uuid4().hex[:12]}"
    index = tmp_path / "data" / "index.sqlite3"
    key = f"{prefix}/other-client.mp4"
    created = await raw_s3.create_multipart_upload(Bucket=TEST_BUCKET, Key=key)
    env = cli_s3_env(s3_server, s3_server.endpoint_url, prefix, index)
    command = [sys.executable, "-m", "file_storage.cli.main", "cleanup-uploads"]

    listed = await asyncio.to_thread(
        subprocess.run, command, env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert listed.returncode == 0, listed.stderr
    assert "aborted 0 unfinished upload(s)" in listed.stdout
    assert f"open: {key} started 0.0 h ago by another client or machine" in listed.stdout
    assert created["UploadId"] in listed.stdout
    assert await open_uploads(raw_s3, prefix) == [(key, created["UploadId"])]

    aborted = await asyncio.to_thread(
        subprocess.run, [*command, "--all"], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert aborted.returncode == 0, aborted.stderr
    assert "aborted 1 unfinished upload(s)" in aborted.stdout
    assert await open_uploads(raw_s3, prefix) == []


@pytest.mark.parametrize("alive", [True, False])
def test_a_journal_entry_knows_whether_its_process_runs(tmp_path: Path, alive: bool) -> None:
    journal = UploadJournal(tmp_path / "uploads.sqlite3")
    if alive:
        journal.record("store", "key", "upload-1")
    else:
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys; from pathlib import Path; "
                "from file_storage.backends.s3.journal import UploadJournal; "
                "UploadJournal(Path(sys.argv[1])).record('store', 'key', 'upload-1')",
                str(journal.path),
            ]
        )
        assert child.wait(30) == 0
    [entry] = journal.entries("store")
    assert entry.owner_alive() is alive
    assert journal.orphans("store") == ([] if alive else [entry])
    journal.forget("upload-1")
    assert journal.entries("store") == []
