"""The sync trash: replaced or deleted files are kept under ``temp/.trash/<timestamp>/``.

On the local side a trashed file is renamed (delete) or hard-linked (replace) into the trash, so
it costs no copy (on exFAT/FAT, which have no hard links, a replaced file is moved to the trash
and the new one renamed in without replacing anything). On S3 it is copied server-side, with
``x-amz-copy-source-if-match`` so an object that changed since the compare is never trashed and
then overwritten unseen. Trash folders older than the configured number of days are purged at
the start of every run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

from file_storage.backends.base import StorageBackend
from file_storage.backends.local import LocalStorageBackend
from file_storage.backends.s3.backend import S3StorageBackend
from file_storage.errors import NotSupportedError, ObjectNotFoundError
from file_storage.sync.linking import link_or_copy_name, rename_noreplace

logger = logging.getLogger(__name__)

TRASH_ROOT = "temp/.trash"
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
#: S3's CopyObject limit; bigger objects are copied in parts.
MAX_COPY = 5 * 1024**3
COPY_PART = 1024**3


def stamp_of(when: float) -> str:
    """The trash folder name (and conflict suffix) for a run started at ``when``."""
    return datetime.fromtimestamp(when, UTC).strftime(STAMP_FORMAT)


def trash_path(stamp: str, path: str) -> str:
    """Where ``path`` goes in the trash of the run ``stamp``."""
    return f"{TRASH_ROOT}/{stamp}/{path}"


async def trash_local(local: LocalStorageBackend, path: str, stamp: str, *, keep: bool) -> str:
    """Put the local file ``path`` in the trash: moved (``keep=False``) or hard-linked.

    Returns:
        The trash path.
    """
    source = await local.resolve(path)
    target_rel = trash_path(stamp, path)
    target = await local.resolve(target_rel)
    await asyncio.to_thread(_trash_local_sync, source, target, keep)
    return target_rel


async def replace_local(
    local: LocalStorageBackend,
    path: str,
    staging: Path,
    stamp: str,
    *,
    expected: tuple[int, int, int, int | None] | None,
) -> str | None:
    """Put the local file ``path`` in the trash and ``staging`` in its place.

    Checked right before the swap: if the file is not ``expected`` any more (size, mtime_ns,
    inode, ctime_ns; a save since the compare), nothing is done and ``None`` is returned, so the
    caller keeps both. Without hard links (exFAT/FAT) the old file is moved to the trash and
    ``staging`` renamed in with no-replace semantics, so a save in between is never replaced.

    Returns:
        The trash path, or ``None`` if the local file changed.

    Raises:
        FileExistsError: A new file took the name between the two renames (no-link case);
            it is kept, and so is the trashed old one.
    """
    final = await local.resolve(path)
    target_rel = trash_path(stamp, path)
    target = await local.resolve(target_rel)
    done = await asyncio.to_thread(_replace_local_sync, final, staging, target, expected)
    return target_rel if done else None


def _replace_local_sync(
    final: Path, staging: Path, target: Path, expected: tuple[int, int, int, int | None] | None
) -> bool:
    try:
        st = os.stat(final)
    except FileNotFoundError:
        return False
    if expected is not None and not _same_file(st, expected):
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        target.unlink()  # the same path trashed twice in one run: keep the latest
    if link_or_copy_name(final, target):
        os.replace(staging, final)
    else:
        os.rename(final, target)
        rename_noreplace(staging, final)
    return True


def _same_file(st: os.stat_result, expected: tuple[int, int, int, int | None]) -> bool:
    size, mtime_ns, inode, ctime_ns = expected
    if (st.st_size, st.st_mtime_ns, st.st_ino) != (size, mtime_ns, inode):
        return False
    return ctime_ns is None or st.st_ctime_ns == ctime_ns


def _trash_local_sync(source: Path, target: Path, keep: bool) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        target.unlink()  # the same path trashed twice in one run: keep the latest
    if not keep:
        os.rename(source, target)
        return
    if not link_or_copy_name(source, target):
        shutil.copy2(source, target)  # no hard links here (exFAT/FAT): a real copy


async def trash_remote(
    remote: StorageBackend, path: str, stamp: str, *, etag: str | None, size: int
) -> str:
    """Copy the remote file ``path`` into the trash, if it still has ``etag``.

    Raises:
        ObjectChangedError: The object changed since it was listed.
        NotSupportedError: The backend cannot copy inside the store.
    """
    target = trash_path(stamp, path)
    if isinstance(remote, S3StorageBackend):
        await _s3_copy(remote, path, target, etag=etag, size=size)
    elif isinstance(remote, LocalStorageBackend):
        await trash_local(remote, path, stamp, keep=True)
    else:
        raise NotSupportedError(f"The {remote.name} backend cannot keep a trash copy.")
    return target


async def _s3_copy(
    remote: S3StorageBackend, path: str, target: str, *, etag: str | None, size: int
) -> None:
    bucket = remote.bucket_name
    source_key, target_key = remote.key_for(path), remote.key_for(target)
    source = {"Bucket": bucket, "Key": source_key}
    condition = {"CopySourceIfMatch": f'"{etag}"'} if etag else {}
    if size <= MAX_COPY:
        await remote.call(
            "copy_object",
            target_key,
            Bucket=bucket,
            Key=target_key,
            CopySource=source,
            MetadataDirective="COPY",
            **condition,
        )
        return
    created = await remote.call(
        "create_multipart_upload", target_key, Bucket=bucket, Key=target_key
    )
    upload_id = created["UploadId"]
    try:
        parts = []
        for number, start in enumerate(range(0, size, COPY_PART), start=1):
            end = min(size, start + COPY_PART) - 1
            answer = await remote.call(
                "upload_part_copy",
                target_key,
                Bucket=bucket,
                Key=target_key,
                UploadId=upload_id,
                PartNumber=number,
                CopySource=source,
                CopySourceRange=f"bytes={start}-{end}",
                **condition,
            )
            parts.append({"PartNumber": number, "ETag": answer["CopyPartResult"]["ETag"]})
        await remote.call(
            "complete_multipart_upload",
            target_key,
            Bucket=bucket,
            Key=target_key,
            UploadId=upload_id,
            MultipartUpload={"Parts": parts},
        )
    except BaseException:
        with contextlib.suppress(Exception):
            await remote.call(
                "abort_multipart_upload",
                target_key,
                Bucket=bucket,
                Key=target_key,
                UploadId=upload_id,
            )
        raise


async def purge_trash(
    backend: StorageBackend, older_than_days: float, *, now: float | None = None
) -> int:
    """Delete trash folders older than ``older_than_days``; return how many files went.

    Folders whose name is not a trash timestamp are left alone.
    """
    cutoff = (now if now is not None else time.time()) - older_than_days * 86400
    removed = 0
    folders = [
        folder
        async for page in backend.iter_pages(TRASH_ROOT, recursive=False)
        for folder in page.folders
    ]
    for folder in folders:
        try:
            when = datetime.strptime(folder.rsplit("/", 1)[-1], STAMP_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            continue
        if when.timestamp() >= cutoff:
            continue
        files = [info.path async for page in backend.iter_pages(folder) for info in page.files]
        for path in files:
            with contextlib.suppress(ObjectNotFoundError):
                await backend.delete(path)
            removed += 1
        if isinstance(backend, LocalStorageBackend):
            full = await backend.resolve(folder)
            await asyncio.to_thread(shutil.rmtree, full, True)
        logger.info("Purged trash folder %s (%d files)", folder, len(files))
    return removed
