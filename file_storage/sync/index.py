"""The sync index: one small SQLite file with hash cache, sync history and file locations.

Three tables, all keyed by a store (or store pair) id and a storage path:

* ``local_hash``: SHA-256, MD5 and multipart ETags of local files, valid while the file's size,
  ``mtime_ns``, ``ctime_ns`` and inode are unchanged. A second compare of unchanged files reads
  no content. ``ctime_ns`` is in the key because an in-place edit can restore size and mtime
  (tag editors do), but nothing but the kernel sets ctime.
* ``sync_state``: what both sides held after the last sync of a (local, remote) pair, so a later
  compare can tell "changed here" from "changed there" and a delete from a new file.
* ``location``: which store holds each file of a HYBRID backend.

One connection in WAL mode, used from one dedicated worker thread, so no blocking SQLite call
ever runs on the event loop and calls are serialised without locks.

Everything here is a hint, never proof for a delete. An index of an older schema is upgraded in
place (its rows lack ``ctime_ns``, so they are simply not trusted and get rebuilt); a damaged file
raises :class:`~file_storage.errors.SyncIndexDamagedError`, whose message says how to rebuild it
(:func:`set_aside` moves it away; a fresh index loses no file, only hints).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from file_storage.errors import StorageError, SyncIndexDamagedError

T = TypeVar("T")

#: 2 added ``local_hash.ctime_ns`` and ``sync_state.local_ctime_ns`` (NULL in older rows).
SCHEMA_VERSION = 2
APP_ORGANIZATION = "LeapSync"
APP_NAME = "Leap Sync"
INDEX_FILE_NAME = "sync-index.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS local_hash (
    root TEXT NOT NULL, path TEXT NOT NULL,
    size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, inode INTEGER NOT NULL,
    sha256 TEXT NOT NULL, md5 TEXT, parts TEXT NOT NULL DEFAULT '{}', ctime_ns INTEGER,
    PRIMARY KEY (root, path)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sync_state (
    pair TEXT NOT NULL, path TEXT NOT NULL,
    local_size INTEGER NOT NULL, local_mtime_ns INTEGER NOT NULL, local_inode INTEGER NOT NULL,
    sha256 TEXT NOT NULL, remote_etag TEXT, remote_size INTEGER NOT NULL,
    synced_at REAL NOT NULL, local_ctime_ns INTEGER,
    PRIMARY KEY (pair, path)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS location (
    store TEXT NOT NULL, path TEXT NOT NULL, side TEXT NOT NULL,
    PRIMARY KEY (store, path)
) WITHOUT ROWID;
"""
#: Columns added after version 1: (table, column, type). Older rows get NULL (never trusted).
_ADDED_COLUMNS = (
    ("local_hash", "ctime_ns", "INTEGER"),
    ("sync_state", "local_ctime_ns", "INTEGER"),
)
REBUILD_HINT = "leap-storage rebuild-index"


def default_data_dir(
    *, platform: str | None = None, environ: dict[str, str] | None = None, home: Path | None = None
) -> Path:
    """Return the app's data folder, the same one Qt's ``AppDataLocation`` gives the app.

    Args:
        platform: ``sys.platform`` by default (injectable for tests).
        environ: ``os.environ`` by default.
        home: The user's home folder, ``Path.home()`` by default.
    """
    platform = platform or sys.platform
    env = os.environ if environ is None else environ
    home = home or Path.home()
    if platform.startswith("win"):
        base = Path(env.get("APPDATA") or home / "AppData" / "Roaming")
    elif platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(env.get("XDG_DATA_HOME") or home / ".local" / "share")
    return base / APP_ORGANIZATION / APP_NAME


def default_index_path(data_dir: Path | None = None) -> Path:
    """Return where the sync index lives by default (inside the app's data folder)."""
    return (data_dir or default_data_dir()) / INDEX_FILE_NAME


def pair_id(local_root: str | Path, remote_description: str) -> str:
    """The id under which the history of one (local store, remote store) pair is kept."""
    return f"{Path(local_root)}|{remote_description}"


@dataclass(frozen=True, slots=True)
class LocalDigest:
    """Content identity of one local file, valid for the recorded size, mtime, ctime and inode.

    Attributes:
        parts: Multipart ETags already computed, by part size (``0``: the exact layout of the
            remote object, see :data:`~file_storage.sync.hashing.LAYOUT_KEY`).
        ctime_ns: The file's ctime when it was hashed; ``None`` (a row of an older index, or a
            digest recorded without it) never matches, so such a digest is never trusted.
    """

    size: int
    mtime_ns: int
    inode: int
    sha256: str
    md5: str | None = None
    parts: dict[int, str] = field(default_factory=dict)
    ctime_ns: int | None = None

    def matches(self, size: int, mtime_ns: int, inode: int, ctime_ns: int) -> bool:
        """Tell whether this digest still describes a file with that stat identity."""
        return self.ctime_ns is not None and (
            self.size,
            self.mtime_ns,
            self.inode,
            self.ctime_ns,
        ) == (size, mtime_ns, inode, ctime_ns)


