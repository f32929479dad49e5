"""A durable list of the multipart uploads this machine has started and not yet finished.

"Abort later" lives in memory: after a killed client (SIGKILL, a crash, a power cut) or a server
that was unreachable until the backend closed, nobody aborts the upload, and its parts stay
stored (and billed). So each upload is written here when it starts (store, key, UploadId, time,
process id and that process's start time) together with what is needed to *resume* it: the part
size, the total size, the source's identity (path, size, mtime_ns, ctime_ns, inode, SHA-256), a
fingerprint of the create arguments (metadata, content type), and each finished part with its
ETag, written as the part finishes. The row goes when the upload completes or is aborted.

The next upload of the same source to the same key resumes an upload whose process is gone (or
that this process gave up after a lost connection), see ``S3StorageBackend._put_multipart``.
Uploads that will not be resumed (the source is gone or changed, the row predates resuming, or
it is older than :data:`RESUME_MAX_AGE_S`) are aborted by the next backend that writes to the
store.

The journal is a small SQLite file (WAL) beside the sync index (the app's data folder by
default), so the app and every ``leap-storage`` command share it. A process counts as gone when
its id is not running or now belongs to a process started at another time (ids are reused).
Every method is a short blocking call: the backend runs them in worker threads.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

JOURNAL_FILE_NAME = "s3-uploads.sqlite3"
SCHEMA_VERSION = 2
#: An interrupted upload older than this is aborted rather than kept for a resume (a week, the
#: usual lifecycle rule for incomplete uploads).
RESUME_MAX_AGE_S = 7 * 24 * 3600.0

_UPLOADS_V1 = """
CREATE TABLE IF NOT EXISTS uploads (
    upload_id TEXT PRIMARY KEY,
    store TEXT NOT NULL,
    key TEXT NOT NULL,
    started REAL NOT NULL,
    pid INTEGER NOT NULL,
    pid_started TEXT NOT NULL
)
"""
#: Columns added by version 2 (old rows get the defaults: nothing to resume them with).
_V2_COLUMNS = {
    "part_size": "INTEGER NOT NULL DEFAULT 0",
    "total_size": "INTEGER NOT NULL DEFAULT -1",
    "src_path": "TEXT NOT NULL DEFAULT ''",
    "src_size": "INTEGER NOT NULL DEFAULT -1",
    "src_mtime_ns": "INTEGER NOT NULL DEFAULT -1",
    "src_ctime_ns": "INTEGER NOT NULL DEFAULT -1",
    "src_inode": "INTEGER NOT NULL DEFAULT -1",
    "sha256": "TEXT NOT NULL DEFAULT ''",
    "create_args": "TEXT NOT NULL DEFAULT ''",
}
_PARTS = """
CREATE TABLE IF NOT EXISTS parts (
    upload_id TEXT NOT NULL,
    number INTEGER NOT NULL,
    etag TEXT NOT NULL,
    size INTEGER NOT NULL,
    PRIMARY KEY (upload_id, number)
)
"""
_COLUMNS = (
    "store, key, upload_id, started, pid, pid_started, part_size, total_size, src_path, "
    "src_size, src_mtime_ns, src_ctime_ns, src_inode, sha256, create_args"
)


def journal_path_beside(index_path: Path) -> Path:
    """The journal lives beside the sync index (by default in the app's data folder)."""
    return index_path.expanduser().parent / JOURNAL_FILE_NAME


@dataclass(frozen=True, slots=True)
class SourceIdentity:
    """What an upload read from: a file (path and stat fields) and its SHA-256 when known.

    An in-memory source has ``path == ""`` and only its size and SHA-256.
    """

    path: str
    size: int
    mtime_ns: int = -1
    ctime_ns: int = -1
    inode: int = -1
    sha256: str = ""

    @classmethod
    def of(cls, source: object, size: int, sha256: str = "") -> SourceIdentity:
        """The identity of an upload source now (a stat of its file; blocking)."""
        path = getattr(source, "path", None)
        if isinstance(path, Path):
            with contextlib.suppress(OSError):
                return cls.of_file(path, sha256)
        return cls("", size, sha256=sha256)

    @classmethod
    def of_file(cls, path: Path, sha256: str = "") -> SourceIdentity:
        """Stat ``path`` (raises ``OSError`` if it is gone)."""
        st = os.stat(path)
        return cls(
            os.path.abspath(path), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, sha256
        )

    def same_content(self, other: SourceIdentity) -> bool:
        """Whether ``other`` is this same unchanged source (file fields, size and hash)."""
        if self.size != other.size or self.path != other.path:
            return False
        if self.sha256 and other.sha256 and self.sha256 != other.sha256:
            return False
        if not self.path:  # memory: only the hash tells
            return bool(self.sha256) and self.sha256 == other.sha256
        return (self.mtime_ns, self.ctime_ns, self.inode) == (
            other.mtime_ns,
            other.ctime_ns,
            other.inode,
        )


def create_fingerprint(create_args: dict[str, Any]) -> str:
    """A short digest of CreateMultipartUpload's arguments (metadata, content type): an upload
    is only resumed for a put that would have created it with the same ones."""
    text = json.dumps(create_args, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def part_length(number: int, part_size: int, total: int) -> int:
    """The size of part ``number`` (from 1) of a ``total``-byte upload in ``part_size`` parts."""
    return max(0, min(part_size, total - (number - 1) * part_size))


def part_count(total: int, part_size: int) -> int:
    return max(1, math.ceil(total / part_size))


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One multipart upload started on this machine and not yet completed or aborted."""

    store: str
    key: str
    upload_id: str
    started: float
    pid: int
    pid_started: str
    #: 0 in rows written before uploads could be resumed.
    part_size: int = 0
    total_size: int = -1
    source: SourceIdentity | None = None
    create_args: str = ""

    @property
    def age_s(self) -> float:
        return max(0.0, time.time() - self.started)

    def owner_alive(self) -> bool:
        """Whether the process that started the upload still runs it (pid 0: released)."""
        return self.pid > 0 and process_start_marker(self.pid) == self.pid_started

    def resume_blocker(self) -> str | None:
        """Why this upload cannot be resumed any more (``None``: it can; stats the source)."""
        if self.part_size <= 0 or self.source is None or self.total_size < 0:
            return "it was started before uploads could be resumed"
        if not self.source.path:
            return "its source was not a file"
        if self.age_s > RESUME_MAX_AGE_S:
            return f"it is older than {RESUME_MAX_AGE_S / 86400:.0f} days"
        try:
            now = SourceIdentity.of_file(Path(self.source.path), self.source.sha256)
        except OSError:
            return f"its source {self.source.path} is gone"
        if not now.same_content(self.source):
            return f"its source {self.source.path} changed since"
        return None


def process_start_marker(pid: int) -> str:
    """What tells this process from a later one with the same id ("" if none runs).

    On Linux, the start time in clock ticks from ``/proc/<pid>/stat``; elsewhere only whether
    the id runs at all.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return ""
    except OSError:
        return _alive_marker(pid)
    # Field 22 (starttime) follows the command name, which may hold spaces and parentheses.
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else _alive_marker(pid)


def _alive_marker(pid: int) -> str:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return ""
    except PermissionError:
        return "alive"
    return "alive"


def _entry(row: tuple[Any, ...]) -> JournalEntry:
    (store, key, upload_id, started, pid, pid_started, part_size, total_size) = row[:8]
    path, size, mtime_ns, ctime_ns, inode, sha256, create_args = row[8:]
    source = (
        SourceIdentity(path, size, mtime_ns, ctime_ns, inode, sha256) if part_size > 0 else None
    )
    return JournalEntry(
        store, key, upload_id, started, pid, pid_started, part_size, total_size, source, create_args
    )


class UploadJournal:
    """The SQLite journal of started uploads; every method is a short blocking call.

    Args:
        path: The journal file (created with its folder on first use; a version 1 file is
            migrated in place: its rows stay, with nothing to resume them by).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._ready = False

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=10)
        try:
            if not self._ready:
                connection.execute("PRAGMA journal_mode=WAL")
                self._migrate(connection)
                self._ready = True
            connection.execute("PRAGMA synchronous=NORMAL")
        except BaseException:
            connection.close()
            raise
        return connection

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> None:
        (version,) = db.execute("PRAGMA user_version").fetchone()
        if version >= SCHEMA_VERSION:
            return
        with db:
            db.execute("BEGIN IMMEDIATE")  # one process migrates; the others wait, then see v2
            (version,) = db.execute("PRAGMA user_version").fetchone()
            if version >= SCHEMA_VERSION:
                return
            db.execute(_UPLOADS_V1)
            have = {row[1] for row in db.execute("PRAGMA table_info(uploads)")}
            for name, declaration in _V2_COLUMNS.items():
                if name not in have:
                    db.execute(f"ALTER TABLE uploads ADD COLUMN {name} {declaration}")
            db.execute(_PARTS)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def record(
        self,
        store: str,
        key: str,
        upload_id: str,
        *,
        part_size: int = 0,
        total_size: int = -1,
        source: SourceIdentity | None = None,
        create_args: str = "",
    ) -> None:
        """Note an upload this process just started (with what a resume needs, when given)."""
        pid = os.getpid()
        src = source or SourceIdentity("", -1)
        with contextlib.closing(self._connect()) as db, db:
            db.execute(
                f"INSERT OR REPLACE INTO uploads ({_COLUMNS}) "  # noqa: S608 - constants only
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    store,
                    key,
                    upload_id,
                    time.time(),
                    pid,
                    process_start_marker(pid),
                    part_size if source is not None else 0,
                    total_size,
                    src.path,
                    src.size,
                    src.mtime_ns,
                    src.ctime_ns,
                    src.inode,
                    src.sha256,
                    create_args,
                ),
            )

    def add_parts(self, upload_id: str, parts: list[tuple[int, str, int]]) -> None:
        """Note finished parts ``(number, etag, size)`` of an upload."""
        with contextlib.closing(self._connect()) as db, db:
            db.executemany(
                "INSERT OR REPLACE INTO parts VALUES (?, ?, ?, ?)",
                [(upload_id, number, etag, size) for number, etag, size in parts],
            )

    def parts(self, upload_id: str) -> dict[int, tuple[str, int]]:
        """The finished parts noted for an upload: ``{number: (etag, size)}``."""
        with contextlib.closing(self._connect()) as db:
            rows = db.execute(
                "SELECT number, etag, size FROM parts WHERE upload_id = ?", (upload_id,)
            ).fetchall()
        return {number: (etag, size) for number, etag, size in rows}

    def claim(self, entry: JournalEntry) -> bool:
        """Make this process the upload's owner if ``entry`` still names its owner; return
        whether it did (two processes never both resume or abort the same upload)."""
        pid = os.getpid()
        with contextlib.closing(self._connect()) as db, db:
            cursor = db.execute(
                "UPDATE uploads SET pid = ?, pid_started = ? "
                "WHERE upload_id = ? AND pid = ? AND pid_started = ?",
                (pid, process_start_marker(pid), entry.upload_id, entry.pid, entry.pid_started),
            )
            return cursor.rowcount == 1

    def release(self, upload_id: str) -> None:
        """This process gives the upload up (a lost connection): the next put may resume it."""
        with contextlib.closing(self._connect()) as db, db:
            db.execute(
                "UPDATE uploads SET pid = 0, pid_started = '' WHERE upload_id = ? AND pid = ?",
                (upload_id, os.getpid()),
            )

    def forget(self, upload_id: str) -> None:
        """The upload completed or was aborted."""
        with contextlib.closing(self._connect()) as db, db:
            db.execute("DELETE FROM uploads WHERE upload_id = ?", (upload_id,))
            db.execute("DELETE FROM parts WHERE upload_id = ?", (upload_id,))

    def entries(self, store: str | None) -> list[JournalEntry]:
        """Every unfinished upload of ``store`` (``None``: of every store) started on this
        machine, oldest first."""
        if not self.path.exists():
            return []
        with contextlib.closing(self._connect()) as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM uploads "  # noqa: S608 - constants only
                "WHERE ? IS NULL OR store = ? ORDER BY started",
                (store, store),
            ).fetchall()
        return [_entry(row) for row in rows]

    def orphans(self, store: str) -> list[JournalEntry]:
        """The uploads of ``store`` whose process is gone: nobody will finish or abort them."""
        return [entry for entry in self.entries(store) if not entry.owner_alive()]
