"""An HTTP relay in its own thread that answers ``501 NotImplemented`` to ListMultipartUploads.

Some S3-compatible servers cannot list unfinished multipart uploads; this makes SeaweedFS look
like one for a ``leap-storage`` run. Every other request is relayed as it is, one at a time per
connection (the S3 clients here never pipeline), bodies by their Content-Length.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

NOT_IMPLEMENTED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NotImplemented</Code>'
    b"<Message>A header you provided implies functionality that is not implemented."
    b"</Message></Error>"
)


def lists_multipart_uploads(method: str, target: str) -> bool:
    """``GET /bucket?uploads`` (not ``?uploadId=``, which lists one upload's parts)."""
    query = parse_qs(urlsplit(target).query, keep_blank_values=True)
    return method == "GET" and "uploads" in query and "uploadId" not in query


class RefusingProxy:
    """Relay to ``upstream``; refuse the requests ``refuse(method, target)`` picks."""

    def __init__(
        self, upstream: str, refuse: Callable[[str, str], bool] = lists_multipart_uploads
    ) -> None:
        parts = urlsplit(upstream)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self._refuse = refuse
        self.refused: list[str] = []
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None

    def __enter__(self) -> RefusingProxy:
        self._thread.start()
        started = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        self.url = started.result(timeout=10)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _start(self) -> str:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        pump: asyncio.Task[None] | None = None
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {
                    name.strip().lower(): value.strip()
                    for name, _, value in (line.partition(":") for line in lines[1:] if line)
                }
                length = int(headers.get("content-length", "0"))
                if self._refuse(method, target):
                    self.refused.append(lines[0])
                    await reader.readexactly(length)
                    writer.write(
                        b"HTTP/1.1 501 Not Implemented\r\nContent-Type: application/xml\r\n"
                        + f"Content-Length: {len(NOT_IMPLEMENTED)}\r\n\r\n".encode()
                        + NOT_IMPLEMENTED
                    )
                    await writer.drain()
                    continue
                if upstream is None:
                    upstream = await asyncio.open_connection(self._host, self._port)
                    pump = asyncio.create_task(_copy(upstream[0], writer))
                upstream[1].write(head)
                while length:
                    data = await reader.read(min(length, 65536))
                    if not data:
                        return
                    upstream[1].write(data)
                    await upstream[1].drain()
                    length -= len(data)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            if pump is not None:
                pump.cancel()
                with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                    await pump
            if upstream is not None:
                upstream[1].transport.abort()
            writer.transport.abort()


async def _copy(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    while data := await source.read(65536):
        sink.write(data)
        await sink.drain()
