"""Multipart objects written by other clients (aws CLI, s5cmd, raw multipart uploads).

The part layout comes from the server (``HEAD ?partNumber=N``), so the multipart ETag of any
object can be recomputed from the bytes: downloads of foreign objects are verified, and a byte
flipped in transit fails the transfer and keeps nothing.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from bench.cli_tools import aws_binary, s5cmd_binary
from file_storage import ChecksumMismatchError, S3StorageBackend, S3Tuning
from file_storage.backends.s3.parts import file_multipart_etag, uniform_layout
from file_storage.cli.main import cli
from file_storage.sandbox import SeaweedSandbox
from tests.conftest import TEST_BUCKET, MakeS3, MiB, sha256_of, write_random
from tests.flip_proxy import FlipProxy, proxy_thread

pytestmark = pytest.mark.s3


def aws_cp(server: SeaweedSandbox, source: Path, key: str, *extra: str) -> None:
    """Upload with the aws CLI as "another client" (its default: 8 MiB parts)."""
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": server.access_key,
        "AWS_SECRET_ACCESS_KEY": server.secret_key,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    env.pop("AWS_PROFILE", None)
    subprocess.run(
        [
            aws_binary(),
            "s3",
            "cp",
            "--quiet",
            "--endpoint-url",
            server.endpoint_url,
            str(source),
            f"s3://{TEST_BUCKET}/{key}",
            *extra,
        ],
        env=env,
        check=True,
        timeout=120,
    )


async def raw_multipart(raw_s3: Any, key: str, parts: list[bytes]) -> str:
    """Write ``key`` as a multipart upload with exactly these parts; return its ETag."""
    created = await raw_s3.create_multipart_upload(Bucket=TEST_BUCKET, Key=key)
    done = []
    for number, data in enumerate(parts, start=1):
        answer = await raw_s3.upload_part(
            Bucket=TEST_BUCKET,
            Key=key,
            UploadId=created["UploadId"],
            PartNumber=number,
            Body=data,
        )
        done.append({"ETag": answer["ETag"], "PartNumber": number})
    result = await raw_s3.complete_multipart_upload(
        Bucket=TEST_BUCKET,
        Key=key,
        UploadId=created["UploadId"],
        MultipartUpload={"Parts": done},
    )
    return str(result["ETag"]).strip('"')


def test_uniform_layout_arithmetic() -> None:
    assert uniform_layout(20, 8, 3) == [8, 8, 4]
    assert uniform_layout(24, 8, 3) == [8, 8, 8]
    assert uniform_layout(25, 8, 3) is None  # the last part would be longer than part 1
    assert uniform_layout(16, 8, 3) is None  # the last part would be empty
    assert uniform_layout(7, 7, 1) == [7]


async def test_part_sizes_of_aws_cli_object(
    make_s3: MakeS3, s3_server: SeaweedSandbox, tmp_path: Path
) -> None:
    backend: S3StorageBackend = make_s3()
    source = write_random(tmp_path / "clip.mp4", 20 * MiB + 123, seed=3)
    aws_cp(s3_server, source, backend.key_for("clips/clip.mp4"))
    expected = [8 * MiB, 8 * MiB, 4 * MiB + 123]
    assert await backend.part_sizes("clips/clip.mp4") == expected
    assert await backend.part_sizes("clips/clip.mp4", exact=True) == expected
    info = await backend.stat("clips/clip.mp4")
    assert file_multipart_etag(source, expected) == info.etag


async def test_part_sizes_of_uneven_parts_need_exact(
    make_s3: MakeS3, raw_s3: Any, tmp_path: Path
) -> None:
    """Parts 6, 5, 7 MiB look like "6, 6, 6" from part 1; only ``exact`` tells the truth."""
    backend: S3StorageBackend = make_s3()
    parts = [os.urandom(6 * MiB), os.urandom(5 * MiB), os.urandom(7 * MiB)]
    etag = await raw_multipart(raw_s3, backend.key_for("uneven.bin"), parts)
    guess = await backend.part_sizes("uneven.bin")
    assert guess == [6 * MiB, 6 * MiB, 6 * MiB]
    exact = await backend.part_sizes("uneven.bin", exact=True, etag=etag)
    assert exact == [6 * MiB, 5 * MiB, 7 * MiB]
    whole = tmp_path / "uneven.bin"
    whole.write_bytes(b"".join(parts))
    assert file_multipart_etag(whole, exact) == etag
    assert file_multipart_etag(whole, guess) != etag


async def test_part_sizes_from_get_object_attributes_without_part_heads(
    make_s3: MakeS3, raw_s3: Any, s3_server: SeaweedSandbox, tmp_path: Path
) -> None:
    """A server whose HEAD ?partNumber tells no part count: GetObjectAttributes lists parts."""
    writer = make_s3()
    parts = [os.urandom(6 * MiB), os.urandom(5 * MiB), os.urandom(7 * MiB)]
    etag = await raw_multipart(raw_s3, writer.key_for("uneven.bin"), parts)
    async with FlipProxy(s3_server.endpoint_url, drop_headers=("x-amz-mp-parts-count",)) as proxy:
        reader = make_s3(prefix=writer.prefix, endpoint_url=proxy.url, tuning=RANGED)
        assert await reader.part_sizes("uneven.bin") == [6 * MiB, 5 * MiB, 7 * MiB]
        result = await reader.download_file("uneven.bin", tmp_path / "uneven.bin")
    assert result.checks == ("etag",)
    assert result.etag == etag


async def test_part_sizes_of_single_put_is_none(make_s3: MakeS3, raw_s3: Any) -> None:
    backend: S3StorageBackend = make_s3()
    body = os.urandom(1000)
    await raw_s3.put_object(Bucket=TEST_BUCKET, Key=backend.key_for("one.bin"), Body=body)
    assert await backend.part_sizes("one.bin") is None
    info = await backend.stat("one.bin")
    assert info.etag == hashlib.md5(body).hexdigest()  # noqa: S324


async def test_part_sizes_of_replaced_object_fails(make_s3: MakeS3, raw_s3: Any) -> None:
    from file_storage.errors import ObjectChangedError

    backend: S3StorageBackend = make_s3()
    key = backend.key_for("moving.bin")
    old = await raw_multipart(raw_s3, key, [os.urandom(5 * MiB), os.urandom(MiB)])
    await raw_multipart(raw_s3, key, [os.urandom(5 * MiB), os.urandom(2 * MiB)])
    with pytest.raises(ObjectChangedError):
        await backend.part_sizes("moving.bin", exact=True, etag=old)


# --------------------------------------------------------------------------- downloads (case 3)

WHOLE = S3Tuning(part_size=64 * MiB, multipart_threshold=64 * MiB)  # one plain GET
RANGED = S3Tuning(part_size=5 * MiB, multipart_threshold=5 * MiB)  # parallel ranged GETs


def s5cmd_cp(server: SeaweedSandbox, source: Path, key: str) -> None:
    """Upload with s5cmd as "another client" (its default: 50 MiB parts)."""
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": server.access_key,
        "AWS_SECRET_ACCESS_KEY": server.secret_key,
        "AWS_REGION": "us-east-1",
    }
    subprocess.run(
        [
            s5cmd_binary(),
            "--endpoint-url",
            server.endpoint_url,
            "cp",
            str(source),
            f"s3://{TEST_BUCKET}/{key}",
        ],
        env=env,
        check=True,
        timeout=120,
        capture_output=True,
    )


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize("tuning", [WHOLE, RANGED], ids=["whole", "ranged"])
async def test_aws_cli_object_download_is_verified_by_its_etag(
    make_s3: MakeS3, s3_server: SeaweedSandbox, tmp_path: Path, tuning: S3Tuning
) -> None:
    writer = make_s3()
    source = write_random(tmp_path / "clip.mp4", 20 * MiB + 123, seed=4)
    aws_cp(s3_server, source, writer.key_for("clip.mp4"))
    reader = make_s3(prefix=writer.prefix, tuning=tuning)
    result = await reader.download_file("clip.mp4", tmp_path / "out" / "clip.mp4")
    assert result.verified
    assert result.checks == ("etag",)
    assert result.sha256 == sha256_of(source)
    assert sha256_of(tmp_path / "out" / "clip.mp4") == sha256_of(source)


@pytest.mark.parametrize("tuning", [WHOLE, RANGED], ids=["whole", "ranged"])
async def test_aws_cli_object_damaged_in_transit_fails_and_keeps_nothing(
    make_s3: MakeS3, s3_server: SeaweedSandbox, tmp_path: Path, tuning: S3Tuning
) -> None:
    writer = make_s3()
    source = write_random(tmp_path / "clip.mp4", 20 * MiB + 123, seed=5)
    aws_cp(s3_server, source, writer.key_for("clip.mp4"))
    out = tmp_path / "out"
    out.mkdir()
    async with FlipProxy(s3_server.endpoint_url, flip_at=1000) as proxy:
        reader = make_s3(prefix=writer.prefix, tuning=tuning, endpoint_url=proxy.url)
        with pytest.raises(ChecksumMismatchError, match="multipart ETag"):
            await reader.download_file("clip.mp4", out / "clip.mp4")
        assert proxy.flipped >= 1
    assert leftovers(out) == []  # no final file, no temp file


async def test_s5cmd_object_verified_and_damage_detected(
    make_s3: MakeS3, s3_server: SeaweedSandbox, tmp_path: Path
) -> None:
    """s5cmd's 50 MiB parts: a 55 MiB file is two parts of unequal length."""
    writer = make_s3()
    source = write_random(tmp_path / "long.mp4", 55 * MiB, seed=6)
    s5cmd_cp(s3_server, source, writer.key_for("long.mp4"))
    assert await writer.part_sizes("long.mp4") == [50 * MiB, 5 * MiB]
    good = await make_s3(prefix=writer.prefix, tuning=RANGED).download_file(
        "long.mp4", tmp_path / "good.mp4"
    )
    assert good.checks == ("etag",)
    out = tmp_path / "out"
    out.mkdir()
    async with FlipProxy(s3_server.endpoint_url, flip_at=3 * MiB) as proxy:
        reader = make_s3(prefix=writer.prefix, tuning=RANGED, endpoint_url=proxy.url)
        with pytest.raises(ChecksumMismatchError):
            await reader.download_file("long.mp4", out / "long.mp4")
    assert leftovers(out) == []


