"""Bandwidth limits (issue 13 item 4): all transfers together, changes at once, a timetable.

The rate tests move ~12 MiB through SeaweedFS at 2 MiB/s (about 6 s each way) and measure bytes
over wall time from the limiter's own counters and from the transfer's end (the server has all
of an upload when its PUT answers). bench/bandwidth_bench.py holds the 30 s measurement.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from file_storage import S3Tuning
from file_storage.bandwidth import (
    BandwidthLimiter,
    BandwidthSyntaxError,
    format_rate,
    parse_rate,
    parse_rates,
    parse_schedule,
)
from file_storage.errors import ConfigurationError
from file_storage.settings import load_settings
from tests.conftest import MakeS3, write_random

KiB = 1024
MiB = 1024 * KiB
RATE = 2 * MiB
#: A Monday (2026-12-07), at 10:00 local time.
MONDAY_10 = datetime(2026, 12, 7, 10, 0)


class FakeClock:
    """Local wall time that moves only when the test says."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def limited_tuning(limiter: BandwidthLimiter) -> S3Tuning:
    return S3Tuning(part_size=5 * MiB, multipart_threshold=5 * MiB, bandwidth=limiter)


def assert_rate(moved: int, seconds: float, expected: float) -> None:
    rate = moved / seconds
    assert abs(rate - expected) <= 0.10 * expected, (
        f"{format_rate(rate)} over {seconds:.2f} s, expected {format_rate(expected)} +-10 %"
    )


# ------------------------------------------------------------------ syntax


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("10M", 10 * MiB),
        ("512K", 512 * KiB),
        ("512k", 512 * KiB),
        ("1G", 1024 * MiB),
        ("2.5MiB/s", 2.5 * MiB),
        ("100", 100.0),
        ("20Mbit/s", 2_500_000.0),
        ("20 Mbit/s", 2_500_000.0),
        ("20Mbps", 2_500_000.0),
        ("800kbit", 100_000.0),
        ("off", None),
        ("unlimited", None),
        ("0", None),
    ],
)
def test_rates_are_bytes_unless_they_say_bits(text: str, rate: float | None) -> None:
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["10Q", "fast", "-1M", "M", "10 M B x", "1.2.3M"])
def test_a_bad_rate_is_one_clear_line(text: str) -> None:
    with pytest.raises(BandwidthSyntaxError) as info:
        parse_rate(text)
    message = str(info.value)
    assert "\n" not in message
    assert "is not a rate" in message
    assert "10M" in message


def test_up_and_down_apart() -> None:
    assert parse_rates("10M:off") == (10 * MiB, None)
    assert parse_rates("1M") == (MiB, MiB)
    with pytest.raises(BandwidthSyntaxError, match="UP:DOWN"):
        parse_rates("1M:2M:3M")


def test_a_timetable_follows_the_week() -> None:
    schedule = parse_schedule("Mon-Fri 09:00-18:00 20Mbit/s; Sat,Sun 22:00-06:00 1M:off")
    assert schedule is not None
    base = (None, None)
    up, down, until = schedule.at(MONDAY_10, base)
    assert (up, down, until) == (2_500_000.0, 2_500_000.0, datetime(2026, 12, 7, 18, 0))
    up, down, until = schedule.at(datetime(2026, 12, 7, 18, 0), base)
    assert (up, down) == base
    assert until == datetime(2026, 12, 8, 9, 0), "the next start: Tuesday 09:00"
    # A span past midnight: Sunday 22:00 to Monday 06:00.
    assert schedule.at(datetime(2026, 12, 14, 5, 59), base)[:2] == (MiB, None)
    assert schedule.at(datetime(2026, 12, 14, 5, 59), base)[2] == datetime(2026, 12, 14, 6, 0)
    # Friday night is not a weekend night.
    assert schedule.at(datetime(2026, 12, 11, 23, 0), base)[:2] == base


