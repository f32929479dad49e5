"""A lean request path for the hot S3 calls: PUT (object and part), GET and HEAD.

botocore spends 2-3 ms of event-loop CPU per request (endpoint rules, serialisation, event hooks,
response parsing), which caps small-file transfers at a few hundred files per second, and it
hashes every upload body on the event loop to sign it. Here botocore's own SigV4 signer signs each
request (header auth, with the payload SHA-256 computed by the caller, off the event loop), and the
backend's one :class:`~file_storage.backends.s3.transport.S3Transport` sends it (the same
connection pool, SSL context and request counter as the aiobotocore calls). Everything else stays
as the botocore path does it:

- Errors become the same typed errors through :func:`translate_error_code` /
  :func:`translate_s3_error` (a HEAD has no body: its status code is the code, as in botocore).
- 5xx, 429, ``SlowDown``-style codes, timeouts, stalls and connection errors are retried by the
  backend's one :class:`~file_storage.backends.s3.retry.RetryPolicy`; every attempt runs under a
  stall :class:`~file_storage.backends.s3.retry.Watchdog`.
- Credentials come from an injected provider (the session's public ``get_credentials()``).
- Timeouts and the CA bundle are the transport's, built from the same tuning.
- Bandwidth: each upload slice waits for the transport's
  :class:`~file_storage.bandwidth.BandwidthLimiter` (the wait is no stall), and GET bodies are
  read in pieces that wait for it after they arrive.
- With ``request_checksum_calculation="when_supported"`` uploads also carry
  ``x-amz-checksum-crc32``, as botocore would send; the payload SHA-256 is always signed.
- Logs name the operation and key, never a URL, header or signature.
"""

from __future__ import annotations

import base64
import email.utils
import logging
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import aiohttp
import yarl
from botocore.auth import EMPTY_SHA256_HASH, S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.utils import percent_encode_sequence

from file_storage.backends.s3.errors import S3Context, translate_error_code, translate_s3_error
from file_storage.backends.s3.listing import _parse_error
from file_storage.backends.s3.retry import (
    RetryPolicy,
    Watchdog,
    is_retryable_answer,
    is_retryable_exception,
)
from file_storage.backends.s3.transport import S3Transport
from file_storage.bandwidth import TokenBucket

logger = logging.getLogger(__name__)

#: Upload bodies are handed to the socket in slices this big, so asyncio's transport buffer
#: (which copies whatever the socket does not take at once) never holds more than one slice.
SEND_SLICE = 256 * 1024


class _PrecomputedPayloadSigner(S3SigV4Auth):  # type: ignore[misc]
    """SigV4 header signing with a payload hash computed by the caller (never on the loop)."""

    def payload(self, request: AWSRequest) -> str:
        value: str = request.context.get("payload_sha256") or EMPTY_SHA256_HASH
        return value


@dataclass(slots=True)
class FastResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes


class BodyReader:
    """A GET response body read in chunks of up to ``n`` bytes (``read``), then ``close``.

    Each ``read`` runs under a fresh :class:`Watchdog` (when given one): bytes arriving push its
    deadline back, and a body that stops arriving raises :class:`StallError` instead of waiting
    for the server forever. Under a download limit (``bucket``) the body is read in pieces of
    about an eighth of a second of the rate, each paid for after it arrived and outside the
    watchdog (waiting for the limiter is no stall; TCP holds the server back meanwhile).
    """

    def __init__(
        self,
        response: aiohttp.ClientResponse,
        watchdog: Callable[[], Watchdog] | None = None,
        bucket: TokenBucket | None = None,
    ) -> None:
        self._response = response
        self._watchdog = watchdog
        self._bucket = bucket

    async def read(self, n: int) -> bytes:
        """Return up to ``n`` bytes, fewer only at the end of the body (``b""`` once done)."""
        bucket = self._bucket
        if bucket is None or not bucket.limited:
            data = await self._guarded(n)
            if bucket is not None:
                bucket.count(len(data))
            return data
        piece = bucket.piece(n)
        parts: list[bytes] = []
        got = 0
        while got < n:
            data = await self._guarded(min(piece, n - got))
            if not data:
                break
            await bucket.acquire(len(data))
            parts.append(data)
            got += len(data)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    async def _guarded(self, n: int) -> bytes:
        if self._watchdog is None:
            return await self._read(n, None)
        async with self._watchdog() as dog:
            return await self._read(n, dog)

    async def _read(self, n: int, dog: Watchdog | None) -> bytes:
        content = self._response.content
        first = await content.read(n)
        if len(first) >= n or not first:
            return first
        parts = [first]
        got = len(first)
        while got < n:
            if dog is not None:
                dog.progress()
            more = await content.read(n - got)
            if not more:
                break
            parts.append(more)
            got += len(more)
        return b"".join(parts)

    def close(self) -> None:
        self._response.release() if self._response.content.at_eof() else self._response.close()


