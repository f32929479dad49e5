"""Settings, the backend factory and its singleton, the error tree, StoragePathBuilder, the CLI."""

from __future__ import annotations

import inspect
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from pydantic import SecretStr

import file_storage.errors as errors_module
from file_storage import (
    ConfigurationError,
    InvalidPath,
    InvalidPathError,
    LocalStorageBackend,
    ObjectNotFoundError,
    S3StorageBackend,
    StorageError,
    StoragePathBuilder,
    StorageSettings,
    close_storage_backend,
    create_storage_backend,
    get_storage_backend,
)
from file_storage.cli.main import cli

RunCli = Callable[..., Result]

# --------------------------------------------------------------------------- settings


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No STORAGE_* variable set and no ./.env to pick up."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("STORAGE_"):
            monkeypatch.delenv(name)
    return monkeypatch


def test_defaults_are_a_local_store(clean_env: pytest.MonkeyPatch) -> None:
    settings = StorageSettings()
    assert settings.storage_type == "LOCAL"
    assert settings.local_path == Path("storage")
    assert settings.s3_prefix == "storage"
    assert settings.s3_region == "us-east-1"
    assert settings.s3_secret_access_key is None
    assert settings.s3_endpoint_url is None


def test_settings_from_environment(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("STORAGE_TYPE", "s3")
    clean_env.setenv("STORAGE_S3_BUCKET", "leap-bucket")
    clean_env.setenv("STORAGE_S3_PREFIX", "/videos/")
    clean_env.setenv("STORAGE_S3_REGION", "eu-west-3")
    clean_env.setenv("STORAGE_S3_ACCESS_KEY_ID", "AKIDEXAMPLE")
    clean_env.setenv("STORAGE_S3_SECRET_ACCESS_KEY", "env-secret-value")
    clean_env.setenv("STORAGE_S3_ENDPOINT_URL", "http://127.0.0.1:9000")
    clean_env.setenv("STORAGE_S3_MAX_SIZE_GB", "2.5")
    clean_env.setenv("STORAGE_S3_PART_SIZE_MB", "32")
    settings = StorageSettings()
    assert settings.storage_type == "S3"
    assert settings.s3_bucket == "leap-bucket"
    assert settings.s3_prefix == "videos"
    assert settings.s3_region == "eu-west-3"
    assert settings.s3_access_key_id == "AKIDEXAMPLE"
    assert isinstance(settings.s3_secret_access_key, SecretStr)
    assert settings.s3_secret_access_key.get_secret_value() == "env-secret-value"
    assert settings.s3_endpoint_url == "http://127.0.0.1:9000"
    assert settings.s3_max_size_gb == 2.5
    assert settings.s3_part_size_mb == 32
    assert "env-secret-value" not in repr(settings)
    assert "env-secret-value" not in str(settings)


def test_settings_from_env_file(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env_file = tmp_path / "custom.env"
    env_file.write_text(
        "STORAGE_TYPE=LOCAL\n"
        f"STORAGE_LOCAL_PATH={tmp_path / 'videos'}\n"
        "STORAGE_LOCAL_MAX_SIZE_GB=3\n"
        "STORAGE_S3_SECRET_ACCESS_KEY=file-secret-value\n"
    )
    settings = StorageSettings(_env_file=env_file)  # type: ignore[call-arg]
    assert settings.storage_type == "LOCAL"
    assert settings.local_path == tmp_path / "videos"
    assert settings.local_max_size_gb == 3
    assert "file-secret-value" not in repr(settings)


def test_environment_wins_over_env_file(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("STORAGE_TYPE=LOCAL\nSTORAGE_S3_BUCKET=from-file\n")
    clean_env.setenv("STORAGE_S3_BUCKET", "from-env")
    settings = StorageSettings()  # reads ./.env (the fixture chdir'ed to tmp_path)
    assert settings.s3_bucket == "from-env"
    assert settings.storage_type == "LOCAL"


@pytest.mark.parametrize(
    "name",
    [
        "STORAGE_S3_ENDPOINT_URL",
        "STORAGE_S3_ACCESS_KEY_ID",
        "STORAGE_S3_SECRET_ACCESS_KEY",
        "STORAGE_S3_SESSION_TOKEN",
        "STORAGE_S3_MAX_SIZE_GB",
        "STORAGE_LOCAL_MAX_SIZE_GB",
        "STORAGE_S3_CA_BUNDLE",
    ],
)
def test_empty_value_means_unset(clean_env: pytest.MonkeyPatch, name: str) -> None:
    clean_env.setenv(name, "")
    settings = StorageSettings()
    field = name.removeprefix("STORAGE_").lower()
    assert getattr(settings, field) is None


def test_empty_values_in_env_file_mean_unset(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "STORAGE_TYPE=S3\nSTORAGE_S3_BUCKET=b\nSTORAGE_S3_ENDPOINT_URL=\n"
        "STORAGE_S3_ACCESS_KEY_ID=\nSTORAGE_S3_SECRET_ACCESS_KEY=   \n"
    )
    settings = StorageSettings(_env_file=env_file)  # type: ignore[call-arg]
    assert settings.s3_endpoint_url is None
    assert settings.s3_access_key_id is None
    assert settings.s3_secret_access_key is None
    backend = create_storage_backend(settings)
    assert isinstance(backend, S3StorageBackend)
    assert backend.endpoint_url is None


@pytest.mark.parametrize("value", ["0", "-1", "lots"])
def test_bad_quota_is_rejected(clean_env: pytest.MonkeyPatch, value: str) -> None:
    clean_env.setenv("STORAGE_S3_MAX_SIZE_GB", value)
    with pytest.raises(ValueError, match="s3_max_size_gb"):
        StorageSettings()


# --------------------------------------------------------------------------- factory


def test_storage_type_alone_switches_backend(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("STORAGE_LOCAL_PATH", str(tmp_path / "store"))
    clean_env.setenv("STORAGE_S3_BUCKET", "leap-bucket")
    clean_env.setenv("STORAGE_S3_ACCESS_KEY_ID", "AKIDEXAMPLE")
    clean_env.setenv("STORAGE_S3_SECRET_ACCESS_KEY", "switch-secret")
    clean_env.setenv("STORAGE_TYPE", "LOCAL")
    local = create_storage_backend(StorageSettings())
    assert isinstance(local, LocalStorageBackend)
    assert local.base_path == tmp_path / "store"
    clean_env.setenv("STORAGE_TYPE", "S3")
    remote = create_storage_backend(StorageSettings())
    assert isinstance(remote, S3StorageBackend)
    assert remote.bucket_name == "leap-bucket"
    assert remote.prefix == "storage"
    assert "switch-secret" not in repr(remote) + remote.describe()


def test_factory_passes_quota_and_tuning(clean_env: pytest.MonkeyPatch) -> None:
    settings = StorageSettings(
        _env_file=None,  # type: ignore[call-arg]
        storage_type="S3",
        s3_bucket="b",
        s3_max_size_gb=2,
        s3_part_size_mb=8,
        s3_max_concurrency=3,
        s3_max_attempts=2,
    )
    backend = create_storage_backend(settings)
    assert isinstance(backend, S3StorageBackend)
    assert backend.quota.limit_bytes == 2 * 1024**3
    assert backend.tuning.part_size == 8 * 1024 * 1024
    assert backend.tuning.max_concurrency == 3
    assert backend.tuning.max_attempts == 2
    assert backend.tuning.pool_size >= 3


def test_unknown_storage_type_names_the_supported_ones(clean_env: pytest.MonkeyPatch) -> None:
    settings = StorageSettings(_env_file=None, storage_type="ftp")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="FTP") as info:
        create_storage_backend(settings)
    assert "LOCAL" in str(info.value)
    assert "S3" in str(info.value)


def test_s3_without_bucket_is_a_configuration_error(clean_env: pytest.MonkeyPatch) -> None:
    settings = StorageSettings(_env_file=None, storage_type="S3")  # type: ignore[call-arg]
    with pytest.raises(ConfigurationError, match="STORAGE_S3_BUCKET"):
        create_storage_backend(settings)


def test_half_credentials_are_a_configuration_error(clean_env: pytest.MonkeyPatch) -> None:
    settings = StorageSettings(
        _env_file=None,  # type: ignore[call-arg]
        storage_type="S3",
        s3_bucket="b",
        s3_access_key_id="AKIDEXAMPLE",
    )
    with pytest.raises(ConfigurationError, match="SECRET_ACCESS_KEY"):
        create_storage_backend(settings)


async def test_singleton_is_shared_and_reset_by_close(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.setenv("STORAGE_TYPE", "LOCAL")
    clean_env.setenv("STORAGE_LOCAL_PATH", str(tmp_path / "single"))
    await close_storage_backend()  # whatever an earlier test left
    try:
        first = get_storage_backend()
        assert get_storage_backend() is first
        assert isinstance(first, LocalStorageBackend)
        await first.save("users/a.txt", b"a")
        await close_storage_backend()
        with pytest.raises(StorageError, match="closed"):
            await first.save("users/b.txt", b"b")
        second = get_storage_backend()
        assert second is not first
        assert await second.load("users/a.txt") == b"a"
    finally:
        await close_storage_backend()
    await close_storage_backend()  # closing twice is harmless


# --------------------------------------------------------------------------- errors


def test_every_error_is_a_storage_error() -> None:
    classes = [
        obj
        for name in errors_module.__all__
        if inspect.isclass(obj := getattr(errors_module, name))
    ]
    assert len(classes) == len(errors_module.__all__)
    for cls in classes:
        assert issubclass(cls, StorageError), cls
        assert isinstance(cls.kind, str)
        assert cls.kind
    defined = [
        obj
        for obj in vars(errors_module).values()
        if inspect.isclass(obj)
        and issubclass(obj, Exception)
        and obj.__module__ == "file_storage.errors"
    ]
    assert set(defined) <= set(classes), "an error class is missing from __all__"


def test_error_hierarchy_fits_the_design_note() -> None:
    from file_storage.backends import StorageQuotaExceededError as FromBackends

    assert issubclass(ObjectNotFoundError, FileNotFoundError)
    assert issubclass(InvalidPathError, ValueError)
    assert InvalidPath is InvalidPathError
    assert FromBackends is errors_module.StorageQuotaExceededError
    error = ObjectNotFoundError("File not found: x", path="x")
    assert str(error) == "File not found: x"
    assert error.path == "x"
    kinds = [getattr(errors_module, n).kind for n in errors_module.__all__ if n != "InvalidPath"]
    assert len(kinds) == len(set(kinds)), "two error classes share a kind"


# --------------------------------------------------------------------------- path builder


def test_layout_paths() -> None:
    b = StoragePathBuilder()
    assert b.user_slug(42) == "user_000042"
    assert b.user_root("user_000042") == "users/user_000042"
    assert b.recordings_root("user_000042") == "users/user_000042/recordings"
    assert b.recording_root("user_000042", 7) == "users/user_000042/recordings/7"
    assert b.recording_source("user_000042", "rec-1") == (
        "users/user_000042/recordings/rec-1/source.mp4"
    )
    assert b.recording_source("user_000042", "rec-1", ".MKV").endswith("/source.mkv")
    assert b.recording_video("user_000042", "r").endswith("/r/video.mp4")
    assert b.recording_audio("user_000042", "r").endswith("/r/audio.m4a")
    assert b.recording_thumbnail("user_000042", "r").endswith("/r/thumbnail.jpg")
    assert b.recording_transcription("user_000042", "r").endswith("/r/transcription.json")
    assert b.shared_thumbnail("lecture.jpg") == "shared/thumbnails/lecture.jpg"
    assert b.parse_user_slug("users/user_000042/recordings/r/video.mp4") == "user_000042"
    assert b.parse_user_slug("shared/thumbnails/x.jpg") is None


@pytest.mark.parametrize(
    "slug",
    ["user_42", "../x", "user_0000042", "USER_000042", "user_00004a", "", "user_000042/..", 42],
)
def test_bad_user_slugs_are_refused(slug: object) -> None:
    with pytest.raises(InvalidPathError):
        StoragePathBuilder().user_root(slug)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "recording_id",
    ["a/b", "..", "../x", "a..b/", "", "-x", "_x", "x" * 65, "a b", "ré", "a\x00", True],
)
def test_bad_recording_ids_are_refused(recording_id: object) -> None:
    with pytest.raises(InvalidPathError):
        StoragePathBuilder().recording_source("user_000042", recording_id)  # type: ignore[arg-type]


@pytest.mark.parametrize("user_id", [-1, 1_000_000, True, "42", 4.2])
def test_bad_user_ids_are_refused(user_id: object) -> None:
    with pytest.raises(InvalidPathError):
        StoragePathBuilder.user_slug(user_id)  # type: ignore[arg-type]


@pytest.mark.parametrize("extension", ["exe", "mp4/../x", "", "sh"])
def test_bad_source_extensions_are_refused(extension: str) -> None:
    with pytest.raises(InvalidPathError):
        StoragePathBuilder().recording_source("user_000042", "r", extension)


@pytest.mark.parametrize("name", ["../x.jpg", "a/b.jpg", ".hidden", "x..jpg"])
def test_bad_thumbnail_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidPathError):
        StoragePathBuilder().shared_thumbnail(name)


def test_create_temp_file(tmp_path: Path) -> None:
    builder = StoragePathBuilder(tmp_path / "store")
    first = builder.create_temp_file(".mp4")
    second = builder.create_temp_file(".mp4")
    assert first != second
    for temp in (first, second):
        assert temp.is_file()
        assert temp.stat().st_size == 0
        assert temp.parent == tmp_path / "store" / "temp"
        assert temp.name.endswith(".mp4")
    assert builder.local_temp_dir() == tmp_path / "store" / "temp"
    for suffix in ("/x", "\\x", "a\x00"):
        with pytest.raises(InvalidPathError):
            builder.create_temp_file(suffix)


# --------------------------------------------------------------------------- CLI


@pytest.fixture
def run_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunCli]:
    """Invoke ``leap-storage`` in-process on a LOCAL store in tmp_path.

    The CLI installs a logging handler on the root logger for each run (right for a process,
    not for a test session); the fixture puts the logging configuration back afterwards.
    """
    monkeypatch.chdir(tmp_path)
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    names = ("botocore", "aiobotocore", "boto3", "aioboto3", "urllib3", "s3transfer")
    saved_levels = {n: logging.getLogger(n).level for n in names}
    env = {"STORAGE_TYPE": "LOCAL", "STORAGE_LOCAL_PATH": str(tmp_path / "store")}

    def run(*args: str, extra_env: dict[str, str] | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(cli, list(args), env={**env, **(extra_env or {})})

    yield run
    for handler in list(root.handlers):
        if handler not in saved_handlers:
            root.removeHandler(handler)
    root.setLevel(saved_level)
    for name, level in saved_levels.items():
        logging.getLogger(name).setLevel(level)


def one_line_error(result: Result) -> str:
    assert result.exit_code != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("leap-storage: error: "), lines[0]
    assert "Traceback" not in result.output
    return lines[0]


def test_cli_put_ls_get_du_rm(run_cli: RunCli, tmp_path: Path) -> None:
    run = run_cli
    source = tmp_path / "lecture.mp4"
    source.write_bytes(b"v" * 3000)
    key = "users/user_000042/recordings/rec-1/source.mp4"

    put = run("put", str(source), key)
    assert put.exit_code == 0, put.output
    assert "uploaded" in put.stdout
    assert (tmp_path / "store" / key).read_bytes() == b"v" * 3000

    folder_put = run("put", str(source), "shared/")
    assert folder_put.exit_code == 0, folder_put.output
    assert (tmp_path / "store" / "shared" / "lecture.mp4").is_file()

    listing = run("ls", "-r", "--bytes")
    assert listing.exit_code == 0, listing.output
    assert key in listing.stdout
    assert "3000" in listing.stdout
    top = run("ls")
    assert "users/" in top.stdout
    assert "shared/" in top.stdout

    target = tmp_path / "out.mp4"
    get = run("get", key, str(target))
    assert get.exit_code == 0, get.output
    assert target.read_bytes() == b"v" * 3000
    into_folder = tmp_path / "dl"
    into_folder.mkdir()
    get_dir = run("get", key, str(into_folder))
    assert get_dir.exit_code == 0, get_dir.output
    assert (into_folder / "source.mp4").read_bytes() == b"v" * 3000

    du = run("du", "--bytes")
    assert du.exit_code == 0, du.output
    assert "users/user_000042" in du.stdout
    assert "6000" in du.stdout

    rm = run("rm", key, "users/absent.bin")
    assert rm.exit_code == 0, rm.output
    assert f"removed {key}" in rm.stdout
    assert "absent" in rm.stdout
    assert not (tmp_path / "store" / key).exists()


def test_cli_du_shows_quota(run_cli: RunCli, tmp_path: Path) -> None:
    run = run_cli
    source = tmp_path / "f.bin"
    source.write_bytes(b"x" * 1024)
    extra = {"STORAGE_LOCAL_MAX_SIZE_GB": "1"}
    assert run("put", str(source), "users/f.bin", extra_env=extra).exit_code == 0
    du = run("du", extra_env=extra)
    assert du.exit_code == 0, du.output
    assert "quota:" in du.stdout


def test_cli_check_local(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli("check")
    assert result.exit_code == 0, result.output
    assert "ok:" in result.stdout
    assert str(tmp_path / "store") in result.stdout


def test_cli_presign_on_local_is_a_one_line_error(run_cli: RunCli) -> None:
    result = run_cli("presign", "users/x.mp4")
    assert result.exit_code == 1
    assert "S3" in one_line_error(result)


@pytest.mark.parametrize("bad", ["../x", "/etc/passwd", "a\\b", "a/../../x"])
def test_cli_bad_path_is_a_one_line_error(run_cli: RunCli, tmp_path: Path, bad: str) -> None:
    source = tmp_path / "f.bin"
    source.write_bytes(b"x")
    for args in (("put", str(source), bad), ("get", bad, str(tmp_path / "o")), ("rm", bad)):
        result = run_cli(*args)
        assert result.exit_code == 1, (args, result.output)
        one_line_error(result)
    assert not (tmp_path / "o").exists()
    assert not (tmp_path / "x").exists()


def test_cli_missing_key_is_a_one_line_error(run_cli: RunCli, tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    result = run_cli("get", "users/nobody.bin", str(target))
    assert result.exit_code == 1
    assert "not found" in one_line_error(result).lower()
    assert not target.exists()


def test_cli_bad_setting_is_a_one_line_error(run_cli: RunCli) -> None:
    result = run_cli("ls", extra_env={"STORAGE_S3_MAX_CONCURRENCY": "0"})
    assert result.exit_code == 1
    assert "STORAGE_S3_MAX_CONCURRENCY" in one_line_error(result).upper()
    unknown = run_cli("ls", extra_env={"STORAGE_TYPE": "FTP"})
    assert "LOCAL" in one_line_error(unknown)
    no_bucket = run_cli("ls", extra_env={"STORAGE_TYPE": "S3"})
    assert "STORAGE_S3_BUCKET" in one_line_error(no_bucket)


def test_cli_missing_env_file(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli("--env-file", str(tmp_path / "absent.env"), "ls")
    assert result.exit_code != 0
    assert "env file not found" in result.stderr
