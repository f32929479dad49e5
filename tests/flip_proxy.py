"""A small HTTP/1.1 relay on 127.0.0.1 that damages S3 answers in transit, for tests.

It relays one request and its answer at a time per connection (as aiohttp and botocore send
them), so it knows which answer belongs to a GET and where each body starts and ends. It can
flip one byte of every GET body (``flip_at``) and add response headers (``add_headers``, e.g. to
make an object look SSE-KMS encrypted).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit


class FlipProxy:
    """Relay to ``upstream`` (``http://host:port``); see the module docstring."""

    def __init__(
        self,
        upstream: str,
        *,
        flip_at: int | None = None,
        add_headers: dict[str, str] | None = None,
        conditions: str | None = None,
        drop_headers: tuple[str, ...] = (),
    ) -> None:
        parts = urlsplit(upstream)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80
        self.flip_at = flip_at
        self.add_headers = add_headers or {}
        #: ``"refuse"``: answer conditional PUT/POSTs with 501 NotImplemented; ``"ignore"``:
        #: turn their 412 answers into 200 (as a server that ignores the headers looks).
        self.conditions = conditions
        self.conditional_writes_seen = 0
        #: Response headers removed (lower case), e.g. ``x-amz-mp-parts-count``.
        self.drop_headers = tuple(h.lower() for h in drop_headers)
        self.flipped = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def __aenter__(self) -> FlipProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._relay(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _relay(self, client: asyncio.StreamReader, to_client: asyncio.StreamWriter) -> None:
        upstream, to_upstream = await asyncio.open_connection(self._host, self._port)
        try:
            while True:
                try:
                    head = await client.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    return
                method = head.split(b" ", 1)[0].upper()
                request_headers = _headers(head)
                conditional = method in (b"PUT", b"POST") and (
                    "if-none-match" in request_headers or "if-match" in request_headers
                )
                self.conditional_writes_seen += conditional
                if conditional and self.conditions == "refuse":
                    await _drain_body(client, request_headers)
                    body = b"<Error><Code>NotImplemented</Code></Error>"
                    to_client.write(
                        b"HTTP/1.1 501 Not Implemented\r\nContent-Type: application/xml\r\n"
                        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
                    )
                    await to_client.drain()
                    continue
                to_upstream.write(head)
                await _copy_body(client, to_upstream, request_headers, None)
                answer = await upstream.readuntil(b"\r\n\r\n")
                status = int(answer.split(b" ", 2)[1])
                if conditional and self.conditions == "ignore" and status == 412:
                    answer = b"HTTP/1.1 200 OK\r\n" + answer.split(b"\r\n", 1)[1]
                headers = _headers(answer)
                if self.drop_headers:
                    lines = answer.split(b"\r\n")
                    answer = b"\r\n".join(
                        line
                        for line in lines
                        if line.split(b":", 1)[0].strip().lower().decode("latin-1")
                        not in self.drop_headers
                    )
                if self.add_headers:
                    extra = "".join(f"{k}: {v}\r\n" for k, v in self.add_headers.items())
                    answer = answer[:-2] + extra.encode() + b"\r\n"
                to_client.write(answer)
                if method == b"HEAD" or status in (204, 304) or status < 200:
                    await to_client.drain()
                    continue
                flip = self.flip_at if method == b"GET" and status in (200, 206) else None
                if await _copy_body(upstream, to_client, headers, flip):
                    self.flipped += 1
        finally:
            to_upstream.close()


def _headers(head: bytes) -> dict[str, str]:
    lines = head.decode("latin-1").split("\r\n")[1:]
    result = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if sep:
            result[name.strip().lower()] = value.strip()
    return result


async def _drain_body(source: asyncio.StreamReader, headers: dict[str, str]) -> None:
    remaining = int(headers.get("content-length", "0"))
    while remaining:
        chunk = await source.read(min(remaining, 256 * 1024))
        if not chunk:
            raise ConnectionError("client closed mid-body")
        remaining -= len(chunk)


async def _copy_body(
    source: asyncio.StreamReader,
    sink: asyncio.StreamWriter,
    headers: dict[str, str],
    flip_at: int | None,
) -> bool:
    """Copy one message body; flip the byte at ``flip_at`` if the body is that long."""
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size_line = await source.readuntil(b"\r\n")
            sink.write(size_line)
            size = int(size_line.split(b";")[0], 16)
            sink.write(await source.readexactly(size + 2))
            if size == 0:
                await sink.drain()
                return False
    remaining = int(headers.get("content-length", "0"))
    position = 0
    flipped = False
    while remaining:
        chunk = bytearray(await source.read(min(remaining, 256 * 1024)))
        if not chunk:
            raise ConnectionError("upstream closed mid-body")
        if flip_at is not None and position <= flip_at < position + len(chunk):
            chunk[flip_at - position] ^= 0x01
            flipped = True
        sink.write(chunk)
        await sink.drain()
        position += len(chunk)
        remaining -= len(chunk)
    await sink.drain()
    return flipped


@contextlib.contextmanager
def proxy_thread(upstream: str, **options: Any) -> Iterator[FlipProxy]:
    """A :class:`FlipProxy` serving from its own thread and loop (for synchronous CLI tests)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="flip-proxy", daemon=True)
    thread.start()
    proxy = FlipProxy(upstream, **options)
    try:
        asyncio.run_coroutine_threadsafe(proxy.__aenter__(), loop).result(10)
        yield proxy
    finally:
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(proxy.__aexit__(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
