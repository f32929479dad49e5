"""Fixtures for the sync tests: a local store, an S3 prefix on the real SeaweedFS, an index."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from file_storage import LocalStorageBackend, S3StorageBackend
from file_storage.sync import SyncIndex
from tests.conftest import TEST_BUCKET, MakeS3


@dataclass
class Pair:
    """Both sides and the index, plus helpers to change each side behind the engine's back."""

    local: LocalStorageBackend
    remote: S3StorageBackend
    index: SyncIndex
    raw: Any

    @property
    def root(self) -> Path:
        return self.local.base_path

    def write_local(self, path: str, data: bytes, *, age: float = 0.0) -> Path:
        full = self.root / path
        full.parent.mkdir(parents=True, exist_ok=True)
        full.write_bytes(data)
        if age:
            stamp = time.time() - age
            os.utime(full, (stamp, stamp))
        return full

    def read_local(self, path: str) -> bytes:
        return (self.root / path).read_bytes()

    def key(self, path: str) -> str:
        return f"{self.remote.prefix}/{path}"

    async def put_foreign(self, path: str, data: bytes) -> None:
        """Store an object the way another client would: no SHA-256 metadata."""
        await self.raw.put_object(Bucket=TEST_BUCKET, Key=self.key(path), Body=data)

    async def put_foreign_multipart(self, path: str, data: bytes, part_size: int) -> str:
        """A multipart upload without our metadata (as the aws CLI does); returns the ETag."""
        key = self.key(path)
        created = await self.raw.create_multipart_upload(Bucket=TEST_BUCKET, Key=key)
        parts = []
        for number, start in enumerate(range(0, len(data), part_size), start=1):
            answer = await self.raw.upload_part(
                Bucket=TEST_BUCKET,
                Key=key,
                UploadId=created["UploadId"],
                PartNumber=number,
                Body=data[start : start + part_size],
            )
            parts.append({"PartNumber": number, "ETag": answer["ETag"]})
        done = await self.raw.complete_multipart_upload(
            Bucket=TEST_BUCKET,
            Key=key,
            UploadId=created["UploadId"],
            MultipartUpload={"Parts": parts},
        )
        return str(done["ETag"]).strip('"')

    async def remote_keys(self, prefix: str = "") -> list[str]:
        """Every key under the backend's prefix (raw listing, temp/ included)."""
        keys: list[str] = []
        paginator = self.raw.get_paginator("list_objects_v2")
        async for page in paginator.paginate(
            Bucket=TEST_BUCKET, Prefix=f"{self.remote.prefix}/{prefix}"
        ):
            keys.extend(
                obj["Key"][len(self.remote.prefix) + 1 :] for obj in page.get("Contents", [])
            )
        return sorted(keys)


@pytest.fixture
async def pair(tmp_path: Path, make_s3: MakeS3, raw_s3: Any) -> AsyncIterator[Pair]:
    local = LocalStorageBackend(tmp_path / "store")
    remote = make_s3()
    index = SyncIndex(tmp_path / "data" / "sync-index.sqlite3")
    async with local, index:
        await remote.ensure_open()
        yield Pair(local, remote, index, raw_s3)
