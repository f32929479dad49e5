"""Quota tracking without listing the store on every write.

Usage is counted once (one listing), then kept up to date from the writes and deletes this
process makes. Writers *reserve* their bytes under a lock before they start, so twenty concurrent
uploads can never together go past the limit (RELIABILITY F7); a reservation is released whether
the write succeeds or fails. If the first count fails, writes are refused (fail closed) with
:class:`QuotaUnknownError` rather than allowed blindly.

With a :class:`~file_storage.quota_ledger.QuotaLedger` (:meth:`QuotaTracker.share`; the factory
attaches one whenever a quota is set) the count and the reservations are shared by every process
on this machine, the count is redone when it is older than ``STORAGE_QUOTA_RECOUNT_S`` and before
a write is refused for lack of space, and reservations of crashed processes are dropped.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from file_storage.errors import QuotaUnknownError, StorageError, StorageQuotaExceededError
from file_storage.quota_ledger import QuotaLedger
from file_storage.units import human_size

logger = logging.getLogger(__name__)


@dataclass
class Reservation:
    """Bytes set aside for one write; ``commit`` records what really changed on the store."""

    nbytes: int
    committed: bool = False
    delta: int = 0

    def commit(self, delta: int) -> None:
        """Record that the write succeeded and changed usage by ``delta`` bytes."""
        self.committed = True
        self.delta = delta


class QuotaTracker:
    """Tracks used bytes of one store against an optional limit.

    Args:
        limit_bytes: The quota, or ``None`` for no quota (usage is still tracked once counted).
        count_usage: Coroutine function that returns the store's current usage by listing it.
        label: Name of the store for messages ("S3 bucket 'x'", "local store").
    """

    def __init__(
        self,
        limit_bytes: int | None,
        count_usage: Callable[[], Awaitable[int]],
        label: str,
    ) -> None:
        self.limit_bytes = limit_bytes
        self._count_usage = count_usage
        self._label = label
        self._lock = asyncio.Lock()
        self._used: int | None = None
        self._reserved = 0
        self._ledger: QuotaLedger | None = None

    def share(self, ledger: QuotaLedger) -> None:
        """Keep the count and the reservations in ``ledger``, shared with other processes."""
        self._ledger = ledger

    @property
    def ledger(self) -> QuotaLedger | None:
        """The shared ledger, if any."""
        return self._ledger

    @property
    def used_bytes(self) -> int | None:
        """Committed usage, or ``None`` if it was never counted."""
        return self._used

    @property
    def reserved_bytes(self) -> int:
        """Bytes held by writes in progress."""
        return self._reserved

    async def usage(self) -> int:
        """Return current usage, counting it once if needed."""
        async with self._lock:
            if self._ledger is not None:
                return await self._shared_usage(self._ledger, force=False)
            return await self._ensure_counted()

    async def refresh(self) -> int:
        """Count usage again (for example after another program changed the store)."""
        async with self._lock:
            if self._ledger is not None:
                return await self._shared_usage(self._ledger, force=True)
            self._used = None
            return await self._ensure_counted()

    async def room(self, needed: int = 0) -> tuple[int, int | None]:
        """``(used + reserved, limit)`` before a batch of ``needed`` bytes is planned.

        With a shared ledger, "reserved" counts the writes of every process on this computer,
        and the usage is counted again first when it is older than the recount setting or when
        ``needed`` does not fit (others may have freed space). ``limit`` is ``None`` without a
        quota (and then nothing is counted).

        Raises:
            QuotaUnknownError: Usage could not be counted, or the ledger could not be read.
        """
        if self.limit_bytes is None:
            return 0, None
        async with self._lock:
            ledger = self._ledger
            if ledger is None:
                return await self._ensure_counted() + self._reserved, self.limit_bytes
            try:
                async with ledger.locked():
                    ledger.drop_dead_reservations()
                    state = ledger.state()
                    stale = ledger.is_stale(state)
                    used = await self._recount(ledger) if stale else state.used
                    assert used is not None
                    too_big = used + state.reserved + needed > self.limit_bytes
                    if too_big and not stale and ledger.worth_recounting(state):
                        used = await self._recount(ledger)
            except (OSError, sqlite3.Error) as exc:
                raise QuotaUnknownError(
                    f"Cannot read the shared quota records of the {self._label} ({ledger.path}: "
                    f"{exc})."
                ) from exc
            self._used = used
            return used + state.reserved, self.limit_bytes

    def record_delta(self, delta: int) -> None:
        """Adjust usage after an untracked change (a delete, an overwrite outside a reservation)."""
        if self._used is not None:
            self._used = max(0, self._used + delta)
        if self._ledger is not None and delta:
            try:
                self._ledger.record_delta(delta)
            except (OSError, sqlite3.Error) as exc:
                logger.warning("Could not record a usage change in %r: %s", self._ledger, exc)

    @asynccontextmanager
    async def reserve(self, nbytes: int, *, path: str | None = None) -> AsyncIterator[Reservation]:
        """Reserve ``nbytes`` for a write, or raise if the quota would be exceeded.

        The caller must ``reservation.commit(delta)`` once the write is durable; without a commit
        (an exception, a cancel) nothing is added to usage.

        Raises:
            StorageQuotaExceededError: Used plus reserved plus ``nbytes`` is over the limit.
            QuotaUnknownError: Usage could not be counted.
        """
        reservation = Reservation(nbytes)
        if self.limit_bytes is None:
            yield reservation
            if reservation.committed:
                self.record_delta(reservation.delta)
            return
        if self._ledger is not None:
            async with self._reserve_shared(self._ledger, reservation, path) as shared:
                yield shared
            return
        async with self._lock:
            used = await self._ensure_counted()
            self._check_fits(used, self._reserved, nbytes, path)
            self._reserved += nbytes
        try:
            yield reservation
        finally:
            async with self._lock:
                self._reserved -= nbytes
                if reservation.committed:
                    self.record_delta(reservation.delta)

    def _check_fits(self, used: int, reserved: int, nbytes: int, path: str | None) -> None:
        assert self.limit_bytes is not None
        if used + reserved + nbytes > self.limit_bytes:
            raise StorageQuotaExceededError(
                f"Storage quota exceeded on the {self._label}: "
                f"{human_size(used + reserved)} used or reserved of "
                f"{human_size(self.limit_bytes)}, and this write needs {human_size(nbytes)}. "
                "Free some space or raise the quota.",
                path=path,
            )

    @asynccontextmanager
    async def _reserve_shared(
        self, ledger: QuotaLedger, reservation: Reservation, path: str | None
    ) -> AsyncIterator[Reservation]:
        """``reserve`` with the ledger: the decision is made under the ledger's file lock."""
        assert self.limit_bytes is not None
        nbytes = reservation.nbytes
        async with self._lock:
            try:
                async with ledger.locked():
                    ledger.drop_dead_reservations()
                    state = ledger.state()
                    counted_now = ledger.is_stale(state)
                    used = await self._recount(ledger) if counted_now else state.used
                    assert used is not None
                    too_big = used + state.reserved + nbytes > self.limit_bytes
                    if too_big and not counted_now and ledger.worth_recounting(state):
                        # Refuse only on a fresh count: others may have deleted files meanwhile.
                        used = await self._recount(ledger)
                    self._used = used
                    self._check_fits(used, state.reserved, nbytes, path)
                    reservation_id = ledger.add_reservation(nbytes)
            except (OSError, sqlite3.Error) as exc:
                raise QuotaUnknownError(
                    f"Cannot share the quota of the {self._label} with other programs on this "
                    f"computer ({ledger.path}: {exc}); writes are refused until it can be.",
                    path=path,
                ) from exc
            self._reserved += nbytes
        try:
            yield reservation
        finally:
            self._reserved -= nbytes
            delta = reservation.delta if reservation.committed else None
            if delta and self._used is not None:
                self._used = max(0, self._used + delta)
            try:
                ledger.release(reservation_id, delta)
            except (OSError, sqlite3.Error) as exc:  # it is dropped when this process ends
                logger.warning("Could not release a quota reservation in %r: %s", ledger, exc)

    async def _shared_usage(self, ledger: QuotaLedger, *, force: bool) -> int:
        try:
            async with ledger.locked():
                state = ledger.state()
                if force or ledger.is_stale(state):
                    self._used = await self._recount(ledger)
                else:
                    self._used = state.used
        except (OSError, sqlite3.Error) as exc:
            raise QuotaUnknownError(
                f"Cannot read the shared quota records of the {self._label} ({ledger.path}: {exc})."
            ) from exc
        assert self._used is not None
        return self._used

    async def _recount(self, ledger: QuotaLedger) -> int:
        """List the store and record the count (call with the ledger's lock held)."""
        since = ledger.commit_sequence()
        used = ledger.record_count(await self._count(), since)
        logger.info("Recounted usage of the %s: %s", self._label, human_size(used))
        return used

    async def _count(self) -> int:
        try:
            return await self._count_usage()
        except StorageError as exc:
            raise QuotaUnknownError(
                f"Cannot tell how much of the {self._label} is used ({exc}); writes are "
                "refused until usage can be counted.",
            ) from exc

    async def _ensure_counted(self) -> int:
        if self._used is None:
            self._used = await self._count()
            logger.info("Counted usage of the %s: %s", self._label, human_size(self._used))
        return self._used
