"""RELIABILITY S2, S3, S4: symlinks out of the root, hostile bucket keys, secrets in logs.

S1 (unsafe path strings) and S5 (presign expiry) live in ``test_contract.py``.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlparse

import pytest
from aiohttp import web

from file_storage import (
    InvalidCredentialsError,
    InvalidPathError,
    LocalStorageBackend,
    S3StorageBackend,
    StorageBackend,
    StorageError,
    StorageSettings,
)
from file_storage.redaction import REDACTED, configure_logging
from file_storage.sandbox import SeaweedSandbox
from tests.conftest import TEST_BUCKET, MakeS3

# --------------------------------------------------------------------------- helpers


def tree(folder: Path) -> dict[str, bytes | str]:
    """Every entry below ``folder``: file content, or the target of a symlink, or 'dir'."""
    result: dict[str, bytes | str] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            full = Path(dirpath) / name
            rel = full.relative_to(folder).as_posix()
            if full.is_symlink():
                result[rel] = "-> " + os.readlink(full)
            elif full.is_dir():
                result[rel] = "dir"
            else:
                result[rel] = full.read_bytes()
    return result


async def all_pages(backend: StorageBackend, prefix: str = "", *, recursive: bool = True) -> Any:
    files: list[str] = []
    folders: list[str] = []
    unsafe: list[str] = []
    async for page in backend.iter_pages(prefix, recursive=recursive):
        files += [info.path for info in page.files]
        folders += page.folders
        unsafe += page.unsafe_keys
    return files, folders, unsafe


# --------------------------------------------------------------------------- S2


@dataclass
class Layout:
    root: Path
    outside: Path
    work: Path


@pytest.fixture
def symlinked_store(tmp_path: Path) -> Layout:
    """A store whose ``users/`` holds symlinks that lead out of it, and two that stay inside."""
    root = tmp_path / "store"
    outside = tmp_path / "outside"
    (outside / "dir").mkdir(parents=True)
    (outside / "secret.txt").write_bytes(b"outside secret")
    (outside / "dir" / "inner.txt").write_bytes(b"outside inner")
    (root / "users").mkdir(parents=True)
    (root / "shared").mkdir()
    (root / "shared" / "real.txt").write_bytes(b"inside content")
    (root / "users" / "evil.txt").symlink_to(outside / "secret.txt")
    (root / "users" / "evil_rel.txt").symlink_to(Path("../../outside/secret.txt"))
    (root / "users" / "evil_dir").symlink_to(outside / "dir", target_is_directory=True)
    (root / "users" / "dangling.txt").symlink_to(outside / "not-yet.txt")
    (root / "users" / "inside.txt").symlink_to(Path("../shared/real.txt"))
    work = tmp_path / "work"
    work.mkdir()
    (work / "upload.bin").write_bytes(b"uploaded through a link")
    return Layout(root, outside, work)


ESCAPING = [
    "users/evil.txt",
    "users/evil_rel.txt",
    "users/dangling.txt",
    "users/evil_dir/inner.txt",
    "users/evil_dir/new.txt",
    "users/evil_dir/sub/new.txt",
]


@pytest.mark.parametrize("path", ESCAPING)
async def test_symlink_out_of_the_root_is_refused_everywhere(
    symlinked_store: Layout, path: str
) -> None:
    """S2: every operation through a symlink that leads outside raises InvalidPathError."""
    layout = symlinked_store
    before = tree(layout.outside)
    target = layout.work / "download.bin"
    async with LocalStorageBackend(layout.root) as backend:
        calls = {
            "save": backend.save(path, b"overwritten through a link"),
            "load": backend.load(path),
            "delete": backend.delete(path),
            "exists": backend.exists(path),
            "get_size": backend.get_size(path),
            "stat": backend.stat(path),
            "upload_file": backend.upload_file(path, layout.work / "upload.bin"),
            "download_file": backend.download_file(path, target),
        }
        outcomes: dict[str, str] = {}
        for name, call in calls.items():
            try:
                await call
            except InvalidPathError as exc:
                outcomes[name] = "refused" if "outside" in str(exc) else f"refused: {exc}"
            else:
                outcomes[name] = "followed the link"
        assert outcomes == dict.fromkeys(calls, "refused")
        with pytest.raises(InvalidPathError):
            [chunk async for chunk in backend.iter_chunks(path)]
    assert tree(layout.outside) == before, "a file outside the store was changed"
    assert not target.exists()


async def test_symlinked_folder_cannot_be_listed(symlinked_store: Layout) -> None:
    async with LocalStorageBackend(symlinked_store.root) as backend:
        with pytest.raises(InvalidPathError):
            await backend.list_files("users/evil_dir")
        with pytest.raises(InvalidPathError):
            await all_pages(backend, "users/evil_dir", recursive=False)


async def test_listing_reports_escaping_symlinks_as_unsafe(symlinked_store: Layout) -> None:
    """S2: escaping links are reported in ``unsafe_keys``, never listed as files or folders."""
    async with LocalStorageBackend(symlinked_store.root) as backend:
        files, folders, unsafe = await all_pages(backend)
        assert sorted(files) == ["shared/real.txt", "users/inside.txt"]
        assert sorted(unsafe) == [
            "users/dangling.txt",
            "users/evil.txt",
            "users/evil_dir",
            "users/evil_rel.txt",
        ]
        assert folders == []
        assert sorted(await backend.list_files()) == ["shared/real.txt", "users/inside.txt"]
        files, folders, unsafe = await all_pages(backend, "users", recursive=False)
        assert files == ["users/inside.txt"]
        assert folders == []
        assert "users/evil_dir" in unsafe
        assert await backend.get_total_size() == 2 * len(b"inside content")


async def test_symlink_inside_the_root_is_fine(symlinked_store: Layout) -> None:
    async with LocalStorageBackend(symlinked_store.root) as backend:
        assert await backend.load("users/inside.txt") == b"inside content"
        assert await backend.get_size("users/inside.txt") == len(b"inside content")
        target = symlinked_store.work / "copy.txt"
        await backend.download_file("users/inside.txt", target)
        assert target.read_bytes() == b"inside content"


async def test_store_root_may_itself_be_a_symlink(tmp_path: Path) -> None:
    """A root reached through a link (``~/Videos -> /mnt/disk``) is not an escape."""
    real = tmp_path / "real-root"
    real.mkdir()
    link = tmp_path / "link-root"
    link.symlink_to(real, target_is_directory=True)
    async with LocalStorageBackend(link) as backend:
        await backend.save("users/a.txt", b"a")
        assert await backend.load("users/a.txt") == b"a"
        assert await backend.list_files() == ["users/a.txt"]
    assert (real / "users" / "a.txt").read_bytes() == b"a"


# --------------------------------------------------------------------------- S3


UNSAFE_ON_SEAWEED = ["C:evil.txt", "users/a\x01b.txt", "users/line\nbreak.txt"]
SAFE_ON_SEAWEED = ["users/%2e%2e/literal.txt", "users/.../dots.txt", "users/ok.txt"]


async def test_unsafe_bucket_keys_are_skipped_on_a_real_server(
    make_s3: MakeS3, raw_s3: Any, tmp_path: Path
) -> None:
    """S3: keys that are no safe local path are reported, never listed nor downloaded.

    SeaweedFS refuses ``..`` segments and turns ``\\`` into ``/`` itself, so this test plants
    the unsafe keys it accepts (a drive letter, control characters); the next test serves the
    ``../../.bashrc`` kind from a fake listing, as AWS S3 would store them.
    """
    backend = make_s3()
    for name in UNSAFE_ON_SEAWEED + SAFE_ON_SEAWEED:
        await raw_s3.put_object(Bucket=TEST_BUCKET, Key=f"{backend.prefix}/{name}", Body=b"data")
    files, _folders, unsafe = await all_pages(backend)
    assert sorted(files) == sorted(SAFE_ON_SEAWEED)
    assert sorted(unsafe) == sorted(f"{backend.prefix}/{n}" for n in UNSAFE_ON_SEAWEED)
    assert sorted(await backend.list_files()) == sorted(SAFE_ON_SEAWEED)

    local_root = tmp_path / "sync" / "root"
    local_root.mkdir(parents=True)
    before = set(tree(tmp_path))
    await mirror(backend, local_root)
    created = set(tree(tmp_path)) - before
    assert all(p.startswith("sync/root/") for p in created), created
    assert sorted(tree(local_root)) == sorted(
        ["users", "users/%2e%2e", "users/...", *SAFE_ON_SEAWEED]
    )
    assert (local_root / "users" / "%2e%2e" / "literal.txt").read_bytes() == b"data"
    for name in UNSAFE_ON_SEAWEED:
        with pytest.raises(InvalidPathError):
            await backend.download_file(name, local_root / "x")


async def mirror(backend: StorageBackend, local_root: Path) -> list[str]:
    """What a naive sync does: download every listed file to the same path under the root."""
    skipped: list[str] = []
    async for page in backend.iter_pages(""):
        skipped += page.unsafe_keys
        for info in page.files:
            await backend.download_file(info.path, local_root / info.path)
    return skipped


HOSTILE = ["../../.bashrc", "a\\b", "ok/../x", "/etc/passwd", "..\\..\\evil.bat"]


@pytest.fixture
async def fake_s3() -> AsyncIterator[str]:
    """A minimal S3 endpoint that lists hostile keys under ``p/`` and serves ``p/good.txt``.

    A fake only because no real server we can run stores such keys; the backend under test
    talks to it over HTTP exactly as to S3.
    """
    good = b"good content"
    etag = hashlib.md5(good).hexdigest()  # noqa: S324 - S3's ETag is an MD5

    def contents(key: str, size: int) -> str:
        return (
            f"<Contents><Key>{quote(key, safe='/')}</Key>"
            "<LastModified>2025-01-01T00:00:00.000Z</LastModified>"
            f'<ETag>"{etag}"</ETag><Size>{size}</Size><StorageClass>STANDARD</StorageClass>'
            "</Contents>"
        )

    async def bucket(request: web.Request) -> web.Response:
        delimiter = request.query.get("delimiter")
        if delimiter:
            body = contents("p/a\\b", 4) + contents("p/good.txt", len(good))
            body += "<CommonPrefixes><Prefix>p/../</Prefix></CommonPrefixes>"
            body += "<CommonPrefixes><Prefix>p/ok/</Prefix></CommonPrefixes>"
        else:
            body = "".join(contents(f"p/{k}", 4) for k in HOSTILE)
            body += contents("p/good.txt", len(good))
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            "<Name>fake-bucket</Name><Prefix>p/</Prefix><MaxKeys>1000</MaxKeys>"
            f"<EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>{body}"
            "</ListBucketResult>"
        )
        return web.Response(body=xml.encode(), content_type="application/xml")

    async def obj(request: web.Request) -> web.Response:
        # Serves any key, so a backend that did follow a hostile key would write a file.
        headers = {
            "ETag": f'"{etag}"',
            "Last-Modified": "Wed, 01 Jan 2025 00:00:00 GMT",
            "Accept-Ranges": "bytes",
            "Content-Type": "application/octet-stream",
        }
        if request.method == "HEAD":
            headers["Content-Length"] = str(len(good))
            return web.Response(status=200, headers=headers)
        match = re.match(r"bytes=(\d+)-(\d+)", request.headers.get("Range", ""))
        if match:
            start, end = int(match[1]), int(match[2])
            headers["Content-Range"] = f"bytes {start}-{end}/{len(good)}"
            return web.Response(status=206, body=good[start : end + 1], headers=headers)
        return web.Response(status=200, body=good, headers=headers)

    app = web.Application()
    app.router.add_get("/fake-bucket", bucket)
    app.router.add_route("*", "/fake-bucket/{key:.+}", obj)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_hostile_bucket_keys_never_reach_the_local_disk(fake_s3: str, tmp_path: Path) -> None:
    """S3: ``../../.bashrc``, ``a\\b``, ``ok/../x``: reported as unsafe, skipped, nothing
    written outside the local root."""
    backend = S3StorageBackend(
        "fake-bucket",
        prefix="p",
        access_key_id="AKIDFAKE",
        secret_access_key="fake-secret-for-a-fake-server",
        endpoint_url=fake_s3,
    )
    async with backend:
        files, folders, unsafe = await all_pages(backend)
        assert files == ["good.txt"]
        assert folders == []
        assert sorted(unsafe) == sorted(f"p/{k}" for k in HOSTILE)
        assert await backend.list_files() == ["good.txt"]

        files, folders, unsafe = await all_pages(backend, recursive=False)
        assert files == ["good.txt"]
        assert folders == ["ok"]
        assert sorted(unsafe) == sorted(["p/a\\b", "p/.."])

        local_root = tmp_path / "home" / "user" / "Leap"
        local_root.mkdir(parents=True)
        before = set(tree(tmp_path))
        skipped = await mirror(backend, local_root)
        assert sorted(skipped) == sorted(f"p/{k}" for k in HOSTILE)
        created = set(tree(tmp_path)) - before
        assert created == {"home/user/Leap/good.txt"}
        assert (local_root / "good.txt").read_bytes() == b"good content"
        assert not (tmp_path / "home" / ".bashrc").exists()
        for key in HOSTILE:
            with pytest.raises(InvalidPathError):
                await backend.download_file(key, local_root / key)
            with pytest.raises(InvalidPathError):
                await backend.load(key)
        assert set(tree(tmp_path)) - before == created


# --------------------------------------------------------------------------- S4


@dataclass
class Captured:
    redacted: io.StringIO
    raw: io.StringIO

    def raw_signatures(self) -> set[str]:
        text = self.raw.getvalue()
        found = set(re.findall(r"(?i)signature[=:]\s*([0-9a-f]{64})", text))
        return found

    def raw_authorization_values(self) -> set[str]:
        text = self.raw.getvalue()
        values = set(re.findall(r"'Authorization': b?'([^']+)'", text))
        values |= set(re.findall(r"(?im)^authorization:\s*(\S.+)$", text))
        return values


@pytest.fixture
def captured_log() -> Iterator[Captured]:
    """DEBUG logging through the library's redacting handler, botocore included.

    A second, raw handler on the botocore loggers sees each record before the root handler
    redacts it: that is where the test learns which signatures and Authorization values were
    really produced, so it can check that none of them reached the redacted log.
    """
    loggers = ["botocore", "aiobotocore", "boto3", "aioboto3", "urllib3", "s3transfer"]
    root = logging.getLogger()
    saved = (root.level, {name: logging.getLogger(name).level for name in loggers})
    redacted, raw = io.StringIO(), io.StringIO()
    handler = configure_logging(
        logging.DEBUG, handler=logging.StreamHandler(redacted), debug_botocore=True
    )
    raw_handler = logging.StreamHandler(raw)
    raw_handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    for name in ("botocore", "aiobotocore"):
        logging.getLogger(name).addHandler(raw_handler)
    try:
        yield Captured(redacted, raw)
    finally:
        root.removeHandler(handler)
        for name in ("botocore", "aiobotocore"):
            logging.getLogger(name).removeHandler(raw_handler)
        root.setLevel(saved[0])
        for name, level in saved[1].items():
            logging.getLogger(name).setLevel(level)


def exception_texts(error: BaseException) -> list[str]:
    """str() and repr() of an exception and of everything chained to it."""
    texts: list[str] = []
    seen: set[int] = set()
    todo: list[BaseException | None] = [error]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        texts += [str(current), repr(current)]
        todo += [current.__cause__, current.__context__]
    return texts


def assert_clean(text: str, forbidden: set[str], where: str) -> None:
    for value in forbidden:
        assert value not in text, f"{where} leaks {value[:12]}..."


@dataclass
class AuthFailure:
    planted: str
    backend: S3StorageBackend
    errors: dict[str, BaseException]
    check_detail: str
    forbidden: set[str]


@pytest.fixture
async def auth_failure(
    make_s3: MakeS3, s3_server: SeaweedSandbox, captured_log: Captured
) -> AuthFailure:
    """List, save and check with a planted wrong secret, logging at DEBUG (botocore too)."""
    planted = "PLANTEDSECRET" + uuid.uuid4().hex
    backend = make_s3(secret=planted)
    errors: dict[str, BaseException] = {}
    for name, call in (
        ("list", backend.list_files()),
        ("save", backend.save("users/x.json", b"{}")),
    ):
        try:
            await call
        except StorageError as exc:
            errors[name] = exc
    result = await backend.check()
    assert not result.ok
    assert result.error is not None
    errors["check"] = result.error
    assert set(errors) == {"list", "save", "check"}, "an operation with a wrong secret worked"
    signatures = captured_log.raw_signatures()
    assert signatures, "botocore logged no signature: the log checks would prove nothing"
    forbidden = {planted, s3_server.secret_key} | signatures
    forbidden |= captured_log.raw_authorization_values()
    return AuthFailure(planted, backend, errors, result.detail, forbidden)


async def test_wrong_secret_is_reported_as_bad_credentials(auth_failure: AuthFailure) -> None:
    """S4: a wrong secret says so (InvalidCredentialsError), for list, save and check alike."""
    wrong = {
        name: f"{type(error).__name__}: {error}"
        for name, error in auth_failure.errors.items()
        if not isinstance(error, InvalidCredentialsError)
    }
    assert wrong == {}


async def test_auth_failure_debug_log_has_no_secret(
    auth_failure: AuthFailure, captured_log: Captured
) -> None:
    """S4: no secret, Signature value or Authorization value in the DEBUG log."""
    log_text = captured_log.redacted.getvalue()
    assert "SignatureDoesNotMatch" in log_text or "InvalidCredentialsError" in log_text
    assert_clean(log_text, auth_failure.forbidden, "the DEBUG log")


async def test_auth_failure_exceptions_have_no_secret(auth_failure: AuthFailure) -> None:
    """S4: the errors, everything chained to them, and the backend's repr are secret-free."""
    for name, error in auth_failure.errors.items():
        for text in exception_texts(error):
            assert_clean(text, auth_failure.forbidden, f"the {name} error (or its cause)")
    assert_clean(auth_failure.check_detail, auth_failure.forbidden, "CheckResult.detail")
    assert_clean(repr(auth_failure.backend), auth_failure.forbidden, "repr(backend)")
    assert_clean(auth_failure.backend.describe(), auth_failure.forbidden, "describe()")


