"""Probe results cached per object version, so trees can show durations without probing again.

A version is named by what identifies its content without reading it: the SHA-256 stored at
upload, else the S3 ETag (with the size), else, on local disk, the path with size and mtime.
Listings carry the last two, so a tree can look a row up from its listing alone; entries are
written under every name the object has, so a file probed locally is known after its upload.
The store is a small SQLite file; every call runs in a worker thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from file_storage.backends.base import ObjectInfo
from file_storage.media.info import MediaInfo

CACHE_FILENAME = "media-info.sqlite3"


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/leap-sync`` (``~/.cache/leap-sync``); the app passes its own folder."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "leap-sync"


def version_keys(info: ObjectInfo) -> list[str]:
    """Every cache name of this object version, most specific first."""
    keys = []
    if info.sha256:
        keys.append(f"sha256:{info.sha256}")
    if info.etag:
        keys.append(f"etag:{info.etag}:{info.size}")
    else:
        keys.append(f"local:{info.path}:{info.size}:{info.modified.timestamp():.6f}")
    return keys


class MediaInfoCache:
    """Probe results by object version, in SQLite (``path``) or in memory (``None``).

    Args:
        path: The database file (created with its folder), or ``None`` for a process-local cache.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            str(path) if path is not None else ":memory:", check_same_thread=False
        )
        with self._lock, self._db:
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS media_info ("
                " version TEXT PRIMARY KEY, info TEXT NOT NULL, probed_at REAL NOT NULL)"
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def get_sync(self, info: ObjectInfo) -> MediaInfo | None:
        """The cached probe of this version, or ``None`` (blocking; tiny, indexed lookup)."""
        keys = version_keys(info)
        marks = ",".join("?" * len(keys))
        with self._lock:
            rows = dict(
                self._db.execute(
                    f"SELECT version, info FROM media_info WHERE version IN ({marks})",  # noqa: S608
                    keys,
                ).fetchall()
            )
        for key in keys:
            if key in rows:
                return MediaInfo.from_json(rows[key])
        return None

    def put_sync(self, info: ObjectInfo | Iterable[ObjectInfo], media: MediaInfo) -> None:
        """Remember ``media`` for one object version (or several names of the same content)."""
        versions = [info] if isinstance(info, ObjectInfo) else list(info)
        now = time.time()
        text = media.to_json()
        rows = [(key, text, now) for version in versions for key in version_keys(version)]
        with self._lock, self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO media_info (version, info, probed_at) VALUES (?, ?, ?)",
                rows,
            )

    async def get(self, info: ObjectInfo) -> MediaInfo | None:
        return await asyncio.to_thread(self.get_sync, info)

    async def put(self, info: ObjectInfo | Iterable[ObjectInfo], media: MediaInfo) -> None:
        await asyncio.to_thread(self.put_sync, info, media)