async def test_recorded_sha256_and_etag_must_both_agree(
    make_s3: MakeS3, s3_server: SeaweedSandbox, raw_s3: Any, tmp_path: Path
) -> None:
    """Metadata is a claim: a SHA-256 that matches damaged bytes does not outvote the ETag."""
    writer = make_s3()
    parts = [os.urandom(5 * MiB), os.urandom(MiB)]
    damaged = bytearray(b"".join(parts))
    damaged[1000] ^= 0x01
    key = writer.key_for("claimed.bin")
    created = await raw_s3.create_multipart_upload(
        Bucket=TEST_BUCKET, Key=key, Metadata={"sha256": hashlib.sha256(damaged).hexdigest()}
    )
    done = []
    for number, data in enumerate(parts, start=1):
        answer = await raw_s3.upload_part(
            Bucket=TEST_BUCKET, Key=key, UploadId=created["UploadId"], PartNumber=number, Body=data
        )
        done.append({"ETag": answer["ETag"], "PartNumber": number})
    await raw_s3.complete_multipart_upload(
        Bucket=TEST_BUCKET, Key=key, UploadId=created["UploadId"], MultipartUpload={"Parts": done}
    )
    out = tmp_path / "out"
    out.mkdir()
    async with FlipProxy(s3_server.endpoint_url, flip_at=1000) as proxy:
        reader = make_s3(prefix=writer.prefix, tuning=WHOLE, endpoint_url=proxy.url)
        with pytest.raises(ChecksumMismatchError):
            await reader.download_file("claimed.bin", out / "claimed.bin")
    assert leftovers(out) == []
    # Undamaged, the bytes match the ETag but not the claim: they disagree, so nothing is kept.
    with pytest.raises(ChecksumMismatchError, match="SHA-256"):
        await make_s3(prefix=writer.prefix, tuning=WHOLE).download_file(
            "claimed.bin", out / "claimed.bin"
        )
    assert leftovers(out) == []


