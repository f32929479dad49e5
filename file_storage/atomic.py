"""Atomic local writes: a temp file beside the target, fsync, rename (RELIABILITY R4, F5).

The final name only ever holds a complete, verified file: the old version or the new one, never a
mix or a truncated file. Temp files carry the writer's PID, so a later writer to the same target
removes the leftovers of a writer that was killed (``kill -9`` leaves no chance to clean up).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import itertools
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from file_storage.errors import (
    AccessDeniedError,
    ChecksumMismatchError,
    DiskFullError,
    ObjectNotFoundError,
    StorageError,
)
from file_storage.io_threads import ThreadCalls
from file_storage.units import human_size

T = TypeVar("T")

logger = logging.getLogger(__name__)

PARTIAL_SUFFIX = ".leap-partial"
#: A folder is swept for leftovers of dead writers at most this often per process: sweeping lists
#: the whole folder, so doing it for every file of a 1000-file download would cost O(n^2).
SWEEP_INTERVAL_S = 60.0

# Unique per process without a getrandom() call per file (os.urandom costs ~0.1 ms here): a
# random tag drawn once (again after fork), then a counter.
_name_tag = secrets.token_hex(2)
_name_counter = itertools.count()
_swept: dict[Path, float] = {}
_swept_lock = threading.Lock()


def _after_fork() -> None:
    global _name_tag, _name_counter
    _name_tag = secrets.token_hex(2)
    _name_counter = itertools.count()
    _swept.clear()


os.register_at_fork(after_in_child=_after_fork)


def partial_name_for(target: Path) -> Path:
    """Return a fresh temp path beside ``target`` tagged with this process's PID."""
    token = f"{_name_tag}{next(_name_counter) & 0xFFFFFFFF:08x}"
    return target.with_name(f".{target.name}.{os.getpid()}-{token}{PARTIAL_SUFFIX}")


def is_partial(name: str) -> bool:
    """Tell whether a file name is one of our temp files (listings hide them)."""
    return name.startswith(".") and name.endswith(PARTIAL_SUFFIX)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale_partials(target: Path) -> int:
    """Remove dead writers' temp files in ``target``'s folder, at most once a minute per folder.

    The first write into a folder in this process removes every leftover there (any target),
    so later writes into the same folder need not list it again.
    """
    folder = target.parent
    now = time.monotonic()
    with _swept_lock:
        last = _swept.get(folder)
        if last is not None and now - last < SWEEP_INTERVAL_S:
            return 0
        _swept[folder] = now
    return remove_stale_partials(target, any_target=True)


def remove_stale_partials(target: Path, *, any_target: bool = False) -> int:
    """Delete temp files for ``target`` left by processes that no longer run; return how many.

    With ``any_target``, remove such leftovers of every file in ``target``'s folder.
    """
    removed = 0
    prefix = "." if any_target else f".{target.name}."
    try:
        siblings = list(os.scandir(target.parent))
    except OSError:
        return 0
    for entry in siblings:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(PARTIAL_SUFFIX)):
            continue
        tag = name[len(prefix) : -len(PARTIAL_SUFFIX)]
        if any_target:
            tag = tag.rpartition(".")[2]
        pid_text, _, _token = tag.partition("-")
        if pid_text.isdigit() and int(pid_text) != os.getpid() and not _pid_alive(int(pid_text)):
            try:
                os.unlink(entry.path)
                removed += 1
                logger.info("Removed leftover partial file %s", entry.path)
            except OSError:
                pass
    return removed


