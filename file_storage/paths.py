"""Validation of storage-relative paths: the gate every path passes before any I/O.

A storage path is a POSIX-style relative path such as ``users/user_000042/recordings/7/source.mp4``.
It is the same on every backend: the local backend joins it under its root, the S3 backend appends
it to its key prefix. Anything that could escape the root, mean different things on different
systems, or be silently changed on the way is refused here with :class:`InvalidPathError`.

Unicode is kept exactly as given (no NFC/NFD normalisation), so a name round-trips byte for byte.
"""

from __future__ import annotations

import re

from file_storage.errors import InvalidPathError, InvalidRequestError

#: S3 limits a key to 1024 bytes of UTF-8.
MAX_S3_KEY_BYTES = 1024
#: Most local filesystems limit one path component to 255 bytes.
MAX_COMPONENT_BYTES = 255

_DRIVE_RE = re.compile(r"^[A-Za-z]:")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


def validate_path(path: str, *, allow_root: bool = False) -> str:
    """Check a storage-relative file or folder path and return it in canonical form.

    The canonical form has no leading or trailing slash. Paths are refused, never repaired, so that
    what a user typed is exactly what is stored.

    Args:
        path: The path to check.
        allow_root: Accept the empty string (the store's root), for listings and prefixes.

    Returns:
        The path without a trailing slash.

    Raises:
        InvalidPathError: The path is empty, absolute, contains ``..``, a backslash, a drive
            letter, a control character or NUL, or a component longer than 255 bytes.
    """
    if not isinstance(path, str):
        raise InvalidPathError(f"Storage path must be a string, not {type(path).__name__}.")
    shown = _shown(path)
    if _CONTROL_RE.search(path):
        raise InvalidPathError(
            f"Storage path {shown} contains a NUL or control character; rename the file.",
            path=shown,
        )
    if "\\" in path:
        raise InvalidPathError(
            f"Storage path {shown} contains a backslash; use '/' between folders.", path=shown
        )
    if path.startswith("/"):
        raise InvalidPathError(
            f"Storage path {shown} is absolute; give a path relative to the storage root.",
            path=shown,
        )
    if _DRIVE_RE.match(path):
        raise InvalidPathError(
            f"Storage path {shown} starts with a drive letter; give a path relative to the "
            "storage root.",
            path=shown,
        )
    trimmed = path[:-1] if path.endswith("/") else path
    if not trimmed:
        if allow_root:
            return ""
        raise InvalidPathError("Storage path is empty; name a file inside the store.", path="")
    for part in trimmed.split("/"):
        if part == "":
            raise InvalidPathError(f"Storage path {shown} has an empty folder name ('//').")
        if part in (".", ".."):
            raise InvalidPathError(
                f"Storage path {shown} contains '{part}'; paths may not step out of a folder.",
                path=shown,
            )
        if len(part.encode("utf-8")) > MAX_COMPONENT_BYTES:
            raise InvalidPathError(
                f"Storage path {shown} has a name longer than {MAX_COMPONENT_BYTES} bytes; "
                "shorten it.",
                path=shown,
            )
    return trimmed


def join_key(prefix: str, path: str) -> str:
    """Join an S3 key prefix and a validated storage path, enforcing S3's 1024-byte key limit."""
    key = f"{prefix}/{path}" if prefix and path else (prefix or path)
    if len(key.encode("utf-8")) > MAX_S3_KEY_BYTES:
        raise InvalidPathError(
            f"Storage path {_shown(path)} makes an S3 key of {len(key.encode('utf-8'))} bytes; "
            f"S3 allows {MAX_S3_KEY_BYTES}. Shorten the name.",
            path=_shown(path),
        )
    return key


def _shown(path: object) -> str:
    """Quote a path for an error message, truncating very long ones."""
    text = repr(path)
    return text if len(text) <= 200 else text[:197] + "..."


#: The longest original file name kept as metadata (bytes of UTF-8; a file system's name limit).
MAX_ORIGINAL_NAME_BYTES = 255


def check_original_name(name: str) -> str:
    """Return ``name`` if it can be kept as a file's original name, else raise.

    It is a file name as the user's computer had it (any script, spaces, ``+``, ``#``...), not a
    path: no ``/``, ``\\``, NUL or control characters, at most 255 bytes of UTF-8.

    Raises:
        InvalidRequestError: The name is empty, too long or contains a separator or a control
            character.
    """
    if not isinstance(name, str) or not name.strip():
        raise InvalidRequestError("An original file name must not be empty.")
    if any(ch in name for ch in "/\\") or any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise InvalidRequestError(
            f"The original file name {name!r} may not contain '/', '\\' or control characters."
        )
    if len(name.encode("utf-8")) > MAX_ORIGINAL_NAME_BYTES:
        raise InvalidRequestError(
            f"The original file name {name[:40]!r}... is longer than "
            f"{MAX_ORIGINAL_NAME_BYTES} bytes."
        )
    return name
