"""Compare the local store with a remote one: list both sides once, classify every file.

Both sides are listed page by page (no request per object). Files present on both sides are
compared by content (see :mod:`file_storage.sync.hashing`): the ETag is recomputed from the local
bytes (a plain MD5, or a multipart ETag with a usual part size or, asked with one HEAD, the
object's real part layout). The object's ``sha256`` metadata is a claim anyone can write: it
decides only when no content check exists, and then the entry says ``unverified``. With sync
history (:class:`~file_storage.sync.index.SyncIndex`), a difference is attributed to the side
that changed, and a file missing on one side is told apart as deleted there or new here; a local
file is trusted unchanged only while size, mtime, ctime and inode all are.

Names that cannot be compared are skipped with one reason each (an unsafe key, a path deeper than
the system allows, a file and a folder of the same name), and the rest goes on. ``temp/`` is
scratch space and never compared or synced.
"""

from __future__ import annotations

import asyncio
import enum
import inspect
import logging
import os
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from file_storage.backends.base import ObjectInfo, StorageBackend
from file_storage.backends.local import LocalStorageBackend
from file_storage.backends.s3.backend import S3StorageBackend
from file_storage.errors import (
    NotSupportedError,
    ObjectNotFoundError,
    SourceChangedError,
    StorageError,
)
from file_storage.paths import validate_path
from file_storage.sync.hashing import (
    LocalHasher,
    Need,
    etag_proves,
    multipart_count,
    need_for,
    uniform_part_size,
)
from file_storage.sync.index import LocalDigest, SyncIndex, SyncRecord, pair_id

logger = logging.getLogger(__name__)

#: Never compared or synced: the scratch folder (the sync trash lives inside it).
EXCLUDED_TOP = "temp"
#: The note of a file judged only by the sha256 its uploader recorded (no content check).
UNVERIFIED_NOTE = "unverified: judged by the uploader's sha256 metadata; the ETag proves nothing"


class FileState(enum.StrEnum):
    """How one file differs between the local store and the remote one."""

    ONLY_LOCAL = "only-local"
    ONLY_REMOTE = "only-remote"
    IDENTICAL = "identical"
    DIFFERENT = "different"
    CHANGED_LOCAL = "changed-local"
    CHANGED_REMOTE = "changed-remote"
    CONFLICT = "conflict"
    DELETED_LOCAL = "deleted-local"
    DELETED_REMOTE = "deleted-remote"


@dataclass(frozen=True, slots=True)
class LocalFile:
    """A local file as listed: size and the stat identity the hash cache is keyed by.

    Attributes:
        ctime_ns: Changed by every write and metadata change, and settable by no one but the
            kernel: an in-place edit that restores size and mtime still changes it. ``None``
            (not known) means the file is never trusted by stat alone.
    """

    path: str
    size: int
    mtime_ns: int
    inode: int
    ctime_ns: int | None = None

    def identity(self) -> tuple[int, int, int, int | None]:
        """(size, mtime_ns, inode, ctime_ns): what must be unchanged to trust a cached hash."""
        return self.size, self.mtime_ns, self.inode, self.ctime_ns

    @property
    def modified(self) -> datetime:
        return datetime.fromtimestamp(self.mtime_ns / 1e9, UTC)


@dataclass(slots=True)
class Entry:
    """The comparison of one path.

    Attributes:
        local, remote: The file on each side, or ``None`` where it is missing.
        sha256: The local content's SHA-256 when it was needed (else ``None``).
        remote_sha256: The remote content's SHA-256 when known (history or metadata).
        history: What both sides held after the last sync, if this path was synced before.
        note: Why a file was judged the way it was, when that is not obvious.
    """

    path: str
    state: FileState
    local: LocalFile | None = None
    remote: ObjectInfo | None = None
    sha256: str | None = None
    remote_sha256: str | None = None
    history: SyncRecord | None = None
    note: str = ""


@dataclass(slots=True)
class CompareStats:
    """What a compare cost: files listed, content read, extra requests, time."""

    local_files: int = 0
    remote_files: int = 0
    local_bytes: int = 0
    remote_bytes: int = 0
    files_hashed: int = 0
    bytes_hashed: int = 0
    head_requests: int = 0
    seconds: float = 0.0


