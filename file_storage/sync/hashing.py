"""Content identity: local hashes (cached) and what S3 ETags can prove about content.

An object's content is known from (best first) the SHA-256 recorded in the sync history for its
current ETag, a plain MD5 ETag (single-part upload without SSE-KMS), or a multipart ETag
(``md5(part md5s)-N``) recomputed from the local file with each plausible part size, or with
the object's real part layout (:func:`hash_file_layout` for parts of different lengths). Sizes
and mtimes alone never decide that two files are identical.

Local digests are cached in the :class:`~file_storage.sync.index.SyncIndex` by (size,
``mtime_ns``, ``ctime_ns``, inode). The SHA-256 the local backend keeps in an extended attribute
is not used here: it is keyed by size and mtime only, which an in-place edit can keep.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from file_storage.backends.s3.transfer import choose_part_size
from file_storage.errors import SourceChangedError
from file_storage.sync.index import LocalDigest, SyncIndex

MiB = 1024 * 1024
READ_SIZE = MiB
#: Part sizes that common clients use (ours, aws CLI, s5cmd, rclone, MinIO mc, consoles).
COMMON_PART_SIZES_MIB = (16, 8, 5, 10, 15, 25, 32, 50, 64, 100, 128, 256, 512)

_MD5_RE = re.compile(r"^[0-9a-f]{32}$")
_MULTIPART_RE = re.compile(r"^[0-9a-f]{32}-(\d+)$")


def is_plain_md5(etag: str | None) -> bool:
    """Tell whether an ETag is a plain MD5 of the content (a single-part upload)."""
    return bool(etag) and _MD5_RE.match(etag or "") is not None


def multipart_count(etag: str | None) -> int | None:
    """Return N for a multipart ETag ``<md5>-N``, else ``None``."""
    match = _MULTIPART_RE.match(etag or "")
    return int(match.group(1)) if match else None


def candidate_part_sizes(size: int, parts: int, preferred: Sequence[int] = ()) -> list[int]:
    """Part sizes that split ``size`` bytes into exactly ``parts`` parts, likeliest first.

    Args:
        preferred: Part sizes in bytes to try first (our configured one).
    """
    found: list[int] = []
    for wanted in (*preferred, *(n * MiB for n in COMMON_PART_SIZES_MIB)):
        part = choose_part_size(size, wanted)
        if part not in found and part > 0 and math.ceil(size / part) == parts:
            found.append(part)
    return found


def multipart_etag(part_md5s: Iterable[bytes]) -> str:
    """The S3 ETag of a multipart upload from its parts' raw MD5 digests."""
    digests = list(part_md5s)
    return f"{hashlib.md5(b''.join(digests)).hexdigest()}-{len(digests)}"  # noqa: S324


def uniform_part_size(layout: Sequence[int]) -> int | None:
    """The part size of a layout where every part but the last has it (and the last is not
    longer); ``None`` for an irregular layout."""
    if not layout or any(size != layout[0] for size in layout[:-1]) or layout[-1] > layout[0]:
        return None
    return layout[0]


def _identity(st: os.stat_result) -> tuple[int, int, int, int]:
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino


def hash_file_layout(path: Path, layout: Sequence[int]) -> tuple[os.stat_result, str, str]:
    """Read ``path`` once: its stat, SHA-256 and the multipart ETag for exactly ``layout``.

    For objects whose parts differ in length (blocking; call it in a worker thread).

    Raises:
        SourceChangedError: The file changed while it was read.
        OSError: It could not be read.
    """
    sha = hashlib.sha256()
    digests: list[bytes] = []
    with open(path, "rb") as handle:
        before = os.fstat(handle.fileno())
        for size in layout:
            part = hashlib.md5()  # noqa: S324 - S3's ETag, not security
            remaining = size
            while remaining and (chunk := handle.read(min(READ_SIZE, remaining))):
                sha.update(chunk)
                part.update(chunk)
                remaining -= len(chunk)
            digests.append(part.digest())
        while chunk := handle.read(READ_SIZE):  # longer than the layout: a different ETag
            sha.update(chunk)
            digests.append(b"")
        after = os.fstat(handle.fileno())
    if _identity(before) != _identity(after):
        raise SourceChangedError(f"{path} changed while it was being compared.", path=str(path))
    return after, sha.hexdigest(), multipart_etag(digests)


def hash_file(
    path: Path, *, md5: bool, part_sizes: Sequence[int] = ()
) -> tuple[os.stat_result, str, str | None, dict[int, str]]:
    """Read ``path`` once and return its stat, SHA-256, MD5 and multipart ETags (blocking).

    Raises:
        SourceChangedError: The file changed while it was read.
        OSError: It could not be read.
    """
    sha = hashlib.sha256()
    whole = hashlib.md5() if md5 else None  # noqa: S324 - S3's ETag, not security
    parts: dict[int, list[bytes]] = {size: [] for size in part_sizes}
    current = {size: hashlib.md5() for size in part_sizes}  # noqa: S324
    filled = dict.fromkeys(part_sizes, 0)
    with open(path, "rb") as handle:
        before = os.fstat(handle.fileno())
        while chunk := handle.read(READ_SIZE):
            sha.update(chunk)
            if whole is not None:
                whole.update(chunk)
            for size in part_sizes:
                view = memoryview(chunk)
                while view:
                    take = min(len(view), size - filled[size])
                    current[size].update(view[:take])
                    filled[size] += take
                    view = view[take:]
                    if filled[size] == size:
                        parts[size].append(current[size].digest())
                        current[size] = hashlib.md5()  # noqa: S324
                        filled[size] = 0
        after = os.fstat(handle.fileno())
    if _identity(before) != _identity(after):
        raise SourceChangedError(f"{path} changed while it was being compared.", path=str(path))
    etags: dict[int, str] = {}
    for size in part_sizes:
        digests = parts[size]
        if filled[size]:
            digests = [*digests, current[size].digest()]
        etags[size] = multipart_etag(digests)
    return after, sha.hexdigest(), whole.hexdigest() if whole else None, etags


