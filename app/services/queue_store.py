"""The transfer queue on disk, so a quit or a crash does not forget it.

One small SQLite file in the app's data folder (``queue.sqlite3``) holds every upload, download
and delete that is waiting or running, with what is needed to queue it again: the local file, the
storage path, the original name. A row is written when the job is added, marked when it starts,
and removed when it finishes (done, failed, or cancelled by the user). Shutting the app down
cancels running jobs *without* removing their rows, so they come back at the next start; a crash
leaves the rows as they were.

Rows belong to a *scope* (the store pair they were queued for: local folder, endpoint, bucket,
prefix), so switching profiles never replays one bucket's uploads into another.

Media jobs (thumbnails, audio, transcodes) are not kept: they are cheap to ask for again and are
chained to uploads in memory only.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from file_storage.settings import StorageSettings

FILENAME = "queue.sqlite3"
SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    scope TEXT NOT NULL,
    seq INTEGER NOT NULL,
    op TEXT NOT NULL,
    args TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued'
)
"""


def scope_of(settings: StorageSettings) -> str:
    """The store pair a queued job belongs to (local folder, endpoint, bucket, prefix)."""
    return json.dumps(
        [
            str(Path(settings.local_path).expanduser().resolve()),
            settings.s3_endpoint_url or "",
            settings.s3_bucket,
            settings.s3_prefix,
        ]
    )


@dataclass(frozen=True)
class StoredJob:
    """A job read back from disk.

    Attributes:
        id: The job's id when it was queued (kept, so the row can be removed when it ends).
        op: ``"upload"``, ``"download"`` or ``"delete"``.
        args: What the op needs (``local``, ``path``, ``original_name``, ``size``, ``paths``).
        was_running: It had started when the app stopped (an upload resumes from its journal).
    """

    id: str
    op: str
    args: dict[str, object]
    was_running: bool


class QueueStore:
    """Waiting and running jobs of every scope, in one SQLite file.

    Writes are small transactions on the GUI thread (a row is a few hundred bytes); the queue
    batches the rows of a folder drop into one transaction.

    Args:
        path: The database file (its folder is created).
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(SCHEMA)

    def put(self, scope: str, rows: Iterable[tuple[str, str, dict[str, object]]]) -> None:
        """Record jobs ``(id, op, args)`` as waiting, after every job already recorded."""
        with self._lock, self._db:
            self._db.execute("BEGIN")
            (seq,) = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM jobs").fetchone()
            self._db.executemany(
                "INSERT OR REPLACE INTO jobs (id, scope, seq, op, args) VALUES (?, ?, ?, ?, ?)",
                [
                    (job_id, scope, seq + n, op, json.dumps(args))
                    for n, (job_id, op, args) in enumerate(rows, start=1)
                ],
            )

    def mark(self, states: dict[str, str]) -> None:
        """Set jobs' states (``"queued"`` or ``"running"``) by id."""
        with self._lock, self._db:
            self._db.execute("BEGIN")
            self._db.executemany(
                "UPDATE jobs SET state = ? WHERE id = ?",
                [(state, job_id) for job_id, state in states.items()],
            )

    def remove(self, ids: Iterable[str]) -> None:
        """Forget jobs that ended."""
        with self._lock, self._db:
            self._db.execute("BEGIN")
            self._db.executemany("DELETE FROM jobs WHERE id = ?", [(i,) for i in ids])

    def load(self, scope: str) -> list[StoredJob]:
        """The jobs recorded for ``scope``, in queue order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, op, args, state FROM jobs WHERE scope = ? ORDER BY seq", (scope,)
            ).fetchall()
        return [
            StoredJob(i, op, json.loads(args), state == "running") for i, op, args, state in rows
        ]

    def close(self) -> None:
        """Close the database (idempotent)."""
        with self._lock:
            self._db.close()
