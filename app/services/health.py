"""Is the bucket answering? A small health check the status bar can trust.

A frozen server accepts TCP connections (the kernel does that) but never answers, so nothing
fails: requests just wait for botocore's long read timeout. Left alone, the status bar would keep
saying "Connected" for minutes (issue 12, item 3). :class:`HealthService` therefore asks the
bucket a cheap question (``check()``: one ``ListObjectsV2`` with ``MaxKeys=1``) every few seconds
with a short deadline of its own, and turns the answer into a :class:`ConnectionState`:

* no answer within the deadline: *not responding*, with the time it started;
* an error (refused, unreachable, bad key, no bucket): *offline*, with the reason;
* while it tries again after a failure: *reconnecting*;
* an answer: *connected*.

The transfer layer knows sooner than any probe: it calls :meth:`HealthService.report_stall`
when a transfer has made no progress for a while (the state turns *not responding* at once and a
probe is sent) and :meth:`HealthService.report_success` when a request got an answer (which also
makes the next probe unnecessary). Hooks only: the service never touches the transfers.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import time
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

from app.messages import check_detail, describe
from file_storage.backends.base import StorageBackend

if TYPE_CHECKING:
    from app.services.transfers import JobQueue

logger = logging.getLogger(__name__)

#: Seconds between probes while the bucket answers.
PROBE_INTERVAL = 3.0
#: Seconds between probes after a failure (to notice the recovery quickly).
RETRY_INTERVAL = 2.0
#: How long one probe may take before the server counts as not responding.
PROBE_TIMEOUT = 3.0
#: Error kinds that mean "the server is there but cannot serve right now".
_BUSY_KINDS = {"unavailable", "timeout", "not-responding"}
#: Seconds between looks at the running transfers (for :class:`TransferWatch`).
WATCH_INTERVAL_MS = 1000


class ConnectionState(enum.StrEnum):
    """What the status bar says about the bucket."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    NOT_RESPONDING = "not-responding"
    OFFLINE = "offline"
    RECONNECTING = "reconnecting"
    NO_BUCKET = "no-bucket"


def _tr(text: str) -> str:
    return QCoreApplication.translate("HealthService", text)


