"""Listings: names come back exactly as stored, and a slow clock is called a slow clock.

Names: keys are URL-decoded only when the answer says ``<EncodingType>url</EncodingType>``.
SeaweedFS always encodes (a space in a key as ``+``, a ``+`` as ``%2B``); another server may
ignore the request and send raw names, which a tiny HTTP server on 127.0.0.1 plays here.

Clock: only botocore's signing clock is set 20 minutes back (the process and the server keep
the real time), so every presigned listing URL is already expired when SeaweedFS sees it.
"""

from __future__ import annotations

import asyncio
import datetime
import email.utils
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import botocore.auth
import pytest

from file_storage import S3StorageBackend
from file_storage.backends.s3.errors import S3Context
from file_storage.backends.s3.listing import clock_error, parse_list_page
from file_storage.errors import AccessDeniedError, ClockSkewError
from file_storage.sandbox import SeaweedSandbox
from tests.conftest import TEST_BUCKET, MakeS3

# Names that a wrong decoder changes: '+', a space, a literal '%20' and a lone '%'.
TRICKY = ["a b+c.txt", "plus+only.txt", "x%20y.txt", "100% done.txt", "q ab/thud.txt"]


async def test_seaweedfs_names_round_trip(make_s3: MakeS3, tmp_path: Path) -> None:
    backend = make_s3()
    source = tmp_path / "one.bin"
    source.write_bytes(b"1")
    for name in TRICKY:
        await backend.upload_file(f"n/{name}", source)
    files = sorted([info.path async for page in backend.iter_pages("n") for info in page.files])
    assert files == sorted(f"n/{name}" for name in TRICKY)
    folders = [f async for page in backend.iter_pages("n", recursive=False) for f in page.folders]
    assert folders == ["n/q ab"]


# --------------------------------------------------------------------------- another server


def list_result(*, keys: list[str], prefixes: list[str], encoding: str | None) -> bytes:
    contents = "".join(
        f"<Contents><Key>{key}</Key><LastModified>2026-01-02T03:04:05.000Z</LastModified>"
        f'<ETag>"0cc175b9c0f1b6a831c399e269772661"</ETag><Size>1</Size></Contents>'
        for key in keys
    )
    common = "".join(f"<CommonPrefixes><Prefix>{p}</Prefix></CommonPrefixes>" for p in prefixes)
    tag = f"<EncodingType>{encoding}</EncodingType>" if encoding else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        f"<Name>{TEST_BUCKET}</Name><Prefix>p/</Prefix><KeyCount>{len(keys)}</KeyCount>"
        f"<MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>{contents}{common}{tag}"
        "</ListBucketResult>"
    ).encode()


class FixedListServer:
    """Answers every HTTP request with one fixed ListObjectsV2 document (and records paths)."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.requests: list[str] = []
        self.server: asyncio.Server | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                self.requests.append(head.split(b" ", 2)[1].decode())
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\n"
                    + f"Content-Length: {len(self.body)}\r\n\r\n".encode()
                    + self.body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    @property
    def url(self) -> str:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"


@pytest.fixture
async def fixed_server() -> AsyncIterator[FixedListServer]:
    fixed = FixedListServer(b"")
    fixed.server = await asyncio.start_server(fixed.handle, "127.0.0.1", 0)
    async with fixed.server:
        yield fixed


def backend_at(url: str) -> S3StorageBackend:
    return S3StorageBackend(
        TEST_BUCKET,
        prefix="p",
        access_key_id="AKIDFIXED",
        secret_access_key="fixed-server-secret",
        endpoint_url=url,
    )


@pytest.mark.parametrize(
    ("keys", "prefixes", "encoding"),
    [
        # A server that ignores EncodingType: the names are raw and must stay as they are.
        (["p/a b+c.txt", "p/x%20y.txt", "p/100%.txt"], ["p/q+r/"], None),
        # One that honours it with %-escapes only.
        (["p/a%20b%2Bc.txt", "p/x%2520y.txt", "p/100%25.txt"], ["p/q%2Br/"], "url"),
        # One that writes a space as '+', as SeaweedFS does in keys.
        (["p/a+b%2Bc.txt", "p/x%2520y.txt", "p/100%25.txt"], ["p/q%2Br/"], "url"),
    ],
)
async def test_names_decoded_only_when_the_answer_says_so(
    fixed_server: FixedListServer, keys: list[str], prefixes: list[str], encoding: str | None
) -> None:
    fixed_server.body = list_result(keys=keys, prefixes=prefixes, encoding=encoding)
    async with backend_at(fixed_server.url) as backend:
        pages = [page async for page in backend.iter_pages("", recursive=False)]
    assert [info.path for info in pages[0].files] == ["a b+c.txt", "x%20y.txt", "100%.txt"]
    assert pages[0].folders == ["q+r"]
    assert fixed_server.requests, "the listing did not reach the fixed server"
    assert "encoding-type=url" in fixed_server.requests[0]


def test_encoding_type_after_the_keys_still_counts() -> None:
    body = list_result(keys=["p/a+b"], prefixes=[], encoding="url")
    assert body.index(b"<EncodingType>") > body.index(b"<Contents>")
    assert parse_list_page(body).objects[0].key == "p/a b"


# --------------------------------------------------------------------------- clock


@pytest.fixture
def slow_signing_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sign as if this computer's clock were 20 minutes slow; nothing else sees a change."""
    real = botocore.auth.get_current_datetime

    def twenty_minutes_ago() -> datetime.datetime:
        return real() - datetime.timedelta(minutes=20)

    monkeypatch.setattr(botocore.auth, "get_current_datetime", twenty_minutes_ago)


async def test_slow_clock_listing_says_clock(make_s3: MakeS3, slow_signing_clock: None) -> None:
    backend = make_s3()
    with pytest.raises(ClockSkewError, match="clock") as caught:
        [page async for page in backend.iter_pages("")]
    assert "permission" not in str(caught.value)
    check = await backend.check()
    assert not check.ok
    assert isinstance(check.error, ClockSkewError), check.detail


async def test_real_permission_error_is_still_access_denied(
    s3_server: SeaweedSandbox, make_s3: MakeS3
) -> None:
    """Only clock causes become the clock message: a wrong secret is no clock problem."""
    backend = make_s3(secret="wrong-secret-" + uuid.uuid4().hex)
    with pytest.raises(AccessDeniedError) as caught:
        [page async for page in backend.iter_pages("")]
    assert not isinstance(caught.value, ClockSkewError)


def test_server_date_far_off_means_clock() -> None:
    ctx = S3Context("list", TEST_BUCKET, "http://s3.example", "p/")
    now = time.time()
    server_ahead = email.utils.formatdate(now + 20 * 60, usegmt=True)
    error = clock_error("AccessDenied", 403, "Access Denied", server_ahead, ctx, now=now)
    assert isinstance(error, ClockSkewError)
    assert "20 minutes behind" in str(error)
    close = email.utils.formatdate(now + 30, usegmt=True)
    assert clock_error("AccessDenied", 403, "Access Denied", close, ctx, now=now) is None
    expired = clock_error("AccessDenied", 403, "Request has expired", close, ctx, now=now)
    assert isinstance(expired, ClockSkewError)
    assert clock_error("NoSuchBucket", 404, "Request has expired", None, ctx, now=now) is None