def translate_os_error(exc: OSError, path: Path | str, action: str) -> StorageError:
    """Map an ``OSError`` to the storage error hierarchy with a message that says what to do."""
    if isinstance(exc, StorageError):
        return exc  # already translated (DiskFullError is also an OSError)
    where = str(path)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFullError(
            f"Disk full while {action} {where}; free some space and try again.", path=where
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return AccessDeniedError(
            f"Permission denied while {action} {where}; check the folder's permissions.",
            path=where,
        )
    if isinstance(exc, FileNotFoundError):
        return ObjectNotFoundError(f"Not found while {action} {where}.", path=where)
    return StorageError(f"Error while {action} {where}: {exc.strerror or exc}.", path=where)


def ensure_free_space(directory: Path, needed: int) -> None:
    """Fail early with :class:`DiskFullError` if ``directory`` lacks ``needed`` free bytes."""
    try:
        stats = os.statvfs(directory)
        free = stats.f_bavail * stats.f_frsize
    except OSError:
        return
    if needed > free:
        raise DiskFullError(
            f"Not enough space in {directory}: {human_size(needed)} needed, "
            f"{human_size(free)} free. Free some space and try again.",
            path=str(directory),
        )


class AtomicFile:
    """An async context manager that writes ``target`` atomically.

    Write with :meth:`write` (sequential) or :meth:`write_at` (positional, for parallel ranged
    downloads), then leave the block normally to commit; an exception or a cancel removes the temp
    file and leaves ``target`` as it was. Blocking calls run in worker threads.
    """

    def __init__(self, target: Path, *, expected_size: int | None = None) -> None:
        self.target = target
        self.temp_path = partial_name_for(target)
        self._expected_size = expected_size
        self._fd: int | None = None
        self._created = False
        self._offset = 0
        self._calls = ThreadCalls()
        self.bytes_written = 0

    async def __aenter__(self) -> AtomicFile:
        try:
            await self._calls.run(self._open)
        except BaseException:
            await self._calls.settle()
            await asyncio.shield(self._calls.run(self._discard))
            raise
        return self

    def _open(self) -> None:
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            sweep_stale_partials(self.target)
            # Create first, check space second: a read-only folder must say "permission
            # denied", not "disk full".
            self._fd = os.open(
                self.temp_path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644
            )
            self._created = True
            if self._expected_size:
                ensure_free_space(self.target.parent, self._expected_size)
                _preallocate(self._fd, self._expected_size)
        except OSError as exc:
            self._discard()
            raise translate_os_error(exc, self.target, "writing") from exc

    async def run(self, fn: Callable[..., T], /, *args: Any) -> T:
        """Run a blocking call on this file (hashing it back, say) in a tracked worker thread."""
        return await self._calls.run(fn, *args)

    async def write(self, data: bytes | memoryview) -> None:
        """Append ``data`` at the current position."""
        offset = self._offset
        self._offset += len(data)
        await self.write_at(offset, data)

    async def write_at(self, offset: int, data: bytes | memoryview) -> None:
        """Write ``data`` at ``offset`` (positions may arrive in any order)."""
        await self._calls.run(self._pwrite_all, offset, data)
        self.bytes_written += len(data)

    def pwrite_sync(self, offset: int, data: bytes | memoryview) -> None:
        """Write ``data`` at ``offset`` from a worker thread started by :meth:`run`.

        For one writer at a time (a sequential download); parallel writers use :meth:`write_at`.
        """
        self._pwrite_all(offset, data)
        self.bytes_written += len(data)

    def _pwrite_all(self, offset: int, data: bytes | memoryview) -> None:
        assert self._fd is not None, "AtomicFile used outside its 'async with' block"
        view = memoryview(data)
        try:
            while view:
                written = os.pwrite(self._fd, view, offset)
                view = view[written:]
                offset += written
        except OSError as exc:
            raise translate_os_error(exc, self.target, "writing") from exc

    @property
    def fd(self) -> int:
        """The temp file's descriptor, for hashing it back from a worker thread."""
        assert self._fd is not None
        return self._fd

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            await self._discard_when_idle()
            return
        try:
            await self._calls.run(self._commit)
        except BaseException:
            await self._discard_when_idle()
            raise

    async def _discard_when_idle(self) -> None:
        """Remove the temp file once no worker thread still uses the descriptor.

        Shielded: a second cancel while cleaning up must not leave the temp file behind.
        """
        await self._calls.settle()
        await asyncio.shield(self._calls.run(self._discard))

    def _commit(self) -> None:
        assert self._fd is not None
        if self._expected_size is not None and self.bytes_written != self._expected_size:
            raise ChecksumMismatchError(
                f"Incomplete write of {self.target}: {self.bytes_written} of "
                f"{self._expected_size} bytes arrived; nothing was saved. Try again.",
                path=str(self.target),
            )
        try:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None
            os.replace(self.temp_path, self.target)
            self._created = False
            _fsync_dir(self.target.parent)
        except OSError as exc:
            raise translate_os_error(exc, self.target, "saving") from exc

    def _discard(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
        if not self._created:
            return
        try:
            os.unlink(self.temp_path)
        except FileNotFoundError:
            pass
        except OSError as exc:  # pragma: no cover - nothing more we can do
            logger.warning("Could not remove temp file %s: %s", self.temp_path, exc)
        self._created = False


def _preallocate(fd: int, size: int) -> None:
    """Reserve the blocks now, so a full disk fails before any byte is fetched (F5)."""
    try:
        os.posix_fallocate(fd, 0, size)
    except OSError as exc:
        if exc.errno not in (errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
            raise


def _fsync_dir(directory: Path) -> None:
    """Make a rename durable: fsync the folder that holds the new name."""
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
