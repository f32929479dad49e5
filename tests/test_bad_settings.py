"""Bad settings give one clear line and exit 1 from ``leap-storage``, never a traceback.

Each case runs the real CLI as a subprocess against the test SeaweedFS with otherwise good
settings, so that only the one bad value can be the reason for the failure (without the checks,
``STORAGE_S3_PREFIX=../etc`` lists happily and ``inf`` ends in an ``OverflowError`` traceback).
Library callers get a :class:`ConfigurationError` with the same line.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest
from pydantic import ValidationError

from file_storage.errors import ConfigurationError
from file_storage.factory import create_storage_backend
from file_storage.sandbox import SeaweedSandbox
from file_storage.settings import StorageSettings, load_settings
from tests.conftest import TEST_BUCKET

LEAP_STORAGE = Path(__file__).resolve().parents[1] / ".venv" / "bin" / "leap-storage"
PASSWORD = "hunter2-url-password"


@pytest.fixture
def good_env(s3_server: SeaweedSandbox, tmp_path: Path) -> dict[str, str]:
    """Working S3 settings on the test server; each test spoils one of them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STORAGE_", "AWS_"))}
    env |= {
        "HOME": str(tmp_path / "home"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "STORAGE_TYPE": "S3",
        "STORAGE_S3_BUCKET": TEST_BUCKET,
        "STORAGE_S3_PREFIX": f"bad-{uuid.uuid4().hex[:8]}",
        "STORAGE_S3_ENDPOINT_URL": s3_server.endpoint_url,
        "STORAGE_S3_ACCESS_KEY_ID": s3_server.access_key,
        "STORAGE_S3_SECRET_ACCESS_KEY": s3_server.secret_key,
        "STORAGE_SYNC_INDEX_PATH": str(tmp_path / "index.sqlite3"),
        "STORAGE_S3_MAX_ATTEMPTS": "1",
    }
    (tmp_path / "home").mkdir()
    return env


def run(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LEAP_STORAGE), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single error line of a failed run (stdout and stderr together)."""
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output, output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("leap-storage: error: "), lines[0]
    return lines[0]


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("STORAGE_S3_BUCKET", "Bad_Bucket!!", "STORAGE_S3_BUCKET"),
        ("STORAGE_S3_BUCKET", "-leading-hyphen", "not a valid S3 bucket name"),
        ("STORAGE_S3_BUCKET", "192.168.1.7", "IP address"),
        ("STORAGE_S3_ENDPOINT_URL", "ftp://files.example.com", "http:// or https://"),
        ("STORAGE_S3_MAX_SIZE_GB", "inf", "finite"),
        ("STORAGE_S3_MAX_SIZE_GB", "1e400", "finite"),
        ("STORAGE_S3_MAX_SIZE_GB", "nan", "finite"),
        ("STORAGE_S3_MAX_SIZE_GB", "-2", "greater than 0"),
        ("STORAGE_LOCAL_MAX_SIZE_GB", "inf", "STORAGE_LOCAL_MAX_SIZE_GB"),
        ("STORAGE_S3_PREFIX", "../etc", "'..'"),
        ("STORAGE_S3_PREFIX", "..", "'..'"),
        ("STORAGE_S3_PREFIX", "videos/../../etc", "'..'"),
        ("STORAGE_S3_PREFIX", "C:/videos", "drive letter"),
        ("STORAGE_S3_PREFIX", "videos\\2024", "backslash"),
        ("STORAGE_S3_PREFIX", "videos\x01", "control character"),
    ],
)
def test_bad_setting_is_one_line(
    good_env: dict[str, str], tmp_path: Path, variable: str, value: str, expected: str
) -> None:
    line = one_line(run(good_env | {variable: value}, tmp_path, "ls"))
    assert f"invalid setting {variable}" in line
    assert expected in line


def test_index_path_below_a_file(good_env: dict[str, str], tmp_path: Path) -> None:
    regular = tmp_path / "a-file"
    regular.write_text("not a folder")
    env = good_env | {"STORAGE_SYNC_INDEX_PATH": str(regular / "sub" / "index.sqlite3")}
    for storage_type in ("S3", "HYBRID"):
        line = one_line(run(env | {"STORAGE_TYPE": storage_type}, tmp_path, "ls"))
        assert "invalid setting STORAGE_SYNC_INDEX_PATH" in line
        assert f"{regular} is a file" in line


def test_endpoint_with_password_is_refused_without_echoing_it(
    good_env: dict[str, str], s3_server: SeaweedSandbox, tmp_path: Path
) -> None:
    host = s3_server.endpoint_url.split("://", 1)[1]
    env = good_env | {"STORAGE_S3_ENDPOINT_URL": f"http://leapuser:{PASSWORD}@{host}"}
    result = run(env, tmp_path, "ls")
    line = one_line(result)
    assert PASSWORD not in result.stdout + result.stderr
    assert "leapuser" not in line
    assert f"http://***@{host}" in line
    assert "invalid setting STORAGE_S3_ENDPOINT_URL" in line


def test_unknown_aws_profile_is_named(good_env: dict[str, str], tmp_path: Path) -> None:
    for extra in ({}, {"STORAGE_S3_ACCESS_KEY_ID": "", "STORAGE_S3_SECRET_ACCESS_KEY": ""}):
        line = one_line(run(good_env | extra | {"AWS_PROFILE": "nosuch"}, tmp_path, "ls"))
        assert "AWS profile 'nosuch'" in line
        assert "AWS_PROFILE" in line


def test_good_settings_still_work(good_env: dict[str, str], tmp_path: Path) -> None:
    """The same environment without a spoiled value lists fine (the cases above are fair)."""
    result = run(good_env | {"STORAGE_S3_PREFIX": "/videos-ok/"}, tmp_path, "ls")
    assert result.returncode == 0, result.stderr


# --------------------------------------------------------------------------- library callers


def test_library_gets_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORAGE_TYPE", "S3")
    monkeypatch.setenv("STORAGE_S3_BUCKET", "Bad_Bucket!!")
    with pytest.raises(ConfigurationError, match="invalid setting STORAGE_S3_BUCKET"):
        create_storage_backend()
    with pytest.raises(ConfigurationError, match="STORAGE_S3_PREFIX: contains a NUL"):
        load_settings(s3_bucket="fine", s3_prefix="a\x00b")


def test_validation_error_never_shows_the_url_password() -> None:
    with pytest.raises(ValidationError) as caught:
        StorageSettings(s3_endpoint_url=f"https://key:{PASSWORD}@s3.example.com")
    assert PASSWORD not in str(caught.value)
    with pytest.raises(ConfigurationError) as wrapped:
        load_settings(s3_endpoint_url=f"https://key:{PASSWORD}@s3.example.com")
    assert PASSWORD not in str(wrapped.value)
    assert "https://***@s3.example.com" in str(wrapped.value)


def test_valid_values_are_kept() -> None:
    settings = load_settings(
        s3_bucket="leap.videos-2024",
        s3_prefix="/tenant-1/videos/",
        s3_endpoint_url="https://s3.example.com:9000/",
        s3_max_size_gb="2.5",
    )
    assert settings.s3_bucket == "leap.videos-2024"
    assert settings.s3_prefix == "tenant-1/videos"
    assert settings.s3_endpoint_url == "https://s3.example.com:9000"
    assert settings.s3_max_size_gb == 2.5


def test_no_credentials_is_one_line_for_listings(good_env: dict[str, str], tmp_path: Path) -> None:
    """With no key anywhere (settings, environment, ~/.aws), listings say so in one line."""
    env = good_env | {
        "STORAGE_S3_ACCESS_KEY_ID": "",
        "STORAGE_S3_SECRET_ACCESS_KEY": "",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    for command in (["ls"], ["du"], ["ls", "-r", "users"]):
        line = one_line(run(env, tmp_path, *command))
        assert "No S3 credentials" in line, command
    line = one_line(run(env, tmp_path, "presign", "users/a.mp4"))
    assert "credentials" in line.lower()


async def test_backend_built_directly_names_a_missing_profile(
    s3_server: SeaweedSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Library code that builds the backend itself (no factory) gets the same clear error."""
    from file_storage.backends.s3.backend import S3StorageBackend

    monkeypatch.setenv("AWS_PROFILE", "nosuch")
    backend = S3StorageBackend(
        bucket_name=TEST_BUCKET,
        endpoint_url=s3_server.endpoint_url,
        access_key_id=s3_server.access_key,
        secret_access_key=s3_server.secret_key,
    )
    with pytest.raises(ConfigurationError, match="AWS profile 'nosuch'"):
        await backend.stat("users/a.mp4")
    await backend.aclose()


async def test_presign_without_credentials_is_a_storage_error(
    s3_server: SeaweedSandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Signing with no key anywhere is the typed 'No S3 credentials' error, not botocore's."""
    from file_storage.backends.s3.backend import S3StorageBackend
    from file_storage.errors import InvalidCredentialsError

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    backend = S3StorageBackend(bucket_name=TEST_BUCKET, endpoint_url=s3_server.endpoint_url)
    with pytest.raises(InvalidCredentialsError, match="No S3 credentials"):
        await backend.get_presigned_url("users/a.mp4", 60)
    await backend.aclose()
