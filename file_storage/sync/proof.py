"""Proof, from bytes read now, that both sides hold the same content: the gate before a delete.

The hash cache and the sync history are hints: they make a compare fast, and a compare may be
wrong for a moment (a file edited in place, a filesystem whose ctime means little, an index
restored from a backup). Nothing may delete the last other copy on such a hint, so before
``migrate --delete-source`` removes a source, :func:`prove_same` re-reads it:

* the local file is hashed again now (no cache);
* the object is asked again now (HEAD): its size, and its ETag recomputed from the local bytes
  (a plain MD5, or a multipart ETag with a usual part size or the object's real part layout);
* when the ETag proves nothing (SSE-KMS, a server that tells no layout), the object is
  downloaded and hashed (streamed, never held in memory).

The object's ``sha256`` metadata is never proof: anyone can write it.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass

from file_storage.backends.base import ObjectInfo, StorageBackend
from file_storage.backends.local import LocalStorageBackend
from file_storage.errors import ObjectNotFoundError
from file_storage.sync.compare import CompareStats, LocalFile, _Classifier
from file_storage.sync.hashing import LocalHasher, hash_file

#: Downloads for a proof read in chunks of this size (memory stays flat).
PROOF_CHUNK = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Proof:
    """The answer of :func:`prove_same`.

    Attributes:
        same: Both sides hold the same bytes, as read now.
        how: How that was decided (for logs and reports), or why not.
        local: The local file's stat identity (size, mtime_ns, inode, ctime_ns) when hashed:
            a delete of the local side must find exactly this file.
        remote: The object as asked now: a delete of the remote side must find this ETag.
    """

    same: bool
    how: str
    local: tuple[int, int, int, int] | None = None
    remote: ObjectInfo | None = None


async def prove_same(
    local: LocalStorageBackend,
    remote: StorageBackend,
    path: str,
    *,
    preferred: Sequence[int] = (),
) -> Proof:
    """Read both sides of ``path`` now and tell whether they hold the same content.

    Raises:
        StorageError: A side could not be read (then nothing may be deleted either).
    """
    full = await local.resolve(path)
    try:
        st = await asyncio.to_thread(os.stat, full)
    except FileNotFoundError:
        return Proof(False, "the local copy is gone")
    try:
        info = await remote.stat(path)
    except ObjectNotFoundError:
        return Proof(False, "the remote copy is gone")
    identity = (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
    if st.st_size != info.size:
        return Proof(
            False, f"sizes differ ({st.st_size} bytes here, {info.size} there)", identity, info
        )
    lf = LocalFile(path, st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
    # A hasher without index: every digest here comes from reading the file now.
    checker = _Classifier(
        local, remote, LocalHasher(None, str(local.base_path)), tuple(preferred), CompareStats()
    )
    proven, digest = await checker.check_content(lf, info)
    if proven is not None:
        how = "the ETag recomputed from the local bytes"
        return Proof(proven, how if proven else f"contents differ ({how})", identity, info)
    remote_sha = await _download_sha256(remote, path)
    _st, local_sha, _md5, _parts = await asyncio.to_thread(hash_file, full, md5=False)
    same = remote_sha == local_sha == digest.sha256
    how = "downloaded and hashed (the ETag proves nothing)"
    return Proof(same, how if same else f"contents differ ({how})", identity, info)


async def _download_sha256(remote: StorageBackend, path: str) -> str:
    digest = hashlib.sha256()
    async for chunk in remote.iter_chunks(path, PROOF_CHUNK):
        await asyncio.to_thread(digest.update, chunk)
    return digest.hexdigest()
