"""Upload sources: what an upload reads from, with the checks that make it safe.

An upload needs the content's size and SHA-256 before it starts (the hash goes into the object's
metadata, which S3 fixes when the upload is created), then reads it in parts, possibly several at
once. A source also says whether it changed while it was read (RELIABILITY R3, R6).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from file_storage.atomic import translate_os_error
from file_storage.errors import SourceChangedError
from file_storage.io_threads import ThreadCalls

HASH_CHUNK = 4 * 1024 * 1024
#: Files up to this size are read and hashed in the same worker-thread hop that opens them.
PREFETCH_LIMIT = 1024 * 1024


class UploadSource(Protocol):
    """What :meth:`StorageBackend.upload_source` reads from."""

    @property
    def size(self) -> int:
        """Declared size in bytes."""

    @property
    def description(self) -> str:
        """How to name the source in messages (a file path, "memory")."""

    async def read_at(self, offset: int, length: int) -> bytes:
        """Return up to ``length`` bytes at ``offset`` (fewer only at the end)."""

    async def sha256(self) -> str:
        """Return the hex SHA-256 of the whole content."""

    async def check_unchanged(self) -> None:
        """Raise :class:`SourceChangedError` if the content changed since it was opened."""


class BytesSource:
    """A small in-memory payload (transcriptions, thumbnails; never a whole video)."""

    def __init__(self, content: bytes, description: str = "memory") -> None:
        self._content = memoryview(content)
        self.description = description

    @property
    def size(self) -> int:
        return len(self._content)

    async def read_at(self, offset: int, length: int) -> bytes:
        return bytes(self._content[offset : offset + length])

    async def sha256(self) -> str:
        if len(self._content) > HASH_CHUNK:
            return await asyncio.to_thread(lambda: hashlib.sha256(self._content).hexdigest())
        return hashlib.sha256(self._content).hexdigest()

    async def check_unchanged(self) -> None:
        return None


@dataclass(frozen=True)
class _Identity:
    size: int
    mtime_ns: int
    ctime_ns: int  # nobody can set ctime back, unlike mtime (touch -r, rsync -t)
    inode: int
    device: int


class FileSource:
    """A local file read with ``pread`` in worker threads, guarded against changes.

    Use as an async context manager; the descriptor stays open for the whole upload so a rename
    or replace of the path during the upload cannot switch files under us.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.description = str(path)
        self._fd: int | None = None
        self._identity: _Identity | None = None
        self._sha256: str | None = None
        self._content: bytes | None = None
        self._calls = ThreadCalls()

    async def __aenter__(self) -> FileSource:
        await self._calls.run(self._open)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        # A cancelled read may still be running in its thread: close only after it returns.
        await self._calls.settle()
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)

    def _open(self) -> None:
        try:
            self._fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
            self._identity = self._stat()
        except OSError as exc:
            raise translate_os_error(exc, self.path, "reading") from exc
        if not os.path.isfile(self.path):
            os.close(self._fd)
            self._fd = None
            raise SourceChangedError(f"{self.path} is not a regular file.", path=str(self.path))
        if self._identity.size <= PREFETCH_LIMIT:
            # A small file costs one hop for open, stat, read and hash, not four.
            try:
                content = os.pread(self._fd, self._identity.size + 1, 0)
            except OSError as exc:
                raise translate_os_error(exc, self.path, "reading") from exc
            if len(content) == self._identity.size:
                self._content = content
                self._sha256 = hashlib.sha256(content).hexdigest()

    def _stat(self) -> _Identity:
        assert self._fd is not None
        st = os.fstat(self._fd)
        return _Identity(st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)

    @property
    def size(self) -> int:
        assert self._identity is not None, "FileSource used outside its 'async with' block"
        return self._identity.size

    @property
    def mtime_ns(self) -> int:
        """The file's modification time when it was opened (recorded as ``mtime`` on S3)."""
        assert self._identity is not None, "FileSource used outside its 'async with' block"
        return self._identity.mtime_ns

    async def read_at(self, offset: int, length: int) -> bytes:
        assert self._fd is not None
        if self._content is not None:
            return self._content[offset : offset + length]
        fd = self._fd
        try:
            return await self._calls.run(os.pread, fd, length, offset)
        except OSError as exc:
            raise translate_os_error(exc, self.path, "reading") from exc

    async def read_into(self, offset: int, buffer: memoryview) -> int:
        """Fill ``buffer`` from ``offset``; return how many bytes were read (fewer at the end)."""
        assert self._fd is not None
        fd = self._fd
        try:
            return await self._calls.run(_pread_into, fd, buffer, offset)
        except OSError as exc:
            raise translate_os_error(exc, self.path, "reading") from exc

    async def sha256(self) -> str:
        """Hash the file in worker-thread steps, so a cancel stops it between two steps."""
        if self._sha256 is None:
            assert self._fd is not None
            digest = hashlib.sha256()
            offset = 0
            while True:
                read = await self._calls.run(self._hash_step, digest, offset)
                if not read:
                    break
                offset += read
            if offset != self.size:
                raise SourceChangedError(
                    f"{self.path} changed size while it was being read ({offset} bytes, "
                    f"expected {self.size}); nothing was uploaded.",
                    path=str(self.path),
                )
            self._sha256 = digest.hexdigest()
        return self._sha256

    def _hash_step(self, digest: hashlib._Hash, offset: int) -> int:
        """Hash up to 64 MiB from ``offset``; return how many bytes were read."""
        assert self._fd is not None
        buffer = bytearray(HASH_CHUNK)  # reused: no 4 MiB allocation per chunk
        view = memoryview(buffer)
        done = 0
        while done < 16 * HASH_CHUNK:
            read = os.preadv(self._fd, [view], offset + done)
            if not read:
                break
            digest.update(view[:read])
            done += read
        return done

    def _changed(self) -> bool:
        """Compare the open file and the path with what was opened (one worker-thread hop)."""
        now = self._stat()
        try:
            st = os.stat(self.path)
            path_changed = (st.st_ino, st.st_dev) != (now.inode, now.device)
        except FileNotFoundError:
            path_changed = True
        return now != self._identity or path_changed

    async def check_unchanged(self) -> None:
        if await self._calls.run(self._changed):
            raise SourceChangedError(
                f"{self.path} was modified while it was being transferred; nothing was "
                "committed. Wait until the file is complete and try again.",
                path=str(self.path),
            )


def _pread_into(fd: int, buffer: memoryview, offset: int) -> int:
    """Read into ``buffer`` at ``offset`` until it is full or the file ends."""
    done = 0
    while done < len(buffer):
        read = os.preadv(fd, [buffer[done:]], offset + done)
        if not read:
            break
        done += read
    return done
