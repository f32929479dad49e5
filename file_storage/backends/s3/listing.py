"""Fast bucket listing: presigned ``ListObjectsV2`` pages fetched with aiohttp.

botocore's generic response parser spends about 0.2 ms per listed object, which makes a listing of
20,000 objects take four seconds of client CPU. Here botocore only *signs* each page request (a
presigned URL, a few microseconds) and the XML is parsed with the C ElementTree parser, roughly
twenty times faster. Transient failures and stalled pages are retried by the backend's one
:class:`~file_storage.backends.s3.retry.RetryPolicy`.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import unquote_plus

import aiohttp

from file_storage.backends.s3.errors import S3Context, translate_error_code, translate_s3_error
from file_storage.backends.s3.retry import (
    RetryPolicy,
    Watchdog,
    is_retryable_answer,
    is_retryable_exception,
)
from file_storage.errors import ClockSkewError, StorageError

logger = logging.getLogger(__name__)

#: How long a presigned listing URL is valid. A clock this far behind the server's makes every
#: listing fail as "expired" (header-signed requests get +-15 minutes instead).
PRESIGN_EXPIRES_S = 900
#: A server clock this far from ours, seen on a refused request, means our clock is the problem.
CLOCK_SKEW_S = 300.0
#: What servers say when a presigned URL is outside its validity window (AWS, SeaweedFS, MinIO,
#: Ceph): "Request has expired", "Request is not valid yet", "...too skewed".
_CLOCK_MESSAGE = re.compile(r"(?i)request has expired|not yet valid|not valid yet|skew")


@dataclass(slots=True)
class RawObject:
    """One ``<Contents>`` entry, key as stored in the bucket."""

    key: str
    size: int
    modified: datetime
    etag: str


@dataclass(slots=True)
class RawPage:
    objects: list[RawObject] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    next_token: str | None = None


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def parse_list_page(body: bytes) -> RawPage:
    """Parse a ``ListBucketResult``; names are URL-decoded only if the answer says they are.

    We ask for ``EncodingType=url`` (XML 1.0 cannot carry every character a key may hold), but a
    server may ignore the request and send keys as they are: then ``a b+c.txt`` is already the
    name, and decoding it would turn it into ``a b c.txt``. So keys and common prefixes are
    decoded only when the answer has ``<EncodingType>url</EncodingType>`` (wherever it appears
    in the document), as botocore does. Decoding is ``unquote_plus``, botocore's choice too:
    a server that encodes must send a literal ``+`` as ``%2B``, and SeaweedFS sends a space in a
    key as ``+``. The continuation token is opaque and never decoded.
    """
    root = ET.fromstring(body)  # noqa: S314 - the endpoint is configured by the user, not a third party
    page = RawPage()
    truncated = False
    url_encoded = False
    for child in root:
        tag = _local(child.tag)
        if tag == "Contents":
            values = {_local(item.tag): item.text or "" for item in child}
            page.objects.append(
                RawObject(
                    key=values.get("Key", ""),
                    size=int(values.get("Size", "0")),
                    modified=datetime.fromisoformat(
                        values.get("LastModified", "1970-01-01T00:00:00Z")
                    ),
                    etag=values.get("ETag", "").strip('"'),
                )
            )
        elif tag == "CommonPrefixes":
            for item in child:
                if _local(item.tag) == "Prefix" and item.text:
                    page.prefixes.append(item.text)
        elif tag == "EncodingType":
            url_encoded = (child.text or "").strip().lower() == "url"
        elif tag == "IsTruncated":
            truncated = (child.text or "").strip().lower() == "true"
        elif tag == "NextContinuationToken":
            page.next_token = child.text
    if url_encoded:
        for obj in page.objects:
            obj.key = unquote_plus(obj.key)
        page.prefixes = [unquote_plus(prefix) for prefix in page.prefixes]
    if not truncated:
        page.next_token = None
    return page


def _parse_error(body: bytes) -> tuple[str, str | None]:
    try:
        root = ET.fromstring(body)  # noqa: S314
    except ET.ParseError:
        return "", None
    values = {_local(item.tag): item.text for item in root}
    return values.get("Code") or "", values.get("Message")


class FastLister:
    """Lists keys of one bucket with presigned requests.

    Args:
        presign: ``client.generate_presigned_url`` of the backend's long-lived client.
        http: The backend's long-lived aiohttp session.
        bucket: Bucket name.
        endpoint: Endpoint shown in messages.
        policy: The backend's one retry policy.
        on_request: Called once per HTTP request (request counters).
        stall_timeout: Seconds a page may move no byte before the attempt is given up.
        on_stall: Called once per stalled attempt.
        on_retry: Called once per retry.
        context: Builds the :class:`S3Context` of a failure (names the credential source).
    """

    def __init__(
        self,
        presign: Callable[..., Awaitable[str]],
        http: aiohttp.ClientSession,
        bucket: str,
        endpoint: str,
        policy: RetryPolicy,
        on_request: Callable[[], None] = lambda: None,
        *,
        stall_timeout: float = 30.0,
        on_stall: Callable[[], None] | None = None,
        context: Callable[[str, str | None], S3Context] | None = None,
        on_retry: Callable[[], None] | None = None,
    ) -> None:
        self._presign = presign
        self._http = http
        self._bucket = bucket
        self._endpoint = endpoint
        self._policy = policy
        self._on_request = on_request
        self._stall_timeout = stall_timeout
        self._on_stall = on_stall
        self._on_retry = on_retry
        self._context = context or (lambda op, key: S3Context(op, bucket, endpoint, key))

    async def pages(
        self, key_prefix: str, *, delimiter: str | None = None, page_size: int = 1000
    ) -> AsyncIterator[RawPage]:
        """Yield pages of keys under ``key_prefix`` until the listing is complete."""
        token: str | None = None
        while True:
            params: dict[str, Any] = {
                "Bucket": self._bucket,
                "Prefix": key_prefix,
                "MaxKeys": page_size,
                "EncodingType": "url",
            }
            if delimiter:
                params["Delimiter"] = delimiter
            if token:
                params["ContinuationToken"] = token
            started = time.monotonic()
            body = await self._fetch(params, key_prefix)
            page = (
                await asyncio.to_thread(parse_list_page, body)
                if len(body) > 262144
                else parse_list_page(body)
            )
            logger.info(
                "s3 list prefix=%s objects=%d folders=%d %.3fs",
                key_prefix or "/",
                len(page.objects),
                len(page.prefixes),
                time.monotonic() - started,
            )
            yield page
            if page.next_token is None:
                return
            token = page.next_token

    async def _fetch(self, params: dict[str, Any], key_prefix: str) -> bytes:
        ctx = self._context("list", key_prefix or None)
        run = self._policy.run(self._on_retry)
        for attempt in run.attempts():
            try:
                url = await self._presign(
                    "list_objects_v2", Params=params, ExpiresIn=PRESIGN_EXPIRES_S
                )
            except Exception as exc:  # no credentials, a profile that fails: one clear error
                raise translate_s3_error(exc, ctx) from None
            self._on_request()
            try:
                async with (
                    Watchdog(self._stall_timeout, self._on_stall) as dog,
                    self._http.get(url) as response,
                ):
                    status = response.status
                    server_date = response.headers.get("Date")
                    chunks = []
                    async for chunk in response.content.iter_any():
                        chunks.append(chunk)
                        dog.progress()
                    body = b"".join(chunks)
            except (TimeoutError, aiohttp.ClientError, ConnectionError) as exc:
                if not run.can_retry(attempt) or not is_retryable_exception(exc):
                    raise translate_s3_error(exc, ctx) from None
                await run.wait(attempt)
                continue
            if status == 200:
                return body
            code, message = _parse_error(body)
            if is_retryable_answer(status, code) and run.can_retry(attempt):
                await run.wait(attempt)
                continue
            raise clock_error(code, status, message, server_date, ctx) or translate_error_code(
                code, status, message, ctx
            )
        raise AssertionError("unreachable")


def clock_error(
    code: str,
    status: int,
    message: str | None,
    server_date: str | None,
    ctx: S3Context,
    *,
    now: float | None = None,
) -> StorageError | None:
    """The clock-skew error for a refused listing whose cause is this computer's clock, or None.

    A presigned URL carries its signing time: with our clock 20 minutes slow, the server finds it
    expired and answers ``AccessDenied`` ("Request has expired"), which would otherwise read as a
    missing permission. Two signs point at the clock: the server's message, and the server's
    ``Date`` header far from our own time.
    """
    if code in ("RequestTimeTooSkewed", "RequestExpired"):
        return translate_error_code(code, status, message, ctx)
    if status not in (400, 403):
        return None
    offset = _clock_offset(server_date, time.time() if now is None else now)
    if offset is not None and abs(offset) >= CLOCK_SKEW_S:
        minutes = round(abs(offset) / 60)
        direction = "behind" if offset > 0 else "ahead of"
        return ClockSkewError(
            f"{ctx.endpoint} refused the listing of {ctx.what} because this computer's clock is "
            f"about {minutes} minutes {direction} the server's; correct the system clock (turn "
            "on automatic time) and try again.",
            path=ctx.key,
        )
    if code in ("AccessDenied", "", "403") and message and _CLOCK_MESSAGE.search(message):
        return translate_error_code("RequestTimeTooSkewed", status, message, ctx)
    return None


def _clock_offset(server_date: str | None, now: float) -> float | None:
    """Seconds the server's clock is ahead of ours (negative: behind), if its Date is readable."""
    if not server_date:
        return None
    try:
        return email.utils.parsedate_to_datetime(server_date).timestamp() - now
    except (TypeError, ValueError):
        return None