class HealthService(QObject):
    """Probes the bucket every few seconds and tells the status bar what it found.

    Args:
        remote: The bucket's backend, or ``None`` when no bucket is configured.
        interval: Seconds between probes while connected.
        retry_interval: Seconds between probes after a failure.
        timeout: Seconds one probe may take before the server counts as not responding.

    Signals:
        stateChanged(str): The state or its detail changed (the :class:`ConnectionState`).
    """

    stateChanged = Signal(str)

    def __init__(
        self,
        remote: StorageBackend | None,
        *,
        interval: float = PROBE_INTERVAL,
        retry_interval: float = RETRY_INTERVAL,
        timeout: float = PROBE_TIMEOUT,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.interval = interval
        self.retry_interval = retry_interval
        self.timeout = timeout
        self._remote = remote
        self.state = ConnectionState.CONNECTING if remote else ConnectionState.NO_BUCKET
        #: The last answer or error, in words (the status widget's tooltip).
        self.detail = "" if remote else _tr("No bucket configured")
        #: The last error seen, kept after a recovery so the tooltip can still name it.
        self.last_error = ""
        #: When the current failure started (local time), or ``None`` while connected.
        self.since: datetime | None = None
        self._last_answer = 0.0  # monotonic time a transfer last got an answer
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    # ----------------------------------------------------------------- running

    @property
    def remote(self) -> StorageBackend | None:
        return self._remote

    def start(self) -> None:
        """Start probing (on the running asyncio loop); a second call does nothing."""
        if self._task is None or self._task.done():
            self._wake = asyncio.Event()
            self._task = asyncio.ensure_future(self._run())

    async def aclose(self) -> None:
        """Stop probing and wait until the probe in flight is gone."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def set_remote(self, remote: StorageBackend | None) -> None:
        """Watch another bucket (a profile switch): state starts over, a probe goes at once."""
        self._remote = remote
        self.since = None
        self.last_error = ""
        self._last_answer = 0.0
        if remote is None:
            self._set(ConnectionState.NO_BUCKET, _tr("No bucket configured"))
        else:
            self._set(ConnectionState.CONNECTING, "")
        self.check_now()

    def check_now(self) -> None:
        """Probe at once instead of waiting for the next turn (a click on the status)."""
        self._wake.set()

    # ----------------------------------------------------------------- transport hooks

    def report_stall(self, detail: str) -> None:
        """A transfer made no progress for a while: say so now, and probe to confirm."""
        if self._remote is None:
            return
        if self.state in (ConnectionState.CONNECTED, ConnectionState.CONNECTING):
            self._fail(ConnectionState.NOT_RESPONDING, detail)
        self.check_now()

    def report_success(self) -> None:
        """A request to the bucket got an answer: the server is alive."""
        if self._remote is None:
            return
        self._last_answer = time.monotonic()
        if self.state is not ConnectionState.CONNECTED:
            self._recovered(_tr("The bucket answers again."))

    # ----------------------------------------------------------------- probing

    async def _run(self) -> None:
        asked = True  # the first probe, and any after check_now(), always goes out
        while True:
            self._wake.clear()  # a check_now() during the probe asks for another one
            await self.probe(skip_if_fresh=not asked)
            wait = self.interval if self.state is ConnectionState.CONNECTED else self.retry_interval
            try:
                await asyncio.wait_for(self._wake.wait(), wait)
                asked = True
            except TimeoutError:
                asked = False

    async def probe(self, *, skip_if_fresh: bool = False) -> ConnectionState:
        """Ask the bucket once (bounded by ``timeout``) and update the state; return it.

        Args:
            skip_if_fresh: Do not ask when a transfer got an answer within ``interval``
                (the periodic probe; a probe somebody asked for always goes out).
        """
        remote = self._remote
        if remote is None:
            self._set(ConnectionState.NO_BUCKET, _tr("No bucket configured"))
            return self.state
        if (
            skip_if_fresh
            and self.state is ConnectionState.CONNECTED
            and time.monotonic() - self._last_answer < self.interval
        ):
            return self.state  # a transfer just got an answer: no need to ask again
        if self.state in (ConnectionState.NOT_RESPONDING, ConnectionState.OFFLINE):
            self._set(ConnectionState.RECONNECTING, self.detail)
        try:
            result = await asyncio.wait_for(remote.check(), self.timeout)
        except TimeoutError:
            if remote is self._remote:
                self._fail(
                    ConnectionState.NOT_RESPONDING,
                    _tr("The server did not answer within {seconds} s.").format(
                        seconds=f"{self.timeout:g}"
                    ),
                )
            return self.state
        except Exception as exc:  # a probe must never kill the loop; say what happened
            logger.warning("Connection probe failed: %s", exc)
            if remote is self._remote:
                self._fail(ConnectionState.OFFLINE, describe(exc))
            return self.state
        if remote is not self._remote:  # switched while the probe ran
            return self.state
        if result.ok:
            self._recovered(check_detail(result))
        else:
            kind = result.error.kind if result.error is not None else ""
            busy = kind in _BUSY_KINDS
            self._fail(
                ConnectionState.NOT_RESPONDING if busy else ConnectionState.OFFLINE,
                check_detail(result),
            )
        return self.state

    # ----------------------------------------------------------------- state

    def _fail(self, state: ConnectionState, detail: str) -> None:
        if self.since is None:
            self.since = datetime.now()
            logger.warning("The bucket is %s: %s", state.value.replace("-", " "), detail)
        self.last_error = detail
        self._set(state, detail)

    def _recovered(self, detail: str) -> None:
        if self.since is not None:
            logger.info("The bucket answers again.")
        self.since = None
        self._set(ConnectionState.CONNECTED, detail)

    def _set(self, state: ConnectionState, detail: str) -> None:
        if state is self.state and detail == self.detail:
            return
        self.state = state
        self.detail = detail
        self.stateChanged.emit(state.value)


class TransferWatch(QObject):
    """Feeds :class:`HealthService`'s hooks from the job queue, without changing the queue.

    Once a second it looks at the running upload, download and copy jobs: bytes that moved
    since the last look mean the server answers (:meth:`HealthService.report_success`); a job
    the queue counts as stalled (no byte for its stall time) is reported once
    (:meth:`HealthService.report_stall`), so the status turns before the next probe would.

    Args:
        queue: The workspace's job queue (read only).
        health: The service to tell.
    """

    def __init__(self, queue: JobQueue, health: HealthService) -> None:
        super().__init__(health)
        self._queue = queue
        self._health = health
        self._moved: dict[str, int] = {}
        self._reported: set[str] = set()
        self._timer = QTimer(self)
        self._timer.setInterval(WATCH_INTERVAL_MS)
        self._timer.timeout.connect(self.look)

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def look(self) -> None:
        """One look at the running transfers."""
        from app.services.transfers import JobKind, JobState

        moved = {}
        talking = (JobKind.UPLOAD, JobKind.DOWNLOAD, JobKind.COPY)  # jobs that talk to S3
        for job in self._queue.jobs():
            if job.state is not JobState.RUNNING or job.kind not in talking:
                continue
            moved[job.id] = job.transferred
            if job.transferred > self._moved.get(job.id, job.transferred):
                self._reported.discard(job.id)
                self._health.report_success()
            elif job.stalled and job.id not in self._reported:
                self._reported.add(job.id)
                self._health.report_stall(
                    _tr("No progress on {name} for a while.").format(name=job.title)
                )
        self._moved = moved
        self._reported &= moved.keys()
