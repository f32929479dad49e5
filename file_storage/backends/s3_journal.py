"""A durable list of the multipart uploads this machine has started and not yet finished.

"Abort later" lives in memory: after a killed client (SIGKILL, a crash, a power cut) or a server
that was unreachable until the backend closed, nobody aborts the upload, and its parts stay
stored (and billed) until a lifecycle rule or ``cleanup-uploads --older-than`` removes them. So
each upload is written here when it starts (store, key, UploadId, time, process id and that
process's start time) and removed when it completes or is aborted. The next backend that writes
to the same store aborts every upload whose process is gone.

The journal is a small SQLite file beside the sync index (the app's data folder by default), so
the app and every ``leap-storage`` command share it. A process counts as gone when its id is not
running or now belongs to a process started at another time (ids are reused).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

JOURNAL_FILE_NAME = "s3-uploads.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS uploads (
    upload_id TEXT PRIMARY KEY,
    store TEXT NOT NULL,
    key TEXT NOT NULL,
    started REAL NOT NULL,
    pid INTEGER NOT NULL,
    pid_started TEXT NOT NULL
)
"""


def journal_path_beside(index_path: Path) -> Path:
    """The journal lives beside the sync index (by default in the app's data folder)."""
    return index_path.expanduser().parent / JOURNAL_FILE_NAME


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One multipart upload started on this machine and not yet completed or aborted."""

    store: str
    key: str
    upload_id: str
    started: float
    pid: int
    pid_started: str

    @property
    def age_s(self) -> float:
        return max(0.0, time.time() - self.started)

    def owner_alive(self) -> bool:
        """Whether the process that started the upload still runs (the same process)."""
        return process_start_marker(self.pid) == self.pid_started


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


class UploadJournal:
    """The SQLite journal of started uploads; every method is a short blocking call.

    Args:
        path: The journal file (created with its folder on first use).
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=10)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(_SCHEMA)
        return connection

    def record(self, store: str, key: str, upload_id: str) -> None:
        """Note an upload this process just started."""
        pid = os.getpid()
        with contextlib.closing(self._connect()) as db, db:
            db.execute(
                "INSERT OR REPLACE INTO uploads VALUES (?, ?, ?, ?, ?, ?)",
                (upload_id, store, key, time.time(), pid, process_start_marker(pid)),
            )

    def forget(self, upload_id: str) -> None:
        """The upload completed or was aborted."""
        with contextlib.closing(self._connect()) as db, db:
            db.execute("DELETE FROM uploads WHERE upload_id = ?", (upload_id,))

    def entries(self, store: str | None) -> list[JournalEntry]:
        """Every unfinished upload of ``store`` (``None``: of every store) started on this
        machine, oldest first."""
        if not self.path.exists():
            return []
        with contextlib.closing(self._connect()) as db:
            rows = db.execute(
                "SELECT store, key, upload_id, started, pid, pid_started FROM uploads "
                "WHERE ? IS NULL OR store = ? ORDER BY started",
                (store, store),
            ).fetchall()
        return [JournalEntry(*row) for row in rows]

    def orphans(self, store: str) -> list[JournalEntry]:
        """The uploads of ``store`` whose process is gone: nobody will finish or abort them."""
        return [entry for entry in self.entries(store) if not entry.owner_alive()]
