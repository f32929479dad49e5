"""RELIABILITY S6: an HTTPS endpoint with a self-signed certificate.

Fails by default (certificate checks are never switched off), works once the CA bundle is set.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from file_storage import S3StorageBackend, S3Tuning, TLSVerificationError
from file_storage.sandbox import SeaweedSandbox

BUCKET = "tls-bucket"


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SeaweedSandbox, Path]]:
    folder = tmp_path_factory.mktemp("tls")
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
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )
    sandbox = SeaweedSandbox(folder / "weed", tls=(cert, key)).start()
    sandbox.create_bucket(BUCKET)
    yield sandbox, cert
    sandbox.stop()


def _backend(sandbox: SeaweedSandbox, ca_bundle: Path | None) -> S3StorageBackend:
    return S3StorageBackend(
        BUCKET,
        access_key_id=sandbox.access_key,
        secret_access_key=sandbox.secret_key,
        endpoint_url=sandbox.https_endpoint_url,
        tuning=S3Tuning(ca_bundle=ca_bundle, max_attempts=1),
    )


async def test_self_signed_endpoint_fails_by_default(
    tls_server: tuple[SeaweedSandbox, Path],
) -> None:
    sandbox, _cert = tls_server
    async with _backend(sandbox, None) as backend:
        with pytest.raises(TLSVerificationError, match="STORAGE_S3_CA_BUNDLE"):
            await backend.save("users/x.json", b"{}")
        with pytest.raises(TLSVerificationError):
            await backend.list_files()
        result = await backend.check()
        assert not result.ok
        assert isinstance(result.error, TLSVerificationError)


async def test_self_signed_endpoint_works_with_its_ca_bundle(
    tls_server: tuple[SeaweedSandbox, Path],
) -> None:
    sandbox, cert = tls_server
    async with _backend(sandbox, cert) as backend:
        await backend.save("users/x.json", b"{}")
        assert await backend.load("users/x.json") == b"{}"
        assert await backend.list_files("users") == ["users/x.json"]
        assert (await backend.check()).ok
