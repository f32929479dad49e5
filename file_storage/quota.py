"""Quota tracking without listing the store on every write.

Usage is counted once (one listing), then kept up to date from the writes and deletes this
process makes. Writers *reserve* their bytes under a lock before they start, so twenty concurrent
uploads can never together go past the limit (RELIABILITY F7); a reservation is released whether
the write succeeds or fails. If the first count fails, writes are refused (fail closed) with
:class:`QuotaUnknownError` rather than allowed blindly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from file_storage.errors import QuotaUnknownError, StorageError, StorageQuotaExceededError
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
            return await self._ensure_counted()

    async def refresh(self) -> int:
        """Count usage again (for example after another program changed the store)."""
        async with self._lock:
            self._used = None
            return await self._ensure_counted()

    def record_delta(self, delta: int) -> None:
        """Adjust usage after an untracked change (a delete, an overwrite outside a reservation)."""
        if self._used is not None:
            self._used = max(0, self._used + delta)

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
        async with self._lock:
            used = await self._ensure_counted()
            projected = used + self._reserved + nbytes
            if projected > self.limit_bytes:
                raise StorageQuotaExceededError(
                    f"Storage quota exceeded on the {self._label}: "
                    f"{human_size(used + self._reserved)} used or reserved of "
                    f"{human_size(self.limit_bytes)}, and this write needs {human_size(nbytes)}. "
                    "Free some space or raise the quota.",
                    path=path,
                )
            self._reserved += nbytes
        try:
            yield reservation
        finally:
            async with self._lock:
                self._reserved -= nbytes
                if reservation.committed:
                    self.record_delta(reservation.delta)

    async def _ensure_counted(self) -> int:
        if self._used is None:
            try:
                self._used = await self._count_usage()
            except StorageError as exc:
                raise QuotaUnknownError(
                    f"Cannot tell how much of the {self._label} is used ({exc}); writes are "
                    "refused until usage can be counted.",
                ) from exc
            logger.info("Counted usage of the %s: %s", self._label, human_size(self._used))
        return self._used
