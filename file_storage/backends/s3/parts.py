"""Multipart layouts and ETags of S3 objects, whoever wrote them.

The ETag of a multipart object is ``md5(md5(part 1) + md5(part 2) + ...)-N``: it proves the
content only to someone who knows where each part ends. S3 tells that (``HEAD ?partNumber=N``
answers with the part's length and ``x-amz-mp-parts-count``), so the ETag of an object written by
the aws CLI (8 MiB parts), s5cmd (50 MiB), rclone or this app can be recomputed exactly from the
bytes. Nearly every uploader uses equal parts but the last, so the layout is usually known from
part 1 alone (:func:`uniform_layout`); only a mismatch needs every part's length to be sure.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

MAX_PARTS = 10_000
_READ = 8 * 1024 * 1024
_MULTIPART_ETAG = re.compile(r"^[0-9a-f]{32}-(\d{1,5})$")
_PLAIN_MD5 = re.compile(r"^[0-9a-f]{32}$")


def etag_parts_count(etag: str | None) -> int | None:
    """Parts named by a multipart ETag (``"…-3"`` gives 3); ``None`` for any other ETag."""
    match = _MULTIPART_ETAG.match((etag or "").strip('"'))
    return int(match.group(1)) if match else None


def is_plain_md5(etag: str | None) -> bool:
    """Whether the ETag is a bare MD5 (a single PUT without SSE-KMS/SSE-C)."""
    return bool(_PLAIN_MD5.match((etag or "").strip('"')))


def uniform_layout(total: int, first: int, count: int) -> list[int] | None:
    """The layout "every part as long as part 1, the last one shorter or equal", if it fits.

    Returns:
        Part lengths in order, or ``None`` when ``total``, ``first`` and ``count`` cannot be such
        a layout (then the parts differ in length and each must be asked for).
    """
    if count < 1 or first < 1 or total < first:
        return None
    if count == 1:
        return [total] if total == first else None
    last = total - first * (count - 1)
    if not 0 < last <= first:
        return None
    return [first] * (count - 1) + [last]


def multipart_etag(part_md5s: Iterable[bytes]) -> str:
    """The S3 ETag of a multipart object from the binary MD5 of each of its parts, in order."""
    digests = list(part_md5s)
    return f"{hashlib.md5(b''.join(digests)).hexdigest()}-{len(digests)}"  # noqa: S324


def file_multipart_etag(path: Path, sizes: Sequence[int]) -> str:
    """The multipart ETag that ``path`` would have if uploaded with parts of ``sizes``.

    Reads the file once, in 8 MiB slices (blocking: call it in a worker thread). A file whose
    length differs from ``sum(sizes)`` cannot have this ETag; the result then says so by
    differing (a trailing or missing byte changes the last part's MD5).
    """
    digests: list[bytes] = []
    with open(path, "rb") as handle:
        for size in sizes:
            digest = hashlib.md5()  # noqa: S324 - the S3 ETag is defined on MD5
            remaining = size
            while remaining:
                chunk = handle.read(min(_READ, remaining))
                if not chunk:
                    break
                digest.update(chunk)
                remaining -= len(chunk)
            digests.append(digest.digest())
        if handle.read(1):
            digests.append(b"")  # longer than the layout: the count differs, so the ETag does
    return multipart_etag(digests)


def fd_multipart_etag(fd: int, sizes: Sequence[int]) -> str:
    """:func:`file_multipart_etag` of an open file descriptor (``pread``; blocking)."""
    digests: list[bytes] = []
    offset = 0
    for size in sizes:
        digest = hashlib.md5()  # noqa: S324 - the S3 ETag is defined on MD5
        end = offset + size
        while offset < end:
            chunk = os.pread(fd, min(_READ, end - offset), offset)
            if not chunk:
                break
            digest.update(chunk)
            offset += len(chunk)
        digests.append(digest.digest())
    if os.pread(fd, 1, offset):
        digests.append(b"")
    return multipart_etag(digests)


def parse_total(content_range: str | None) -> int | None:
    """The object length from a ``Content-Range: bytes a-b/total`` header."""
    if not content_range or "/" not in content_range:
        return None
    total = content_range.rsplit("/", 1)[1].strip()
    return int(total) if total.isdigit() else None
