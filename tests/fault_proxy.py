"""An asyncio TCP/HTTP relay on 127.0.0.1 that stalls or throttles S3 traffic, for tests.

Runs on the test's own event loop. Faults:

- ``frozen = True``: every connection, open or new, stops being read in both directions (the
  kernel buffers fill and the client's send window drops to zero), as with a server stopped by
  SIGSTOP or a dead network path.
- ``freeze_after_down = n``: relay normally until ``n`` bytes went from the server to the
  client, then freeze as above (a download that stops mid-body).
- ``slowdown_s = t``: for ``t`` seconds from the first request, answer every request with
  ``503 SlowDown`` (after reading its body) and close the connection; then relay. Each 503 is
  counted per request line in ``slowdowns``, so a test can count attempts.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections import Counter
from urllib.parse import urlsplit

#: The region of a SigV4 credential scope, in a header or (URL-encoded) in a presigned URL.
_SCOPE_REGION = re.compile(rb"Credential=[^/%\s]+(?:/|%2F)\d{8}(?:/|%2F)([a-z0-9-]+)(?:/|%2F)s3")

SLOWDOWN_BODY = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
    b"<Message>Please reduce your request rate.</Message></Error>"
)


class FaultProxy:
    """Relay to ``upstream`` (``http://host:port``); see the module docstring."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80
        self.frozen = False
        self.freeze_after_down: int | None = None
        self.down_bytes = 0
        self.slowdown_s: float | None = None
        self.slowdown_started: float | None = None
        self.slowdowns: Counter[str] = Counter()
        self.relayed_connections = 0
        #: Regions named by the signatures of relayed requests (header or presigned).
        self.signed_regions: Counter[str] = Counter()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._closing = asyncio.Event()

    async def start(self) -> str:
        """Listen on a free port; return the proxy's ``http://127.0.0.1:port``."""
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        self._closing.set()
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _stalled(self, downstream: bool) -> bool:
        if self.frozen:
            return True
        limit = self.freeze_after_down
        return downstream and limit is not None and self.down_bytes >= limit

    async def _hold(self) -> None:
        """Read nothing more until the proxy closes (the zero window)."""
        await self._closing.wait()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        try:
            if self.frozen:
                await self._hold()
                return
            initial = b""
            if self.slowdown_s is not None:
                head = await reader.readuntil(b"\r\n\r\n")
                now = time.monotonic()
                if self.slowdown_started is None:
                    self.slowdown_started = now
                if now - self.slowdown_started < self.slowdown_s:
                    await self._answer_slowdown(head, reader, writer)
                    return
                initial = head
            await self._relay(reader, writer, initial)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self._writers.discard(writer)
            writer.transport.abort()
            self._tasks.discard(task)

    async def _answer_slowdown(
        self, head: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        lines = head.decode("latin-1").split("\r\n")
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in lines[1:] if line)
        }
        assert "chunked" not in headers.get("transfer-encoding", ""), "chunked bodies unsupported"
        if headers.get("expect", "").lower() != "100-continue":
            await reader.readexactly(int(headers.get("content-length", "0")))
        self.slowdowns[lines[0]] += 1
        writer.write(
            b"HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\n"
            + f"Content-Length: {len(SLOWDOWN_BODY)}\r\n".encode()
            + b"Connection: close\r\n\r\n"
            + SLOWDOWN_BODY
        )
        await writer.drain()

    async def _relay(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, initial: bytes
    ) -> None:
        up_reader, up_writer = await asyncio.open_connection(self._host, self._port)
        self._writers.add(up_writer)
        self.relayed_connections += 1
        try:
            if initial:
                up_writer.write(initial)
            await asyncio.gather(
                self._pump(reader, up_writer, downstream=False),
                self._pump(up_reader, writer, downstream=True),
            )
        finally:
            self._writers.discard(up_writer)
            up_writer.transport.abort()

    async def _pump(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, *, downstream: bool
    ) -> None:
        while True:
            if self._stalled(downstream):
                await self._hold()
                return
            data = await source.read(65536)
            if not data:
                with contextlib.suppress(OSError):
                    sink.write_eof()
                return
            if self.frozen:
                # Frozen while this read waited: the bytes are never delivered.
                await self._hold()
                return
            if downstream:
                self.down_bytes += len(data)
            else:
                for region in _SCOPE_REGION.findall(data):
                    self.signed_regions[region.decode()] += 1
            sink.write(data)
            await sink.drain()