@dataclass(slots=True)
class CompareResult:
    """Every file under ``prefix`` with its :class:`FileState`, plus what was skipped."""

    prefix: str
    pair: str
    entries: list[Entry] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    stats: CompareStats = field(default_factory=CompareStats)

    def counts(self) -> Counter[FileState]:
        """Number of files in each state."""
        return Counter(entry.state for entry in self.entries)

    def by_state(self, *states: FileState) -> list[Entry]:
        """The entries in any of ``states``."""
        return [entry for entry in self.entries if entry.state in states]

    def entry(self, path: str) -> Entry | None:
        """The entry of ``path``, if it is in the comparison."""
        return next((e for e in self.entries if e.path == path), None)


def is_excluded(path: str) -> bool:
    """Tell whether ``path`` is in the never-synced scratch folder."""
    return path == EXCLUDED_TOP or path.startswith(EXCLUDED_TOP + "/")


async def compare(
    local: LocalStorageBackend,
    remote: StorageBackend,
    index: SyncIndex | None,
    prefix: str = "",
    *,
    part_sizes: tuple[int, ...] | None = None,
    record_identical: bool = True,
) -> CompareResult:
    """List both sides of ``prefix`` once and classify every file.

    Args:
        local: The local store.
        remote: The other store (normally S3).
        index: Hash cache and sync history; ``None`` compares by content without history.
        prefix: A folder ("" for everything, ``users/user_000042``, a recording folder).
        part_sizes: Multipart part sizes (bytes) to try first when recomputing ETags; by
            default the remote's configured part size.
        record_identical: Record files found identical as synced, so the next compare needs
            no content at all for them (not those judged by metadata alone: they stay
            ``unverified`` until a content check is possible).

    Raises:
        StorageError: Either side could not be listed (unreachable, no permission...).
    """
    started = time.monotonic()
    prefix = validate_path(prefix, allow_root=True)
    pair = pair_id(local.base_path, remote.describe())
    result = CompareResult(prefix, pair)
    preferred = part_sizes
    if preferred is None:
        preferred = (remote.tuning.part_size,) if isinstance(remote, S3StorageBackend) else ()
    hasher = LocalHasher(index, str(local.base_path))
    history: dict[str, SyncRecord] = {}
    if index is not None:
        await hasher.load(prefix)
        history = await index.load_history(pair, prefix)
    (local_files, local_skipped), (remote_files, remote_skipped) = await asyncio.gather(
        _list_local(local, prefix), _list_remote(remote, prefix)
    )
    result.skipped.extend(local_skipped + remote_skipped)
    stats = result.stats
    stats.local_files, stats.remote_files = len(local_files), len(remote_files)
    stats.local_bytes = sum(f.size for f in local_files.values())
    stats.remote_bytes = sum(o.size for o in remote_files.values())

    job = _Classifier(local, remote, hasher, preferred, stats)
    paths = sorted(set(local_files) | set(remote_files) | set(history))
    clashes = find_clashes(local_files, remote_files)
    result.skipped.extend(sorted(clashes.items()))
    slow: list[str] = []
    for path in paths:
        lf, ro, hist = local_files.get(path), remote_files.get(path), history.get(path)
        if lf is None and ro is None:
            continue  # deleted on both sides: the history entry is dropped below
        if path in clashes:
            continue
        quick = job.quick(path, lf, ro, hist)
        if quick is None:
            slow.append(path)
        else:
            result.entries.append(quick)

    async def classify(path: str) -> Entry | None:
        try:
            return await job.slow(
                path, local_files.get(path), remote_files.get(path), history.get(path)
            )
        except (SourceChangedError, ObjectNotFoundError, OSError, StorageError) as exc:
            result.skipped.append((path, f"could not be compared: {exc}"))
            return None

    for found in await asyncio.gather(*(classify(path) for path in slow)):
        if found is not None:
            result.entries.append(found)
    result.entries.sort(key=lambda e: e.path)
    await hasher.flush()
    if index is not None:
        gone = [p for p in history if p not in local_files and p not in remote_files]
        await index.forget_synced(pair, gone)
        if record_identical:
            now = time.time()
            await index.record_synced(
                pair,
                [
                    record_of(e, now)
                    for e in result.entries
                    if e.state is FileState.IDENTICAL
                    and e.sha256
                    and e.note != UNVERIFIED_NOTE  # a claim must not become our record
                    and not _history_current(e)
                ],
            )
    stats.files_hashed, stats.bytes_hashed = hasher.files_read, hasher.bytes_read
    stats.seconds = time.monotonic() - started
    logger.info(
        "compare %s: %d local, %d remote, %d hashed (%d bytes), %d HEAD, %.2fs",
        prefix or "/",
        stats.local_files,
        stats.remote_files,
        stats.files_hashed,
        stats.bytes_hashed,
        stats.head_requests,
        stats.seconds,
    )
    return result


