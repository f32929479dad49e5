"""``copy`` inside a store: server-side part copies on S3 above the single-copy limit, and the
local store's copy through its atomic write; both keep the original name and the mtime."""

from __future__ import annotations

import os
from pathlib import Path

from file_storage import LocalStorageBackend
from tests.conftest import MakeS3, MiB, sha256_of, write_random

OLD = 1_400_000_000_000_000_000


async def test_s3_copy_above_the_single_copy_limit_stays_verifiable(
    make_s3: MakeS3, tmp_path: Path
) -> None:
    # SeaweedFS answers UploadPartCopy with ETags that are not the parts' MD5s: the object it
    # would make could never be verified, so the copy streams through this computer instead.
    source = write_random(tmp_path / "big.bin", 6 * MiB + 7)
    os.utime(source, ns=(OLD, OLD))
    async with make_s3() as s3:
        s3.single_copy_limit = 5 * MiB  # the multipart path on a small object
        await s3.upload_file("a/big.bin", source, original_name="Запись 1.bin")
        await s3.copy("a/big.bin", "b/big.bin")
        copied = await s3.stat("b/big.bin")
        assert copied.original_name == "Запись 1.bin"
        assert copied.sha256 == sha256_of(source)
        await s3.download_file("b/big.bin", tmp_path / "back.bin")
    assert sha256_of(tmp_path / "back.bin") == sha256_of(source)
    assert (tmp_path / "back.bin").stat().st_mtime_ns == OLD


async def test_local_copy_keeps_name_and_mtime(tmp_path: Path) -> None:
    async with LocalStorageBackend(tmp_path / "store") as local:
        clip = tmp_path / "clip.bin"
        clip.write_bytes(b"c" * 5000)
        await local.upload_file("r1/source.mp4", clip, original_name="Лекция.mp4")
        os.utime(tmp_path / "store/r1/source.mp4", ns=(OLD, OLD))
        await local.copy("r1/source.mp4", "r2/source.mp4")
        copied = await local.stat("r2/source.mp4")
    assert copied.original_name == "Лекция.mp4"
    assert copied.size == 5000
    assert (tmp_path / "store/r2/source.mp4").stat().st_mtime_ns == OLD