@dataclass(frozen=True, slots=True)
class Need:
    """Which hashes a comparison needs from a local file."""

    md5: bool = False
    part_sizes: tuple[int, ...] = ()


class LocalHasher:
    """Hashes local files on demand, at most ``concurrency`` at a time, through the cache.

    Args:
        index: Where digests are cached (``None``: no cache, for one-off checks).
        root: Id of the local store in the cache (its absolute path).
    """

    def __init__(self, index: SyncIndex | None, root: str, *, concurrency: int = 4) -> None:
        self._index = index
        self._root = root
        self._cache: dict[str, LocalDigest] = {}
        self._dirty: dict[str, LocalDigest] = {}
        self._limit = asyncio.Semaphore(concurrency)
        self.files_read = 0
        self.bytes_read = 0

    async def load(self, prefix: str = "") -> None:
        """Load cached digests under ``prefix`` in one query."""
        if self._index is not None:
            self._cache.update(await self._index.load_hashes(self._root, prefix))

    def cached(
        self, path: str, size: int, mtime_ns: int, inode: int, ctime_ns: int | None
    ) -> LocalDigest | None:
        """Return the cached digest if it still matches the file's whole stat identity."""
        digest = self._cache.get(path)
        if digest is None or ctime_ns is None:
            return None
        return digest if digest.matches(size, mtime_ns, inode, ctime_ns) else None

    async def digest(
        self,
        path: str,
        full: Path,
        size: int,
        mtime_ns: int,
        inode: int,
        need: Need = Need(),
        *,
        ctime_ns: int | None = None,
    ) -> LocalDigest:
        """Return a digest of ``full`` holding at least what ``need`` asks for.

        Without ``ctime_ns`` the cache is not consulted (the file is read).

        Raises:
            SourceChangedError: The file changed while being read.
            OSError: The file could not be read.
        """
        known = self.cached(path, size, mtime_ns, inode, ctime_ns)
        missing_parts = tuple(p for p in need.part_sizes if known is None or p not in known.parts)
        if known is not None and not missing_parts and (not need.md5 or known.md5 is not None):
            return known
        want_md5 = need.md5 or known is None or known.md5 is not None
        async with self._limit:
            st, sha, md5, etags = await asyncio.to_thread(
                hash_file, full, md5=want_md5, part_sizes=missing_parts
            )
        self.files_read += 1
        self.bytes_read += st.st_size
        parts = dict(known.parts) if known is not None and known.sha256 == sha else {}
        parts.update(etags)
        return self._remember(
            path,
            LocalDigest(st.st_size, st.st_mtime_ns, st.st_ino, sha, md5, parts, st.st_ctime_ns),
        )

    async def layout_etag(self, full: Path, layout: Sequence[int]) -> tuple[str, str]:
        """SHA-256 and the multipart ETag of ``full`` for an irregular part layout (not cached:
        such layouts are rare, and belong to one object, not to the file)."""
        async with self._limit:
            st, sha, etag = await asyncio.to_thread(hash_file_layout, full, layout)
        self.files_read += 1
        self.bytes_read += st.st_size
        return sha, etag

    def remember(self, path: str, digest: LocalDigest) -> LocalDigest:
        """Cache a digest computed elsewhere (after a verified transfer)."""
        return self._remember(path, digest)

    def _remember(self, path: str, digest: LocalDigest) -> LocalDigest:
        self._cache[path] = digest
        self._dirty[path] = digest
        return digest

    async def flush(self) -> None:
        """Write new digests to the cache."""
        dirty, self._dirty = self._dirty, {}
        if self._index is not None and dirty:
            await self._index.save_hashes(self._root, dirty.items())


def etag_proves(digest: LocalDigest, etag: str | None, size: int) -> bool | None:
    """Say whether an S3 ETag proves the object equals the local file.

    Returns:
        ``True`` or ``False`` when the ETag decides it, ``None`` when it cannot (an opaque
        ETag, or a multipart ETag whose part size is not among the computed ones).
    """
    if size != digest.size:
        return False
    if is_plain_md5(etag):
        return None if digest.md5 is None else digest.md5 == etag
    count = multipart_count(etag)
    if count is None:
        return None
    if any(value == etag for value in digest.parts.values()):
        return True
    return None


def need_for(etag: str | None, size: int, preferred: Sequence[int] = ()) -> Need:
    """What must be hashed locally to check a file against an object with this ETag."""
    if is_plain_md5(etag):
        return Need(md5=True)
    count = multipart_count(etag)
    if count is not None:
        return Need(part_sizes=tuple(candidate_part_sizes(size, count, preferred)))
    return Need()