def record_of(entry: Entry, when: float) -> SyncRecord:
    """The history record of an entry whose two sides hold the same content."""
    assert entry.local is not None
    assert entry.remote is not None
    assert entry.sha256 is not None
    return SyncRecord(
        entry.path,
        entry.local.size,
        entry.local.mtime_ns,
        entry.local.inode,
        entry.sha256,
        entry.remote.etag,
        entry.remote.size,
        when,
        entry.local.ctime_ns,
    )


def _history_current(entry: Entry) -> bool:
    hist, lf, ro = entry.history, entry.local, entry.remote
    return (
        hist is not None
        and lf is not None
        and ro is not None
        and _local_unchanged_by_stat(lf, hist)
        and _remote_unchanged(ro, hist)
    )


def _local_unchanged_by_stat(lf: LocalFile, hist: SyncRecord) -> bool:
    """Whether the file is provably untouched since the sync (a row without ctime is not)."""
    if lf.ctime_ns is None or hist.local_ctime_ns is None:
        return False
    return lf.identity() == (
        hist.local_size,
        hist.local_mtime_ns,
        hist.local_inode,
        hist.local_ctime_ns,
    )


def _remote_unchanged(ro: ObjectInfo, hist: SyncRecord) -> bool:
    return ro.etag is not None and ro.etag == hist.remote_etag and ro.size == hist.remote_size


