"""Issue 10, case 3 in the app: a download nothing can prove is kept, and its row says so.

The object is a plain single PUT on the real SeaweedFS; the relay in front of it adds
``x-amz-server-side-encryption: aws:kms`` to every answer, which makes its ETag no content hash
(as on AWS with SSE-KMS), and there is no recorded SHA-256: no proof exists.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.models.transfer_model import Column, TransferTableModel
from app.services.transfers import JobQueue, JobState
from file_storage.sandbox import SeaweedSandbox
from tests.conftest import TEST_BUCKET, MakeS3
from tests.flip_proxy import FlipProxy

KEY = "users/user_000001/recordings/r1/source.mp4"


@pytest.fixture
async def queue() -> AsyncIterator[JobQueue]:
    jobs = JobQueue()
    yield jobs
    assert await jobs.shutdown()


async def test_an_unprovable_download_is_kept_and_its_row_says_not_verified(
    queue: JobQueue, make_s3: MakeS3, s3_server: SeaweedSandbox, raw_s3: Any, tmp_path: Path
) -> None:
    writer = make_s3()
    body = os.urandom(300_000)
    await raw_s3.put_object(Bucket=TEST_BUCKET, Key=writer.key_for(KEY), Body=body)
    model = TransferTableModel(queue)
    async with FlipProxy(
        s3_server.endpoint_url, add_headers={"x-amz-server-side-encryption": "aws:kms"}
    ) as proxy:
        reader = make_s3(prefix=writer.prefix, endpoint_url=proxy.url)
        target = tmp_path / "out" / "source.mp4"
        job = queue.add_download(reader, KEY, target)
        for _ in range(300):
            if job.state in (JobState.DONE, JobState.FAILED):
                break
            await asyncio.sleep(0.05)
    assert (job.state, job.error) == (JobState.DONE, "")
    assert target.read_bytes() == body
    row = model.index(0, Column.PROGRESS)
    assert row.data() == "Saved, NOT verified"
    assert "aws:kms" in model.index(0, Column.NAME).data(Qt.ItemDataRole.ToolTipRole)


async def test_a_proven_download_row_is_plain_done(
    queue: JobQueue, make_s3: MakeS3, tmp_path: Path
) -> None:
    backend = make_s3()
    await backend.save(KEY, os.urandom(300_000))
    model = TransferTableModel(queue)
    job = queue.add_download(backend, KEY, tmp_path / "source.mp4")
    for _ in range(300):
        if job.state in (JobState.DONE, JobState.FAILED):
            break
        await asyncio.sleep(0.05)
    assert job.state is JobState.DONE
    assert job.unverified == ""
    assert model.index(0, Column.PROGRESS).data() == "100 %"
