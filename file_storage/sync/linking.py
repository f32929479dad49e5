"""Give a file a new name without ever replacing another file, on any local file system.

The sync's final steps must not overwrite a file that appeared meanwhile (a user's save). On
ext4, btrfs, APFS... a hard link does that: ``link`` fails if the name exists. exFAT and FAT
drives (cameras, external disks) have no hard links (``EPERM``/``EOPNOTSUPP``), so there:

1. ``renameat2(RENAME_NOREPLACE)`` (Linux; in-kernel vfat and exfat support it), else
2. an existence check and ``rename`` under a lock (the window that remains is between two
   system calls, and only other programs can use it).

Blocking functions: call them in a worker thread.
"""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import sys
import threading
from pathlib import Path

logger = logging.getLogger(__name__)

#: ``link`` errors that mean "this file system has no hard links", not "something is wrong".
LINKS_UNSUPPORTED = frozenset(
    {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.ENOSYS, errno.EACCES}
)
_NOREPLACE_UNSUPPORTED = frozenset({errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP})
_AT_FDCWD = -100
_RENAME_NOREPLACE = 1
_rename_lock = threading.Lock()


def _load_renameat2() -> object | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        function = libc.renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    function.argtypes += [ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


_renameat2 = _load_renameat2()


def rename_noreplace(source: Path, target: Path) -> None:
    """Rename ``source`` to ``target``; raise :class:`FileExistsError` if ``target`` exists."""
    if _renameat2 is not None:
        result = _renameat2(  # type: ignore[operator]
            _AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), _RENAME_NOREPLACE
        )
        if result == 0:
            return
        code = ctypes.get_errno()
        if code not in _NOREPLACE_UNSUPPORTED:
            raise OSError(code, os.strerror(code), str(source), None, str(target))
    with _rename_lock:
        if os.path.lexists(target):
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(target))
        os.rename(source, target)


def move_new(source: Path, target: Path) -> None:
    """Move ``source`` to the new name ``target``; never replaces an existing ``target``.

    Raises:
        FileExistsError: ``target`` exists (``source`` is left where it was).
    """
    try:
        os.link(source, target)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in LINKS_UNSUPPORTED:
            raise
        rename_noreplace(source, target)
        return
    os.unlink(source)


def link_or_copy_name(source: Path, target: Path) -> bool:
    """Give ``source`` the extra name ``target`` (a hard link), if the file system can.

    Returns:
        ``True`` if linked; ``False`` when hard links are not supported here (nothing done).

    Raises:
        FileExistsError: ``target`` exists.
    """
    try:
        os.link(source, target)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in LINKS_UNSUPPORTED:
            raise
        logger.info("No hard links on the file system of %s (%s)", target, exc.strerror)
        return False
    return True