class _Classifier:
    """Classifies paths; ``quick`` answers without I/O when it can, ``slow`` reads or asks."""

    def __init__(
        self,
        local: LocalStorageBackend,
        remote: StorageBackend,
        hasher: LocalHasher,
        preferred: tuple[int, ...],
        stats: CompareStats,
    ) -> None:
        self.local = local
        self.remote = remote
        self.hasher = hasher
        self.preferred = preferred
        self.stats = stats
        self._heads = asyncio.Semaphore(16)

    def quick(
        self, path: str, lf: LocalFile | None, ro: ObjectInfo | None, hist: SyncRecord | None
    ) -> Entry | None:
        if lf is not None and ro is not None:
            if (
                hist is not None
                and _local_unchanged_by_stat(lf, hist)
                and _remote_unchanged(ro, hist)
            ):
                return Entry(path, FileState.IDENTICAL, lf, ro, hist.sha256, hist.sha256, hist)
            if hist is None and lf.size != ro.size:
                return Entry(path, FileState.DIFFERENT, lf, ro, note="sizes differ")
            return None
        if lf is not None:
            if hist is None:
                return Entry(path, FileState.ONLY_LOCAL, lf)
            if _local_unchanged_by_stat(lf, hist):
                return Entry(path, FileState.DELETED_REMOTE, lf, sha256=hist.sha256, history=hist)
            return None
        assert ro is not None
        if hist is None:
            return Entry(path, FileState.ONLY_REMOTE, remote=ro)
        if _remote_unchanged(ro, hist):
            return Entry(
                path, FileState.DELETED_LOCAL, remote=ro, remote_sha256=hist.sha256, history=hist
            )
        return Entry(path, FileState.CHANGED_REMOTE, remote=ro, history=hist, note="deleted here")

    async def slow(
        self, path: str, lf: LocalFile | None, ro: ObjectInfo | None, hist: SyncRecord | None
    ) -> Entry:
        if ro is None:
            assert lf is not None
            assert hist is not None
            current = await self._digest(lf, Need())
            state = (
                FileState.DELETED_REMOTE
                if current.sha256 == hist.sha256
                else FileState.CHANGED_LOCAL
            )
            return Entry(path, state, lf, sha256=current.sha256, history=hist)
        assert lf is not None
        # Our own record of this very ETag is trusted; the object's sha256 metadata is only a
        # claim (anyone can write it), used when no content check is possible.
        remote_sha = hist.sha256 if hist is not None and _remote_unchanged(ro, hist) else None
        same, digest, remote_sha, note = await self._same(lf, ro, remote_sha)
        entry = Entry(
            path,
            FileState.IDENTICAL,
            lf,
            ro,
            digest.sha256 if digest else None,
            remote_sha,
            hist,
            note,
        )
        if same:
            return entry
        if hist is None:
            entry.state = FileState.DIFFERENT
            return entry
        if digest is None:
            digest = await self._digest(lf, Need())
            entry.sha256 = digest.sha256
        local_changed = not _local_unchanged_by_stat(lf, hist) and digest.sha256 != hist.sha256
        remote_changed = not _remote_unchanged(ro, hist)
        if local_changed and remote_changed:
            entry.state = FileState.CONFLICT
        elif local_changed:
            entry.state = FileState.CHANGED_LOCAL
        elif remote_changed:
            entry.state = FileState.CHANGED_REMOTE
        else:
            entry.state = FileState.DIFFERENT
        return entry

    async def _same(
        self, lf: LocalFile, ro: ObjectInfo, known_sha: str | None
    ) -> tuple[bool, LocalDigest | None, str | None, str]:
        """Decide by content; returns (same, local digest, remote SHA-256, note).

        Proof, best first: the sync history's SHA-256 for this very ETag (``known_sha``); the
        ETag itself (a plain MD5, or a multipart ETag recomputed with a likely part size or
        with the object's real part layout); only when no content check is possible, the
        object's sha256 metadata, which is a claim: a content check that contradicts it wins.
        """
        if lf.size != ro.size:
            return False, None, known_sha, "sizes differ"
        if known_sha:
            digest = await self._digest(lf, Need())
            return digest.sha256 == known_sha, digest, known_sha, ""
        proven, digest = await self.check_content(lf, ro)
        if proven is not None:
            return proven, digest, digest.sha256 if proven else None, ""
        async with self._heads:
            self.stats.head_requests += 1
            info = await self.remote.stat(ro.path)
        if info.sha256:
            return (
                digest.sha256 == info.sha256,
                digest,
                info.sha256,
                UNVERIFIED_NOTE,
            )
        return False, digest, None, "content cannot be verified from the ETag; treated as different"

    async def check_content(self, lf: LocalFile, ro: ObjectInfo) -> tuple[bool | None, LocalDigest]:
        """What the object's ETag proves about the local file (same size assumed).

        Returns:
            ``True``/``False`` when the ETag decides (a plain MD5, or a multipart ETag recomputed
            with a usual part size or the object's real layout), ``None`` when it cannot (an
            opaque ETag, or a server that tells no layout), with the local digest.
        """
        cached = self.hasher.cached(lf.path, lf.size, lf.mtime_ns, lf.inode, lf.ctime_ns)
        decided = None if cached is None else etag_proves(cached, ro.etag, ro.size)
        if cached is not None and decided is not None:
            return decided, cached
        count = multipart_count(ro.etag)
        need = need_for(ro.etag, ro.size, self.preferred)
        layout: list[int] | None = None
        if count is not None and not need.part_sizes:
            # No usual part size gives this many parts: ask the real layout (one HEAD) rather
            # than read the file once for nothing.
            layout = await self._layout(ro, exact=False)
            if layout is not None and (size := uniform_part_size(layout)) is not None:
                need = Need(part_sizes=(size,))
        digest = await self._digest(lf, need)
        proven = etag_proves(digest, ro.etag, ro.size)
        if proven is None and count is not None:
            proven, digest = await self._by_layout(lf, ro, digest, layout)
        return proven, digest

    async def _layout(self, ro: ObjectInfo, *, exact: bool) -> list[int] | None:
        """The object's part lengths from the remote (``None``: unknown or not multipart)."""
        fetch = getattr(self.remote, "part_sizes", None)
        if fetch is None:
            return None
        async with self._heads:
            self.stats.head_requests += 1
            try:
                layout = await _call_part_sizes(fetch, ro.path, ro.etag, exact=exact)
            except NotSupportedError as exc:
                logger.info("no part layout for %s: %s", ro.path, exc)
                return None
        if not layout or sum(layout) != ro.size or len(layout) != multipart_count(ro.etag):
            return None
        return layout

    async def _by_layout(
        self, lf: LocalFile, ro: ObjectInfo, digest: LocalDigest, layout: list[int] | None
    ) -> tuple[bool | None, LocalDigest]:
        """Recompute the multipart ETag with the object's real layout: a decisive answer.

        A layout guessed from part 1 alone that does not match is confirmed with every part's
        length before the answer is "different" (with one or two parts, part 1's length and the
        total already are the whole layout).
        """
        if layout is None:
            layout = await self._layout(ro, exact=False)
            if layout is None:
                return None, digest
        proven, digest = await self._layout_matches(lf, ro, digest, layout)
        if proven or len(layout) <= 2:
            return proven, digest
        exact = await self._layout(ro, exact=True)
        if exact is None:
            return None, digest
        if exact != layout:
            proven, digest = await self._layout_matches(lf, ro, digest, exact)
        return proven, digest

    async def _layout_matches(
        self, lf: LocalFile, ro: ObjectInfo, digest: LocalDigest, layout: list[int]
    ) -> tuple[bool, LocalDigest]:
        size = uniform_part_size(layout)
        if size is not None:
            digest = await self._digest(lf, Need(part_sizes=(size,)))
            return digest.parts.get(size) == ro.etag, digest
        full = self.local.base_path / lf.path
        sha, etag = await self.hasher.layout_etag(full, layout)
        if sha != digest.sha256:
            raise SourceChangedError(
                f"{lf.path} changed while it was being compared.", path=lf.path
            )
        return etag == ro.etag, digest

    async def _digest(self, lf: LocalFile, need: Need) -> LocalDigest:
        full = self.local.base_path / lf.path
        return await self.hasher.digest(
            lf.path, full, lf.size, lf.mtime_ns, lf.inode, need, ctime_ns=lf.ctime_ns
        )


