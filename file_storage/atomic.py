"""Atomic local writes: a temp file, fsync, rename (RELIABILITY R4, F5).

The final name only ever holds a complete, verified file: the old version or the new one, never a
mix or a truncated file. Temp files carry the writer's PID, so a later writer removes the
leftovers of a writer that was killed (``kill -9`` leaves no chance to clean up).

Where the temp file lives decides whose it is. Writes into a store stage in the store's own
``temp/`` folder (``temp_dir``; same filesystem as the target, so the rename stays atomic): no
user file can be there, so leftovers there are swept by PID alone. A temp file beside a target
outside any store (``leap-storage get KEY ./file``) could share its name with a user's file, so it
carries an extended attribute naming it (:data:`MARKER_XATTR`); nothing is ever hidden or deleted
by its name alone, only when that mark proves it is ours. On a filesystem without extended
attributes such a leftover is simply left alone.

A download may keep its temp file for a later run to resume (:data:`RESUME_XATTR`, a small record
of which object and which byte ranges are on disk, written as the bytes land): such a leftover is
adopted by the next download of the same object in that folder (:func:`find_resumable`,
``AtomicFile(resume_from=...)``) and survives sweeps for :data:`RESUME_KEEP_S`.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import itertools
import json
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
#: Most filesystems limit one name to 255 bytes.
MAX_NAME_BYTES = 255
#: Set on every temp file created beside its target: the proof that the file is ours.
MARKER_XATTR = "user.leap.partial"
#: The resume record of a kept download temp file (JSON: the object and the byte ranges on disk).
RESUME_XATTR = "user.leap.resume"
#: A dead writer's temp file with a resume record is kept this long for a resume, then swept.
RESUME_KEEP_S = 24 * 3600.0
#: A folder is swept for leftovers of dead writers at most this often per process: sweeping lists
#: the whole folder, so doing it for every file of a 1000-file download would cost O(n^2).
SWEEP_INTERVAL_S = 60.0

# Unique per process without a getrandom() call per file (os.urandom costs ~0.1 ms here): a
# random tag drawn once (again after fork), then a counter.
_name_tag = secrets.token_hex(2)
_name_counter = itertools.count()
_swept: dict[Path, float] = {}
_swept_lock = threading.Lock()
#: Temp files this process kept for a resume (after a lost connection): free to adopt now.
_released: set[str] = set()
#: Folders where :func:`find_resumable` found no kept download, and when (monotonic): not listed
#: again for :data:`SWEEP_INTERVAL_S`, so a batch of downloads into one folder costs no O(n^2).
_no_kept: dict[str, float] = {}


def _after_fork() -> None:
    global _name_tag, _name_counter
    _name_tag = secrets.token_hex(2)
    _name_counter = itertools.count()
    _swept.clear()
    _released.clear()
    _no_kept.clear()


os.register_at_fork(after_in_child=_after_fork)


def _fresh_tag() -> str:
    return f"{os.getpid()}-{_name_tag}{next(_name_counter) & 0xFFFFFFFF:08x}"


def partial_name_for(target: Path, temp_dir: Path | None = None) -> Path:
    """Return a fresh temp path tagged with this process's PID.

    Args:
        temp_dir: Stage there (a store's ``temp/`` area) instead of beside ``target``.
    """
    tag = _fresh_tag()
    if temp_dir is not None:
        return temp_dir / f"{tag}{PARTIAL_SUFFIX}"
    # A long target name is cut so the temp name still fits one path component.
    room = MAX_NAME_BYTES - len(f"..{tag}{PARTIAL_SUFFIX}")
    name = target.name.encode()[:room].decode(errors="ignore")
    return target.with_name(f".{name}.{tag}{PARTIAL_SUFFIX}")


def is_partial(name: str) -> bool:
    """Tell whether a file name looks like one of our temp files beside a target.

    A name is never enough to hide or delete a file (a user may have chosen it): see
    :func:`is_ours`.
    """
    return name.startswith(".") and name.endswith(PARTIAL_SUFFIX)


def _tag_of(name: str) -> str:
    """The ``<pid>-<token>`` part of a temp name (beside a target or in a temp folder)."""
    stem = name[: -len(PARTIAL_SUFFIX)] if name.endswith(PARTIAL_SUFFIX) else name
    return stem.rpartition(".")[2]


def is_ours(path: Path | str) -> bool:
    """Tell whether a temp-looking file beside a target was created by an :class:`AtomicFile`.

    True only when its name has the pattern and its :data:`MARKER_XATTR` holds the same tag.
    """
    name = os.path.basename(path)
    if not is_partial(name):
        return False
    try:
        mark = os.getxattr(path, MARKER_XATTR, follow_symlinks=False)
    except OSError:
        return False
    return mark.decode("ascii", "replace") == _tag_of(name)


def _mark(fd: int, path: Path) -> None:
    """Mark a temp file as ours (best effort: without xattrs a leftover is left alone)."""
    with contextlib.suppress(OSError):
        os.setxattr(fd, MARKER_XATTR, _tag_of(path.name).encode("ascii"))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale_partials(target: Path, temp_dir: Path | None = None) -> int:
    """Remove dead writers' temp files where a write to ``target`` stages, at most once a
    minute per folder.

    The first write into a folder in this process removes every leftover there (any target),
    so later writes into the same folder need not list it again.
    """
    folder = temp_dir if temp_dir is not None else target.parent
    now = time.monotonic()
    with _swept_lock:
        last = _swept.get(folder)
        if last is not None and now - last < SWEEP_INTERVAL_S:
            return 0
        _swept[folder] = now
    if temp_dir is not None:
        return remove_stale_in_temp_dir(temp_dir)
    return remove_stale_partials(target, any_target=True)


def _dead_writer(tag: str) -> bool:
    pid_text, _, _token = tag.partition("-")
    return pid_text.isdigit() and int(pid_text) != os.getpid() and not _pid_alive(int(pid_text))


def remove_stale_in_temp_dir(temp_dir: Path) -> int:
    """Delete leftovers of dead writers in a store's staging folder (ours by location)."""
    removed = 0
    try:
        entries = list(os.scandir(temp_dir))
    except OSError:
        return 0
    for entry in entries:
        if entry.name.endswith(PARTIAL_SUFFIX) and _dead_writer(_tag_of(entry.name)):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed += 1
                logger.info("Removed leftover partial file %s", entry.path)
    return removed


def remove_stale_partials(target: Path, *, any_target: bool = False) -> int:
    """Delete our temp files for ``target`` left by processes that no longer run; return how
    many. Only files marked as ours (:func:`is_ours`) are touched, whatever their name.

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
        if _dead_writer(_tag_of(name)) and is_ours(entry.path) and not _kept_for_resume(entry.path):
            try:
                os.unlink(entry.path)
                removed += 1
                logger.info("Removed leftover partial file %s", entry.path)
            except OSError:
                pass
    return removed


def read_resume_record(path: Path | str) -> dict[str, Any] | None:
    """The resume record of a temp file, or ``None`` (none, unreadable or not JSON)."""
    try:
        raw = os.getxattr(path, RESUME_XATTR, follow_symlinks=False)
        record = json.loads(raw)
    except (OSError, ValueError, AttributeError):  # AttributeError: no xattr API (macOS)
        return None
    return record if isinstance(record, dict) else None


def write_resume_record(fd: int, record: dict[str, Any]) -> bool:
    """Attach ``record`` to an open temp file; ``False`` where xattrs are not supported."""
    try:
        os.setxattr(fd, RESUME_XATTR, json.dumps(record, separators=(",", ":")).encode())
    except (OSError, AttributeError):  # AttributeError: no xattr API (macOS)
        return False
    return True


def _kept_for_resume(path: str) -> bool:
    """Whether a dead writer's temp file is a download kept for a resume, and young enough."""
    if read_resume_record(path) is None:
        return False
    try:
        age = time.time() - os.stat(path, follow_symlinks=False).st_mtime
    except OSError:
        return False
    return age < RESUME_KEEP_S


def may_hold_resumable(folder: Path) -> bool:
    """Whether :func:`find_resumable` is worth calling for ``folder`` (cheap, no I/O).

    False for a minute after a look found no kept download there, unless this process kept one
    since. A download killed in another process within that minute is resumed only by a later
    look (its temp file survives the sweeps meanwhile).
    """
    seen = _no_kept.get(str(folder))
    return seen is None or time.monotonic() - seen >= SWEEP_INTERVAL_S


def find_resumable(
    folder: Path, matches: Callable[[dict[str, Any]], bool]
) -> tuple[Path, dict[str, Any]] | None:
    """A kept download temp file in ``folder`` whose resume record ``matches``, if any.

    Only files proven ours (:func:`is_ours`) whose writer is gone (or that this process released
    after a lost connection) are candidates, so a running download is never taken over. Blocking.
    """
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return None
    kept_any = False
    for entry in entries:
        if not is_partial(entry.name) or not is_ours(entry.path):
            continue
        kept_any = True
        if entry.path not in _released and not _dead_writer(_tag_of(entry.name)):
            continue
        record = read_resume_record(entry.path)
        if record is not None and matches(record):
            return Path(entry.path), record
    if not kept_any:
        _no_kept[str(folder)] = time.monotonic()
    return None


def discard_partial(path: Path) -> None:
    """Remove a kept temp file that will not be resumed (only one proven ours). Blocking."""
    _released.discard(str(path))
    if is_ours(path):
        with contextlib.suppress(OSError):
            os.unlink(path)
            logger.info("Removed kept partial file %s", path)


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

    Args:
        resume_from: A kept temp file (from :func:`find_resumable`) to continue instead of a new
            one: it is renamed to this writer's name, so no other writer can take it. If it is
            gone by then, a fresh file is made (:attr:`resumed` tells which).
        keep_on: Errors for which the temp file is kept for a later resume instead of removed
            (a lost connection); never a cancel.
    """

    def __init__(
        self,
        target: Path,
        *,
        expected_size: int | None = None,
        temp_dir: Path | None = None,
        resume_from: Path | None = None,
        keep_on: Callable[[BaseException], bool] | None = None,
    ) -> None:
        self.target = target
        self.temp_dir = temp_dir
        self.temp_path = partial_name_for(target, temp_dir)
        self._expected_size = expected_size
        self._resume_from = resume_from
        self._keep_on = keep_on
        self.resumed = False
        self._fd: int | None = None
        self._created = False
        self._offset = 0
        self._calls = ThreadCalls()
        self.bytes_written = 0
        # Parallel ranges write from several worker threads: ``+=`` on an attribute is not
        # atomic (a lost update once made a whole download "1 MiB short" on a busy machine).
        self._count_lock = threading.Lock()
        #: Bytes of a resumed temp file used as they were (see :meth:`count_kept`).
        self.kept_bytes = 0

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
            # Create first, check space second: a read-only folder must say "permission
            # denied", not "disk full".
            self._fd = self._adopt() if self._resume_from is not None else None
            self.resumed = self._fd is not None
            if self._fd is None:
                self._fd = self._create_temp()
            self._created = True
            if self.temp_dir is None:
                _mark(self._fd, self.temp_path)
            if self._expected_size:
                if not self.resumed:
                    ensure_free_space(self.target.parent, self._expected_size)
                _preallocate(self._fd, self._expected_size)
        except OSError as exc:
            self._discard()
            raise translate_os_error(exc, self.target, "writing") from exc

    def _create_temp(self) -> int:
        """Create the temp file; a staging folder that another writer just removed as empty
        is made again (a few tries)."""
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
        for attempt in range(3):
            if self.temp_dir is not None:
                self.temp_dir.mkdir(parents=True, exist_ok=True)
            if attempt == 0:
                sweep_stale_partials(self.target, self.temp_dir)
            try:
                return os.open(self.temp_path, flags, 0o644)
            except FileNotFoundError:
                if self.temp_dir is None or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _adopt(self) -> int | None:
        """Take over the kept temp file: rename it to this writer's name, then open it."""
        assert self._resume_from is not None
        source = str(self._resume_from)
        try:
            os.rename(source, self.temp_path)  # atomic: of two adopters, one wins
        except OSError:
            return None
        _released.discard(source)
        try:
            return os.open(self.temp_path, os.O_RDWR | os.O_CLOEXEC)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(self.temp_path)
            return None

    def count_kept(self, size: int) -> None:
        """Count ``size`` bytes of a resumed file as written (they are on disk already)."""
        self.bytes_written += size
        self.kept_bytes += size

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
        with self._count_lock:
            self.bytes_written += len(data)

    def pwrite_sync(self, offset: int, data: bytes | memoryview) -> None:
        """Write ``data`` at ``offset`` from a worker thread started by :meth:`run`.

        Safe from several threads at once (parallel ranges): the byte count is locked.
        """
        self._pwrite_all(offset, data)
        with self._count_lock:
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
            if exc is not None and self._keep_on is not None and self._keep_on(exc):
                await self._keep_when_idle()
                return
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

    async def _keep_when_idle(self) -> None:
        """Close the temp file but keep it (with its resume record) for a later run."""
        await self._calls.settle()
        await asyncio.shield(self._calls.run(self._keep))

    def _keep(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
        if self._created:
            _released.add(str(self.temp_path))
            _no_kept.pop(str(self.temp_path.parent), None)
            self._created = False
            logger.info("Kept partial file %s for a resume", self.temp_path)

    def _commit(self) -> None:
        assert self._fd is not None
        if self._expected_size is not None and self.bytes_written != self._expected_size:
            raise ChecksumMismatchError(
                f"Incomplete write of {self.target}: {self.bytes_written} of "
                f"{self._expected_size} bytes arrived; nothing was saved. Try again.",
                path=str(self.target),
            )
        try:
            # The final file is the user's, not a temp file any more.
            with contextlib.suppress(OSError, AttributeError):
                os.removexattr(self._fd, RESUME_XATTR)
            if self.temp_dir is None:
                with contextlib.suppress(OSError):
                    os.removexattr(self._fd, MARKER_XATTR)
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None
            os.replace(self.temp_path, self.target)
            self._created = False
            _fsync_dir(self.target.parent)
            if self.temp_dir is not None:
                _fsync_dir(self.temp_dir)  # the temp name is gone from there too
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