@dataclass(frozen=True, slots=True)
class SyncRecord:
    """Both sides of one file right after it was last synced (same content, sha256).

    Attributes:
        local_ctime_ns: The local file's ctime then; ``None`` (older rows) makes a compare read
            the file instead of trusting its size, mtime and inode.
    """

    path: str
    local_size: int
    local_mtime_ns: int
    local_inode: int
    sha256: str
    remote_etag: str | None
    remote_size: int
    synced_at: float
    local_ctime_ns: int | None = None


class SyncIndex:
    """The SQLite index; open with ``async with SyncIndex(path)`` or :meth:`open`.

    Args:
        path: The database file (its folder is created). ``":memory:"`` works for tests.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = path if path == ":memory:" else Path(path)
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._conn: sqlite3.Connection | None = None

    def __repr__(self) -> str:
        return f"SyncIndex({str(self.path)!r})"

    async def __aenter__(self) -> SyncIndex:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def open(self) -> None:
        """Create or open the database; safe to call twice."""
        if self._executor is None:
            self._executor = concurrent.futures.ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="leap-index"
            )
            try:
                await self._run(self._open_sync)
            except BaseException:
                # Not open: a later open() tries again, and no worker thread is left behind.
                executor, self._executor = self._executor, None
                executor.shutdown(wait=False)
                raise

    def _open_sync(self) -> None:
        if isinstance(self.path, Path):
            self.path.parent.mkdir(parents=True, exist_ok=True)
        conn: sqlite3.Connection | None = None
        try:
            conn = sqlite3.connect(str(self.path), check_same_thread=False)
            conn.execute("PRAGMA busy_timeout=5000")
            _refuse_newer(conn, self.path)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(_SCHEMA)
            _add_missing_columns(conn)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            conn.commit()
        except sqlite3.Error as exc:
            if conn is not None:
                conn.close()
            raise self._translate(exc, "open") from exc
        except BaseException:
            if conn is not None:
                conn.close()
            raise
        self._conn = conn

    def _translate(self, exc: sqlite3.Error, doing: str) -> StorageError:
        """One line for the user: a damaged file says how to rebuild it."""
        if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
            return SyncIndexDamagedError(
                f"The sync index {self.path} is damaged ({exc}). It holds only hints (hash "
                f"cache, sync history), so nothing is lost by rebuilding it: run "
                f"`{REBUILD_HINT}` (it moves the damaged file aside), or move the file away "
                "yourself.",
                path=str(self.path),
            )
        return StorageError(
            f"Cannot {doing} the sync index {self.path}: {exc}. Check that the folder is "
            "writable, or set STORAGE_SYNC_INDEX_PATH.",
            path=str(self.path),
        )

    async def close(self) -> None:
        """Close the database; safe to call twice."""
        executor, self._executor = self._executor, None
        if executor is None:
            return
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(executor, self._close_sync)
        executor.shutdown(wait=False)

    def _close_sync(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def _run(self, fn: Callable[..., T], /, *args: Any) -> T:
        if self._executor is None:
            raise StorageError("The sync index is not open.")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, fn, *args)
        except sqlite3.Error as exc:
            raise self._translate(exc, "use") from exc

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StorageError("The sync index is not open.")
        return self._conn

    # ----------------------------------------------------------------- hash cache

    async def load_hashes(self, root: str, prefix: str = "") -> dict[str, LocalDigest]:
        """Return the cached digests of files under ``prefix`` of the local store ``root``."""
        return await self._run(self._load_hashes, root, prefix)

    def _load_hashes(self, root: str, prefix: str) -> dict[str, LocalDigest]:
        rows = self._db().execute(
            "SELECT path, size, mtime_ns, inode, sha256, md5, parts, ctime_ns FROM local_hash "
            "WHERE root = ? AND (? = '' OR path = ? OR (path >= ? AND path < ?))",
            (root, *_prefix_args(prefix)),
        )
        return {
            path: LocalDigest(
                size,
                mtime_ns,
                inode,
                sha256,
                md5,
                {int(k): v for k, v in json.loads(parts).items()},
                ctime_ns,
            )
            for path, size, mtime_ns, inode, sha256, md5, parts, ctime_ns in rows
        }

    async def save_hashes(self, root: str, digests: Iterable[tuple[str, LocalDigest]]) -> None:
        """Store digests of local files (replacing older ones of the same paths)."""
        rows = [
            (
                root,
                path,
                d.size,
                d.mtime_ns,
                d.inode,
                d.sha256,
                d.md5,
                json.dumps(d.parts),
                d.ctime_ns,
            )
            for path, d in digests
        ]
        if rows:
            await self._run(
                self._write_many,
                "INSERT OR REPLACE INTO local_hash "
                "(root, path, size, mtime_ns, inode, sha256, md5, parts, ctime_ns) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    # ----------------------------------------------------------------- sync history

    async def load_history(self, pair: str, prefix: str = "") -> dict[str, SyncRecord]:
        """Return the sync history of ``pair`` for files under ``prefix``."""
        return await self._run(self._load_history, pair, prefix)

    def _load_history(self, pair: str, prefix: str) -> dict[str, SyncRecord]:
        rows = self._db().execute(
            "SELECT path, local_size, local_mtime_ns, local_inode, sha256, remote_etag, "
            "remote_size, synced_at, local_ctime_ns FROM sync_state "
            "WHERE pair = ? AND (? = '' OR path = ? OR (path >= ? AND path < ?))",
            (pair, *_prefix_args(prefix)),
        )
        return {row[0]: SyncRecord(*row) for row in rows}

    async def record_synced(self, pair: str, records: Iterable[SyncRecord]) -> None:
        """Remember that both sides of each file held the same content after a sync."""
        rows = [
            (
                pair,
                r.path,
                r.local_size,
                r.local_mtime_ns,
                r.local_inode,
                r.sha256,
                r.remote_etag,
                r.remote_size,
                r.synced_at,
                r.local_ctime_ns,
            )
            for r in records
        ]
        if rows:
            await self._run(
                self._write_many,
                "INSERT OR REPLACE INTO sync_state (pair, path, local_size, local_mtime_ns, "
                "local_inode, sha256, remote_etag, remote_size, synced_at, local_ctime_ns) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    async def forget_synced(self, pair: str, paths: Iterable[str]) -> None:
        """Drop the history of files deleted on both sides."""
        rows = [(pair, path) for path in paths]
        if rows:
            await self._run(
                self._write_many, "DELETE FROM sync_state WHERE pair = ? AND path = ?", rows
            )

    # ----------------------------------------------------------------- locations (HYBRID)

    async def get_location(self, store: str, path: str) -> str | None:
        """Return ``"local"`` or ``"remote"`` for a file of a HYBRID store, or ``None``."""
        return await self._run(self._get_location, store, path)

    def _get_location(self, store: str, path: str) -> str | None:
        row = (
            self._db()
            .execute("SELECT side FROM location WHERE store = ? AND path = ?", (store, path))
            .fetchone()
        )
        return str(row[0]) if row else None

    async def set_locations(self, store: str, items: Iterable[tuple[str, str]]) -> None:
        """Record ``(path, side)`` pairs for a HYBRID store."""
        rows = [(store, path, side) for path, side in items]
        if rows:
            await self._run(
                self._write_many, "INSERT OR REPLACE INTO location VALUES (?, ?, ?)", rows
            )

    async def forget_location(self, store: str, path: str) -> None:
        """Forget where a deleted file of a HYBRID store lived."""
        await self._run(
            self._write_many, "DELETE FROM location WHERE store = ? AND path = ?", [(store, path)]
        )

    async def locations(self, store: str, prefix: str = "") -> dict[str, str]:
        """Return ``{path: side}`` for files under ``prefix`` of a HYBRID store."""
        return await self._run(self._locations, store, prefix)

    def _locations(self, store: str, prefix: str) -> dict[str, str]:
        rows = self._db().execute(
            "SELECT path, side FROM location "
            "WHERE store = ? AND (? = '' OR path = ? OR (path >= ? AND path < ?))",
            (store, *_prefix_args(prefix)),
        )
        return {str(path): str(side) for path, side in rows}

    # ----------------------------------------------------------------- plumbing

    def _write_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        db = self._db()
        with db:
            db.executemany(sql, rows)


def _refuse_newer(conn: sqlite3.Connection, path: str | Path) -> None:
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise StorageError(
            f"The sync index {path} was written by a newer version of Leap Sync (schema "
            f"{version}); update the app, or run `{REBUILD_HINT}` to start a fresh one.",
            path=str(path),
        )


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    """Upgrade an index written by an older version in place (rows keep NULL there)."""
    for table, column, kind in _ADDED_COLUMNS:
        present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        if column not in present:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")


def set_aside(path: Path, *, now: float | None = None) -> Path | None:
    """Move a (damaged) index and its WAL files aside so a fresh one is created; return where.

    Nothing is deleted: the old file stays beside the new one as ``<name>.damaged-<stamp>``.
    Returns ``None`` if there was no index file.
    """
    if not path.exists():
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    moved = path.with_name(f"{path.name}.damaged-{stamp}")
    os.replace(path, moved)
    for suffix in ("-wal", "-shm"):
        extra = path.with_name(path.name + suffix)
        if extra.exists():
            os.replace(extra, moved.with_name(moved.name + suffix))
    return moved


def _prefix_args(prefix: str) -> tuple[str, str, str, str]:
    """Arguments of the "in prefix" clause: everything (empty prefix), the path itself, or its
    subtree; '0' is the character after '/', so [prefix/, prefix0) is exactly the subtree."""
    prefix = prefix.strip("/")
    return prefix, prefix, prefix + "/", prefix + "0"
