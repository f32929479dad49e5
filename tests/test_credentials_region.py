"""Credentials and region come from the public AWS configuration when the settings leave them out.

Issue 11: requests were signed for us-east-1 whatever AWS_REGION or the profile said, the lean
request path read aiobotocore's private ``_request_signer._credentials``, and a wrong secret
from a profile was blamed on STORAGE_S3_SECRET_ACCESS_KEY. Every request here goes through a
relay (tests/fault_proxy.py) that records the region each signature names, to SeaweedFS, with a
temporary AWS config and credentials file.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from file_storage import S3StorageBackend
from file_storage.errors import InvalidCredentialsError
from file_storage.factory import create_s3_backend
from file_storage.sandbox import SeaweedSandbox
from file_storage.settings import StorageSettings
from tests.conftest import TEST_BUCKET, write_random
from tests.fault_proxy import FaultProxy

MiB = 1024 * 1024


@pytest.fixture
async def relay(s3_server: SeaweedSandbox) -> AsyncIterator[tuple[FaultProxy, str]]:
    proxy = FaultProxy(s3_server.endpoint_url)
    url = await proxy.start()
    try:
        yield proxy, url
    finally:
        await proxy.close()


@pytest.fixture
def aws_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty AWS configuration of this test alone (nothing from the developer's ~/.aws)."""
    folder = tmp_path / "aws"
    folder.mkdir()
    (folder / "config").write_text("")
    (folder / "credentials").write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(folder / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(folder / "credentials"))
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return folder


def write_profile(
    folder: Path, server: SeaweedSandbox, *, region: str, secret: str | None = None
) -> None:
    (folder / "config").write_text(f"[profile leap]\nregion = {region}\n")
    (folder / "credentials").write_text(
        "[leap]\n"
        f"aws_access_key_id = {server.access_key}\n"
        f"aws_secret_access_key = {secret or server.secret_key}\n"
    )


def settings_for(url: str, **values: object) -> StorageSettings:
    return StorageSettings(
        _env_file=None,  # type: ignore[call-arg]
        storage_type="S3",
        s3_bucket=TEST_BUCKET,
        s3_prefix=f"t-{uuid.uuid4().hex[:12]}",
        s3_endpoint_url=url,
        **values,  # type: ignore[arg-type]
    )


async def round_trip(backend: S3StorageBackend, tmp_path: Path) -> None:
    """Single PUT, multipart PUT, listing, ranged GET, presign: every request path."""
    await backend.upload_file("small.bin", write_random(tmp_path / "small.bin", 1000))
    await backend.upload_file("big.bin", write_random(tmp_path / "big.bin", 40 * MiB, seed=3))
    assert sorted(await backend.list_files("")) == ["big.bin", "small.bin"]
    result = await backend.download_file("big.bin", tmp_path / "back.bin")
    assert result.verified
    assert "X-Amz-Credential" in await backend.get_presigned_url("small.bin")


async def test_aws_region_is_signed_for_when_the_settings_name_none(
    s3_server: SeaweedSandbox,
    relay: tuple[FaultProxy, str],
    aws_files: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    proxy, url = relay
    monkeypatch.setenv("AWS_REGION", "eu-west-3")
    settings = settings_for(
        url, s3_access_key_id=s3_server.access_key, s3_secret_access_key=s3_server.secret_key
    )
    async with create_s3_backend(settings) as backend:
        await round_trip(backend, tmp_path)
        assert backend.region == "eu-west-3"
    assert set(proxy.signed_regions) == {"eu-west-3"}


async def test_the_setting_wins_over_the_environment(
    s3_server: SeaweedSandbox,
    relay: tuple[FaultProxy, str],
    aws_files: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proxy, url = relay
    monkeypatch.setenv("AWS_REGION", "eu-west-3")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-north-1")
    settings = settings_for(
        url,
        s3_region="us-west-2",
        s3_access_key_id=s3_server.access_key,
        s3_secret_access_key=s3_server.secret_key,
    )
    async with create_s3_backend(settings) as backend:
        await backend.save("a.txt", b"a")
        assert await backend.list_files("") == ["a.txt"]
    assert set(proxy.signed_regions) == {"us-west-2"}


async def test_a_profile_gives_region_and_credentials(
    s3_server: SeaweedSandbox,
    relay: tuple[FaultProxy, str],
    aws_files: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    proxy, url = relay
    write_profile(aws_files, s3_server, region="ap-south-1")
    monkeypatch.setenv("AWS_PROFILE", "leap")
    async with create_s3_backend(settings_for(url)) as backend:
        await round_trip(backend, tmp_path)
        assert backend.region == "ap-south-1"
        assert backend.credential_source == "shared-credentials-file"
    assert set(proxy.signed_regions) == {"ap-south-1"}


async def test_aws_default_region_is_used_too(
    s3_server: SeaweedSandbox,
    relay: tuple[FaultProxy, str],
    aws_files: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proxy, url = relay
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-north-1")
    settings = settings_for(
        url, s3_access_key_id=s3_server.access_key, s3_secret_access_key=s3_server.secret_key
    )
    async with create_s3_backend(settings) as backend:
        await backend.save("a.txt", b"a")
    assert set(proxy.signed_regions) == {"eu-north-1"}


@pytest.mark.parametrize("path", ["check", "put", "list"])
async def test_a_wrong_secret_from_a_profile_is_blamed_on_the_profile(
    s3_server: SeaweedSandbox,
    relay: tuple[FaultProxy, str],
    aws_files: Path,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
) -> None:
    _proxy, url = relay
    write_profile(aws_files, s3_server, region="us-east-1", secret="not-the-secret-0123456789")
    monkeypatch.setenv("AWS_PROFILE", "leap")
    async with create_s3_backend(settings_for(url)) as backend:
        if path == "check":
            result = await backend.check()
            assert not result.ok
            error = result.error
        else:
            action = backend.save("a.txt", b"a") if path == "put" else backend.list_files("")
            with pytest.raises(InvalidCredentialsError) as info:
                await action
            error = info.value
    assert isinstance(error, InvalidCredentialsError)
    message = str(error)
    assert "shared credentials file" in message
    assert "shared-credentials-file" in message
    assert "STORAGE_S3_SECRET_ACCESS_KEY" not in message.split("or set")[0]
    assert "not-the-secret" not in message


async def test_a_wrong_secret_in_the_settings_is_still_blamed_on_the_setting(
    s3_server: SeaweedSandbox, relay: tuple[FaultProxy, str], aws_files: Path
) -> None:
    _proxy, url = relay
    settings = settings_for(
        url, s3_access_key_id=s3_server.access_key, s3_secret_access_key="wrong-secret-0123456789"
    )
    async with create_s3_backend(settings) as backend:
        with pytest.raises(InvalidCredentialsError, match="check STORAGE_S3_SECRET_ACCESS_KEY"):
            await backend.save("a.txt", b"a")


async def test_an_empty_region_setting_counts_as_unset(
    s3_server: SeaweedSandbox,
    relay: tuple[FaultProxy, str],
    aws_files: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """`STORAGE_S3_REGION=` (as .env.example has it) leaves the region to the AWS chain."""
    proxy, url = relay
    monkeypatch.setenv("AWS_REGION", "eu-west-3")
    settings = settings_for(
        url,
        s3_region="",
        s3_access_key_id=s3_server.access_key,
        s3_secret_access_key=s3_server.secret_key,
    )
    async with create_s3_backend(settings) as backend:
        await round_trip(backend, tmp_path)
        assert backend.region == "eu-west-3"
    assert set(proxy.signed_regions) == {"eu-west-3"}
