"""The one retry policy and the stall watchdog of every S3 request.

Every request path (aiobotocore calls, the lean PUT/GET/HEAD path, listings, ranged reads, part
uploads) retries with :class:`RetryPolicy` and nothing else: botocore's own retries are turned
off (``max_attempts=1`` in its config) so that attempts never multiply and there is one backoff
formula.

The backoff is "equal jitter": before retry ``n`` the wait is between half and all of
``min(cap, base x 2^(n-1))``. Half is guaranteed, so a throttling episode of a few seconds is
always outlasted (with the defaults, the four retries of five attempts wait at least 3.75 s in
all), and the random half keeps many clients from retrying in step. A total budget bounds the
time spent waiting across one request's retries.

A *stall* is a request with no byte progress (nothing taken by the socket, nothing read from it)
for ``stall_timeout`` seconds: a frozen server, a zero-window connection, a dead NAT mapping.
:class:`Watchdog` turns it into :class:`StallError` (a ``TimeoutError``, so every path retries it
as a network hiccup), and after the last attempt it becomes
:class:`~file_storage.errors.EndpointNotRespondingError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import TracebackType

import aiohttp
from botocore import exceptions as boto_exc

#: HTTP statuses and S3 error codes that mean "try again" (throttling, a server hiccup).
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
RETRY_CODES = frozenset(
    {
        "SlowDown",
        "InternalError",
        "ServiceUnavailable",
        "RequestTimeout",
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TooManyRequests",
        "503",
        "500",
        "502",
        "504",
        "429",
    }
)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently one S3 request is tried.

    Attributes:
        attempts: Attempts per request, counting the first (``STORAGE_S3_MAX_ATTEMPTS``).
        base_s: Wait before the first retry (its upper bound; half of it is guaranteed).
        cap_s: Longest single wait.
        budget_s: Longest total wait across one request's retries; no retry starts after it.
        jitter: Randomise the upper half of each wait (off only in tests that count time).
    """

    attempts: int = 5
    base_s: float = 0.5
    cap_s: float = 8.0
    budget_s: float = 60.0
    jitter: bool = True

    def delay(self, retry: int) -> float:
        """The wait before retry number ``retry`` (1 = the second attempt)."""
        ceiling: float = min(self.cap_s, self.base_s * 2.0 ** (retry - 1))
        if not self.jitter:
            return ceiling
        share: float = random.random()  # noqa: S311 - jitter, not a secret
        return ceiling / 2 + share * ceiling / 2

    def run(self, on_retry: Callable[[], None] | None = None) -> RetryRun:
        """A fresh attempt counter and budget for one request; ``on_retry`` hears each retry."""
        return RetryRun(self, on_retry)


class RetryRun:
    """The retries of one request: ``for attempt in run.attempts()`` then ``await run.wait()``."""

    def __init__(self, policy: RetryPolicy, on_retry: Callable[[], None] | None = None) -> None:
        self.policy = policy
        self._on_retry = on_retry
        self._waited = 0.0

    def attempts(self) -> range:
        return range(1, max(1, self.policy.attempts) + 1)

    def can_retry(self, attempt: int) -> bool:
        """Whether another attempt may follow ``attempt`` (count and budget both allow it)."""
        return attempt < max(1, self.policy.attempts) and self._waited < self.policy.budget_s

    async def wait(self, attempt: int) -> None:
        """Sleep before the attempt after ``attempt``, within what is left of the budget."""
        pause = min(self.policy.delay(attempt), max(0.0, self.policy.budget_s - self._waited))
        self._waited += pause
        if self._on_retry is not None:
            self._on_retry()
        await asyncio.sleep(pause)


def is_retryable_answer(status: int | None, code: str | None) -> bool:
    """Whether an S3 error answer is worth another attempt."""
    return (status is not None and status in RETRY_STATUS) or (code or "") in RETRY_CODES


def is_retryable_exception(exc: BaseException) -> bool:
    """Whether a failed request (botocore or aiohttp) is worth another attempt."""
    if isinstance(exc, aiohttp.ClientSSLError | boto_exc.SSLError):
        return False  # a certificate does not get better by asking again
    if isinstance(exc, boto_exc.ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return is_retryable_answer(status, str(error.get("Code", "")))
    return isinstance(
        exc,
        TimeoutError
        | ConnectionError
        | aiohttp.ClientConnectionError
        | aiohttp.ClientPayloadError
        | boto_exc.EndpointConnectionError
        | boto_exc.ConnectTimeoutError
        | boto_exc.ReadTimeoutError
        | boto_exc.ConnectionClosedError
        | boto_exc.ResponseStreamingError,
    )


class StallError(TimeoutError):
    """No byte moved in either direction for the stall timeout (internal; translated later)."""

    def __init__(self, stall_timeout: float) -> None:
        super().__init__(f"no progress for {stall_timeout:g} s")
        self.stall_timeout = stall_timeout


class Watchdog:
    """Cancels the guarded block when no progress is reported for ``timeout`` seconds.

    ``progress()`` pushes the deadline back; it is called as the socket takes each slice of an
    upload and as each chunk of a response arrives. A stall raises :class:`StallError` from the
    ``async with`` block and calls ``on_stall``. Only used around code of this package: the
    cancellation it relies on is :func:`asyncio.timeout`'s.
    """

    def __init__(self, timeout: float, on_stall: Callable[[], None] | None = None) -> None:
        self.timeout = timeout
        self._on_stall = on_stall
        self._cm: asyncio.Timeout | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last_push = 0.0

    def progress(self) -> None:
        """Some bytes moved: the stall clock starts again (cheap; called per slice or chunk)."""
        if self._cm is None or self._loop is None:
            return
        now = self._loop.time()
        # Rescheduling a timer handle per 64 KiB chunk costs more than it gains: once per
        # twentieth of the timeout is precise enough.
        if now - self._last_push >= self.timeout / 20:
            self._last_push = now
            self._cm.reschedule(now + self.timeout)

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Time spent inside is no stall: a transfer waiting for the bandwidth limiter is
        silent on purpose. The stall clock starts again when the block ends."""
        cm = self._cm
        if cm is None or self._loop is None:
            yield
            return
        cm.reschedule(None)
        try:
            yield
        finally:
            if self._cm is cm and not cm.expired():
                self._last_push = self._loop.time()
                cm.reschedule(self._last_push + self.timeout)

    async def __aenter__(self) -> Watchdog:
        self._loop = asyncio.get_running_loop()
        self._last_push = self._loop.time()
        self._cm = asyncio.timeout(self.timeout)
        await self._cm.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._cm is not None
        cm, self._cm = self._cm, None
        try:
            await cm.__aexit__(exc_type, exc, tb)
        except TimeoutError:
            if cm.expired():
                if self._on_stall is not None:
                    self._on_stall()
                raise StallError(self.timeout) from None
            raise
