"""One machine's quota bookkeeping, shared by every process that writes to the same store.

Each process (the app, every ``leap-storage put``) used to count a store's usage once and then
trust its own arithmetic, so twenty uploads started at once each saw an empty store and together
filled 150 % of the quota. Here they share a small SQLite ledger (beside the sync index, in the
app's data folder) keyed by the store (endpoint, bucket and prefix, or the local folder):

* ``usage``: the last counted usage of the store, when it was counted, plus the growth that
  writes committed since;
* ``reservations``: bytes held by writes in progress, each tagged with the process holding it;
* ``commits``: growth committed while a recount may be listing the store, so the recount cannot
  lose it.

Deciding whether a write fits (read usage and reservations, maybe recount, add a reservation)
happens under an exclusive file lock, so two processes never both take the last free bytes.
Every other change is one short SQLite transaction.

A crashed process cannot release its reservations; each process therefore holds a lock on a
*holder file* for as long as it lives, and reservations whose holder file nobody holds any more
(the kernel drops the lock of a dead process) are deleted. No PID is trusted, so a reused PID
cannot keep a dead reservation alive.

The ledger is only as good as the file locks of the folder it lives in: on a local disk they
are reliable; on a network share they may not be (see docs/reliability.md).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
import random
import sqlite3
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

LEDGER_FILE_NAME = "quota-ledger.sqlite3"
#: A count younger than this many seconds is trusted even to refuse a write.
RECHECK_S = 5.0
#: Seconds between attempts to take the ledger lock (with jitter), while another process has it.
LOCK_POLL_S = 0.05

_SCHEMA = """
CREATE TABLE IF NOT EXISTS usage (
    store TEXT PRIMARY KEY,
    used INTEGER NOT NULL,
    counted_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS reservations (
    id TEXT PRIMARY KEY,
    store TEXT NOT NULL,
    holder TEXT NOT NULL,
    nbytes INTEGER NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS reservations_store ON reservations (store);
CREATE TABLE IF NOT EXISTS commits (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    store TEXT NOT NULL,
    delta INTEGER NOT NULL
);
"""


def default_ledger_path(index_path: Path) -> Path:
    """The ledger lives beside the sync index (by default in the app's data folder)."""
    return index_path.expanduser().parent / LEDGER_FILE_NAME


def try_lock(fd: int) -> bool:
    """Take an exclusive lock on ``fd`` without waiting; ``False`` if another process has it."""
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def unlock(fd: int) -> None:
    """Release a lock taken with :func:`try_lock`."""
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)


@dataclass(frozen=True)
class LedgerState:
    """What the ledger knows about one store at one moment."""

    used: int | None
    counted_at: float
    reserved: int


class _Holder:
    """This process's holder file: locked while the process lives, so others can tell.

    The file is locked under a temporary name and then renamed into place (the lock stays with
    the file), so nobody ever sees a holder file that exists but is not locked yet.
    """

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.id = uuid.uuid4().hex
        self.path = folder / f"{self.id}.lock"
        pending = folder / f"{self.id}.new"
        self._fd = os.open(pending, os.O_CREAT | os.O_RDWR, 0o600)
        if not try_lock(self._fd):  # a fresh random name: nobody else can hold it
            raise OSError(f"cannot lock {pending}")
        os.replace(pending, self.path)
        atexit.register(self.remove)

    def remove(self) -> None:
        """Delete the holder file at a normal exit (after a crash, :func:`sweep` does)."""
        with contextlib.suppress(OSError):
            self.path.unlink()


def holder_is_alive(path: Path) -> bool:
    """Whether a living process holds the lock of the holder file ``path``.

    A holder file that can be locked belongs to no living process (the kernel drops the locks
    of a process that ends); it is deleted on the way.
    """
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        if not try_lock(fd):
            return True
        with contextlib.suppress(OSError):
            path.unlink()
        unlock(fd)
    finally:
        os.close(fd)
    return False


def sweep(folder: Path, *, older_than_s: float = 3600.0) -> int:
    """Delete holder files of ended processes (and stale half-made ones); returns how many."""
    removed = 0
    cutoff = time.time() - older_than_s
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(folder):
            if entry.name.endswith(".lock"):
                removed += not holder_is_alive(Path(entry.path))
            elif entry.name.endswith(".new"):
                with contextlib.suppress(OSError):
                    if entry.stat().st_mtime < cutoff:
                        os.unlink(entry.path)
                        removed += 1
    return removed


_holders: dict[Path, _Holder] = {}


def _holder_for(folder: Path) -> _Holder:
    """One holder per process and folder, kept (and locked) until the process ends."""
    holder = _holders.get(folder)
    if holder is None:
        sweep(folder)
        holder = _holders[folder] = _Holder(folder)
    return holder


class QuotaLedger:
    """The shared quota records of one store in one ledger file.

    Args:
        path: The SQLite file (its folder is created on first use).
        store: Which store: endpoint, bucket and prefix, or the local folder.
        recount_s: A count older than this many seconds is redone before the next write.
        clock: Wall-clock time source (injectable for tests).
    """

    def __init__(
        self,
        path: Path,
        store: str,
        *,
        recount_s: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self.store = store
        self.recount_s = recount_s
        self.clock = clock
        self._db: sqlite3.Connection | None = None
        self._holder: _Holder | None = None

    def __repr__(self) -> str:
        return f"QuotaLedger({str(self.path)!r}, {self.store!r})"

    @property
    def holder_id(self) -> str | None:
        """The id under which this process's reservations are kept (once the ledger is open)."""
        return self._holder.id if self._holder else None

    # ----------------------------------------------------------------- plumbing

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._holder = _holder_for(self.path.parent / "quota-holders")
            db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            self._db = db
        return self._db

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._connect()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    @contextlib.asynccontextmanager
    async def locked(self) -> AsyncIterator[None]:
        """Hold the ledger's file lock (waiting for it without blocking the event loop).

        Only decisions take this lock: whether a write fits, and a recount. Waiting polls, so
        a cancelled wait leaves nothing behind.
        """
        self._connect()
        lock_path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            # Polling, not a blocking lock in a thread: a cancelled wait must not take the
            # lock later, behind our back.
            while True:
                if try_lock(fd):
                    break
                await asyncio.sleep(LOCK_POLL_S * random.uniform(0.5, 1.5))  # noqa: S311
            try:
                yield
            finally:
                unlock(fd)
        finally:
            os.close(fd)

    # ----------------------------------------------------------------- reading

    def state(self) -> LedgerState:
        """Usage as last counted plus committed growth, and the bytes reserved right now."""
        db = self._connect()
        row = db.execute(
            "SELECT used, counted_at FROM usage WHERE store = ?", (self.store,)
        ).fetchone()
        (reserved,) = db.execute(
            "SELECT COALESCE(SUM(nbytes), 0) FROM reservations WHERE store = ?", (self.store,)
        ).fetchone()
        if row is None:
            return LedgerState(None, 0.0, int(reserved))
        return LedgerState(int(row[0]), float(row[1]), int(reserved))

    def is_stale(self, state: LedgerState) -> bool:
        """The count is missing, older than ``recount_s``, or from the future (clock change)."""
        age = self.clock() - state.counted_at
        return state.used is None or not 0 <= age <= self.recount_s

    def worth_recounting(self, state: LedgerState) -> bool:
        """Before refusing a write: count again unless the count is only seconds old.

        Without this floor a full store would be listed once per refused file of a batch.
        """
        return not 0 <= self.clock() - state.counted_at <= min(RECHECK_S, self.recount_s)

    # ----------------------------------------------------------------- changing

    def commit_sequence(self) -> int:
        """The sequence number of the last committed growth (taken before a recount lists)."""
        (seq,) = self._connect().execute("SELECT COALESCE(MAX(seq), 0) FROM commits").fetchone()
        return int(seq)

    def record_count(self, counted: int, since_seq: int) -> int:
        """Store a fresh count; growth committed after ``since_seq`` is added to it.

        A write that completes while the store is being listed may or may not be in the listing;
        adding its growth can only count it twice (too much, never too little).

        Returns:
            The usage now recorded.
        """
        with self._transaction() as db:
            (late,) = db.execute(
                "SELECT COALESCE(SUM(delta), 0) FROM commits WHERE store = ? AND seq > ?",
                (self.store, since_seq),
            ).fetchone()
            used = counted + int(late)
            db.execute(
                "INSERT INTO usage (store, used, counted_at) VALUES (?, ?, ?) "
                "ON CONFLICT (store) DO UPDATE SET used = excluded.used, "
                "counted_at = excluded.counted_at",
                (self.store, used, self.clock()),
            )
            db.execute("DELETE FROM commits WHERE store = ? AND seq <= ?", (self.store, since_seq))
        return used

    def add_reservation(self, nbytes: int) -> str:
        """Hold ``nbytes`` for a write of this process; returns the reservation's id."""
        self._connect()
        holder = self._holder
        assert holder is not None
        reservation_id = uuid.uuid4().hex
        with self._transaction() as db:
            db.execute(
                "INSERT INTO reservations (id, store, holder, nbytes, created) "
                "VALUES (?, ?, ?, ?, ?)",
                (reservation_id, self.store, holder.id, nbytes, self.clock()),
            )
        return reservation_id

    def release(self, reservation_id: str, delta: int | None) -> None:
        """End a reservation; ``delta`` is the usage change of a write that succeeded.

        Growth is added at once. A shrink (an overwrite by a smaller file) is not subtracted:
        a recount running right now may already have seen it. The count is marked stale
        instead, so the next write recounts. Either way the ledger never counts too little.
        """
        with self._transaction() as db:
            db.execute("DELETE FROM reservations WHERE id = ?", (reservation_id,))
            self._apply(db, delta)

    def record_delta(self, delta: int) -> None:
        """A change outside a reservation (a delete): growth is added, a shrink forces a recount."""
        with self._transaction() as db:
            self._apply(db, delta)

    def _apply(self, db: sqlite3.Connection, delta: int | None) -> None:
        if not delta:
            return
        if delta > 0:
            db.execute("INSERT INTO commits (store, delta) VALUES (?, ?)", (self.store, delta))
            db.execute("UPDATE usage SET used = used + ? WHERE store = ?", (delta, self.store))
        else:
            db.execute("UPDATE usage SET counted_at = 0 WHERE store = ?", (self.store,))

    def forget_count(self) -> None:
        """Make the next write recount (after a change the ledger cannot size)."""
        with self._transaction() as db:
            db.execute("UPDATE usage SET counted_at = 0 WHERE store = ?", (self.store,))

    def drop_dead_reservations(self) -> int:
        """Delete reservations of processes that ended without releasing them; returns how many.

        A holder file that can be locked belongs to no living process.
        """
        db = self._connect()
        own = self._holder.id if self._holder else ""
        holders = [
            str(row[0])
            for row in db.execute(
                "SELECT DISTINCT holder FROM reservations WHERE holder != ?", (own,)
            )
        ]
        dead = [holder for holder in holders if not self._holder_alive(holder)]
        if not dead:
            return 0
        with self._transaction() as tx:
            removed = 0
            for holder in dead:
                removed += tx.execute(
                    "DELETE FROM reservations WHERE holder = ?", (holder,)
                ).rowcount
        logger.warning("Dropped %d quota reservation(s) of ended processes", removed)
        return removed

    def _holder_alive(self, holder: str) -> bool:
        return holder_is_alive(self.path.parent / "quota-holders" / f"{holder}.lock")

    def close(self) -> None:
        """Close the database connection (the holder file stays locked until the process ends)."""
        if self._db is not None:
            self._db.close()
            self._db = None