def test_otherwise_and_the_base_limits() -> None:
    schedule = parse_schedule("weekdays 09:00-18:00 1M; otherwise 4M")
    assert schedule is not None
    assert schedule.at(datetime(2026, 12, 12, 10, 0), (None, None))[:2] == (4 * MiB, 4 * MiB)
    plain = parse_schedule("daily 01:00-02:00 off")
    assert plain is not None
    assert plain.at(MONDAY_10, (MiB, 2 * MiB))[:2] == (MiB, 2 * MiB), "outside: the base limits"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("Mon-Fry 09:00-18:00 2M", "'Fry' is not a day"),
        ("Mon 9-18 2M", "not a time"),
        ("Mon 09:00-25:00 2M", "not a time"),
        ("Mon 09:00-09:00 2M", "empty"),
        ("Mon 09:00-18:00", "not a rule"),
        ("Mon 09:00-18:00 fast", "is not a rate"),
        ("otherwise 1M; otherwise 2M", "twice"),
        ("otherwise", "the rate is missing"),
    ],
)
def test_timetable_errors_name_the_rule(text: str, says: str) -> None:
    with pytest.raises(BandwidthSyntaxError) as info:
        parse_schedule(text)
    assert says in str(info.value)
    assert "\n" not in str(info.value)


def test_settings_refuse_a_bad_limit_in_one_line() -> None:
    with pytest.raises(ConfigurationError) as info:
        load_settings(bwlimit_schedule="Mon 09:00-18:00 fast")
    assert str(info.value).startswith("invalid setting STORAGE_BWLIMIT_SCHEDULE: ")
    with pytest.raises(ConfigurationError, match="STORAGE_BWLIMIT_DOWN"):
        load_settings(bwlimit_down="10Q")
    settings = load_settings(bwlimit_up="10M", bwlimit_down="", bwlimit_schedule=" ")
    assert (settings.bwlimit_up, settings.bwlimit_down, settings.bwlimit_schedule) == (
        "10M",
        None,
        None,
    )


def test_current_says_what_holds_and_until_when() -> None:
    clock = FakeClock(MONDAY_10)
    limiter = BandwidthLimiter(
        down=8 * MiB, schedule=parse_schedule("Mon-Fri 09:00-18:00 1M:2M"), clock=clock
    )
    now = limiter.current()
    assert (now.up, now.down, now.until) == (MiB, 2 * MiB, datetime(2026, 12, 7, 18, 0))
    assert now.source == "Mon-Fri 09:00-18:00 1M:2M"
    assert now.describe() == "up 1 MiB/s, down 2 MiB/s until Mon 18:00"
    clock.now = datetime(2026, 12, 7, 18, 0)
    later = limiter.current()
    assert (later.up, later.down, later.source) == (None, 8 * MiB, "otherwise")
    assert later.until == datetime(2026, 12, 8, 9, 0)
    assert BandwidthLimiter(up=MiB).current().describe() == "up 1 MiB/s, down unlimited"


# ------------------------------------------------------------------ the bucket


async def test_a_raised_limit_reaches_a_waiting_transfer_at_once() -> None:
    limiter = BandwidthLimiter(up=32 * KiB)
    waiting = asyncio.create_task(limiter.up.acquire(4 * MiB))  # 2 minutes at 32 KiB/s
    await asyncio.sleep(0.2)
    assert not waiting.done()
    limiter.configure(up=None)
    await asyncio.wait_for(waiting, timeout=2)
    assert limiter.up.bytes == 4 * MiB


async def test_a_cancelled_wait_leaves_the_queue() -> None:
    limiter = BandwidthLimiter(down=16 * KiB)
    first = asyncio.create_task(limiter.down.acquire(MiB))
    await asyncio.sleep(0.05)
    assert limiter.down.waiting == 1
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    assert limiter.down.waiting == 0


# ------------------------------------------------------------------ real transfers


async def test_upload_and_download_hold_the_rate(make_s3: MakeS3, tmp_path: Path) -> None:
    limiter = BandwidthLimiter(up=RATE, down=RATE)
    backend = make_s3(tuning=limited_tuning(limiter))
    await backend.ensure_open()
    source = write_random(tmp_path / "clip.bin", 12 * MiB, seed=3)

    started = time.monotonic()
    await backend.upload_file("clip.bin", source)
    up_s = time.monotonic() - started
    assert limiter.up.bytes >= 12 * MiB
    assert_rate(12 * MiB, up_s, RATE)  # the PUTs answered: the server holds every byte
    assert_rate(limiter.up.bytes, up_s, RATE)

    target = tmp_path / "back.bin"
    started = time.monotonic()
    await backend.download_file("clip.bin", target)
    down_s = time.monotonic() - started
    assert target.read_bytes() == source.read_bytes()
    assert limiter.down.bytes >= 12 * MiB
    assert_rate(12 * MiB, down_s, RATE)


