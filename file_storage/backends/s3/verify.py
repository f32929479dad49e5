"""Proving that a downloaded S3 object is what the store holds, whoever wrote it.

Three independent proofs can apply, computed while the bytes arrive (no second read):

- ``sha256``: the SHA-256 this app records in ``x-amz-meta-sha256``. Metadata is a claim any
  client can set, so where the ETag can be checked as well, both must agree.
- ``md5``: a single-part ETag is the MD5 of the content (not under SSE-KMS or SSE-C).
- ``etag``: a multipart ETag, recomputed from one MD5 per part with the object's real part layout
  (``HEAD ?partNumber=N``, see :mod:`file_storage.backends.s3.parts`).

A mismatch fails the download (nothing is kept). When nothing can be proven, the download
passes with ``DownloadResult.unverified_reason`` set, for the caller to show: never silently.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from file_storage.backends.base import DownloadResult
from file_storage.backends.s3.parts import etag_parts_count, is_plain_md5, multipart_etag
from file_storage.errors import ChecksumMismatchError


@dataclass(slots=True)
class Digests:
    """The hashes of the bytes written: SHA-256 always, MD5s where an ETag can use them."""

    sha256: str
    md5: str | None = None
    part_md5s: list[bytes] | None = None


class StreamDigests:
    """Hashes a body fed in order: SHA-256, and the MD5 of the whole or of each part."""

    def __init__(self, *, md5: bool, layout: Sequence[int] | None) -> None:
        self._sha = hashlib.sha256()
        self._md5 = hashlib.md5() if md5 else None  # noqa: S324 - the ETag is an MD5
        self._layout = list(layout) if layout else None
        self._parts: list[bytes] = []
        self._part = hashlib.md5() if self._layout else None  # noqa: S324
        self._left = self._layout[0] if self._layout else 0

    def update(self, chunk: bytes | memoryview) -> None:
        """Add the next bytes (blocking: large chunks belong in a worker thread)."""
        self._sha.update(chunk)
        if self._md5 is not None:
            self._md5.update(chunk)
        if self._part is None or self._layout is None:
            return
        view = memoryview(chunk)
        while view:
            if self._left == 0:
                self._next_part()
            if self._left < 0:  # past the layout's end: these bytes make the ETag differ
                self._part.update(view)
                return
            take = min(self._left, len(view))
            self._part.update(view[:take])
            self._left -= take
            view = view[take:]

    def _next_part(self) -> None:
        assert self._part is not None
        assert self._layout is not None
        self._parts.append(self._part.digest())
        self._part = hashlib.md5()  # noqa: S324
        index = len(self._parts)
        self._left = self._layout[index] if index < len(self._layout) else -1

    def result(self) -> Digests:
        parts = None
        if self._part is not None:
            parts = [*self._parts, self._part.digest()]
        return Digests(
            self._sha.hexdigest(),
            self._md5.hexdigest() if self._md5 is not None else None,
            parts,
        )


def opaque_etag_reason(etag: str, head: dict[str, Any]) -> str | None:
    """Why this ETag says nothing about the content, or ``None`` if it can be recomputed."""
    sse = str(head.get("ServerSideEncryption") or "")
    if sse.startswith("aws:kms") or head.get("SSECustomerAlgorithm"):
        return f"the object is encrypted with {sse or 'SSE-C'}, so its ETag is not a content hash"
    if is_plain_md5(etag) or etag_parts_count(etag) is not None:
        return None
    return f"its ETag ({etag or 'none'}) is not a content hash"


async def judge_download(
    *,
    where: str,
    path: str,
    size: int,
    etag: str,
    recorded_sha256: str | None,
    digests: Digests,
    opaque_reason: str | None,
    layout: Sequence[int] | None,
    layout_problem: str | None,
    exact_etag: Callable[[], Awaitable[str | None]],
) -> DownloadResult:
    """Check the digests against every proof the object offers; raise on any mismatch.

    Args:
        where: ``s3://bucket/key``, for messages.
        path: Storage path.
        size: Bytes written.
        etag: The ETag of the version read (unquoted).
        recorded_sha256: ``x-amz-meta-sha256``, if any.
        digests: What was computed while downloading.
        opaque_reason: From :func:`opaque_etag_reason`.
        layout: The part layout used for ``digests.part_md5s`` (maybe a uniform guess).
        layout_problem: Why the server gave no layout for a multipart ETag.
        exact_etag: Recompute the multipart ETag with every part's real length (needed only
            when the guessed layout did not match; ``None`` if that layout was already exact).

    Raises:
        ChecksumMismatchError: A proof contradicts the bytes; nothing may be kept.
    """
    checks: list[str] = []
    if recorded_sha256 is not None:
        if digests.sha256 != recorded_sha256:
            raise ChecksumMismatchError(
                f"{where} arrived with SHA-256 {digests.sha256}, but the object records "
                f"{recorded_sha256}; nothing was written. Try again; if it repeats, the stored "
                "object is damaged.",
                path=path,
            )
        checks.append("sha256")
    reason = opaque_reason
    if opaque_reason is None and is_plain_md5(etag):
        if digests.md5 != etag:
            raise ChecksumMismatchError(
                f"{where} arrived with MD5 {digests.md5}, but its ETag is {etag}; nothing was "
                "written. Try again.",
                path=path,
            )
        checks.append("md5")
    elif opaque_reason is None and digests.part_md5s is not None and layout:
        computed = multipart_etag(digests.part_md5s)
        if computed != etag:
            exact = await exact_etag()
            computed = exact if exact is not None else computed
        if computed != etag:
            raise ChecksumMismatchError(
                f"{where} arrived with multipart ETag {computed} (recomputed with the object's "
                f"{len(layout)}-part layout), but the store says {etag}; nothing was written. Try "
                "again; if it repeats, the stored object is damaged.",
                path=path,
            )
        checks.append("etag")
    elif opaque_reason is None:
        reason = layout_problem or "the store tells no part layout for its multipart ETag"
    return DownloadResult(
        path=path,
        size=size,
        sha256=digests.sha256,
        etag=etag or None,
        checks=tuple(checks),
        unverified_reason=None if checks else reason,
    )