async def _call_part_sizes(
    fetch: Callable[..., Awaitable[list[int] | None]], path: str, etag: str | None, *, exact: bool
) -> list[int] | None:
    """Call the remote's ``part_sizes`` with whichever options it takes (``exact``, ``etag``)."""
    try:
        accepted = inspect.signature(fetch).parameters
    except (TypeError, ValueError):
        accepted = {}  # type: ignore[assignment]
    kwargs: dict[str, object] = {}
    if "exact" in accepted:
        kwargs["exact"] = exact
    if "etag" in accepted:
        kwargs["etag"] = etag
    return await fetch(path, **kwargs)


async def _list_local(
    local: LocalStorageBackend, prefix: str
) -> tuple[dict[str, LocalFile], list[tuple[str, str]]]:
    files: dict[str, LocalFile] = {}
    skipped: list[tuple[str, str]] = []
    base = local.base_path
    async for page in local.iter_pages(prefix):
        paths = [info.path for info in page.files if not is_excluded(info.path)]
        found, unreadable = await asyncio.to_thread(_stat_many, base, paths)
        for path, st in found:
            files[path] = LocalFile(path, st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
        skipped.extend(unreadable)
        reasons = dict(getattr(page, "skipped", ()))
        skipped.extend(
            (name, reasons.get(name, "not a safe storage path (skipped)"))
            for name in page.unsafe_keys
            if not is_excluded(name)
        )
    return files, skipped


def _stat_many(
    base: Path, paths: list[str]
) -> tuple[list[tuple[str, os.stat_result]], list[tuple[str, str]]]:
    found = []
    unreadable = []
    for path in paths:
        try:
            found.append((path, os.stat(base / path)))
        except FileNotFoundError:
            continue  # deleted while we listed
        except OSError as exc:
            unreadable.append((path, f"cannot be read: {exc.strerror or exc} (skipped)"))
    return found, unreadable


def find_clashes(*sides: Iterable[str]) -> dict[str, str]:
    """Paths that cannot all exist on one disk: a file that is also the folder of other files.

    S3 may hold ``a/c`` and ``a/c/x`` side by side; a local folder cannot. Each clashing path
    (the file, and every file under the folder of the same name) gets one reason that names
    what it clashes with, so the rest of a sync goes on.

    Returns:
        ``{path: reason}``, empty in the usual case.
    """
    files: set[str] = set()
    for side in sides:
        files.update(side)
    under: dict[str, str] = {}  # folder -> one file inside it
    for path in files:
        folder = path.rpartition("/")[0]
        while folder and folder not in under:
            under[folder] = path
            folder = folder.rpartition("/")[0]
    clashing = [path for path in files if path in under]
    if not clashing:
        return {}
    reasons: dict[str, str] = {}
    for path in clashing:
        reasons[path] = (
            f"name clash: {path} is a file and also the folder of {under[path]}; a local disk "
            "cannot hold both, rename one of them (skipped)"
        )
    for path in files:
        folder = path.rpartition("/")[0]
        while folder:
            if folder in reasons and path not in reasons:
                reasons[path] = (
                    f"name clash: its folder {folder} is also a file; a local disk cannot hold "
                    "both, rename one of them (skipped)"
                )
                break
            folder = folder.rpartition("/")[0]
    return reasons


async def _list_remote(
    remote: StorageBackend, prefix: str
) -> tuple[dict[str, ObjectInfo], list[tuple[str, str]]]:
    files: dict[str, ObjectInfo] = {}
    skipped: list[tuple[str, str]] = []
    async for page in remote.iter_pages(prefix):
        for info in page.files:
            if not is_excluded(info.path):
                files[info.path] = info
        skipped.extend(
            (key, "bucket key is not a safe local path; skipped, never written to disk")
            for key in page.unsafe_keys
        )
    return files, skipped