async def test_two_transfers_share_one_limit(make_s3: MakeS3, tmp_path: Path) -> None:
    limiter = BandwidthLimiter(up=RATE)
    first = make_s3(tuning=limited_tuning(limiter))
    second = make_s3(tuning=limited_tuning(limiter))  # another backend, the same limiter
    a = write_random(tmp_path / "a.bin", 4 * MiB, seed=1)
    b = write_random(tmp_path / "b.bin", 4 * MiB, seed=2)
    await first.ensure_open()
    await second.ensure_open()
    finished: dict[str, float] = {}
    started = time.monotonic()

    async def put(backend: object, name: str, path: Path) -> None:
        await backend.upload_file(name, path)  # type: ignore[attr-defined]
        finished[name] = time.monotonic() - started

    await asyncio.gather(put(first, "a.bin", a), put(second, "b.bin", b))
    total = max(finished.values())
    assert_rate(8 * MiB, total, RATE)
    # Shared fairly: neither got the limit to itself and finished at half time.
    assert min(finished.values()) > 0.75 * total, finished


async def test_a_timetable_switch_changes_the_rate_mid_transfer(
    make_s3: MakeS3, tmp_path: Path
) -> None:
    clock = FakeClock(MONDAY_10)
    limiter = BandwidthLimiter(
        schedule=parse_schedule("Mon-Fri 09:00-18:00 1M; otherwise 4M"), clock=clock
    )
    backend = make_s3(tuning=limited_tuning(limiter))
    await backend.ensure_open()
    source = write_random(tmp_path / "talk.bin", 9 * MiB, seed=4)
    assert limiter.current().until == datetime(2026, 12, 7, 18, 0)
    samples: list[tuple[float, int]] = []
    started = time.monotonic()

    async def sample() -> None:
        while True:
            samples.append((time.monotonic() - started, limiter.up.bytes))
            await asyncio.sleep(0.05)

    sampler = asyncio.create_task(sample())
    upload = asyncio.create_task(backend.upload_file("talk.bin", source))
    try:
        await asyncio.sleep(2.5)
        assert not upload.done()
        clock.now = datetime(2026, 12, 7, 18, 0)  # the working day ends
        switched = time.monotonic() - started
        await asyncio.wait_for(upload, timeout=30)
    finally:
        sampler.cancel()
        upload.cancel()
        await asyncio.gather(sampler, upload, return_exceptions=True)
    ended = time.monotonic() - started

    def moved_between(t0: float, t1: float) -> float:
        first = next(b for t, b in samples if t >= t0)
        last = next(b for t, b in reversed(samples) if t <= t1)
        return float(last - first)

    slow = moved_between(0.5, switched) / (switched - 0.5)
    fast_window = (switched + 0.3, ended - 0.3)
    fast = moved_between(*fast_window) / (fast_window[1] - fast_window[0])
    assert abs(slow - MiB) <= 0.15 * MiB, format_rate(slow)
    assert fast > 2.5 * slow, (format_rate(slow), format_rate(fast))
    assert limiter.current().up == 4 * MiB


# ------------------------------------------------------------------ the CLI option


def test_the_cli_option_replaces_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from file_storage.cli.main import cli

    shared = BandwidthLimiter()
    monkeypatch.setattr(BandwidthLimiter, "_shared", shared)
    runner = CliRunner()
    result = runner.invoke(cli, ["--bwlimit", "10Q", "ls"])
    assert result.exit_code == 2
    assert "--bwlimit" in result.output
    assert "'10Q' is not a rate" in result.output

    shared.apply_option("3M:off")
    shared.apply_settings("1M", "1M", None)  # what the factory does with STORAGE_BWLIMIT_*
    assert (shared.current().up, shared.current().down) == (3 * MiB, None)
    shared.apply_option("Mon-Fri 09:00-18:00 1M")
    assert shared.schedule is not None
