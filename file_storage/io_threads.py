"""Blocking file calls in worker threads, tracked so a descriptor is never closed under one.

Cancelling a task that awaits a worker thread does not stop the thread: ``pwrite`` or ``pread``
goes on. If the owner then closed the descriptor, the number could be reused by another file and
the late call would write into it. :class:`ThreadCalls` remembers every call it started, and the
owners (:class:`file_storage.atomic.AtomicFile`, :class:`file_storage.sources.FileSource`) wait
for them in :meth:`ThreadCalls.settle` before closing anything.

The pool is our own, sized for many small transfers: each download ends with an ``fsync``, and
sixteen of them can wait on the disk at once instead of the default pool's handful.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

IO_EXECUTOR = concurrent.futures.ThreadPoolExecutor(max_workers=16, thread_name_prefix="leap-io")


class ThreadCalls:
    """Runs blocking calls in the I/O pool and can wait until all of them have finished."""

    def __init__(self, executor: concurrent.futures.Executor = IO_EXECUTOR) -> None:
        self._executor = executor
        self._pending: set[concurrent.futures.Future[Any]] = set()

    async def run(self, fn: Callable[..., T], /, *args: Any) -> T:
        """Run ``fn(*args)`` in a worker thread and return its result."""
        future = self._executor.submit(fn, *args)
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)
        return await asyncio.wrap_future(future)

    async def settle(self) -> None:
        """Wait for every call started here, including those whose caller was cancelled."""
        pending = [future for future in self._pending if not future.done()]
        if pending:
            waiters = [asyncio.wrap_future(future) for future in pending]
            await asyncio.shield(asyncio.gather(*waiters, return_exceptions=True))
