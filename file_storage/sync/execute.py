"""Run a sync plan: bounded concurrency, every copy verified, nothing lost on the way.

Each action runs through a *runner*: ``await runner(action, work)`` must call ``await
work(progress)`` once (or again, to retry) and raise what it raised. :func:`direct_runner` just
calls it; the desktop app passes one that queues the work in its job queue, so sync transfers get
the queue's progress, cancel, retry and limits.

Every action first checks that the files it touches are still what the compare saw, so a file
changed in the meantime is skipped instead of overwritten. What is replaced or deleted goes to
``temp/.trash/<timestamp>/`` on its side first. Copies are verified (size and SHA-256 for
uploads; SHA-256, MD5 or multipart ETag for downloads) before they take the final name.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from file_storage.backends.base import DownloadResult, ObjectInfo, StorageBackend
from file_storage.backends.local import LocalStorageBackend
from file_storage.backends.s3.backend import S3StorageBackend
from file_storage.errors import (
    ChecksumMismatchError,
    ObjectChangedError,
    SourceChangedError,
    StorageError,
    WriteConflictError,
)
from file_storage.paths import MAX_COMPONENT_BYTES
from file_storage.progress import ProgressCallback
from file_storage.sync.compare import Entry
from file_storage.sync.hashing import LocalHasher, Need, etag_proves, hash_file, need_for
from file_storage.sync.index import LocalDigest, SyncIndex, SyncRecord, pair_id
from file_storage.sync.linking import link_or_copy_name, move_new, rename_noreplace
from file_storage.sync.plan import Action, ActionKind, SyncPlan
from file_storage.sync.trash import (
    purge_trash,
    replace_local,
    stamp_of,
    trash_local,
    trash_remote,
)

logger = logging.getLogger(__name__)

StepWork = Callable[[ProgressCallback | None], Awaitable[None]]
Runner = Callable[[Action, StepWork], Awaitable[None]]
#: Called after each action with ``None`` (done) or the error message.
ActionCallback = Callable[[Action, str | None], None]

STAGING = "temp/.sync"


async def direct_runner(action: Action, work: StepWork) -> None:
    """Run the work at once, without progress reporting."""
    await work(None)


def conflict_path(path: str, side: str, stamp: str) -> str:
    """The name a conflict's losing version gets: ``name.conflict-<side>-<stamp>.ext``."""
    folder, _, name = path.rpartition("/")
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, ext = name, ""
    suffix = f".conflict-{side}-{stamp}" + (f".{ext}" if ext else "")
    room = MAX_COMPONENT_BYTES - len(suffix.encode())
    stem = stem.encode()[:room].decode(errors="ignore")
    return f"{folder}/{stem}{suffix}" if folder else f"{stem}{suffix}"


@dataclass(slots=True)
class SyncReport:
    """What a run did."""

    done: list[Action] = field(default_factory=list)
    failed: list[tuple[Action, str]] = field(default_factory=list)
    trashed: list[str] = field(default_factory=list)
    conflicts: list[tuple[str, str]] = field(default_factory=list)
    #: Downloads that passed without any proof (an SSE-KMS ETag and no recorded SHA-256...):
    #: ``(path, reason)``, to show beside the result (never silently).
    unverified: list[tuple[str, str]] = field(default_factory=list)
    bytes_copied: int = 0
    files_copied: int = 0
    files_deleted: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed


