"""S3 backend on aioboto3 with one long-lived client per backend.

Compared with the design note's sketch (a session and client per call, whole ``bytes``, a bucket
listing before each save), this backend opens one client at first use and keeps it until
:meth:`aclose`, streams files in parts with bounded concurrency, aborts every multipart upload that
does not complete, stores the content's SHA-256 in the object's metadata and verifies it on
download, and tracks quota usage instead of relisting the bucket.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import logging
import mimetypes
import os
import sqlite3
import ssl
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import aioboto3
from aiobotocore.config import AioConfig
from botocore.exceptions import NoCredentialsError
from pydantic import SecretStr

from file_storage.atomic import AtomicFile, discard_partial, find_resumable, may_hold_resumable
from file_storage.backends.base import (
    CheckResult,
    DownloadResult,
    ListPage,
    ObjectInfo,
    StorageBackend,
    check_write_condition,
)
from file_storage.backends.interop import mtime_metadata, object_mtime_ns, set_local_mtime
from file_storage.backends.s3.conditional import WriteCondition
from file_storage.backends.s3.conditional import probe as probe_conditional_writes
from file_storage.backends.s3.errors import S3Context, translate_s3_error
from file_storage.backends.s3.fast import BodyReader, FastS3, crc32_header, head_to_response
from file_storage.backends.s3.journal import (
    JournalEntry,
    SourceIdentity,
    UploadJournal,
    create_fingerprint,
    part_count,
    part_length,
)
from file_storage.backends.s3.listing import FastLister
from file_storage.backends.s3.parts import (
    MAX_PARTS,
    etag_parts_count,
    fd_multipart_etag,
    is_plain_md5,
    parse_total,
    uniform_layout,
)
from file_storage.backends.s3.retry import RetryPolicy, Watchdog, is_retryable_exception
from file_storage.backends.s3.tls import verified_ssl_context
from file_storage.backends.s3.transfer import (
    READ_CHUNK,
    MultipartUpload,
    RangeRecord,
    choose_part_size,
    download_ranges,
    is_transient,
    layout_regions,
    plain_regions,
    run_workers,
    upload_parts,
)
from file_storage.backends.s3.transport import S3Transport, environment_proxy
from file_storage.backends.s3.verify import (
    Digests,
    StreamDigests,
    judge_download,
    opaque_etag_reason,
)
from file_storage.bandwidth import BandwidthLimiter
from file_storage.errors import (
    ChecksumMismatchError,
    ConfigurationError,
    EndpointNotRespondingError,
    EndpointUnreachableError,
    InvalidPathError,
    NotSupportedError,
    ObjectChangedError,
    ObjectNotFoundError,
    ServiceUnavailableError,
    SourceChangedError,
    StorageError,
    TLSVerificationError,
    WriteConflictError,
)
from file_storage.paths import check_original_name, join_key, validate_path
from file_storage.progress import ProgressCallback, report_progress
from file_storage.quota import QuotaTracker
from file_storage.redaction import register_secret
from file_storage.sources import UploadSource
from file_storage.units import gib_to_bytes, human_size

logger = logging.getLogger(__name__)

MiB = 1024 * 1024
DEFAULT_REGION = "us-east-1"
#: Calls a server may take minutes to answer while it keeps the connection alive.
_SLOW_OPERATIONS = frozenset({"complete_multipart_upload", "copy_object", "upload_part_copy"})
SHA256_METADATA = "sha256"
#: Times a put goes on with its missing parts after a lost connection (see _send_parts).
RESUME_ROUNDS = 3
ORIGINAL_NAME_METADATA = "original-name"


@dataclass(frozen=True)
class S3Tuning:
    """Transfer and client knobs; the defaults suit a desktop on a fast link."""

    part_size: int = 16 * MiB
    multipart_threshold: int = 16 * MiB
    max_concurrency: int = 6
    max_pool_connections: int | None = None
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_attempts: int = 5
    addressing_style: str = "auto"
    request_checksum_calculation: str | None = None
    response_checksum_validation: str | None = None
    ca_bundle: Path | None = None
    #: Seconds an attempt may move no byte (sent or received) before it is given up and retried.
    stall_timeout: float = 30.0
    #: SQLite journal of started multipart uploads (see :mod:`.journal`); ``None``: none kept.
    upload_journal: Path | None = None
    #: Upload/download limits; ``None``: the process's (``BandwidthLimiter.shared()``), which
    #: every backend of the process shares so that a limit holds for all transfers together.
    bandwidth: BandwidthLimiter | None = None

    @property
    def retry_policy(self) -> RetryPolicy:
        """The one retry policy of every request of the backend (see :mod:`.retry`)."""
        return RetryPolicy(attempts=max(1, self.max_attempts))

    @property
    def pool_size(self) -> int:
        """Connections in the pool: never fewer than the parts in flight."""
        wanted = self.max_pool_connections or 4 * self.max_concurrency
        return max(wanted, self.max_concurrency)


@dataclass
class S3Stats:
    """Requests made and bytes moved since the backend opened (the design note's cost watch).

    ``stalls`` counts attempts given up because no byte moved for ``S3Tuning.stall_timeout``
    (each is retried; the last one fails with EndpointNotRespondingError). A health service can
    poll it, or set ``S3StorageBackend.on_stall`` to hear of each one as it happens.
    """

    requests: int = 0
    bytes_uploaded: int = 0
    bytes_downloaded: int = 0
    orphaned_uploads: list[tuple[str, str]] = field(default_factory=list)
    stalls: int = 0
    retries: int = 0


class S3StorageBackend(StorageBackend):
    """Stores files as objects under ``prefix`` in ``bucket_name``.

    The constructor keeps the design note's signature; ``tuning`` and ``session_token`` are
    additions. Nothing touches the network until the first operation or ``async with``.
    """

    name = "s3"

    def __init__(
        self,
        bucket_name: str,
        prefix: str = "storage",
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | SecretStr | None = None,
        endpoint_url: str | None = None,
        max_size_gb: float | None = None,
        *,
        session_token: str | SecretStr | None = None,
        tuning: S3Tuning | None = None,
    ) -> None:
        if not bucket_name:
            raise ConfigurationError("No S3 bucket is configured; set STORAGE_S3_BUCKET.")
        secret = _reveal(secret_access_key)
        if bool(access_key_id) != bool(secret):
            raise ConfigurationError(
                "Set both STORAGE_S3_ACCESS_KEY_ID and STORAGE_S3_SECRET_ACCESS_KEY, or neither "
                "(to use the default AWS credential chain)."
            )
        self.bucket_name = bucket_name
        self.prefix = prefix.strip().strip("/")
        # ``None``: AWS_REGION, else AWS_DEFAULT_REGION or the profile's region (settled when
        # the session opens), else us-east-1, as the AWS SDKs choose.
        self._region_setting = region or None
        self.region: str = region or _region_from_environment() or DEFAULT_REGION
        self.endpoint_url = endpoint_url or None
        self.access_key_id = access_key_id
        self.tuning = tuning or S3Tuning()
        self._secret = SecretStr(secret) if secret else None
        token = _reveal(session_token)
        self._session_token = SecretStr(token) if token else None
        register_secret(secret)
        register_secret(token)
        super().__init__(
            QuotaTracker(gib_to_bytes(max_size_gb), self.count_usage, f"S3 bucket '{bucket_name}'")
        )
        self.stats = S3Stats()
        self._stack = AsyncExitStack()
        self._client: Any = None
        self._lister: FastLister | None = None
        self._fast: FastS3 | None = None
        self._conditional_writes: bool | None = None
        self._ssl: ssl.SSLContext | None = None
        self._transport: S3Transport | None = None
        self._probe_lock = asyncio.Lock()
        #: Where the credentials came from (botocore ``Credentials.method``), once open.
        self.credential_source: str | None = None
        #: Called (with no arguments) each time an attempt stalls; for the app's health service.
        self.on_stall: Callable[[], None] | None = None
        self._journal = (
            UploadJournal(self.tuning.upload_journal) if self.tuning.upload_journal else None
        )
        self._journal_swept = False

    def __repr__(self) -> str:
        return (
            f"S3StorageBackend(bucket={self.bucket_name!r}, prefix={self.prefix!r}, "
            f"endpoint={self.endpoint_display!r})"
        )

    @property
    def endpoint_display(self) -> str:
        return self.endpoint_url or f"AWS S3 ({self.region})"

    def describe(self) -> str:
        where = (
            f"s3://{self.bucket_name}/{self.prefix}" if self.prefix else f"s3://{self.bucket_name}"
        )
        return f"{where} at {self.endpoint_display}"

    # ----------------------------------------------------------------- lifecycle

    def _default_checksum(self) -> str:
        return "when_required" if self.endpoint_url is not None else "when_supported"

    def _client_config(self) -> AioConfig:
        t = self.tuning
        custom = self.endpoint_url is not None
        style = t.addressing_style
        if style == "auto":
            style = "path" if custom else "virtual"
        default_checksum = self._default_checksum()
        return AioConfig(
            region_name=self.region,
            signature_version="s3v4",
            # botocore does not retry: call() does, with the one RetryPolicy (s3.retry).
            retries={"mode": "standard", "total_max_attempts": 1},
            connect_timeout=t.connect_timeout,
            read_timeout=min(t.read_timeout, t.stall_timeout),
            max_pool_connections=t.pool_size,
            s3={"addressing_style": style},
            request_checksum_calculation=t.request_checksum_calculation or default_checksum,
            response_checksum_validation=t.response_checksum_validation or default_checksum,
            tcp_keepalive=True,
            # Every request goes out on the backend's one transport (pool, verified TLS,
            # counters); aiobotocore's own session would not check host names (see s3.tls).
            http_session_cls=self._open_transport().botocore_session_class(),
        )

    def _open_transport(self) -> S3Transport:
        """The one transport of this backend (see :mod:`.transport`), built at first use."""
        if self._transport is None:
            self._transport = S3Transport(
                self._ssl_context(),
                pool_size=self.tuning.pool_size,
                connect_timeout=self.tuning.connect_timeout,
                read_timeout=self.tuning.read_timeout,
                stall_timeout=self.tuning.stall_timeout,
                limiter=self.tuning.bandwidth,
                on_request=self._count_request,
                on_stall=self._count_stall,
                proxy=environment_proxy(
                    self.endpoint_url or f"https://s3.{self.region}.amazonaws.com"
                ),
            )
        return self._transport

    @property
    def transport(self) -> S3Transport | None:
        """The transport every request of this backend goes through (``None`` until open)."""
        return self._transport

    def _ssl_context(self) -> ssl.SSLContext:
        """The one SSL context of this backend (both request paths), built at first use."""
        if self._ssl is None:
            self._ssl = verified_ssl_context(self.tuning.ca_bundle)
        return self._ssl

    async def _open(self) -> None:
        verify = str(self.tuning.ca_bundle) if self.tuning.ca_bundle else None
        try:
            # Inside the try: a missing AWS_PROFILE raises here, and must be one clear error.
            session = aioboto3.Session(
                aws_access_key_id=self.access_key_id,
                aws_secret_access_key=self._secret.get_secret_value() if self._secret else None,
                aws_session_token=(
                    self._session_token.get_secret_value() if self._session_token else None
                ),
                region_name=self._region_setting,
            )
            self.region = (
                self._region_setting
                or os.environ.get("AWS_REGION")
                or session.region_name
                or DEFAULT_REGION
            )
            # The public credential API: the same (cached) object the client signs with.
            credentials = await session.get_credentials()
            self.credential_source = getattr(credentials, "method", None)
            transport = self._open_transport()
            self._stack.push_async_callback(self._close_transport)
            http = await transport.open()
            self._client = await self._stack.enter_async_context(
                session.client(
                    "s3",
                    endpoint_url=self.endpoint_url,
                    region_name=self.region,
                    config=self._client_config(),
                    verify=verify,
                )
            )
        except Exception as exc:
            await self._stack.aclose()
            raise translate_s3_error(
                exc, S3Context("connect", self.bucket_name, self.endpoint_display)
            ) from None
        policy = self.tuning.retry_policy
        self._lister = FastLister(
            self._client.generate_presigned_url,
            http,  # the transport's session: its requests are counted there
            self.bucket_name,
            self.endpoint_display,
            policy,
            stall_timeout=self.tuning.stall_timeout,
            on_stall=self._count_stall,
            context=self._context,
            on_retry=self._count_retry,
        )
        request_checksum = self.tuning.request_checksum_calculation or self._default_checksum()

        async def frozen_credentials() -> Any:
            if credentials is None:
                raise NoCredentialsError()
            return await credentials.get_frozen_credentials()

        self._fast = FastS3(
            self._client.generate_presigned_url,
            transport,
            self.bucket_name,
            self.endpoint_display,
            self.region,
            policy,
            credentials=frozen_credentials,
            send_crc32=request_checksum == "when_supported",
            context=self._context,
            on_retry=self._count_retry,
        )
        logger.info("Opened S3 client for %s", self.describe())

    async def _close(self) -> None:
        try:
            if self.stats.orphaned_uploads:
                await asyncio.wait_for(self.abort_orphaned_uploads(), timeout=3)
        except (StorageError, TimeoutError):
            logger.warning(
                "%d multipart upload(s) could not be aborted; they will be retried by "
                "abort_orphaned_uploads() next time.",
                len(self.stats.orphaned_uploads),
            )
        finally:
            await self._stack.aclose()
            self._client = None
            logger.info("Closed S3 client for %s", self.describe())

    async def _close_transport(self) -> None:
        transport, self._transport = self._transport, None
        if transport is not None:
            await transport.close()

    def _count_request(self) -> None:
        """Each HTTP request the transport starts (any path, each attempt)."""
        self.stats.requests += 1

    def _count_retry(self) -> None:
        self.stats.retries += 1

    def _count_stall(self) -> None:
        self.stats.stalls += 1
        if self.on_stall is not None:
            self.on_stall()

    def _context(self, operation: str, key: str | None) -> S3Context:
        """Where a failure happened, with the credential source for a refused key."""
        return S3Context(
            operation, self.bucket_name, self.endpoint_display, key, self.credential_source
        )

    # ----------------------------------------------------------------- plumbing

    def key_for(self, path: str, *, allow_root: bool = False) -> str:
        """Return the bucket key of a storage path (validated, prefix added)."""
        return join_key(self.prefix, validate_path(path, allow_root=allow_root))

    def path_for(self, key: str) -> str | None:
        """Return the storage path of a bucket key, or ``None`` if it is outside the prefix."""
        if not self.prefix:
            return key
        head = self.prefix + "/"
        return key[len(head) :] if key.startswith(head) else None

    def translate(self, exc: BaseException, operation: str, key: str | None) -> StorageError:
        return translate_s3_error(exc, self._context(operation, key))

    def _call_stall_limit(self, operation: str) -> float:
        """How long one aiobotocore attempt may last as a whole.

        These requests carry small bodies, so a whole attempt within the stall timeout is the
        rule. Completing a big multipart upload or copying a big object can take minutes on
        AWS, which sends whitespace meanwhile: those are bounded by botocore's read timeout
        (no byte received for ``min(read_timeout, stall_timeout)``) and by a generous whole.
        """
        if operation in _SLOW_OPERATIONS:
            return max(self.tuning.stall_timeout, self.tuning.read_timeout) * 20
        return self.tuning.stall_timeout

    async def call(self, operation: str, key: str | None, **kwargs: Any) -> dict[str, Any]:
        """Run one client operation with logging, request counting, retries and translation.

        Retries follow the one :class:`RetryPolicy` (botocore's own are off), and each attempt
        runs under the stall watchdog (see :meth:`_call_stall_limit`).
        """
        if self._client is None:
            # Not while closing: the client lives until _close() ends, and the aborts that
            # _close() retries must still reach the server (the backend already says closed).
            await self.ensure_open()
        started = time.monotonic()
        run = self.tuning.retry_policy.run(self._count_retry)
        try:
            for attempt in run.attempts():
                try:  # the transport counts the request
                    async with Watchdog(self._call_stall_limit(operation), self._count_stall):
                        response: dict[str, Any] = await getattr(self._client, operation)(**kwargs)
                    break
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    if not run.can_retry(attempt) or not is_retryable_exception(exc):
                        raise
                    await run.wait(attempt)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            error = self.translate(exc, operation, key)
            logger.info(
                "s3 %s key=%s failed after %.3fs: %s",
                operation,
                key,
                time.monotonic() - started,
                type(error).__name__,
            )
            raise error from exc
        nbytes = kwargs.get("ContentLength") or (
            len(kwargs["Body"]) if isinstance(kwargs.get("Body"), bytes) else 0
        )
        if nbytes:
            self.stats.bytes_uploaded += nbytes
        logger.info(
            "s3 %s key=%s bytes=%d %.3fs", operation, key, nbytes, time.monotonic() - started
        )
        return response

    # ----------------------------------------------------------------- metadata

    async def _fast_ops(self) -> FastS3:
        await self.ensure_open()
        assert self._fast is not None
        return self._fast

    async def _head(self, key: str) -> dict[str, Any]:
        """HeadObject through the lean request path; the answer is shaped like botocore's."""
        fast = await self._fast_ops()
        response = await fast.request("head_object", "HEAD", key)
        return head_to_response(response.headers)

    async def _head_part(self, key: str, number: int, etag: str | None) -> tuple[int, Any]:
        """``HEAD ?partNumber=N``: the part's length and the response headers."""
        fast = await self._fast_ops()
        headers = {"If-Match": f'"{etag}"'} if etag else None
        response = await fast.request(
            "head_object", "HEAD", key, query={"partNumber": str(number)}, headers=headers
        )
        return int(response.headers.get("Content-Length", "0")), response.headers

    async def part_sizes(
        self, path: str, *, exact: bool = False, etag: str | None = None
    ) -> list[int] | None:
        """The length of each part of a multipart object, in order; ``None`` for a single PUT.

        Whoever wrote the object (aws CLI 8 MiB parts, s5cmd 50 MiB, rclone, this app), these
        lengths let its multipart ETag be recomputed from the bytes
        (:func:`~file_storage.backends.s3.parts.file_multipart_etag`).

        Args:
            path: Storage path of the object.
            exact: Ask every part's length (parts 2..N with bounded concurrency). Without it,
                one ``HEAD ?partNumber=1`` answers when "all parts as long as part 1, the last
                shorter" fits the object's length and part count, as it does for every common
                uploader. A recomputed ETag that matches such a layout is proof; one that does
                not must be checked again with ``exact=True`` before calling the files different.
            etag: The ETag the caller saw (unquoted); every HEAD then carries ``If-Match`` and
                an object replaced since fails with :class:`ObjectChangedError` instead of
                answering for another version.

        Raises:
            NotSupportedError: The server names a multipart object but tells no part layout.
        """
        key = self.key_for(validate_path(path))
        first, headers = await self._head_part(key, 1, etag)
        seen_etag = str(headers.get("ETag", "")).strip('"')
        named = etag_parts_count(seen_etag)
        if named is None:
            return None  # a single PUT (or an opaque ETag): there are no parts to speak of
        count_header = headers.get("x-amz-mp-parts-count")
        total = parse_total(headers.get("Content-Range"))
        if not count_header or total is None or not count_header.isdigit():
            # HEAD ?partNumber is not understood here: GetObjectAttributes may list the parts.
            return await self._parts_from_attributes(path, key, seen_etag, named)
        count = int(count_header)
        if count != named or not 1 <= count <= MAX_PARTS:
            raise NotSupportedError(
                f"{self.endpoint_display} gives {count} parts for an ETag naming {named}.",
                path=path,
            )
        if not exact:
            guess = uniform_layout(total, first, count)
            if guess is not None:
                return guess
        sizes = [first] + [0] * (count - 1)
        numbers = iter(range(2, count + 1))

        async def worker() -> None:
            for number in numbers:
                sizes[number - 1], _ = await self._head_part(key, number, seen_etag)

        if count > 1:
            await run_workers(min(self.tuning.max_concurrency, count - 1), worker)
        if sum(sizes) != total:
            raise ObjectChangedError(
                f"The parts of s3://{self.bucket_name}/{key} add up to {sum(sizes)} bytes, not "
                f"{total}; it was probably replaced meanwhile. Try again.",
                path=path,
            )
        return sizes

    async def _parts_from_attributes(self, path: str, key: str, etag: str, named: int) -> list[int]:
        """The layout from GetObjectAttributes ``ObjectParts`` (servers without partNumber)."""
        sizes: list[int] = []
        marker = 0
        unsupported = NotSupportedError(
            f"{self.endpoint_display} does not tell the part layout of multipart objects "
            "(neither HEAD ?partNumber nor GetObjectAttributes), so their content cannot be "
            "checked against the ETag.",
            path=path,
        )
        while True:
            try:
                answer = await self.call(
                    "get_object_attributes",
                    key,
                    Bucket=self.bucket_name,
                    Key=key,
                    ObjectAttributes=["ETag", "ObjectParts"],
                    MaxParts=1000,
                    PartNumberMarker=marker,
                )
            except (ObjectNotFoundError, ObjectChangedError):
                raise
            except StorageError as exc:
                raise unsupported from exc  # refused, not implemented, not permitted...
            if str(answer.get("ETag", "")).strip('"') != etag:
                raise ObjectChangedError(
                    f"s3://{self.bucket_name}/{key} was replaced while its parts were asked.",
                    path=path,
                )
            parts = answer.get("ObjectParts") or {}
            sizes += [int(p["Size"]) for p in parts.get("Parts") or [] if "Size" in p]
            if not parts.get("IsTruncated"):
                break
            marker = int(parts.get("NextPartNumberMarker") or 0)
        if len(sizes) != named:
            raise unsupported
        return sizes

    async def stat(self, path: str) -> ObjectInfo:
        rel = validate_path(path)
        key = self.key_for(rel)
        try:
            return _info_from_head(rel, await self._head(key))
        except ObjectNotFoundError:
            # Say "a folder" as the local backend does, when keys live below this name.
            if await self._has_children(rel):
                raise ObjectNotFoundError(f"{rel} is a folder, not a file.", path=rel) from None
            raise

    async def exists(self, path: str) -> bool:
        """One HEAD request (``stat``'s folder check is not needed for a yes/no)."""
        key = self.key_for(validate_path(path))
        try:
            await self._head(key)
        except ObjectNotFoundError:
            return False
        return True

    async def _has_children(self, rel: str) -> bool:
        async for page in self.iter_pages(rel, recursive=False):  # one request, 1 page
            if page.files or page.folders:
                return True
        return False

    async def _existing_size(self, key: str) -> int:
        try:
            response = await self._head(key)
        except ObjectNotFoundError:
            return 0
        return int(response.get("ContentLength", 0))

    def _tracks_usage(self) -> bool:
        return self.quota.limit_bytes is not None or self.quota.used_bytes is not None

    # ----------------------------------------------------------------- writes

    async def upload_source(
        self,
        path: str,
        source: UploadSource,
        *,
        progress: ProgressCallback | None = None,
        original_name: str | None = None,
        if_none_match: bool = False,
        if_match: str | None = None,
    ) -> str:
        """Store ``source``; with a condition, only if the object is as the caller saw it.

        ``if_none_match`` / ``if_match`` go to the server with the PUT or the
        CompleteMultipartUpload (see :mod:`.conditional`); on a server that does not honour
        them, a HEAD right before the commit checks instead.

        Raises:
            WriteConflictError: The condition failed; nothing of ours is stored there.
        """
        condition = WriteCondition(if_none_match, if_match)
        rel = validate_path(path)
        # S3 metadata travels in HTTP headers: US-ASCII only, so the name is %-encoded. Checked
        # here, before any I/O.
        named = (
            {ORIGINAL_NAME_METADATA: quote(check_original_name(original_name), safe="")}
            if original_name is not None
            else {}
        )
        key = self.key_for(rel)
        await self.ensure_open()
        await self._sweep_journal_once()
        size = source.size
        started = time.monotonic()
        sha256 = await source.sha256()
        old_size = await self._existing_size(key) if self._tracks_usage() else 0
        async with self.quota.reserve(max(0, size - old_size), path=rel) as reservation:
            metadata = {SHA256_METADATA: sha256, **named, **mtime_metadata(source)}
            extra: dict[str, Any] = {"Metadata": metadata}
            content_type, _ = mimetypes.guess_type(rel)
            if content_type:
                extra["ContentType"] = content_type
            guard = await self._write_guard(rel, condition)
            try:
                if size <= self.tuning.multipart_threshold:
                    await self._put_single(key, source, sha256, content_type, metadata, guard)
                else:
                    await self._put_multipart(key, source, extra, progress, guard)
            except (ObjectChangedError, ObjectNotFoundError) as exc:
                if not condition:
                    raise
                # A retried PUT whose first answer was lost fails its own condition: not a
                # conflict if what is there now is exactly what we sent.
                if await self._already_ours(key, sha256, size):
                    pass
                elif isinstance(exc, WriteConflictError):
                    raise
                else:
                    raise WriteConflictError(
                        f"{rel} was changed in the store by someone else since the compare; "
                        "it was not overwritten.",
                        path=rel,
                    ) from exc
            reservation.commit(size - old_size)
        await report_progress(progress, size)
        elapsed = time.monotonic() - started
        logger.info(
            "s3 upload key=%s bytes=%d %.2fs (%s/s)",
            key,
            size,
            elapsed,
            human_size(size / elapsed if elapsed else 0),
        )
        return key

    async def upload_source_conditional(
        self,
        path: str,
        source: UploadSource,
        *,
        if_none_match: bool = False,
        if_match: str | None = None,
        progress: ProgressCallback | None = None,
        original_name: str | None = None,
    ) -> str:
        return await self.upload_source(
            path,
            source,
            progress=progress,
            original_name=original_name,
            if_none_match=if_none_match,
            if_match=if_match,
        )

    async def conditional_writes_honoured(self) -> bool:
        """Whether the server refuses conditional writes that fail (probed once, then known)."""
        if self._conditional_writes is None:
            async with self._probe_lock:
                if self._conditional_writes is None:
                    key = self.key_for(f"temp/.leap-probe-{uuid.uuid4().hex}")
                    fast = await self._fast_ops()
                    try:
                        self._conditional_writes = await probe_conditional_writes(fast, key)
                    finally:
                        with contextlib.suppress(StorageError):
                            await self.call("delete_object", key, Bucket=self.bucket_name, Key=key)
                    logger.info(
                        "Conditional writes on %s: %s",
                        self.endpoint_display,
                        "honoured" if self._conditional_writes else "HEAD before commit",
                    )
        return self._conditional_writes

    async def _write_guard(self, rel: str, condition: WriteCondition) -> _WriteGuard:
        if not condition:
            return _WriteGuard(condition, None)
        if await self.conditional_writes_honoured():
            return _WriteGuard(condition, None)

        async def head_check() -> None:
            await check_write_condition(
                self, rel, if_none_match=condition.if_none_match, if_match=condition.if_match
            )

        return _WriteGuard(WriteCondition(), head_check)

    async def _already_ours(self, key: str, sha256: str, size: int) -> bool:
        try:
            there = await self._head(key)
        except StorageError:
            return False
        metadata = {k.lower(): v for k, v in (there.get("Metadata") or {}).items()}
        return metadata.get(SHA256_METADATA) == sha256 and there.get("ContentLength") == size

    async def _put_single(
        self,
        key: str,
        source: UploadSource,
        sha256: str,
        content_type: str | None,
        metadata: dict[str, str],
        guard: _WriteGuard,
    ) -> None:
        data = await source.read_at(0, source.size)
        if len(data) != source.size:
            raise SourceChangedError(
                f"{source.description} ended after {len(data)} of {source.size} bytes; nothing "
                "was stored.",
                path=key,
            )
        await source.check_unchanged()
        if await _sha256_of(data) != sha256:
            raise SourceChangedError(
                f"{source.description} changed between hashing and upload; nothing was stored. "
                "Try again once the file is complete.",
                path=key,
            )
        # The content's SHA-256, just verified, is also the payload hash that SigV4 signs.
        headers = {f"x-amz-meta-{name}": value for name, value in metadata.items()}
        if content_type:
            headers["Content-Type"] = content_type
        fast = await self._fast_ops()
        if fast.send_crc32:
            headers["x-amz-checksum-crc32"] = crc32_header(data)
        await guard.before_commit()
        headers.update(guard.headers())
        await fast.request(
            "put_object", "PUT", key, headers=headers, body=data, payload_sha256=sha256
        )
        self.stats.bytes_uploaded += len(data)

    async def put_part(self, upload: MultipartUpload, number: int, data: bytes | memoryview) -> str:
        """Upload one part; its SHA-256, which SigV4 signs, is computed off the event loop.

        No CRC32 header here: the signed SHA-256 already covers the part, and a part checksum
        would have to be declared at CreateMultipartUpload and repeated at completion.
        """
        fast = await self._fast_ops()
        sha256 = await asyncio.to_thread(_sha256_hex, data)
        response = await fast.request(
            "upload_part",
            "PUT",
            upload.key,
            query={"partNumber": str(number), "uploadId": upload.upload_id},
            body=data,
            payload_sha256=sha256,
        )
        self.stats.bytes_uploaded += len(data)
        return str(response.headers.get("ETag", ""))

    async def open_range(self, key: str, start: int, end: int, etag: str) -> BodyReader:
        """Start a ranged GET of bytes ``start..end-1`` that fails if the ETag changed."""
        fast = await self._fast_ops()
        _head, body = await fast.open_get(
            "get_object", key, {"Range": f"bytes={start}-{end - 1}", "If-Match": f'"{etag}"'}
        )
        return body

    async def _put_multipart(
        self,
        key: str,
        source: UploadSource,
        extra: dict[str, Any],
        progress: ProgressCallback | None,
        guard: _WriteGuard,
    ) -> None:
        """Upload ``source`` in parts and complete under ``guard``.

        If the journal holds an interrupted upload of this same source to ``key`` (its process
        gone, or given up by this one after a lost connection), that upload is resumed: only the
        parts ListParts does not show as the journal noted them are sent. A failure that is a
        lost connection keeps the upload for such a resume; any other failure aborts it.
        """
        sha256 = str((extra.get("Metadata") or {}).get(SHA256_METADATA, ""))
        identity = await asyncio.to_thread(SourceIdentity.of, source, source.size, sha256)
        fingerprint = create_fingerprint(extra)
        resumed = await self._resume_upload(key, source.size, identity, fingerprint)
        if resumed is not None:
            upload, part_size, done = resumed
            journalled = True
        else:
            part_size = choose_part_size(source.size, self.tuning.part_size)
            created = await self.call(
                "create_multipart_upload", key, Bucket=self.bucket_name, Key=key, **extra
            )
            upload = MultipartUpload(self, self.bucket_name, key, created["UploadId"])
            done = {}
            journalled = await self._journal_do(
                "record",
                self.journal_store,
                key,
                upload.upload_id,
                part_size=part_size,
                total_size=source.size,
                source=identity,
                create_args=fingerprint,
            )
        try:
            parts = await self._send_parts(upload, source, part_size, done, progress)
            await source.check_unchanged()
            await guard.before_commit()
            await self.call(
                "complete_multipart_upload",
                key,
                Bucket=self.bucket_name,
                Key=key,
                UploadId=upload.upload_id,
                MultipartUpload={"Parts": parts},
                **guard.boto_kwargs(),
            )
        except BaseException as exc:
            if journalled and done and identity.path and _lost_connection(exc):
                logger.warning(
                    "Upload of %s interrupted (%s) with %d of %d parts stored; it is kept, and "
                    "the next upload of %s to the same place resumes it.",
                    key,
                    exc,
                    len(done),
                    part_count(source.size, part_size),
                    identity.path,
                )
                await self._journal_do("release", upload.upload_id)
            else:
                await asyncio.shield(self._abort(key, upload.upload_id))
            raise
        await self._journal_do("forget", upload.upload_id)

    async def _send_parts(
        self,
        upload: MultipartUpload,
        source: UploadSource,
        part_size: int,
        done: dict[int, str],
        progress: ProgressCallback | None,
    ) -> list[dict[str, Any]]:
        """Send the parts not in ``done``, noting each in the journal as it finishes.

        When the connection is lost after this put stored at least one part (each request's own
        retries used up), the put goes on with the parts still missing, up to
        :data:`RESUME_ROUNDS` more times, instead of failing and re-sending them all later.
        """

        async def noted(number: int, etag: str, size: int) -> None:
            await self._journal_do("add_parts", upload.upload_id, [(number, etag, size)])

        initial = len(done)
        rounds = 0
        while True:
            try:
                return await upload_parts(
                    self,
                    upload,
                    source,
                    part_size=part_size,
                    concurrency=self.tuning.max_concurrency,
                    progress=progress,
                    done=done,
                    on_part=noted,
                )
            except EndpointUnreachableError as exc:
                dropped = _lost_connection(exc) and not isinstance(exc, EndpointNotRespondingError)
                if not dropped or rounds >= RESUME_ROUNDS or len(done) == initial:
                    raise
                rounds += 1
                pause = self.tuning.retry_policy.delay(rounds + 1)
                logger.warning(
                    "Connection lost during the upload of %s (%s); going on with the %d of %d "
                    "parts not yet stored in %.1fs (round %d of %d).",
                    upload.key,
                    exc,
                    part_count(source.size, part_size) - len(done),
                    part_count(source.size, part_size),
                    pause,
                    rounds,
                    RESUME_ROUNDS,
                )
                self._count_retry()
                await asyncio.sleep(pause)

    async def _resume_upload(
        self, key: str, size: int, identity: SourceIdentity, fingerprint: str
    ) -> tuple[MultipartUpload, int, dict[int, str]] | None:
        """Claim this source's interrupted upload to ``key`` and list its trusted parts.

        Only uploads whose process is gone (or gave them up) are taken, each claimed in the
        journal first so that two processes never both take one. An upload of ``key`` from
        another source, or from this source before it changed, is aborted instead.

        Returns:
            The upload, its part size and ``{number: etag}`` of the parts it has; ``None`` if
            there is nothing to resume (a new upload is then started).
        """
        journal = self._journal
        if journal is None:
            return None
        for entry in await self.journal_entries():
            if entry.key != key or entry.owner_alive():
                continue
            if not await self._journal_ask(journal.claim, entry):
                continue  # another process took it first
            mismatch = _resume_mismatch(entry, size, identity, fingerprint)
            if mismatch is not None:
                logger.warning(
                    "The interrupted upload of %s (started %.0fs ago) is not resumed: %s. It is "
                    "aborted and the upload starts again from zero.",
                    key,
                    entry.age_s,
                    mismatch,
                )
                await self._abort(key, entry.upload_id)
                continue
            try:
                done = await self._trusted_parts(journal, entry)
            except BaseException:
                # Not ours any more: the next put (of this process too) may try it again.
                await self._journal_do("release", entry.upload_id)
                raise
            if done is None:
                logger.info("The interrupted upload of %s is gone from the server.", key)
                await self._journal_do("forget", entry.upload_id)
                continue
            stored = sum(part_length(n, entry.part_size, size) for n in done)
            logger.info(
                "Resuming the upload of %s: %d of %d parts (%s of %s) are stored already.",
                key,
                len(done),
                part_count(size, entry.part_size),
                human_size(stored),
                human_size(size),
            )
            upload = MultipartUpload(self, self.bucket_name, key, entry.upload_id)
            return upload, entry.part_size, done
        return None

    async def _trusted_parts(
        self, journal: UploadJournal, entry: JournalEntry
    ) -> dict[int, str] | None:
        """The parts of ``entry`` that ListParts shows with the ETag and size the journal noted
        (``None``: the upload no longer exists)."""
        try:
            listed = await self._list_parts(entry.key, entry.upload_id)
        except ObjectNotFoundError:
            return None
        noted = await self._journal_ask(journal.parts, entry.upload_id) or {}
        done: dict[int, str] = {}
        for number, (etag, size) in noted.items():
            there = listed.get(number)
            expected = part_length(number, entry.part_size, entry.total_size)
            if there is None or there[1] != size or size != expected or expected == 0:
                continue
            if there[0].strip('"') == etag.strip('"'):
                done[number] = there[0]
        return done

    #: Parts asked for per ListParts page (S3's maximum; tests lower it to page).
    list_parts_page = 1000

    async def _list_parts(self, key: str, upload_id: str) -> dict[int, tuple[str, int]]:
        """ListParts of an upload, every page: ``{number: (etag, size)}``."""
        parts: dict[int, tuple[str, int]] = {}
        kwargs: dict[str, Any] = {
            "Bucket": self.bucket_name,
            "Key": key,
            "UploadId": upload_id,
            "MaxParts": self.list_parts_page,
        }
        while True:
            page = await self.call("list_parts", key, **kwargs)
            for item in page.get("Parts", []):
                parts[int(item["PartNumber"])] = (str(item["ETag"]), int(item["Size"]))
            if not page.get("IsTruncated"):
                return parts
            marker = page.get("NextPartNumberMarker")
            if not marker or marker == kwargs.get("PartNumberMarker"):
                raise StorageError(
                    f"The server's list of the parts of {key} does not advance; the upload "
                    "cannot be resumed."
                )
            kwargs["PartNumberMarker"] = marker

    async def _abort(self, key: str, upload_id: str) -> None:
        """Abort a multipart upload; if the server cannot be reached, remember it for later."""
        try:
            await asyncio.wait_for(
                self.call(
                    "abort_multipart_upload",
                    key,
                    Bucket=self.bucket_name,
                    Key=key,
                    UploadId=upload_id,
                ),
                timeout=self.tuning.connect_timeout + 5,
            )
        except ObjectNotFoundError:
            pass  # already gone (NoSuchUpload)
        except (StorageError, TimeoutError) as exc:
            # The journal keeps it too: if this process ends first, the next one aborts it.
            logger.warning("Could not abort multipart upload of %s (%s); will retry.", key, exc)
            self.stats.orphaned_uploads.append((key, upload_id))
            return
        await self._journal_do("forget", upload_id)

    @property
    def journal_store(self) -> str:
        """This store's name in the upload journal: endpoint (or AWS region) and bucket."""
        return f"{self.endpoint_url or 'aws:' + self.region}|{self.bucket_name}"

    async def _journal_do(self, method: str, *args: Any, **kwargs: Any) -> bool:
        """Write to the upload journal (in a worker thread); return whether it was written.

        A journal that cannot be written only costs a warning: the upload itself goes on (it
        is then aborted, not kept for a resume, if it fails), and ``cleanup-uploads`` still
        finds what it leaves.
        """
        if self._journal is None:
            return False
        try:
            await asyncio.to_thread(getattr(self._journal, method), *args, **kwargs)
        except (OSError, sqlite3.Error) as exc:
            logger.warning("Upload journal %s: %s failed (%s)", self._journal.path, method, exc)
            return False
        return True

    async def _journal_ask(self, function: Callable[..., Any], *args: Any) -> Any:
        """Call a journal method in a worker thread (``None`` if the journal fails)."""
        try:
            return await asyncio.to_thread(function, *args)
        except (OSError, sqlite3.Error) as exc:
            logger.warning("Upload journal: %s failed (%s)", function.__name__, exc)
            return None

    async def journal_entries(self) -> list[JournalEntry]:
        """Unfinished uploads of this store that processes of this machine started."""
        if self._journal is None:
            return []
        try:
            return await asyncio.to_thread(self._journal.entries, self.journal_store)
        except (OSError, sqlite3.Error) as exc:
            logger.warning("Upload journal %s unreadable (%s)", self._journal.path, exc)
            return []

    async def abort_journal_orphans(self) -> int:
        """Abort the uploads of this store whose process ended before completing or aborting
        them (killed, crashed, or closed while the server was unreachable) and that will not be
        resumed: their source is gone or changed, it was not a file, or they are older than
        ``RESUME_MAX_AGE_S``. The others are kept for the next upload of their source.

        Returns:
            How many were aborted (or found already gone).
        """
        aborted = 0
        journal = self._journal
        for entry in await self.journal_entries():
            if entry.owner_alive():
                continue
            blocker = await asyncio.to_thread(entry.resume_blocker)
            if blocker is None:
                logger.info(
                    "Keeping the interrupted upload of %s (%.0fs old): the next upload of %s "
                    "resumes it.",
                    entry.key,
                    entry.age_s,
                    entry.source.path if entry.source else "its source",
                )
                continue
            if journal is not None and not await self._journal_ask(journal.claim, entry):
                continue  # another process took it meanwhile
            before = len(self.stats.orphaned_uploads)
            logger.info(
                "Aborting multipart upload of %s left by process %d %.0fs ago: %s",
                entry.key,
                entry.pid,
                entry.age_s,
                blocker,
            )
            await self._abort(entry.key, entry.upload_id)
            aborted += len(self.stats.orphaned_uploads) == before
        return aborted

    async def _sweep_journal_once(self) -> None:
        """At the first write of this backend: abort what dead processes left (best effort)."""
        if self._journal_swept or self._journal is None:
            return
        self._journal_swept = True
        try:
            await self.abort_journal_orphans()
        except StorageError as exc:
            logger.warning("Could not abort uploads left by ended processes: %s", exc)

    async def abort_orphaned_uploads(self, *, older_than_s: float | None = None) -> int:
        """Abort multipart uploads that failed to abort earlier, and optionally stale ones.

        Args:
            older_than_s: Also abort every unfinished upload under this backend's prefix that was
                started more than this many seconds ago (by any client).

        Returns:
            How many uploads were aborted.
        """
        aborted = await self.abort_journal_orphans()
        pending, self.stats.orphaned_uploads = self.stats.orphaned_uploads, []
        for key, upload_id in pending:
            before = len(self.stats.orphaned_uploads)
            await self._abort(key, upload_id)
            aborted += len(self.stats.orphaned_uploads) == before
        if older_than_s is not None:
            cutoff = time.time() - older_than_s
            for key, upload_id, initiated in await self.list_multipart_uploads():
                if initiated < cutoff:
                    await self._abort(key, upload_id)
                    aborted += 1
        return aborted

    async def list_multipart_uploads(self) -> list[tuple[str, str, float]]:
        """Return ``(key, upload_id, started_epoch)`` of unfinished uploads under the prefix."""
        prefix = f"{self.prefix}/" if self.prefix else ""
        result: list[tuple[str, str, float]] = []
        kwargs: dict[str, Any] = {"Bucket": self.bucket_name, "Prefix": prefix}
        while True:
            page = await self.call("list_multipart_uploads", prefix or None, **kwargs)
            for item in page.get("Uploads", []):
                result.append((item["Key"], item["UploadId"], item["Initiated"].timestamp()))
            if not page.get("IsTruncated"):
                return result
            kwargs["KeyMarker"] = page.get("NextKeyMarker")
            kwargs["UploadIdMarker"] = page.get("NextUploadIdMarker")

    async def create_folder(self, path: str) -> None:
        """S3 has no folders: store the zero-byte ``folder/`` marker that consoles also use."""
        key = self.key_for(path) + "/"
        await self.call("put_object", key, Bucket=self.bucket_name, Key=key, Body=b"")

    async def delete(self, path: str) -> None:
        rel = validate_path(path)
        key = self.key_for(rel)
        size = await self._existing_size(key) if self._tracks_usage() else 0
        await self.call("delete_object", key, Bucket=self.bucket_name, Key=key)
        self.quota.record_delta(-size)

    #: Above this size a copy is made of ranged part copies (CopyObject's limit is 5 GiB).
    single_copy_limit = 5 * 1024**3

    async def copy(self, source: str, target: str) -> str:
        """Copy ``source`` to ``target`` inside the bucket, server-side (no bytes through us).

        Metadata (SHA-256, original name, mtime) is kept. Up to :attr:`single_copy_limit` one
        CopyObject; above, a multipart upload of ``UploadPartCopy`` ranges, when the server
        answers each part with its MD5 (AWS does; SeaweedFS does not, and its copy would carry an
        ETag no download can check): else the copy streams through this computer instead.

        Raises:
            ObjectNotFoundError: Nothing is stored at ``source``.
        """
        src_rel, dst_rel = validate_path(source), validate_path(target)
        src_key, dst_key = self.key_for(src_rel), self.key_for(dst_rel)
        head = await self._head(src_key)
        size = int(head.get("ContentLength", 0))
        old_size = await self._existing_size(dst_key) if self._tracks_usage() else 0
        copy_source = {"Bucket": self.bucket_name, "Key": src_key}
        streamed = False
        async with self.quota.reserve(max(0, size - old_size), path=dst_rel) as reservation:
            if size <= self.single_copy_limit:
                await self.call(
                    "copy_object",
                    dst_key,
                    Bucket=self.bucket_name,
                    Key=dst_key,
                    CopySource=copy_source,
                    MetadataDirective="COPY",
                )
            else:
                try:
                    await self._copy_in_parts(copy_source, dst_key, head, size)
                except NotSupportedError as exc:
                    logger.warning("s3 copy %s: %s; copying through this computer", src_key, exc)
                    reservation.commit(0)
                    streamed = True
            if not streamed:
                reservation.commit(size - old_size)
        if streamed:  # outside the reservation: the upload reserves its own
            return await super().copy(source, target)
        logger.info("s3 copy %s -> %s (%s, server-side)", src_key, dst_key, human_size(size))
        return dst_key

    async def _copy_in_parts(
        self, copy_source: dict[str, str], key: str, head: dict[str, Any], size: int
    ) -> None:
        part = max(self.tuning.part_size, -(-size // 10_000), 5 * 1024 * 1024)
        extra: dict[str, Any] = {"Metadata": dict(head.get("Metadata") or {})}
        if head.get("ContentType"):
            extra["ContentType"] = head["ContentType"]
        created = await self.call(
            "create_multipart_upload", key, Bucket=self.bucket_name, Key=key, **extra
        )
        upload_id = created["UploadId"]
        try:
            parts = []
            for number, start in enumerate(range(0, size, part), start=1):
                answer = await self.call(
                    "upload_part_copy",
                    key,
                    Bucket=self.bucket_name,
                    Key=key,
                    UploadId=upload_id,
                    PartNumber=number,
                    CopySource=copy_source,
                    CopySourceRange=f"bytes={start}-{min(start + part, size) - 1}",
                )
                parts.append({"PartNumber": number, "ETag": _md5_part_etag(answer, key)})
            await self.call(
                "complete_multipart_upload",
                key,
                Bucket=self.bucket_name,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
        except BaseException:
            await self._abort(key, upload_id)
            raise

    async def delete_files(self, files: list[ObjectInfo]) -> int:
        """Delete many files with DeleteObjects (1000 per request); return how many.

        Raises:
            StorageError: The server refused some deletes (the first is named).
        """
        deleted = 0
        for start in range(0, len(files), 1000):
            batch = files[start : start + 1000]
            keys = [{"Key": self.key_for(validate_path(info.path))} for info in batch]
            answer = await self.call(
                "delete_objects",
                keys[0]["Key"] if keys else None,
                Bucket=self.bucket_name,
                Delete={"Objects": keys, "Quiet": True},
            )
            errors = answer.get("Errors") or []
            failed = {error.get("Key") for error in errors}
            gone = [info for info, key in zip(batch, keys, strict=True) if key["Key"] not in failed]
            self.quota.record_delta(-sum(info.size for info in gone))
            deleted += len(gone)
            if errors:
                first = errors[0]
                raise StorageError(
                    f"The server refused to delete {len(errors)} file(s), first "
                    f"{first.get('Key')}: {first.get('Code')} {first.get('Message', '')}".strip()
                )
        return deleted

    # ----------------------------------------------------------------- reads

    async def download_file(
        self, path: str, local_path: str | Path, *, progress: ProgressCallback | None = None
    ) -> DownloadResult:
        """Download and prove the bytes: recorded SHA-256, plain MD5 ETag or multipart ETag.

        A multipart ETag is recomputed with the object's real part layout (one MD5 per part,
        the ranged reads aligned to the parts), so objects written by any client are verified.
        A contradiction fails with :class:`ChecksumMismatchError` and keeps nothing. When no
        proof exists (an SSE-KMS ETag and no recorded SHA-256), the result says why.
        """
        rel = validate_path(path)
        key = self.key_for(rel)
        target = Path(local_path)
        started = time.monotonic()
        identity = self._resume_identity(key)
        kept = None
        if may_hold_resumable(target.parent):
            kept = await asyncio.to_thread(
                find_resumable, target.parent, lambda record: _same_object(record, identity)
            )
        result: DownloadResult | None = None
        if kept is not None:
            # An interrupted download of this object left its temp file here: a HEAD (no body
            # to throw away) tells whether it is still the same version, then ranges resume it.
            try:
                head = await self._head(key)
            except ObjectNotFoundError:
                await asyncio.to_thread(discard_partial, kept[0])
                raise
            info = _info_from_head(rel, head)
            plan = await self._proof_plan(rel, info, head)
        else:
            # One plain GET answers size, ETag and metadata (no HEAD first). An object that
            # fits in one part is read from it; a bigger one is fetched in parallel ranges.
            fast = await self._fast_ops()
            head, body = await fast.open_get("get_object", key, {})
            try:
                info = _info_from_head(rel, head)
                plan = await self._proof_plan(rel, info, head)
            except BaseException:
                body.close()
                raise
            if info.size <= self.tuning.part_size:
                try:
                    result = await self._download_whole(key, info, plan, body, target, progress)
                finally:
                    body.close()
            else:
                body.close()
        if result is None:
            result = await self._download_ranged(key, info, plan, target, progress, kept)
        set_local_mtime(target, object_mtime_ns(head))  # as rclone / aws s3 sync do
        self.stats.bytes_downloaded += info.size - result.resumed_bytes
        elapsed = time.monotonic() - started
        logger.info(
            "s3 download key=%s bytes=%d %.2fs (%s/s) proof=%s",
            key,
            info.size,
            elapsed,
            human_size(info.size / elapsed if elapsed else 0),
            "+".join(result.checks) or "none",
        )
        if not result.verified:
            logger.warning("%s was saved but NOT verified: %s", rel, result.unverified_reason)
        return result

    async def _proof_plan(self, rel: str, info: ObjectInfo, head: dict[str, Any]) -> _ProofPlan:
        """Decide what to hash while downloading (and ask the part layout of a multipart ETag)."""
        etag = info.etag or ""
        opaque = opaque_etag_reason(etag, head)
        layout: list[int] | None = None
        problem: str | None = None
        if opaque is None and etag_parts_count(etag) is not None:
            try:
                layout = await self.part_sizes(rel, etag=etag)
            except NotSupportedError as exc:
                problem = str(exc)
        return _ProofPlan(etag, opaque, layout, problem, opaque is None and is_plain_md5(etag))

    async def _judge(
        self, key: str, info: ObjectInfo, plan: _ProofPlan, digests: Digests, out: AtomicFile
    ) -> DownloadResult:
        async def exact_etag() -> str | None:
            # Only after a mismatch with a guessed uniform layout: ask every part's length and
            # hash the temp file again with it before calling the object damaged.
            sizes = await self.part_sizes(info.path, exact=True, etag=plan.etag)
            if sizes is None or sizes == plan.layout:
                return None
            return await out.run(fd_multipart_etag, out.fd, sizes)

        return await judge_download(
            where=f"s3://{self.bucket_name}/{key}",
            path=info.path,
            size=info.size,
            etag=plan.etag,
            recorded_sha256=info.sha256,
            digests=digests,
            opaque_reason=plan.opaque_reason,
            layout=plan.layout,
            layout_problem=plan.layout_problem,
            exact_etag=exact_etag,
        )

    async def _download_whole(
        self,
        key: str,
        info: ObjectInfo,
        plan: _ProofPlan,
        body: BodyReader,
        target: Path,
        progress: ProgressCallback | None,
    ) -> DownloadResult | None:
        """Write the body of a plain GET to ``target``; ``None`` if the connection failed."""
        digests = StreamDigests(md5=plan.md5_whole, layout=plan.layout)
        try:
            async with AtomicFile(target, expected_size=info.size) as out:
                position = 0
                while position < info.size:
                    chunk = await self._next_chunk(body, info.size - position, key)
                    await out.run(_write_and_hash, out, position, chunk, digests)
                    position += len(chunk)
                    await report_progress(progress, position)
                return await self._judge(key, info, plan, digests.result(), out)
        except _InterruptedReadError as exc:
            logger.warning(
                "Reading %s was interrupted (%s); retrying in ranges",
                key,
                type(exc.__cause__).__name__ if exc.__cause__ else "connection closed",
            )
            return None

    async def _next_chunk(self, body: BodyReader, remaining: int, key: str) -> bytes:
        try:
            chunk = await body.read(min(READ_CHUNK, remaining))
        except Exception as exc:
            if not is_transient(exc):
                raise self.translate(exc, "get_object", key) from exc
            raise _InterruptedReadError from exc
        if not chunk:
            raise _InterruptedReadError
        return chunk

    async def _download_ranged(
        self,
        key: str,
        info: ObjectInfo,
        plan: _ProofPlan,
        target: Path,
        progress: ProgressCallback | None,
        kept: tuple[Path, dict[str, Any]] | None = None,
    ) -> DownloadResult:
        """Fetch in parallel ranges; with ``kept`` (a temp file left by an interrupted download
        of this object), only what it lacks, if it is still the same version."""
        # Parts up to a few part sizes are fetched as one range each, their MD5s computed as
        # the bytes arrive (in parallel); bigger parts (a 1 GiB single-part upload...) would
        # leave the download with too few streams, so they are split and hashed in order.
        in_stream = plan.layout is not None and max(plan.layout) <= 4 * self.tuning.part_size
        regions = (
            layout_regions(plan.layout)
            if plan.layout is not None and in_stream
            else plain_regions(info.size, self.tuning.part_size)
        )
        identity = self._resume_identity(key)
        note: str | None = None
        version = (plan.etag, info.size)
        if kept is not None and (kept[1].get("etag"), kept[1].get("size")) != version:
            # If-Match in effect: the kept bytes belong to another version of the object.
            note = "the object changed since the interrupted download; started again from zero"
            logger.warning("%s: %s", key, note)
            await asyncio.to_thread(discard_partial, kept[0])
            kept = None
        try:
            return await self._fetch_ranges(
                key, info, plan, target, progress, regions, in_stream, identity, kept, note
            )
        except ChecksumMismatchError as exc:
            if kept is None:
                raise
            # The kept bytes did not pass the final proof (damaged on disk, or by a writer that
            # was not us): they were discarded with the temp file; fetch everything once more.
            note = f"the kept partial file failed the final proof ({exc}), so it was fetched again"
            logger.warning("%s: %s", key, note)
            return await self._fetch_ranges(
                key, info, plan, target, progress, regions, in_stream, identity, None, note
            )

    def _resume_identity(self, key: str) -> dict[str, Any]:
        """What a kept temp file's record names: bucket and key (no endpoint: the same store may
        be reached through another URL; the ETag and the final proof decide what is kept)."""
        return {"v": 1, "bucket": self.bucket_name, "key": key}

    async def _fetch_ranges(
        self,
        key: str,
        info: ObjectInfo,
        plan: _ProofPlan,
        target: Path,
        progress: ProgressCallback | None,
        regions: list[tuple[int, int]],
        in_stream: bool,
        identity: dict[str, Any],
        kept: tuple[Path, dict[str, Any]] | None,
        note: str | None,
    ) -> DownloadResult:
        async with AtomicFile(
            target,
            expected_size=info.size,
            resume_from=kept[0] if kept is not None else None,
            keep_on=_worth_resuming,
        ) as out:
            done = _kept_ranges(kept[1]) if kept is not None and out.resumed else []
            record = await out.run(
                RangeRecord, out, {**identity, "etag": plan.etag, "size": info.size}, done
            )
            digests = await download_ranges(
                self,
                bucket=self.bucket_name,
                key=key,
                etag=plan.etag,
                size=info.size,
                out=out,
                regions=regions,
                concurrency=self.tuning.max_concurrency,
                md5_whole=plan.md5_whole,
                md5_parts=in_stream,
                progress=progress,
                policy=self.tuning.retry_policy,
                on_retry=self._count_retry,
                ordered_layout=None if in_stream else plan.layout,
                kept=done,
                record=record,
            )
            result = await self._judge(key, info, plan, digests, out)
        resumed = out.kept_bytes
        if resumed:
            logger.info("%s: resumed, %d of %d bytes kept from before", key, resumed, info.size)
        return dataclasses.replace(result, resumed_bytes=resumed, resume_note=note)

    async def iter_chunks(
        self, path: str, chunk_size: int = 1024 * 1024, *, start: int = 0
    ) -> AsyncIterator[bytes]:
        key = self.key_for(path)
        kwargs: dict[str, Any] = {"Bucket": self.bucket_name, "Key": key}
        if start:
            kwargs["Range"] = f"bytes={start}-"
        response = await self.call("get_object", key, **kwargs)
        body = response["Body"]
        try:
            while True:
                try:
                    async with Watchdog(self.tuning.stall_timeout, self._count_stall):
                        chunk = await body.read(chunk_size)
                except Exception as exc:
                    raise self.translate(exc, "get_object", key) from exc
                if not chunk:
                    return
                self.stats.bytes_downloaded += len(chunk)
                yield chunk
        finally:
            body.close()

    async def iter_pages(
        self, prefix: str = "", *, recursive: bool = True
    ) -> AsyncIterator[ListPage]:
        rel = validate_path(prefix, allow_root=True)
        key_prefix = self.key_for(rel, allow_root=True) if (rel or self.prefix) else ""
        if key_prefix:
            key_prefix += "/"
        await self.ensure_open()
        assert self._lister is not None
        async for raw in self._lister.pages(key_prefix, delimiter=None if recursive else "/"):
            page = ListPage()
            for obj in raw.objects:
                if obj.key.endswith("/"):
                    continue  # a folder marker made by a console, not a file
                rel_key = self._safe_path(obj.key, page)
                if rel_key is not None:
                    page.files.append(
                        ObjectInfo(rel_key, obj.size, obj.modified.astimezone(UTC), obj.etag)
                    )
            for folder in raw.prefixes:
                rel_folder = self._safe_path(folder.rstrip("/"), page)
                if rel_folder is not None:
                    page.folders.append(rel_folder)
            yield page

    def _safe_path(self, key: str, page: ListPage) -> str | None:
        rel = self.path_for(key)
        if rel is None:
            return None
        try:
            return validate_path(rel)
        except InvalidPathError:
            page.unsafe_keys.append(key)
            logger.warning("Skipping bucket key that is not a safe path: %r", key)
            return None

    # ----------------------------------------------------------------- misc

    async def check(self) -> CheckResult:
        started = time.monotonic()
        try:
            await self.ensure_open()
            # A listing, not HEAD: a HEAD error has no body, so "bad secret" and "no
            # permission" would look the same.
            await self.call(
                "list_objects_v2",
                None,
                Bucket=self.bucket_name,
                MaxKeys=1,
                Prefix=f"{self.prefix}/" if self.prefix else "",
            )
        except StorageError as exc:
            return CheckResult(False, self.name, str(exc), error=exc)
        latency = (time.monotonic() - started) * 1000
        return CheckResult(
            True,
            self.name,
            f"Connected: bucket '{self.bucket_name}' at "
            f"{self.endpoint_display} can be listed ({latency:.0f} ms).",
            latency,
        )

    async def _presign(self, path: str, expires_in: int, method: str) -> str:
        key = self.key_for(path)
        await self.ensure_open()
        operation = "get_object" if method == "GET" else "put_object"
        try:
            url: str = await self._client.generate_presigned_url(
                operation, Params={"Bucket": self.bucket_name, "Key": key}, ExpiresIn=expires_in
            )
        except Exception as exc:  # no credentials, a broken profile: one translated error
            raise translate_s3_error(exc, self._context("presign", key)) from None
        logger.info("s3 presign %s key=%s expires=%ds", method, key, expires_in)
        return url


def _lost_connection(exc: BaseException) -> bool:
    """A failure worth keeping an upload for: the endpoint stopped answering or dropped the
    connection (not a refusal, a changed source, a cancel or a certificate)."""
    return isinstance(exc, EndpointUnreachableError) and not isinstance(exc, TLSVerificationError)


def _resume_mismatch(
    entry: JournalEntry, size: int, identity: SourceIdentity, fingerprint: str
) -> str | None:
    """Why the journalled ``entry`` is not an upload of this source (``None``: it is)."""
    if entry.part_size <= 0 or entry.source is None:
        return "it was started before uploads could be resumed"
    if entry.total_size != size or not entry.source.same_content(identity):
        where = identity.path or "the source"
        return f"{where} is not the file it was started from, or changed since"
    if entry.create_args != fingerprint:
        return "it was started with other metadata"
    if part_count(size, entry.part_size) > MAX_PARTS:
        return "its part size no longer fits"
    return None


def _sha256_hex(data: bytes | memoryview) -> str:
    return hashlib.sha256(data).hexdigest()


async def _sha256_of(data: bytes) -> str:
    """Hash in a worker thread unless the data is small enough to hash in a blink."""
    if len(data) < MiB:
        return hashlib.sha256(data).hexdigest()
    return await asyncio.to_thread(lambda: hashlib.sha256(data).hexdigest())


def _same_object(record: dict[str, Any], identity: dict[str, Any]) -> bool:
    return all(record.get(name) == value for name, value in identity.items())


def _kept_ranges(record: dict[str, Any]) -> list[tuple[int, int]]:
    """The byte ranges a resume record names (malformed entries are ignored: re-fetched)."""
    ranges = []
    for item in record.get("done") or []:
        if (
            isinstance(item, list)
            and len(item) == 2
            and all(isinstance(n, int) for n in item)
            and 0 <= item[0] < item[1]
        ):
            ranges.append((item[0], item[1]))
    return ranges


def _worth_resuming(exc: BaseException) -> bool:
    """Keep a download's temp file after a lost connection or a server that stopped answering."""
    return isinstance(exc, EndpointUnreachableError | ServiceUnavailableError) and not isinstance(
        exc, TLSVerificationError
    )


class _InterruptedReadError(Exception):
    """A plain GET broke off: fetch the object again with retried ranged GETs."""


def _write_and_hash(out: AtomicFile, offset: int, chunk: bytes, digests: StreamDigests) -> None:
    """One worker-thread hop: write a chunk and add it to the running hashes."""
    out.pwrite_sync(offset, chunk)
    digests.update(chunk)


@dataclass(frozen=True, slots=True)
class _ProofPlan:
    """What a download hashes to prove its bytes (see :mod:`.verify`)."""

    etag: str
    opaque_reason: str | None
    layout: list[int] | None
    layout_problem: str | None
    md5_whole: bool


def _md5_part_etag(answer: dict[str, Any], key: str) -> str:
    """The ETag of an UploadPartCopy, if it is the part's MD5 (else the copy is unverifiable)."""
    etag = str(answer["CopyPartResult"]["ETag"])
    if not is_plain_md5(etag.strip('"')):
        raise NotSupportedError(f"the server's part copies carry no MD5 ETag ({etag})", path=key)
    return etag


def _info_from_head(path: str, response: dict[str, Any]) -> ObjectInfo:
    metadata = {k.lower(): v for k, v in (response.get("Metadata") or {}).items()}
    return ObjectInfo(
        path=path,
        size=int(response.get("ContentLength", 0)),
        modified=response["LastModified"].astimezone(UTC),
        etag=str(response.get("ETag", "")).strip('"') or None,
        sha256=metadata.get(SHA256_METADATA),
        original_name=unquote(metadata[ORIGINAL_NAME_METADATA])
        if metadata.get(ORIGINAL_NAME_METADATA)
        else None,
    )


def _region_from_environment() -> str | None:
    """AWS_REGION (the SDKs' variable), else AWS_DEFAULT_REGION (botocore's and the CLI's)."""
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None


def _reveal(value: str | SecretStr | None) -> str | None:
    if isinstance(value, SecretStr):
        return value.get_secret_value() or None
    return value or None


@dataclass(frozen=True, slots=True)
class _WriteGuard:
    """The condition sent with the commit, or a HEAD check run right before it (fallback)."""

    condition: WriteCondition
    check: Callable[[], Awaitable[None]] | None

    async def before_commit(self) -> None:
        if self.check is not None:
            await self.check()

    def headers(self) -> dict[str, str]:
        return self.condition.headers()

    def boto_kwargs(self) -> dict[str, Any]:
        return self.condition.boto_kwargs()