def crc32_header(data: bytes | memoryview) -> str:
    """The value of ``x-amz-checksum-crc32`` for ``data``."""
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def head_to_response(headers: Mapping[str, str]) -> dict[str, Any]:
    """The parts of botocore's HeadObject/GetObject response that the backend uses."""
    metadata = {
        name[len("x-amz-meta-") :]: value
        for name, value in headers.items()
        if name.lower().startswith("x-amz-meta-")
    }
    modified = headers.get("Last-Modified")
    return {
        "ContentLength": int(headers.get("Content-Length", "0")),
        "ETag": headers.get("ETag", ""),
        "LastModified": (
            email.utils.parsedate_to_datetime(modified) if modified else datetime.now(UTC)
        ),
        "Metadata": {k.lower(): v for k, v in metadata.items()},
        "ContentRange": headers.get("Content-Range"),
        # SSE-KMS and SSE-C ETags are not content hashes (s3.verify.opaque_etag_reason).
        "ServerSideEncryption": headers.get("x-amz-server-side-encryption"),
        "SSECustomerAlgorithm": headers.get("x-amz-server-side-encryption-customer-algorithm"),
    }


class FastS3:
    """Signs and sends single S3 requests for one bucket.

    Args:
        presign: ``client.generate_presigned_url`` (only to learn botocore's URL for the bucket).
        transport: The backend's one transport (pool, SSL, request counter, stall guard,
            bandwidth limiter).
        bucket: Bucket name.
        endpoint: Endpoint shown in messages.
        region: Signing region.
        policy: The backend's one retry policy.
        credentials: Returns frozen credentials (botocore ``ReadOnlyCredentials``); raises
            ``NoCredentialsError`` when there are none. Called per request: refreshable
            credentials (a role, SSO) refresh there.
        send_crc32: Add ``x-amz-checksum-crc32`` to uploads (``when_supported``).
        on_retry: Called once per retry.
        context: Builds the :class:`S3Context` of a failure (names the credential source).
    """

    def __init__(
        self,
        presign: Callable[..., Awaitable[str]],
        transport: S3Transport,
        bucket: str,
        endpoint: str,
        region: str,
        policy: RetryPolicy,
        *,
        credentials: Callable[[], Awaitable[Any]],
        send_crc32: bool,
        context: Callable[[str, str | None], S3Context] | None = None,
        on_retry: Callable[[], None] | None = None,
    ) -> None:
        self._presign = presign
        self.transport = transport
        self._bucket = bucket
        self._endpoint = endpoint
        self._region = region
        self.policy = policy
        self._credentials = credentials
        self.send_crc32 = send_crc32
        self._on_retry = on_retry
        self._context = context or (lambda op, key: S3Context(op, bucket, endpoint, key))
        self._base: tuple[str, str, str] | None = None

    async def _base_url(self) -> tuple[str, str, str]:
        """``(scheme, host, path prefix)`` for keys of the bucket, as botocore addresses them."""
        if self._base is None:
            probe = "leap-probe"
            url: str = await self._presign(
                "get_object", Params={"Bucket": self._bucket, "Key": probe}, ExpiresIn=60
            )
            parts = urlsplit(url)
            assert parts.path.endswith("/" + probe), "unexpected presigned URL layout"
            self._base = (parts.scheme, parts.netloc, parts.path[: -len(probe)])
        return self._base

    async def _signed(
        self,
        method: str,
        key: str,
        query: Mapping[str, str] | None,
        headers: Mapping[str, str],
        payload_sha256: str | None,
    ) -> tuple[yarl.URL, dict[str, str]]:
        scheme, host, prefix = await self._base_url()
        path = prefix + quote(key, safe="/~")
        query_string = percent_encode_sequence(dict(query)) if query else ""
        url = urlunsplit((scheme, host, path, query_string, ""))
        request = AWSRequest(method=method, url=url, headers=dict(headers))
        request.context["payload_sha256"] = payload_sha256
        signer = _PrecomputedPayloadSigner(await self._credentials(), "s3", self._region)
        signer.add_auth(request)
        return yarl.URL(url, encoded=True), dict(request.headers.items())

    @property
    def stall_timeout(self) -> float:
        return self.transport.stall_timeout

    def watchdog(self) -> Watchdog:
        """A stall guard for one attempt (or one body read) of this transport."""
        return self.transport.watchdog()

    async def _attempts(
        self,
        operation: str,
        method: str,
        key: str,
        *,
        query: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes | memoryview | None = None,
        payload_sha256: str | None = None,
        stream: bool = False,
    ) -> aiohttp.ClientResponse:
        """Send until a non-retryable answer; return the open response (status < 300).

        Each attempt runs under a :class:`Watchdog`: the socket taking a slice of the body or
        the response arriving counts as progress; silence for the stall timeout ends the
        attempt, which is then retried like a dropped connection.
        """
        ctx = self._context(operation, key)
        base_headers = dict(headers or {})
        if body is not None:
            base_headers["Content-Length"] = str(len(body))
        run = self.policy.run(self._on_retry)
        for attempt in run.attempts():
            try:
                url, signed = await self._signed(method, key, query, base_headers, payload_sha256)
            except Exception as exc:
                raise translate_s3_error(exc, ctx) from None
            response: aiohttp.ClientResponse | None = None
            try:
                async with self.watchdog() as dog:
                    response = await self.transport.session.request(
                        method,
                        url,
                        headers=signed,
                        data=_body_payload(body, dog, self.transport.limiter.up),
                        skip_auto_headers=("Content-Type",),
                        auto_decompress=False,
                    )
                    if response.status < 300 and stream:
                        return response
                    raw = await response.read()
            except (TimeoutError, aiohttp.ClientError, ConnectionError) as exc:
                if response is not None:
                    response.close()
                if not run.can_retry(attempt) or not is_retryable_exception(exc):
                    raise translate_s3_error(exc, ctx) from None
                await run.wait(attempt)
                continue
            assert response is not None
            if response.status < 300:
                return response
            response.release()
            code, message = _parse_error(raw) if raw else ("", None)
            if is_retryable_answer(response.status, code) and run.can_retry(attempt):
                await run.wait(attempt)
                continue
            raise translate_error_code(code or str(response.status), response.status, message, ctx)
        raise AssertionError("unreachable")

    async def request(
        self,
        operation: str,
        method: str,
        key: str,
        *,
        query: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes | memoryview | None = None,
        payload_sha256: str | None = None,
    ) -> FastResponse:
        """One request whose answer is read whole (PUT, HEAD, small GET); logged like ``call``."""
        started = time.monotonic()
        try:
            response = await self._attempts(
                operation,
                method,
                key,
                query=query,
                headers=headers,
                body=body,
                payload_sha256=payload_sha256,
            )
        except Exception as exc:
            logger.info(
                "s3 %s key=%s failed after %.3fs: %s",
                operation,
                key,
                time.monotonic() - started,
                type(exc).__name__,
            )
            raise
        data = await response.read()
        response.release()
        logger.info(
            "s3 %s key=%s bytes=%d %.3fs",
            operation,
            key,
            len(body) if body is not None else len(data),
            time.monotonic() - started,
        )
        return FastResponse(response.status, response.headers, data)

    async def open_get(
        self, operation: str, key: str, headers: Mapping[str, str]
    ) -> tuple[dict[str, Any], BodyReader]:
        """Start a GET and return its head (as botocore's dict) and a reader for its body."""
        started = time.monotonic()
        try:
            response = await self._attempts(operation, "GET", key, headers=headers, stream=True)
        except Exception as exc:
            logger.info(
                "s3 %s key=%s failed after %.3fs: %s",
                operation,
                key,
                time.monotonic() - started,
                type(exc).__name__,
            )
            raise
        logger.info("s3 %s key=%s %.3fs", operation, key, time.monotonic() - started)
        head = head_to_response(response.headers)
        head["Status"] = response.status
        return head, BodyReader(response, self.watchdog, self.transport.limiter.down)


def _body_payload(body: bytes | memoryview | None, dog: Watchdog, bucket: TokenBucket) -> Any:
    if body is None:
        return None
    if not bucket.limited:
        if len(body) <= SEND_SLICE:
            bucket.count(len(body))
            return body
        return _slices(body, dog, bucket, SEND_SLICE)
    return _slices(body, dog, bucket, bucket.piece(SEND_SLICE))


async def _slices(
    body: bytes | memoryview, dog: Watchdog, bucket: TokenBucket, size: int
) -> AsyncIterator[memoryview]:
    """The body in slices; asking for the next slice means the socket took the previous one
    (aiohttp drains its buffer between slices), which is the watchdog's upload progress.
    Each slice first waits for the upload limit (free while unlimited); that wait is no stall."""
    view = memoryview(body)
    for start in range(0, len(view), size):
        if start:
            dog.progress()
        piece = view[start : start + size]
        with dog.paused():
            await bucket.acquire(len(piece))
        yield piece