def test_settings_never_show_the_secret() -> None:
    secret = "PLANTEDSECRET" + uuid.uuid4().hex
    token = "PLANTEDTOKEN" + uuid.uuid4().hex
    settings = StorageSettings(
        _env_file=None,  # type: ignore[call-arg]
        storage_type="S3",
        s3_bucket="b",
        s3_access_key_id="AKIDEXAMPLE",
        s3_secret_access_key=secret,
        s3_session_token=token,
    )
    for text in (repr(settings), str(settings), settings.model_dump_json()):
        assert secret not in text
        assert token not in text
    assert settings.s3_secret_access_key is not None
    assert settings.s3_secret_access_key.get_secret_value() == secret


async def test_presigned_url_logged_by_mistake_is_redacted(
    make_s3: MakeS3, captured_log: Captured
) -> None:
    """S4: a presigned URL in a log line (or an ffmpeg command line) loses its signature."""
    backend = make_s3()
    url = await backend.get_presigned_url("users/user_000001/recordings/r/video.mp4", 600)
    signature = parse_qs(urlparse(url).query)["X-Amz-Signature"][0]
    logging.getLogger("x").info("url %s", url)
    logging.getLogger("app.ffmpeg").info("running: ffmpeg -i '%s' -c copy out.mp4", url)
    lines = [
        line
        for line in captured_log.redacted.getvalue().splitlines()
        if " x: url " in line or " app.ffmpeg: running: ffmpeg" in line
    ]
    assert len(lines) == 2
    for line in lines:
        assert f"X-Amz-Signature={REDACTED}" in line
        assert "X-Amz-Credential=" + REDACTED in line
        assert signature not in line


