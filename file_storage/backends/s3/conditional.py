"""Conditional writes: never overwrite an object that changed after the plan saw it.

A sync plan says "upload, nothing is there" or "replace the object with ETag X". Between the
compare and the upload another client may write the same key; a plain PUT would silently
replace its object. S3 can refuse such a write itself: ``If-None-Match: *`` (create only) and
``If-Match: "<etag>"`` (replace only that version) on PutObject and CompleteMultipartUpload,
answered with 412 PreconditionFailed. SeaweedFS honours both on both operations.

Some S3 servers ignore these headers (and overwrite) or refuse them. :func:`probe` finds out once
per backend on a throw-away key under ``temp/``; where they are not honoured, the backend checks
with a HEAD just before the commit instead (a short window remains, and is documented).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from file_storage.backends.s3.fast import FastS3
from file_storage.errors import ObjectChangedError, StorageError

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WriteCondition:
    """What the object at the key must be for the write to happen.

    Attributes:
        if_none_match: Nothing may be there.
        if_match: The object there must have this ETag (unquoted).
    """

    if_none_match: bool = False
    if_match: str | None = None

    def __bool__(self) -> bool:
        return self.if_none_match or self.if_match is not None

    def headers(self) -> dict[str, str]:
        """HTTP headers for a PUT."""
        if self.if_none_match:
            return {"If-None-Match": "*"}
        if self.if_match is not None:
            return {"If-Match": f'"{self.if_match.strip(chr(34))}"'}
        return {}

    def boto_kwargs(self) -> dict[str, Any]:
        """Parameters for botocore's PutObject / CompleteMultipartUpload."""
        if self.if_none_match:
            return {"IfNoneMatch": "*"}
        if self.if_match is not None:
            return {"IfMatch": f'"{self.if_match.strip(chr(34))}"'}
        return {}


async def probe(fast: FastS3, key: str) -> bool:
    """Tell whether the server refuses a PUT with ``If-None-Match: *`` onto an existing key.

    Writes an empty object at ``key`` (a temp key), tries to write it again with the condition,
    then the caller deletes it. ``True`` only for a 412; a server that overwrites (ignores the
    header) or answers with another error (refuses it) gets the HEAD fallback.
    """
    await fast.request("put_object", "PUT", key, body=b"")
    try:
        await fast.request("put_object", "PUT", key, headers={"If-None-Match": "*"}, body=b"")
    except ObjectChangedError:
        return True
    except StorageError as exc:
        logger.info("Conditional PUT refused (%s); using a HEAD before each commit", exc)
        return False
    logger.warning("The server ignored If-None-Match; using a HEAD before each commit instead")
    return False
