"""Per-user usage of each store, counted once and then tracked from transfers.

The quota panel needs usage per user on both sides. Listing a large bucket after every transfer is
exactly what the design note's sketch did and what we avoid: each side is listed once (paginated)
when it is opened, and completed uploads, downloads and deletes adjust the numbers afterwards.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Signal

from app.messages import describe
from file_storage.backends.base import StorageBackend
from file_storage.errors import StorageError
from file_storage.path_builder import StoragePathBuilder

logger = logging.getLogger(__name__)


@dataclass
class SideUsage:
    """What one store holds, in bytes."""

    total: int = 0
    limit: int | None = None
    per_user: dict[str, int] = field(default_factory=dict)
    counted: bool = False


class UsageService(QObject):
    """Counts each side once and keeps per-user usage current.

    Args:
        backends: The stores by side name (``"local"``, ``"s3"``).

    Signals:
        usageChanged(str): The usage of that side changed.
        countFailed(str, str): Counting a side failed (side, readable message).
    """

    usageChanged = Signal(str)
    countFailed = Signal(str, str)

    def __init__(self, backends: dict[str, StorageBackend], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._backends = backends
        self.sides: dict[str, SideUsage] = {name: SideUsage() for name in backends}
        self._tasks: set[asyncio.Task[None]] = set()

    def start_counting(self) -> None:
        """Count every side in the background."""
        for side in self._backends:
            task = asyncio.ensure_future(self.count(side))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def count(self, side: str) -> None:
        """List ``side`` once and sum its sizes, in total and per user."""
        backend = self._backends[side]
        usage = SideUsage(limit=backend.quota.limit_bytes)
        try:
            async for page in backend.iter_pages(""):
                for info in page.files:
                    usage.total += info.size
                    slug = StoragePathBuilder.parse_user_slug(info.path)
                    if slug:
                        usage.per_user[slug] = usage.per_user.get(slug, 0) + info.size
        except StorageError as exc:
            logger.warning("Could not count usage of %s: %s", side, exc)
            self.countFailed.emit(side, describe(exc))
            return
        usage.counted = True
        self.sides[side] = usage
        self.usageChanged.emit(side)

    def set_backend(self, side: str, backend: StorageBackend | None) -> None:
        """Swap the store of ``side`` (a profile switch) and count it again."""
        if backend is None:
            self._backends.pop(side, None)
            self.sides.pop(side, None)
            self.usageChanged.emit(side)
            return
        self._backends[side] = backend
        self.sides[side] = SideUsage(limit=backend.quota.limit_bytes)
        self.usageChanged.emit(side)
        task = asyncio.ensure_future(self.count(side))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def remaining(self, side: str) -> tuple[int, int | None]:
        """``(used, limit)`` of ``side``; used is 0 until counted."""
        usage = self.sides.get(side)
        if usage is None:
            return 0, None
        return usage.total, usage.limit

    def record(self, side: str, path: str, delta: int) -> None:
        """Adjust usage after a write (positive) or delete (negative) of ``path``."""
        usage = self.sides.get(side)
        if usage is None or not usage.counted or not delta:
            return
        usage.total = max(0, usage.total + delta)
        slug = StoragePathBuilder.parse_user_slug(path)
        if slug:
            usage.per_user[slug] = max(0, usage.per_user.get(slug, 0) + delta)
        self.usageChanged.emit(side)

    def users(self) -> list[str]:
        """Every user seen on any side, sorted."""
        return sorted({slug for usage in self.sides.values() for slug in usage.per_user})

    def cancel(self) -> None:
        for task in list(self._tasks):
            task.cancel()
