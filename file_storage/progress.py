"""Progress callbacks that may be plain functions or coroutine functions."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable

#: Receives the number of bytes transferred so far (cumulative, not a delta).
ProgressCallback = Callable[[int], Awaitable[None] | None]


async def report_progress(progress: ProgressCallback | None, transferred: int) -> None:
    """Call ``progress(transferred)`` and await it if it returned an awaitable."""
    if progress is None:
        return
    result = progress(transferred)
    if inspect.isawaitable(result):
        await result
