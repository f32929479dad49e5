"""Behind a company proxy: every S3 request goes through the proxy the environment names.

curl, requests, botocore and the aws CLI send through ``HTTP_PROXY``/``HTTPS_PROXY`` unless
``NO_PROXY`` exempts the host; the backend's one transport does the same for all its paths
(aiobotocore's calls, the lean PUT/GET/HEAD and the presigned listing). A small forward proxy on
127.0.0.1 (HTTP/1.1 absolute-form requests, relayed as they are: servers must accept that form)
records the request lines it sees.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import pytest

from file_storage import S3StorageBackend, S3Tuning
from file_storage.backends.s3.transport import environment_proxy
from file_storage.bandwidth import BandwidthLimiter
from file_storage.sandbox import SeaweedSandbox
from tests.conftest import TEST_BUCKET

MiB = 1024 * 1024


class ForwardProxy:
    """An HTTP forward proxy for one target: it notes each connection's first request line."""

    def __init__(self) -> None:
        self.request_lines: list[str] = []
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            line = await reader.readline()
            self.request_lines.append(line.decode("latin-1").strip())
            method, target, _version = line.decode("latin-1").split(" ", 2)
            assert method != "CONNECT", "an http endpoint is proxied in absolute form"
            host_port = target.split("/", 3)[2]
            host, port = host_port.rsplit(":", 1)
            up_reader, up_writer = await asyncio.open_connection(host, int(port))
            up_writer.write(line)
            await asyncio.gather(
                self._pipe(reader, up_writer, note=True), self._pipe(up_reader, writer)
            )
        except (ConnectionError, ValueError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            self._tasks.discard(task)

    async def _pipe(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, *, note: bool = False
    ) -> None:
        try:
            while chunk := await source.read(256 * 1024):
                if note:  # later requests on a kept-alive connection
                    for raw in chunk.split(b"\r\n"):
                        if raw.endswith(b" HTTP/1.1") and b" http://" in raw:
                            self.request_lines.append(raw.decode("latin-1"))
                sink.write(chunk)
                await sink.drain()
        finally:
            with contextlib.suppress(Exception):
                sink.close()


@pytest.fixture
async def forward_proxy() -> AsyncIterator[tuple[ForwardProxy, str]]:
    proxy = ForwardProxy()
    url = await proxy.start()
    try:
        yield proxy, url
    finally:
        await proxy.close()


def make_backend(s3_server: SeaweedSandbox) -> S3StorageBackend:
    return S3StorageBackend(
        TEST_BUCKET,
        prefix=f"t-{uuid.uuid4().hex[:12]}",
        access_key_id=s3_server.access_key,
        secret_access_key=s3_server.secret_key,
        endpoint_url=s3_server.endpoint_url,
        tuning=S3Tuning(
            part_size=5 * MiB, multipart_threshold=5 * MiB, bandwidth=BandwidthLimiter()
        ),
    )


async def exercise(backend: S3StorageBackend) -> None:
    """One request of each path: lean PUT/HEAD/GET, multipart, listing, aiobotocore calls."""
    async with backend:
        await backend.save("a/one.json", b'{"n": 1}')
        await backend.save("a/big.bin", b"b" * (6 * MiB))  # multipart: create/parts/complete
        assert await backend.exists("a/one.json")
        assert await backend.load("a/one.json") == b'{"n": 1}'
        assert sorted(await backend.list_files("a")) == ["a/big.bin", "a/one.json"]
        await backend.list_multipart_uploads()
        await backend.delete("a/one.json")
        await backend.delete("a/big.bin")


async def test_every_path_goes_through_the_environments_proxy(
    forward_proxy: tuple[ForwardProxy, str],
    s3_server: SeaweedSandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proxy, url = forward_proxy
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", url)
    monkeypatch.setenv("http_proxy", url)
    await exercise(make_backend(s3_server))
    seen = " | ".join(proxy.request_lines)
    for expected in ("PUT ", "HEAD ", "GET ", "POST ", "DELETE ", "uploads", "list-type=2"):
        assert expected in seen, f"{expected!r} did not go through the proxy: {seen}"
    assert all(s3_server.endpoint_url in line for line in proxy.request_lines), seen


async def test_no_proxy_exempts_the_endpoint(
    forward_proxy: tuple[ForwardProxy, str],
    s3_server: SeaweedSandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proxy, url = forward_proxy
    monkeypatch.setenv("HTTP_PROXY", url)
    monkeypatch.setenv("http_proxy", url)
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    monkeypatch.setenv("no_proxy", "localhost,127.0.0.1")
    await exercise(make_backend(s3_server))
    assert proxy.request_lines == []


def test_the_proxy_is_chosen_by_scheme_and_no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://user:pw@proxy.example:3128")
    monkeypatch.setenv("https_proxy", "http://user:pw@proxy.example:3128")
    assert environment_proxy("https://s3.eu-west-1.amazonaws.com") == (
        "http://user:pw@proxy.example:3128"
    )
    assert environment_proxy("http://minio.internal:9000") is None  # no HTTP_PROXY set
    monkeypatch.setenv("NO_PROXY", ".amazonaws.com")
    monkeypatch.setenv("no_proxy", ".amazonaws.com")
    assert environment_proxy("https://s3.eu-west-1.amazonaws.com") is None
