"""The design note's S3 backend, reproduced as the baseline (``S3_INTEGRATION_TODO.md``, 1.1).

This is the sketch as written: a new ``aioboto3.Session`` and client for every call, whole
``bytes`` in memory (``put_object(Body=content)``, ``await body.read()``), and, with a quota set,
a full listing of the prefix (``list_objects_v2`` paginator summing sizes) before every save.
``list_files`` follows the note's outline in "3. Listing Files". Files move the way the note's
FFmpeg section does it: ``read_bytes()`` then ``save``, ``load`` then ``write_bytes()``.

The only additions are the ``requests`` and ``listings`` counters (so the report can show what a
save costs) and the logger, which the note imports from the platform's ``logger`` module.
"""

from __future__ import annotations

import logging
from pathlib import Path

import aioboto3
from botocore.exceptions import ClientError

logger = logging.getLogger(__name__)


class StorageQuotaExceededError(Exception):
    """The note's ``StorageQuotaExceededError`` (from its ``backends.base``)."""


class NoteS3Backend:
    """S3 storage backend implementation, as sketched in the design note."""

    def __init__(
        self,
        bucket_name: str,
        prefix: str = "storage",
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        endpoint_url: str | None = None,
        max_size_gb: int | None = None,
    ):
        self.bucket_name = bucket_name
        self.prefix = prefix.rstrip("/")
        self.region = region
        self.endpoint_url = endpoint_url
        self.max_size_gb = max_size_gb
        self.requests = 0
        self.listings = 0
        self.session_config = {"region_name": region}
        if access_key_id and secret_access_key:
            self.session_config.update(
                {"aws_access_key_id": access_key_id, "aws_secret_access_key": secret_access_key}
            )

    def _get_s3_key(self, path: str) -> str:
        return f"{self.prefix}/{path}"

    async def save(self, path: str, content: bytes) -> str:
        """Save file to S3 (quota checked by listing the whole prefix first)."""
        if self.max_size_gb is not None:
            current_size = await self.get_total_size()
            if current_size + len(content) > self.max_size_gb * (1024**3):
                raise StorageQuotaExceededError(
                    f"Storage quota exceeded: {current_size / (1024**3):.2f}GB / "
                    f"{self.max_size_gb}GB"
                )
        s3_key = self._get_s3_key(path)
        session = aioboto3.Session(**self.session_config)
        async with session.client("s3", endpoint_url=self.endpoint_url) as s3:
            try:
                self.requests += 1
                await s3.put_object(Bucket=self.bucket_name, Key=s3_key, Body=content)
                logger.info(f"Saved to S3: s3://{self.bucket_name}/{s3_key}")
                return s3_key
            except ClientError as e:
                logger.error(f"Failed to save to S3: {e}")
                raise

    async def load(self, path: str) -> bytes:
        """Load file from S3 (the whole object into memory)."""
        s3_key = self._get_s3_key(path)
        session = aioboto3.Session(**self.session_config)
        async with session.client("s3", endpoint_url=self.endpoint_url) as s3:
            try:
                self.requests += 1
                response = await s3.get_object(Bucket=self.bucket_name, Key=s3_key)
                content = await response["Body"].read()
                return content
            except ClientError as e:
                if e.response["Error"]["Code"] == "NoSuchKey":
                    raise FileNotFoundError(
                        f"File not found: s3://{self.bucket_name}/{s3_key}"
                    ) from e
                logger.error(f"Failed to load from S3: {e}")
                raise

    async def delete(self, path: str) -> None:
        """Delete file from S3."""
        s3_key = self._get_s3_key(path)
        session = aioboto3.Session(**self.session_config)
        async with session.client("s3", endpoint_url=self.endpoint_url) as s3:
            self.requests += 1
            await s3.delete_object(Bucket=self.bucket_name, Key=s3_key)

    async def get_total_size(self) -> int:
        """Get total size of all files in storage (a full listing of the prefix)."""
        total_size = 0
        prefix = f"{self.prefix}/"
        self.listings += 1
        session = aioboto3.Session(**self.session_config)
        async with session.client("s3", endpoint_url=self.endpoint_url) as s3:
            paginator = s3.get_paginator("list_objects_v2")
            async for page in paginator.paginate(Bucket=self.bucket_name, Prefix=prefix):
                self.requests += 1
                if "Contents" in page:
                    for obj in page["Contents"]:
                        total_size += obj["Size"]
        return total_size

    async def list_files(self, prefix: str) -> list[str]:
        """List all keys under ``prefix`` with the ``list_objects_v2`` paginator."""
        results: list[str] = []
        s3_prefix = self._get_s3_key(prefix)
        self.listings += 1
        session = aioboto3.Session(**self.session_config)
        async with session.client("s3", endpoint_url=self.endpoint_url) as s3:
            paginator = s3.get_paginator("list_objects_v2")
            async for page in paginator.paginate(Bucket=self.bucket_name, Prefix=s3_prefix):
                self.requests += 1
                results.extend(obj["Key"] for obj in page.get("Contents", []))
        return results

    async def upload_file(self, path: str, local_path: Path) -> str:
        """Upload a local file the note's way: ``read_bytes()`` then ``save``."""
        return await self.save(path, Path(local_path).read_bytes())

    async def download_file(self, path: str, local_path: Path) -> None:
        """Download the note's way: ``load`` then ``write_bytes()``."""
        content = await self.load(path)
        Path(local_path).write_bytes(content)