async def test_opaque_etag_passes_only_as_unverified(
    make_s3: MakeS3, s3_server: SeaweedSandbox, raw_s3: Any, tmp_path: Path
) -> None:
    """An SSE-KMS object without a recorded SHA-256: no proof exists, and the result says so."""
    writer = make_s3()
    body = os.urandom(3000)
    await raw_s3.put_object(Bucket=TEST_BUCKET, Key=writer.key_for("kms.bin"), Body=body)
    async with FlipProxy(
        s3_server.endpoint_url, add_headers={"x-amz-server-side-encryption": "aws:kms"}
    ) as proxy:
        reader = make_s3(prefix=writer.prefix, tuning=WHOLE, endpoint_url=proxy.url)
        result = await reader.download_file("kms.bin", tmp_path / "kms.bin")
    assert not result.verified
    assert result.unverified_reason is not None
    assert "aws:kms" in result.unverified_reason
    assert (tmp_path / "kms.bin").read_bytes() == body


# --------------------------------------------------------------------------- the CLI


def cli_env(server: SeaweedSandbox, prefix: str, endpoint: str, root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STORAGE_", "AWS_"))}
    env.update(
        STORAGE_TYPE="S3",
        STORAGE_LOCAL_PATH=str(root / "store"),
        STORAGE_S3_BUCKET=TEST_BUCKET,
        STORAGE_S3_PREFIX=prefix,
        STORAGE_S3_ENDPOINT_URL=endpoint,
        STORAGE_S3_ACCESS_KEY_ID=server.access_key,
        STORAGE_S3_SECRET_ACCESS_KEY=server.secret_key,
        STORAGE_SYNC_INDEX_PATH=str(root / "index.sqlite3"),
    )
    return env


def invoke(args: list[str], env: dict[str, str]) -> Result:
    """Run ``leap-storage`` in-process; the logging set-up it installs is put back after."""
    root = logging.getLogger()
    saved = list(root.handlers), root.level
    try:
        return CliRunner().invoke(cli, args, env=env)
    finally:
        for handler in list(root.handlers):
            if handler not in saved[0]:
                root.removeHandler(handler)
        root.setLevel(saved[1])


def test_cli_get_refuses_damaged_foreign_object(s3_server: SeaweedSandbox, tmp_path: Path) -> None:
    prefix = f"t-{uuid.uuid4().hex[:12]}"
    source = write_random(tmp_path / "clip.mp4", 20 * MiB + 5, seed=8)
    aws_cp(s3_server, source, f"{prefix}/clip.mp4")
    out = tmp_path / "out"
    out.mkdir()
    with proxy_thread(s3_server.endpoint_url, flip_at=4321) as proxy:
        env = cli_env(s3_server, prefix, proxy.url, tmp_path)
        result = invoke(["get", "clip.mp4", str(out / "clip.mp4")], env)
    assert result.exit_code != 0, result.output
    assert "ETag" in result.output
    assert leftovers(out) == []


def test_cli_get_says_not_verified(s3_server: SeaweedSandbox, tmp_path: Path) -> None:
    prefix = f"t-{uuid.uuid4().hex[:12]}"
    small = tmp_path / "kms.bin"
    small.write_bytes(b"x" * 999)
    aws_cp(s3_server, small, f"{prefix}/kms.bin")
    with proxy_thread(
        s3_server.endpoint_url, add_headers={"x-amz-server-side-encryption": "aws:kms"}
    ) as proxy:
        env = cli_env(s3_server, prefix, proxy.url, tmp_path)
        result = invoke(["get", "kms.bin", str(tmp_path / "got.bin")], env)
    assert result.exit_code == 0, result.output
    assert "saved, NOT verified: the object is encrypted with aws:kms" in result.output


def test_sync_download_refuses_damaged_foreign_object(
    s3_server: SeaweedSandbox, tmp_path: Path
) -> None:
    prefix = f"t-{uuid.uuid4().hex[:12]}"
    source = write_random(tmp_path / "clip.mp4", 20 * MiB + 5, seed=9)
    aws_cp(s3_server, source, f"{prefix}/users/u/clip.mp4")
    (tmp_path / "store").mkdir()
    with proxy_thread(s3_server.endpoint_url, flip_at=4321) as proxy:
        env = {**cli_env(s3_server, prefix, proxy.url, tmp_path), "STORAGE_TYPE": "LOCAL"}
        result = invoke(["sync", "users", "--mode", "download"], env)
    assert result.exit_code != 0, result.output
    assert "1 failed" in result.output
    assert not (tmp_path / "store/users/u/clip.mp4").exists()
    assert leftovers(tmp_path / "store/temp/.sync") == []
    # Recorded as synced nowhere: a clean run afterwards downloads it and proves it.
    result = invoke(
        ["sync", "users", "--mode", "download"],
        {**env, "STORAGE_S3_ENDPOINT_URL": s3_server.endpoint_url},
    )
    assert result.exit_code == 0, result.output
    assert sha256_of(tmp_path / "store/users/u/clip.mp4") == sha256_of(source)


async def test_big_parts_are_split_into_ranges_and_still_proven(
    make_s3: MakeS3, raw_s3: Any, s3_server: SeaweedSandbox, tmp_path: Path
) -> None:
    """Parts much larger than the range size (25 MiB with 5 MiB ranges) are fetched in several
    ranges; their MD5s are computed in order, and damage is still caught."""
    writer = make_s3()
    parts = [os.urandom(25 * MiB), os.urandom(3 * MiB)]
    etag = await raw_multipart(raw_s3, writer.key_for("big-parts.bin"), parts)
    reader = make_s3(prefix=writer.prefix, tuning=RANGED)
    result = await reader.download_file("big-parts.bin", tmp_path / "big-parts.bin")
    assert result.checks == ("etag",)
    assert result.etag == etag
    assert (tmp_path / "big-parts.bin").read_bytes() == b"".join(parts)
    out = tmp_path / "out"
    out.mkdir()
    async with FlipProxy(s3_server.endpoint_url, flip_at=777) as proxy:
        damaged = make_s3(prefix=writer.prefix, tuning=RANGED, endpoint_url=proxy.url)
        with pytest.raises(ChecksumMismatchError):
            await damaged.download_file("big-parts.bin", out / "big-parts.bin")
        assert proxy.flipped >= 6  # one per range: the 25 MiB part came in several
    assert leftovers(out) == []