async def test_presigning_at_debug_does_not_log_the_signature(
    make_s3: MakeS3, captured_log: Captured
) -> None:
    """S4: botocore logs the canonical request of a presigned URL; with the signature next to
    it, anyone reading the log could rebuild a working link. The signature must not be there."""
    backend = make_s3()
    url = await backend.get_presigned_url("users/user_000001/recordings/r/video.mp4", 600)
    signature = parse_qs(urlparse(url).query)["X-Amz-Signature"][0]
    assert signature in captured_log.raw_signatures(), "botocore did not log it: test is moot"
    assert signature not in captured_log.redacted.getvalue()


async def test_crash_traceback_is_redacted(make_s3: MakeS3, captured_log: Captured) -> None:
    """S4: an exception whose message carries the secret, logged with logger.exception."""
    planted = "PLANTEDSECRET" + uuid.uuid4().hex
    make_s3(secret=planted)  # registers the secret, as configuring a backend does
    logger = logging.getLogger("app.crash")
    try:
        raise RuntimeError(f"could not sign with {planted}")
    except RuntimeError:
        logger.exception("worker crashed")
    try:
        raise StorageError("wrapped") from ValueError(f"aws_secret_access_key={planted}")
    except StorageError:
        logger.exception("second crash")
    text = captured_log.redacted.getvalue()
    assert "Traceback" in text
    assert "worker crashed" in text
    assert REDACTED in text
    assert planted not in text
