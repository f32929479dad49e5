"""Issue 11: every S3 request checks the certificate's host name, with the CA bundle honoured.

aiobotocore 2.25.1 builds its SSL context with botocore's ``create_urllib3_context()``, which
sets ``check_hostname=False``: operations sent through aiobotocore (check, multipart, delete,
copy...) accepted a certificate issued for another host, while the lean aiohttp path refused it.
The backend now hands both paths one SSL context with ``check_hostname=True`` and
``CERT_REQUIRED``. The server here has a certificate for ``localhost`` only, trusted through the
CA bundle: reached as ``127.0.0.1`` every operation must fail; reached as ``localhost`` they work.
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from file_storage import S3StorageBackend, S3Tuning, TLSVerificationError
from file_storage.sandbox import SeaweedSandbox
from file_storage.sync.trash import trash_remote

BUCKET = "tls-names"
MiB = 1024 * 1024
STAMP = "20260101T000000Z"


async def outcome(operation: Callable[[], Awaitable[object]]) -> str:
    """``refused: host name`` when the TLS error names the host name; else what happened."""
    try:
        await operation()
    except TLSVerificationError as exc:
        return "refused: host name" if "host name" in str(exc) else f"refused: {exc}"
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return "went through"


@pytest.fixture(scope="module")
def localhost_only_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[SeaweedSandbox, Path]]:
    try:
        socket.getaddrinfo("localhost", 443)
    except OSError:
        pytest.skip("'localhost' does not resolve here")
    folder = tmp_path_factory.mktemp("tls-names")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )
    sandbox = SeaweedSandbox(folder / "weed", tls=(cert, key)).start()
    sandbox.create_bucket(BUCKET)
    yield sandbox, cert
    sandbox.stop()


def backend_at(sandbox: SeaweedSandbox, host: str, ca_bundle: Path) -> S3StorageBackend:
    port = sandbox.https_endpoint_url.rsplit(":", 1)[1]
    return S3StorageBackend(
        BUCKET,
        prefix="names",
        access_key_id=sandbox.access_key,
        secret_access_key=sandbox.secret_key,
        endpoint_url=f"https://{host}:{port}",
        tuning=S3Tuning(
            ca_bundle=ca_bundle, max_attempts=1, part_size=5 * MiB, multipart_threshold=5 * MiB
        ),
    )


async def test_every_operation_refuses_a_certificate_for_another_host(
    localhost_only_server: tuple[SeaweedSandbox, Path], tmp_path: Path
) -> None:
    sandbox, cert = localhost_only_server
    small, big = tmp_path / "small.bin", tmp_path / "big.bin"
    small.write_bytes(b"x" * 100)
    big.write_bytes(os.urandom(6 * MiB))
    async with backend_at(sandbox, "localhost", cert) as right:
        await right.upload_file("kept.bin", small)
        await right.upload_file("kept-big.bin", big)
    async with backend_at(sandbox, "127.0.0.1", cert) as wrong:
        result = await wrong.check()
        assert not result.ok
        assert isinstance(result.error, TLSVerificationError)
        assert "host name" in result.detail
        operations = {
            "list": lambda: wrong.list_files(),
            "put": lambda: wrong.upload_file("new.bin", small),
            "multipart": lambda: wrong.upload_file("new-big.bin", big),
            "get": lambda: wrong.download_file("kept.bin", tmp_path / "got.bin"),
            "stream": lambda: wrong.load("kept.bin"),
            "delete": lambda: wrong.delete("kept.bin"),
            "copy": lambda: trash_remote(wrong, "kept.bin", STAMP, etag=None, size=100),
            "uploads": lambda: wrong.list_multipart_uploads(),
        }
        outcomes = {name: await outcome(operation) for name, operation in operations.items()}
        assert outcomes == dict.fromkeys(operations, "refused: host name")
    async with backend_at(sandbox, "localhost", cert) as right:
        assert (await right.check()).ok
        assert sorted(await right.list_files()) == ["kept-big.bin", "kept.bin"]
        await right.download_file("kept-big.bin", tmp_path / "big-back.bin")
        assert (tmp_path / "big-back.bin").read_bytes() == big.read_bytes()
        await trash_remote(right, "kept.bin", STAMP, etag=None, size=100)
        await right.delete("kept.bin")
