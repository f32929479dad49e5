"""Metadata other S3 tools read and write: the file's modification time.

rclone keeps a file's modification time in the object's user metadata as ``mtime`` (sent as the
``x-amz-meta-mtime`` header): seconds since the Unix epoch as a decimal number, nanoseconds after
the point (``1700000000.123456789``). Leap Sync writes the same on upload, so rclone does not take
a file Leap Sync moved for a changed one, and after a download sets the local file's time from it
(else from the object's Last-Modified, as ``aws s3 sync`` and s5cmd do).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

#: The user-metadata name rclone uses for the modification time.
MTIME_METADATA = "mtime"


def format_mtime(mtime_ns: int) -> str:
    """``1700000000.123456789`` for a time in nanoseconds since the epoch (rclone's form)."""
    seconds, nanos = divmod(mtime_ns, 1_000_000_000)
    return f"{seconds}.{nanos:09d}"


def parse_mtime(value: str | None) -> int | None:
    """Nanoseconds since the epoch from an ``mtime`` metadata value; ``None`` if unusable."""
    if not value:
        return None
    text = value.strip()
    whole, _, fraction = text.partition(".")
    if not whole.lstrip("-").isdigit() or (fraction and not fraction.isdigit()):
        return None
    nanos = int((fraction + "000000000")[:9]) if fraction else 0
    seconds = int(whole)
    return seconds * 1_000_000_000 + (-nanos if whole.startswith("-") else nanos)


def mtime_metadata(source: object) -> dict[str, str]:
    """The ``mtime`` metadata for an upload source that is a local file, else nothing."""
    mtime_ns = getattr(source, "mtime_ns", None)
    return {MTIME_METADATA: format_mtime(mtime_ns)} if isinstance(mtime_ns, int) else {}


def object_mtime_ns(head: Mapping[str, Any]) -> int | None:
    """An object's modification time: its ``mtime`` metadata, else its Last-Modified."""
    metadata = {str(k).lower(): str(v) for k, v in (head.get("Metadata") or {}).items()}
    recorded = parse_mtime(metadata.get(MTIME_METADATA))
    if recorded is not None:
        return recorded
    modified = head.get("LastModified")
    if isinstance(modified, datetime):
        return round(modified.timestamp() * 1_000_000_000)
    return None


def set_local_mtime(path: str | Path, mtime_ns: int | None) -> None:
    """Give a downloaded file the object's modification time; a refusal is only logged."""
    if mtime_ns is None:
        return
    try:
        os.utime(path, ns=(os.stat(path).st_atime_ns, mtime_ns))
    except OSError as exc:
        logger.warning("Could not set the modification time of %s: %s", path, exc)
