"""ffmpeg reading a presigned HTTPS URL verifies the certificate and its host name (issue 11).

ffmpeg does not verify certificates unless told to; probes and thumbnails of S3 objects let it
read a presigned URL itself, so it gets ``-tls_verify 1`` and the endpoint's CA bundle. The
server has a certificate for ``localhost`` only (trusted through the CA bundle): a URL naming
``localhost`` is read, one naming ``127.0.0.1`` must be refused by ffmpeg itself.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from file_storage.backends.base import ObjectInfo
from file_storage.errors import MediaInputError, MediaProcessingError
from file_storage.media.jobs import MediaJobs
from file_storage.media.tools import FFmpegTools
from file_storage.sandbox import SeaweedSandbox
from tests.media.conftest import Clips
from tests.test_tls_hostname import backend_at, localhost_only_server

__all__ = ["localhost_only_server"]  # the TLS server fixture, shared with test_tls_hostname


async def test_ffmpeg_refuses_a_presigned_url_whose_certificate_names_another_host(
    localhost_only_server: tuple[SeaweedSandbox, Path],
    clips: Clips,
    tools: FFmpegTools,
    tmp_path: Path,
) -> None:
    sandbox, cert = localhost_only_server
    async with (
        backend_at(sandbox, "localhost", cert) as right,
        backend_at(sandbox, "127.0.0.1", cert) as wrong,
    ):
        await right.upload_file("clip.mp4", clips.av)
        info: ObjectInfo = await right.stat("clip.mp4")

        def jobs_on(backend: object) -> MediaJobs:
            return MediaJobs(backend, tools, temp_dir=tmp_path / "temp", ca_bundle=cert)  # type: ignore[arg-type]

        # Streamed (no download): ffmpeg reads https://localhost:... and checks it.
        good = await jobs_on(right)._probe_object(info)
        assert good.duration is not None
        assert good.duration > 3
        # The same object through a URL for 127.0.0.1 (presigning needs no connection, and the
        # backend's own requests would be refused before ffmpeg ever ran).
        url = await wrong.get_presigned_url("clip.mp4")
        assert url.startswith("https://127.0.0.1:")
        jobs = jobs_on(wrong)
        options = jobs._url_options(url)
        assert options[options.index("-tls_verify") + 1] == "1"
        assert options[options.index("-ca_file") + 1] == str(cert)
        with pytest.raises((MediaInputError, MediaProcessingError)) as refused:
            await jobs._probe_location(url, options, "clip.mp4")
        assert "X-Amz-Signature" not in str(refused.value)
        # The control: the same URL with verification off is read, so the refusal above was
        # the certificate check and nothing else (the URL, signature and server are fine).
        unchecked = list(options)
        unchecked[unchecked.index("-tls_verify") + 1] = "0"
        assert (await jobs._probe_location(url, unchecked, "clip.mp4")).duration == good.duration
        assert not (tmp_path / "temp").exists() or not any((tmp_path / "temp").iterdir())
    shutil.rmtree(tmp_path / "temp", ignore_errors=True)
