"""Test data: local files to upload, and the objects every client lists, sums or downloads.

The bucket is populated with s5cmd (fast, and outside every measurement). Per-run leftovers are
removed right after each run, so every client sees the same bucket: the listing prefixes always
hold exactly the configured number of objects.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
from pathlib import Path

import aioboto3

from bench.cli_tools import s5cmd_binary
from bench.spec import small_name

MiB = 1024 * 1024


def write_random_file(path: Path, size: int) -> None:
    """Write ``size`` random bytes (incompressible, so no layer can cheat) in 8 MiB steps."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as out:
        left = size
        while left:
            step = min(left, 8 * MiB)
            out.write(os.urandom(step))
            left -= step


def write_small_files(folder: Path, count: int, size: int) -> None:
    """Write ``count`` random files named like :func:`bench.spec.small_name`."""
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        (folder / small_name(index)).write_bytes(os.urandom(size))


def create_bucket(endpoint: str, access_key: str, secret_key: str, bucket: str) -> None:
    """Create the bench bucket with a plain aioboto3 client (the sandbox starts empty)."""

    async def create() -> None:
        session = aioboto3.Session(
            aws_access_key_id=access_key, aws_secret_access_key=secret_key, region_name="us-east-1"
        )
        async with session.client("s3", endpoint_url=endpoint) as client:
            await client.create_bucket(Bucket=bucket)

    asyncio.run(create())


class S5:
    """s5cmd as the harness's own unmeasured tool: populate, verify and clean the bucket."""

    def __init__(self, endpoint: str, env: dict[str, str]) -> None:
        self.endpoint = endpoint
        self.env = env

    def run(self, *args: str) -> str:
        argv = [s5cmd_binary(), "--endpoint-url", self.endpoint, *args]
        done = subprocess.run(argv, env=self.env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"s5cmd {' '.join(args)} failed: {done.stderr[-2000:]}")
        return done.stdout

    def upload_folder(self, folder: Path, url: str) -> None:
        self.run("cp", f"{folder}/*", url.rstrip("/") + "/")

    def upload_file(self, path: Path, url: str) -> None:
        self.run("cp", str(path), url)

    def usage(self, url_glob: str) -> tuple[int, int]:
        """Return ``(objects, bytes)`` under ``url_glob``; ``(0, 0)`` when nothing matches."""
        try:
            out = self.run("du", url_glob)
        except RuntimeError as exc:
            if "no object found" in str(exc):
                return 0, 0
            raise
        match = re.search(r"(\d+) bytes in (\d+) objects", out)
        if match is None:
            raise RuntimeError(f"Unexpected s5cmd du output: {out!r}")
        return int(match.group(2)), int(match.group(1))

    def remove(self, url_glob: str) -> None:
        """Delete what ``url_glob`` matches; nothing matching is fine."""
        try:
            self.run("rm", url_glob)
        except RuntimeError as exc:
            if "no object found" not in str(exc):
                raise


def local_usage(path: Path) -> tuple[int, int]:
    """Return ``(files, bytes)`` of a file or of the regular files directly in a folder."""
    if path.is_file():
        return 1, path.stat().st_size
    if not path.is_dir():
        return 0, 0
    files = [entry for entry in os.scandir(path) if entry.is_file()]
    return len(files), sum(entry.stat().st_size for entry in files)


def remove_local(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