class SyncExecutor:
    """Runs :class:`SyncPlan` objects between one local store and one remote store.

    Args:
        local: The local store.
        remote: The remote store (normally S3).
        index: Where the sync history and hash cache go (the same one the compare used).
        runner: Runs each action's work (see the module docstring).
        concurrency: Actions in flight at once.
        trash_days: Trash folders older than this are purged at the start of a run
            (``None``: never purged here).
        track_locations: Also record which side holds each file (for the HYBRID backend).
        on_action: Called after each action with ``None`` or the error message.
        clock: ``time.time`` (injectable for tests of trash expiry and conflict names).
    """

    def __init__(
        self,
        local: LocalStorageBackend,
        remote: StorageBackend,
        index: SyncIndex | None,
        *,
        runner: Runner = direct_runner,
        concurrency: int = 8,
        trash_days: float | None = 30.0,
        track_locations: bool = False,
        on_action: ActionCallback | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.local = local
        self.remote = remote
        self.index = index
        self.runner = runner
        self.concurrency = concurrency
        self.trash_days = trash_days
        self.track_locations = track_locations
        self.on_action = on_action
        self.clock = clock
        self.pair = pair_id(local.base_path, remote.describe())
        self._hasher = LocalHasher(index, str(local.base_path))
        self._preferred = (remote.tuning.part_size,) if isinstance(remote, S3StorageBackend) else ()
        self._stamp = stamp_of(clock())
        self._report = SyncReport()

    async def execute(self, plan: SyncPlan) -> SyncReport:
        """Run every action of ``plan``; failures are collected, not raised.

        Raises:
            SyncSafetyError: The plan is blocked by a safety rule.
            asyncio.CancelledError: The run was cancelled (running actions clean up).
        """
        plan.ensure_safe()
        started = time.monotonic()
        self._stamp = stamp_of(self.clock())
        report = self._report = SyncReport()
        if self.trash_days is not None:
            for side in (self.local, self.remote):
                try:
                    await purge_trash(side, self.trash_days, now=self.clock())
                except StorageError as exc:
                    logger.warning("Could not purge the trash of %s: %s", side.describe(), exc)
        await self._sweep_staging()
        limit = asyncio.Semaphore(self.concurrency)

        async def one(action: Action) -> None:
            async with limit:
                try:
                    await self.runner(
                        action, lambda progress: self._perform(action, progress, report)
                    )
                except (StorageError, OSError) as exc:
                    message = str(exc)
                    report.failed.append((action, message))
                    logger.warning("sync %s %s failed: %s", action.kind, action.path, message)
                    self._notify(action, message)
                    return
            report.done.append(action)
            self._notify(action, None)

        try:
            await asyncio.gather(*(one(action) for action in plan.actions))
        finally:
            await self._hasher.flush()
            report.seconds = time.monotonic() - started
        return report

    async def _sweep_staging(self) -> None:
        """Remove staging files that a killed run left behind (older than an hour)."""
        folder = await self.local.resolve(STAGING)
        cutoff = self.clock() - 3600
        await asyncio.to_thread(_remove_older, folder, cutoff)

    def _notify(self, action: Action, error: str | None) -> None:
        if self.on_action is not None:
            self.on_action(action, error)

    # ----------------------------------------------------------------- actions

    async def _perform(
        self, action: Action, progress: ProgressCallback | None, report: SyncReport
    ) -> None:
        entry, kind = action.entry, action.kind
        if kind is ActionKind.UPLOAD:
            # The plan saw no object: create only (another client's new object is never hit).
            await self._upload_or_keep_both(entry, progress, report, if_none_match=True)
        elif kind is ActionKind.REPLACE_REMOTE:
            self._check_local_unchanged(entry, await self._stat_local(entry.path))
            remote = entry.remote
            assert remote is not None
            # The trash copy is conditional on the planned ETag (a change before it fails the
            # action: "compare again"); the write is conditional too, for changes after it.
            report.trashed.append(await self._trash_remote(entry))
            await self._upload_or_keep_both(entry, progress, report, if_match=remote.etag)
        elif kind is ActionKind.DOWNLOAD:
            await self._download(entry, entry.path, progress, replace=False)
        elif kind is ActionKind.REPLACE_LOCAL:
            self._check_local_unchanged(entry, await self._stat_local(entry.path))
            landed = await self._download(entry, entry.path, progress, replace=True)
            if landed.trashed:
                report.trashed.append(landed.trashed)
            if landed.conflict:
                report.conflicts.append((entry.path, landed.conflict))
        elif kind is ActionKind.DELETE_REMOTE:
            report.trashed.append(await self._trash_remote(entry))
            await self.remote.delete(entry.path)
            await self._forget(entry.path, "local")
        elif kind is ActionKind.DELETE_LOCAL:
            self._check_local_unchanged(entry, await self._stat_local(entry.path))
            report.trashed.append(
                await trash_local(self.local, entry.path, self._stamp, keep=False)
            )
            await self._forget(entry.path, "remote")
        else:
            loser = await self._keep_both(action, progress)
            report.conflicts.append((entry.path, loser))
        if kind in (ActionKind.DELETE_LOCAL, ActionKind.DELETE_REMOTE):
            report.files_deleted += 1
        else:
            report.files_copied += 1
            report.bytes_copied += action.nbytes

    async def _upload_or_keep_both(
        self,
        entry: Entry,
        progress: ProgressCallback | None,
        report: SyncReport,
        *,
        if_none_match: bool = False,
        if_match: str | None = None,
    ) -> None:
        """Upload with a condition; if another client wrote the name meanwhile, keep both."""
        try:
            await self._upload(
                entry, entry.path, progress, if_none_match=if_none_match, if_match=if_match
            )
        except WriteConflictError as exc:
            await self._keep_ours_aside(entry, progress, report, exc)

    async def _keep_ours_aside(
        self,
        entry: Entry,
        progress: ProgressCallback | None,
        report: SyncReport,
        why: StorageError,
    ) -> None:
        """The store's object changed after the compare: ours goes to a conflict name there."""
        loser = conflict_path(entry.path, "local", self._stamp)
        logger.warning(
            "sync: %s changed in the store meanwhile (%s); keeping both", entry.path, why
        )
        await self._upload(entry, loser, progress, source=entry.path, if_none_match=True)
        report.conflicts.append((entry.path, loser))

    async def _upload(
        self,
        entry: Entry,
        target: str,
        progress: ProgressCallback | None,
        *,
        source: str = "",
        if_none_match: bool = False,
        if_match: str | None = None,
    ) -> None:
        """Upload local ``source`` (default: the entry's path) to ``target``; verify; record."""
        source = source or entry.path
        full = await self.local.resolve(source)
        before = await asyncio.to_thread(os.stat, full)
        if source == entry.path:
            self._check_local_unchanged(entry, before)
        # A dropped file's original name travels with it (it lives in an extended attribute).
        original_name = (await self.local.stat(source)).original_name
        await self.remote.upload_file(
            target,
            full,
            progress=progress,
            original_name=original_name,
            if_none_match=if_none_match,
            if_match=if_match,
        )
        info = await self.remote.stat(target)
        after = await asyncio.to_thread(os.stat, full)
        if _identity(after) != _identity(before):
            raise SourceChangedError(f"{source} changed while it was uploaded.", path=source)
        if info.size != after.st_size:
            raise ChecksumMismatchError(
                f"{target} has {info.size} bytes in the store but {after.st_size} locally.",
                path=target,
            )
        if info.sha256:
            # The store recorded the SHA-256 of exactly what was sent (S3 checks each signed
            # payload), and the file did not change meanwhile, so this is the local hash too.
            digest = LocalDigest(
                after.st_size,
                after.st_mtime_ns,
                after.st_ino,
                info.sha256,
                ctime_ns=after.st_ctime_ns,
            )
            self._hasher.remember(source, digest)
        else:
            digest = await self._hasher.digest(
                source,
                full,
                after.st_size,
                after.st_mtime_ns,
                after.st_ino,
                ctime_ns=after.st_ctime_ns,
            )
        if source == target:
            # Not under another name: a local file's copy kept aside as a conflict has no
            # local twin there, and a history row would later read as "deleted locally".
            await self._record(target, after, digest.sha256, info, "remote")

    async def _download(
        self, entry: Entry, target: str, progress: ProgressCallback | None, *, replace: bool
    ) -> _Landed:
        """Download the entry's object to local ``target`` through a staging file; verify.

        With ``replace``, the local file is checked once more right before the swap: a save
        since the compare keeps its name, and the download takes a conflict name instead.
        """
        remote = entry.remote
        assert remote is not None
        final = await self.local.resolve(target)
        staging = await self.local.resolve(f"{STAGING}/{uuid.uuid4().hex}")
        landed = _Landed()
        try:
            result = await self.remote.download_file(entry.path, staging, progress=progress)
            digest = await self._downloaded_digest(entry, staging, result)
            if replace:
                lf = entry.local
                expected = (lf.size, lf.mtime_ns, lf.inode, lf.ctime_ns) if lf else None
                try:
                    trashed = await replace_local(
                        self.local, target, staging, self._stamp, expected=expected
                    )
                except FileExistsError:
                    trashed = None  # saved between the two renames (no hard links): keep both
                if trashed is None:
                    landed.conflict = conflict_path(target, "remote", self._stamp)
                    logger.warning(
                        "sync: %s was saved locally during the download; keeping both (%s)",
                        target,
                        landed.conflict,
                    )
                    target, final = landed.conflict, await self.local.resolve(landed.conflict)
                    await asyncio.to_thread(_link_new, staging, final, target)
                else:
                    landed.trashed = trashed
            else:
                await asyncio.to_thread(_link_new, staging, final, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                await asyncio.to_thread(os.unlink, staging)
        if result is not None and not result.verified:
            reason = result.unverified_reason or "no proof available"
            self._report.unverified.append((target, reason))
            logger.warning("sync: %s saved, NOT verified: %s", target, reason)
        after = await asyncio.to_thread(os.stat, final)
        self._hasher.remember(
            target,
            LocalDigest(
                after.st_size,
                after.st_mtime_ns,
                after.st_ino,
                digest.sha256,
                digest.md5,
                digest.parts,
                ctime_ns=after.st_ctime_ns,
            ),
        )
        if landed.conflict:
            return landed  # the name belongs to the local save; the history stays as it was
        await self._record(target, after, digest.sha256, remote, "local")
        return landed

    async def _downloaded_digest(
        self, entry: Entry, staging: Path, result: DownloadResult | None
    ) -> LocalDigest:
        """The digest of the staging file, checked against the version the compare saw.

        The S3 backend proved the bytes against the object while downloading and hashed them;
        other backends' downloads are hashed here.
        """
        remote = entry.remote
        assert remote is not None
        if result is not None and result.sha256 is not None:
            st = await asyncio.to_thread(os.stat, staging)
            md5 = result.etag if "md5" in result.checks else None
            digest = LocalDigest(st.st_size, st.st_mtime_ns, st.st_ino, result.sha256, md5)
            same_version = (
                entry.remote_sha256 == result.sha256
                if entry.remote_sha256
                else (remote.etag is None or result.etag == remote.etag)
            )
            if not same_version or st.st_size != remote.size:
                raise ObjectChangedError(
                    f"{entry.path} in the store is not the version the compare saw (changed "
                    "meanwhile); nothing was written. Compare again.",
                    path=entry.path,
                )
            return digest
        need = (
            Need() if entry.remote_sha256 else need_for(remote.etag, remote.size, self._preferred)
        )
        st, sha, md5, parts = await asyncio.to_thread(
            hash_file, staging, md5=need.md5, part_sizes=need.part_sizes
        )
        digest = LocalDigest(st.st_size, st.st_mtime_ns, st.st_ino, sha, md5, parts)
        self._verify_download(entry, digest)
        return digest

    def _verify_download(self, entry: Entry, digest: LocalDigest) -> None:
        remote = entry.remote
        assert remote is not None
        if entry.remote_sha256:
            ok: bool | None = digest.sha256 == entry.remote_sha256
        else:
            ok = etag_proves(digest, remote.etag, remote.size)
        if ok is False:
            raise ObjectChangedError(
                f"{entry.path} in the store is not the version the compare saw (changed "
                "meanwhile, or damaged); nothing was written. Compare again.",
                path=entry.path,
            )

    async def _keep_both(self, action: Action, progress: ProgressCallback | None) -> str:
        """Resolve a conflict: the winner keeps the name, the loser is renamed on both sides."""
        entry = action.entry
        local_stat = await self._stat_local(entry.path)
        self._check_local_unchanged(entry, local_stat)
        remote = entry.remote
        if action.winner == "local":
            loser = conflict_path(entry.path, "remote", self._stamp)
            await self._download(entry, loser, progress, replace=False)
            await self._trash_remote(entry)
            await self._upload(
                entry, entry.path, progress, if_match=remote.etag if remote else None
            )
        else:
            loser = conflict_path(entry.path, "local", self._stamp)
            final = await self.local.resolve(entry.path)
            renamed = await self.local.resolve(loser)
            await asyncio.to_thread(_move_new, final, renamed, loser)
            await self._download(entry, entry.path, progress, replace=False)
        loser_entry = Entry(entry.path, entry.state)
        await self._upload(loser_entry, loser, progress, source=loser, if_none_match=True)
        return loser

    # ----------------------------------------------------------------- checks and records

    async def _stat_local(self, path: str) -> os.stat_result:
        full = await self.local.resolve(path)
        try:
            return await asyncio.to_thread(os.stat, full)
        except FileNotFoundError as exc:
            raise SourceChangedError(
                f"{path} was removed locally since the compare; skipped.", path=path
            ) from exc

    def _check_local_unchanged(self, entry: Entry, st: os.stat_result) -> None:
        lf = entry.local
        if lf is not None and (
            (lf.size, lf.mtime_ns, lf.inode) != _identity(st)
            or (lf.ctime_ns is not None and lf.ctime_ns != st.st_ctime_ns)
        ):
            raise SourceChangedError(
                f"{entry.path} changed locally since the compare; skipped. Compare again.",
                path=entry.path,
            )

    async def _trash_remote(self, entry: Entry) -> str:
        remote = entry.remote
        assert remote is not None
        return await trash_remote(
            self.remote, entry.path, self._stamp, etag=remote.etag, size=remote.size
        )

    async def _record(
        self, path: str, st: os.stat_result, sha256: str, info: ObjectInfo, side: str
    ) -> None:
        if self.index is None:
            return
        size, mtime_ns, inode = _identity(st)
        await self.index.record_synced(
            self.pair,
            [
                SyncRecord(
                    path,
                    size,
                    mtime_ns,
                    inode,
                    sha256,
                    info.etag,
                    info.size,
                    time.time(),
                    local_ctime_ns=st.st_ctime_ns,
                )
            ],
        )
        if self.track_locations:
            await self.index.set_locations(self.pair, [(path, side)])

    async def _forget(self, path: str, remaining_side: str) -> None:
        if self.index is None:
            return
        await self.index.forget_synced(self.pair, [path])
        if self.track_locations:
            await self.index.set_locations(self.pair, [(path, remaining_side)])


def _identity(st: os.stat_result) -> tuple[int, int, int]:
    return st.st_size, st.st_mtime_ns, st.st_ino


@dataclass(slots=True)
class _Landed:
    """Where a download ended: the trash path of what it replaced, or the conflict name it
    took because the local file was saved meanwhile."""

    trashed: str = ""
    conflict: str = ""


def _link_new(source: Path, target: Path, shown: str) -> None:
    """Give ``source`` the name ``target`` only if nothing is there yet (never overwrites).

    A hard link where the file system has them; on exFAT/FAT a no-replace rename (``source``
    is a staging file, gone afterwards either way).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        if not link_or_copy_name(source, target):
            rename_noreplace(source, target)
    except FileExistsError as exc:
        raise SourceChangedError(
            f"{shown} appeared locally since the compare; skipped. Compare again.", path=shown
        ) from exc


def _move_new(source: Path, target: Path, shown: str) -> None:
    """Rename ``source`` to the new name ``target``, never replacing a file there."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        move_new(source, target)
    except FileExistsError as exc:
        raise SourceChangedError(
            f"{shown} appeared locally since the compare; skipped. Compare again.", path=shown
        ) from exc


def _remove_older(folder: Path, cutoff: float) -> None:
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return
    for entry in entries:
        with contextlib.suppress(OSError):
            if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                os.unlink(entry.path)
