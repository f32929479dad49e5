"""Finding ffmpeg, reading what it supports, and running it: progress, cancel, errors."""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
from pathlib import Path

import pytest

from file_storage.errors import MediaProcessingError, MediaToolError
from file_storage.media import FFmpegTools, format_duration, load_tools
from file_storage.media.info import parse_ffmpeg_banner
from file_storage.media.process import ProgressParser, redact_media_text, run_ffmpeg
from file_storage.media.tools import find_ffmpeg, find_ffprobe, parse_input_protocols
from file_storage.redaction import register_secret


def script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


async def test_debian_ffmpeg_is_found_with_its_encoders_and_protocols(tools: FFmpegTools) -> None:
    assert tools.ffmpeg.name == "ffmpeg"
    assert tools.ffprobe is not None
    assert {"libx264", "aac", "mjpeg", "libmp3lame"} <= tools.encoders
    assert {"file", "http", "https"} <= tools.input_protocols
    assert tools.can_read("http://127.0.0.1:1/x?sig=1")
    assert not tools.can_read("s3://bucket/key")
    assert tools.version[0].isdigit()


async def test_without_ffmpeg_on_path_the_imageio_wheel_is_used(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The fallback: the imageio-ffmpeg wheel's own binary (a newer ffmpeg, without ffprobe)."""
    monkeypatch.setenv("PATH", str(tmp_path))
    found = find_ffmpeg()
    assert "imageio_ffmpeg" in str(found)
    bundled = await load_tools()
    assert bundled.ffmpeg == found
    assert bundled.ffprobe is None  # the wheel has none; probing parses ffmpeg's banner
    assert "libx264" in bundled.encoders


async def test_missing_or_broken_ffmpeg_names_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(MediaToolError, match="apt-get install ffmpeg"):
        find_ffmpeg(tmp_path / "nope")
    broken = script(tmp_path / "ffmpeg", "echo 'GLIBC_2.99 not found' >&2; exit 127\n")
    with pytest.raises(MediaToolError, match=r"does not run \(exit status 127\).*apt-get"):
        await load_tools(broken)
    not_a_program = tmp_path / "garbage"
    not_a_program.write_bytes(b"\x7fELF\x02garbage")
    not_a_program.chmod(0o755)
    with pytest.raises(MediaToolError, match="cannot run"):
        await load_tools(not_a_program)
    with pytest.raises(MediaToolError, match="ffprobe"):
        find_ffprobe(tmp_path / "no-ffprobe")


async def test_an_ffmpeg_without_libx264_is_refused_before_any_work(tools: FFmpegTools) -> None:
    from dataclasses import replace

    minimal = replace(tools, encoders=frozenset({"aac", "mjpeg"}))
    with pytest.raises(MediaToolError, match=r"no libx264 encoder.*install"):
        minimal.require_encoder("libx264", "transcoding to H.264")


def test_ffprobe_is_found_beside_ffmpeg(tmp_path: Path) -> None:
    ffmpeg = script(tmp_path / "ffmpeg", "exit 0\n")
    ffprobe = script(tmp_path / "ffprobe", "exit 0\n")
    assert find_ffprobe(None, ffmpeg) == ffprobe


def test_progress_parser_reads_out_time_and_end() -> None:
    parser = ProgressParser()
    lines = ["frame=10", "out_time_us=N/A", "speed=N/A", "progress=continue"]
    assert [parser.feed(line) for line in lines] == [False, False, False, True]
    assert parser.out_seconds == 0
    assert parser.feed("out_time_us=2500000") is False
    assert parser.feed("speed=3.1x") is False
    assert parser.feed("progress=end") is True
    assert parser.out_seconds == 2.5
    assert parser.speed == "3.1x"
    assert parser.ended


def test_protocol_list_parsing_stops_at_outputs() -> None:
    text = "Supported file protocols:\nInput:\n  file\n  http\nOutput:\n  rtmp\n"
    assert parse_input_protocols(text) == frozenset({"file", "http"})


def test_url_queries_and_registered_secrets_are_redacted() -> None:
    register_secret("hunter2-secret-value")
    text = (
        "[http @ 0x55] HTTP error 403 Forbidden\n"
        "https://s3.example.com/b/k.mp4?X-Amz-Algorithm=AWS4&X-Amz-Credential=AKIA%2F20261126"
        "&X-Amz-Signature=abcdef0123456789: Server returned 403 Forbidden\n"
        "key hunter2-secret-value"
    )
    clean = redact_media_text(text)
    assert "https://s3.example.com/b/k.mp4?[REDACTED]" in clean
    assert "AKIA" not in clean
    assert "abcdef0123456789" not in clean
    assert "hunter2-secret-value" not in clean


def test_duration_formatting() -> None:
    assert format_duration(None) == "?"
    assert format_duration(42.4) == "0:42"
    assert format_duration(3725.4) == "1:02:05"


def test_banner_parsing_of_a_typical_input_block() -> None:
    banner = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'lecture.mp4':
  Metadata:
    major_brand     : isom
  Duration: 01:02:03.50, start: 0.000000, bitrate: 2345 kb/s
  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(tv, bt709), 1920x1080 [SAR 1:1 DAR 16:9], 2200 kb/s, 29.97 fps, 29.97 tbr, 30k tbn (default)
  Stream #0:1[0x2](eng): Audio: aac (LC) (mp4a / 0x6134706D), 48000 Hz, stereo, fltp, 128 kb/s (default)
At least one output file must be specified"""  # noqa: E501 - ffmpeg's own line lengths
    info = parse_ffmpeg_banner(banner)
    assert info.duration == pytest.approx(3723.5)
    assert (info.width, info.height) == (1920, 1080)
    assert (info.video_codec, info.audio_codec) == ("h264", "aac")
    assert info.bit_rate == 2_345_000
    assert info.frame_rate == pytest.approx(29.97)
    assert info.summary() == "1:02:04 · 1920x1080 · h264/aac · 2.3 Mb/s"
    with pytest.raises(ValueError, match="did not recognise"):
        parse_ffmpeg_banner("noise.mp4: Invalid data found when processing input")


async def test_run_ffmpeg_reports_output_time(tools: FFmpegTools) -> None:
    seen: list[float] = []
    await run_ffmpeg(
        str(tools.ffmpeg),
        ["-f", "lavfi", "-i", "testsrc=size=64x64:rate=25:duration=3", "-f", "null", "-"],
        what="testsrc",
        on_progress=seen.append,
    )
    assert seen
    assert seen[-1] == pytest.approx(3.0, abs=0.1)
    assert seen == sorted(seen)


async def test_run_ffmpeg_failure_quotes_the_stderr_tail(
    tools: FFmpegTools, tmp_path: Path
) -> None:
    with pytest.raises(MediaProcessingError, match="No such file or directory") as failure:
        await run_ffmpeg(
            str(tools.ffmpeg),
            ["-i", str(tmp_path / "absent.mp4"), "-f", "null", "-"],
            what="absent.mp4",
        )
    assert failure.value.returncode != 0
    assert "absent.mp4" in failure.value.stderr_tail


async def test_cancel_terminates_ffmpeg_promptly(tools: FFmpegTools, tmp_path: Path) -> None:
    marker = tmp_path / "endless-output.nut"
    running = asyncio.Event()
    task = asyncio.create_task(
        run_ffmpeg(
            str(tools.ffmpeg),
            ["-re", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=25", "-f", "nut", str(marker)],
            what="endless",
            on_progress=lambda seconds: running.set(),
        )
    )
    await asyncio.wait_for(running.wait(), 60)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    pids = [p for p in os.listdir("/proc") if p.isdigit()]
    for pid in pids:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        assert str(marker).encode() not in cmdline


async def test_an_ffmpeg_ignoring_sigterm_is_killed(tmp_path: Path) -> None:
    """A stand-in process (real ffmpeg honours SIGTERM): one that ignores it is SIGKILLed."""
    if shutil.which("sh") is None:
        pytest.skip("no /bin/sh")
    started = tmp_path / "started"
    stubborn = script(
        tmp_path / "stubborn-ffmpeg",
        f"trap '' TERM\ntouch {started}\nwhile :; do sleep 0.1; done\n",
    )
    task = asyncio.create_task(run_ffmpeg(str(stubborn), [], what="stubborn"))
    while not started.exists():
        await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task  # returns after the grace period and a SIGKILL
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        assert str(stubborn).encode() not in cmdline
