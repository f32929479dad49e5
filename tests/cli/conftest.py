"""Fixtures for ``leap-storage`` tests: settings for S3 on the session's SeaweedFS, the aws CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from file_storage.sandbox import SeaweedSandbox
from tests.conftest import TEST_BUCKET


class Store:
    """One fresh prefix of the test bucket, as the CLI's environment and as the aws CLI sees it."""

    def __init__(self, server: SeaweedSandbox, tmp_path: Path) -> None:
        self.server = server
        self.prefix = f"t-{uuid.uuid4().hex[:12]}"
        self.root = tmp_path / "store"
        self.env = {
            "STORAGE_TYPE": "S3",
            "STORAGE_LOCAL_PATH": str(self.root),
            "STORAGE_S3_BUCKET": TEST_BUCKET,
            "STORAGE_S3_PREFIX": self.prefix,
            "STORAGE_S3_ENDPOINT_URL": server.endpoint_url,
            "STORAGE_S3_ACCESS_KEY_ID": server.access_key,
            "STORAGE_S3_SECRET_ACCESS_KEY": server.secret_key,
            "STORAGE_SYNC_INDEX_PATH": str(tmp_path / "index.sqlite3"),
        }

    def url(self, path: str = "") -> str:
        """``s3://bucket/prefix/path``."""
        return f"s3://{TEST_BUCKET}/{self.prefix}/{path}"

    def aws_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "STORAGE_"))}
        env.update(
            AWS_ACCESS_KEY_ID=self.server.access_key,
            AWS_SECRET_ACCESS_KEY=self.server.secret_key,
            AWS_DEFAULT_REGION="us-east-1",
            AWS_CONFIG_FILE=os.devnull,
            AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        )
        return env

    def aws(self, *args: str) -> str:
        """Run the aws CLI on the test server; return its stdout."""
        binary = shutil.which("aws")
        if binary is None:
            pytest.skip("the aws CLI is not installed")
        done = subprocess.run(
            [binary, "--endpoint-url", self.server.endpoint_url, *args],
            env=self.aws_env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout

    def aws_keys(self, below: str = "") -> dict[str, int]:
        """Every key under the prefix (relative to it) with its size, listed by the aws CLI."""
        out = self.aws(
            "s3api",
            "list-objects-v2",
            "--bucket",
            TEST_BUCKET,
            "--prefix",
            f"{self.prefix}/{below}",
            "--output",
            "json",
        )
        contents = json.loads(out or "{}").get("Contents", [])
        return {c["Key"][len(self.prefix) + 1 :]: c["Size"] for c in contents}

    def client(self) -> Any:
        """A plain boto3 client on the test server: quicker than the aws CLI (3 s a call) for
        the intermediate looks; each test still checks its result with the aws CLI."""
        return boto3.client(
            "s3",
            endpoint_url=self.server.endpoint_url,
            aws_access_key_id=self.server.access_key,
            aws_secret_access_key=self.server.secret_key,
            region_name="us-east-1",
        )

    def keys(self, below: str = "") -> dict[str, int]:
        """Like :meth:`aws_keys`, through boto3."""
        pages = self.client().get_paginator("list_objects_v2")
        found: dict[str, int] = {}
        for page in pages.paginate(Bucket=TEST_BUCKET, Prefix=f"{self.prefix}/{below}"):
            for item in page.get("Contents", []):
                found[item["Key"][len(self.prefix) + 1 :]] = item["Size"]
        return found

    def head(self, path: str) -> dict[str, Any]:
        """HeadObject through boto3."""
        result: dict[str, Any] = self.client().head_object(
            Bucket=TEST_BUCKET, Key=f"{self.prefix}/{path}"
        )
        return result

    def aws_head(self, path: str) -> dict[str, object]:
        out = self.aws(
            "s3api", "head-object", "--bucket", TEST_BUCKET, "--key", f"{self.prefix}/{path}"
        )
        result: dict[str, object] = json.loads(out)
        return result


@pytest.fixture
def store(s3_server: SeaweedSandbox, tmp_path: Path) -> Store:
    return Store(s3_server, tmp_path)
