"""Bandwidth limits for every network transfer of a process, with a weekly timetable.

One :class:`BandwidthLimiter` per process (:meth:`BandwidthLimiter.shared`) holds two token
buckets, one for uploads and one for downloads. The S3 transport asks it before each slice of
an upload body goes to the socket and after each piece of a download body is read, so the limit
holds for all transfers together (parts in flight, several files, several backends), and a
change (:meth:`BandwidthLimiter.configure`, or a timetable boundary) applies to transfers that
are already running within a fraction of a second. Local copies are never limited.

Rates (``STORAGE_BWLIMIT_UP``, ``STORAGE_BWLIMIT_DOWN``, ``--bwlimit``) are **bytes** per second
as in rclone's ``--bwlimit``, with binary multiples: ``512K`` = 512 KiB/s, ``10M`` = 10 MiB/s,
``1G`` = 1 GiB/s (``KiB``, ``MiB``, ``GiB``, ``/s`` and a ``B`` are also accepted). Network
speeds in **bits** must say so, in decimal multiples: ``20Mbit/s`` (or ``20Mbps``) =
20,000,000 bit/s = 2.5 MB/s; ``kbit``/``Gbit`` likewise. ``off``, ``unlimited`` or ``0``: no
limit. ``UP:DOWN`` gives both directions at once (``10M:off``); a single rate limits both.

A timetable (``STORAGE_BWLIMIT_SCHEDULE``) is rules separated by ``;``::

    Mon-Fri 09:00-18:00 20Mbit/s; Sat,Sun 10:00-12:00 1M:4M; otherwise unlimited

Each rule is days, a time span and a rate (or ``UP:DOWN``). Days are ``Mon`` .. ``Sun``, ranges
(``Mon-Fri``, ``Fri-Mon``), lists (``Sat,Sun``) or ``daily``/``weekdays``/``weekends``. A span
``HH:MM-HH:MM`` starts on each listed day; an end before the start runs past midnight
(``22:00-06:00``) and ``24:00`` is the end of the day. The first rule that covers the moment
wins; ``otherwise RATE`` sets the rate outside every rule, which is otherwise the base limits
(``STORAGE_BWLIMIT_UP``/``DOWN``). Times are the local time of the injected clock.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import count

KiB = 1024
MiB = 1024 * KiB

#: Limit: bytes per second, ``None`` for no limit.
Rate = float | None

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_WORDS = {
    "daily": frozenset(range(7)),
    "everyday": frozenset(range(7)),
    "weekdays": frozenset(range(5)),
    "weekends": frozenset({5, 6}),
}
_UNLIMITED = frozenset({"off", "unlimited", "none", "0"})
_RATE_RE = re.compile(
    r"^(?P<number>\d+(?:\.\d+)?)(?P<unit>[a-z]*)(?:/s)?$",
)
_BYTE_UNITS = {
    "": 1,
    "b": 1,
    "k": KiB,
    "kb": KiB,
    "kib": KiB,
    "m": MiB,
    "mb": MiB,
    "mib": MiB,
    "g": 1024 * MiB,
    "gb": 1024 * MiB,
    "gib": 1024 * MiB,
}
_BIT_UNITS = {"bit": 1 / 8, "kbit": 1e3 / 8, "mbit": 1e6 / 8, "gbit": 1e9 / 8}
_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})$")

#: How long a waiting transfer sleeps at most before it looks at the limit again (so a raised
#: limit or a timetable boundary reaches it quickly).
POLL_S = 0.05
#: Tokens the bucket may save up while idle, in seconds of the rate (a burst after a pause).
BURST_S = 0.2


class BandwidthSyntaxError(ValueError):
    """A rate or timetable that cannot be read; the message is one line."""


def parse_rate(text: str) -> Rate:
    """Bytes per second of ``text`` (see the module doc), ``None`` for unlimited.

    Raises:
        BandwidthSyntaxError: One line naming the text and the accepted forms.
    """
    value = text.strip().lower().replace(" ", "")
    if value in _UNLIMITED:
        return None
    match = _RATE_RE.match(value)
    unit = match.group("unit") if match else ""
    if unit.endswith("bps"):
        unit = unit[:-3] + "bit"  # "20Mbps"
    factor = _BYTE_UNITS.get(unit) or _BIT_UNITS.get(unit)
    if match is None or factor is None:
        raise BandwidthSyntaxError(
            f"{text.strip()!r} is not a rate: use bytes per second such as 512K, 10M, 1G "
            "(KiB/MiB/GiB per second), bits such as 20Mbit/s, or off"
        )
    rate = float(match.group("number")) * factor
    return None if rate == 0 else rate


def parse_rates(text: str) -> tuple[Rate, Rate]:
    """``(up, down)`` of ``RATE`` (both directions) or ``UP:DOWN``."""
    up, sep, down = text.partition(":")
    if not sep:
        rate = parse_rate(text)
        return rate, rate
    if ":" in down:
        raise BandwidthSyntaxError(f"{text.strip()!r}: give one rate, or UP:DOWN such as 10M:off")
    return parse_rate(up), parse_rate(down)


def format_rate(rate: Rate) -> str:
    """A rate as people read it: ``unlimited``, ``512 KiB/s``, ``2.5 MiB/s``."""
    if rate is None:
        return "unlimited"
    for unit, size in (("GiB/s", 1024 * MiB), ("MiB/s", MiB), ("KiB/s", KiB)):
        if rate >= size:
            return f"{rate / size:.3g} {unit}"
    return f"{rate:.0f} B/s"


@dataclass(frozen=True, slots=True)
class Rule:
    """One timetable rule: from ``start`` minutes after midnight of each day in ``days``, for
    ``length`` minutes (past midnight when the span wraps), ``up``/``down`` are in force."""

    days: frozenset[int]
    start: int
    length: int
    up: Rate
    down: Rate
    text: str

    def end_after(self, moment: datetime) -> datetime | None:
        """When this rule's span that covers ``moment`` ends, or ``None`` if none covers it."""
        minute = moment.hour * 60 + moment.minute + moment.second / 60
        for back in (0, 1):  # a span that started today, or yesterday and runs past midnight
            day = (moment.weekday() - back) % 7
            if day not in self.days:
                continue
            offset = minute + back * 24 * 60 - self.start
            if 0 <= offset < self.length:
                midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
                return midnight - timedelta(days=back) + timedelta(minutes=self.start + self.length)
        return None

    def next_start_after(self, moment: datetime) -> datetime | None:
        """The first start of this rule after ``moment`` (within the next 8 days)."""
        midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        for ahead in range(8):
            day = midnight + timedelta(days=ahead)
            begin = day + timedelta(minutes=self.start)
            if day.weekday() in self.days and begin > moment:
                return begin
        return None


@dataclass(frozen=True, slots=True)
class Schedule:
    """A weekly timetable: the first matching rule wins, else ``otherwise`` (if given)."""

    rules: tuple[Rule, ...]
    otherwise: tuple[Rate, Rate] | None = None
    text: str = ""

    def at(self, moment: datetime, base: tuple[Rate, Rate]) -> tuple[Rate, Rate, datetime | None]:
        """``(up, down, until)`` at ``moment``; ``until`` is the next change (``None``: never)."""
        for index, rule in enumerate(self.rules):
            end = rule.end_after(moment)
            if end is not None:
                # An earlier rule starting before this one ends takes over then.
                return rule.up, rule.down, min([end, *self._starts(moment, self.rules[:index])])
        up, down = self.otherwise if self.otherwise is not None else base
        starts = self._starts(moment, self.rules)
        return up, down, min(starts) if starts else None

    @staticmethod
    def _starts(moment: datetime, rules: tuple[Rule, ...]) -> list[datetime]:
        return [s for r in rules if (s := r.next_start_after(moment)) is not None]


def parse_schedule(text: str) -> Schedule | None:
    """Read a timetable (see the module doc); ``None`` for an empty one.

    Raises:
        BandwidthSyntaxError: One line naming the rule that cannot be read and why.
    """
    rules: list[Rule] = []
    otherwise: tuple[Rate, Rate] | None = None
    for raw in text.replace("\n", ";").split(";"):
        part = raw.strip()
        if not part:
            continue
        words = part.split()
        if words[0].lower() in ("otherwise", "else", "default"):
            if otherwise is not None:
                raise BandwidthSyntaxError(f"{part!r}: 'otherwise' is given twice")
            otherwise = _rates_of(part, words[1:])
            continue
        if len(words) < 3:
            raise BandwidthSyntaxError(
                f"{part!r} is not a rule: write DAYS HH:MM-HH:MM RATE, "
                "such as 'Mon-Fri 09:00-18:00 20Mbit/s', or 'otherwise RATE'"
            )
        days = _days_of(part, words[0])
        start, length = _span_of(part, words[1])
        up, down = _rates_of(part, words[2:])
        rules.append(Rule(days, start, length, up, down, part))
    if not rules and otherwise is None:
        return None
    return Schedule(tuple(rules), otherwise, text.strip())


def _rates_of(rule: str, words: list[str]) -> tuple[Rate, Rate]:
    if not words:
        raise BandwidthSyntaxError(f"{rule!r}: the rate is missing (such as 20Mbit/s or off)")
    try:
        return parse_rates("".join(words))
    except BandwidthSyntaxError as exc:
        raise BandwidthSyntaxError(f"in {rule!r}: {exc}") from None


def _day(rule: str, name: str) -> int:
    key = name.strip().lower()[:3]
    if key not in _DAYS or len(name.strip()) < 3:
        raise BandwidthSyntaxError(
            f"in {rule!r}: {name!r} is not a day; use Mon, Tue, Wed, Thu, Fri, Sat, Sun, "
            "ranges such as Mon-Fri, or daily/weekdays/weekends"
        )
    return _DAYS.index(key)


def _days_of(rule: str, text: str) -> frozenset[int]:
    if text.lower() in _DAY_WORDS:
        return _DAY_WORDS[text.lower()]
    days: set[int] = set()
    for item in text.split(","):
        first, sep, last = item.partition("-")
        if not sep:
            days.add(_day(rule, first))
            continue
        a, b = _day(rule, first), _day(rule, last)
        days.update((a + i) % 7 for i in range((b - a) % 7 + 1))
    return frozenset(days)


def _minutes(rule: str, text: str) -> int:
    match = _TIME_RE.match(text)
    hours, minutes = (int(match.group(1)), int(match.group(2))) if match else (99, 99)
    if match is None or minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise BandwidthSyntaxError(f"in {rule!r}: {text!r} is not a time; use HH:MM (00:00-24:00)")
    return hours * 60 + minutes


def _span_of(rule: str, text: str) -> tuple[int, int]:
    first, sep, last = text.partition("-")
    if not sep:
        raise BandwidthSyntaxError(
            f"in {rule!r}: {text!r} is not a time span; use HH:MM-HH:MM such as 09:00-18:00"
        )
    start, end = _minutes(rule, first), _minutes(rule, last)
    if start == end:
        raise BandwidthSyntaxError(f"in {rule!r}: the span {text!r} is empty")
    if start == 24 * 60:
        raise BandwidthSyntaxError(f"in {rule!r}: a span cannot start at 24:00")
    return start, (end - start) % (24 * 60) or 24 * 60  # 00:00-24:00 is the whole day


@dataclass(frozen=True, slots=True)
class LimitNow:
    """The limits in force now, and until when (``None``: until they are changed)."""

    up: Rate
    down: Rate
    until: datetime | None
    #: ``"setting"`` (the base limits) or the timetable rule in force.
    source: str

    @property
    def limited(self) -> bool:
        return self.up is not None or self.down is not None

    def describe(self) -> str:
        """One line such as ``up 2.5 MiB/s, down unlimited until Mon 18:00``."""
        text = f"up {format_rate(self.up)}, down {format_rate(self.down)}"
        if self.until is not None:
            text += f" until {self.until:%a %H:%M}"
        return text


class TokenBucket:
    """Bytes per second for one direction; ``acquire(n)`` waits until ``n`` bytes may move.

    Waiters are served in arrival order (a ticket queue, no asyncio primitive: the process's
    limiter outlives event loops). A waiter looks at the rate at least every :data:`POLL_S`, so a
    new limit applies to running transfers at once. The bucket saves up at most
    :data:`BURST_S` seconds of the rate; a request bigger than that runs the bucket into debt,
    which the next requests pay back.
    """

    def __init__(self, rate: Callable[[], Rate], monotonic: Callable[[], float]) -> None:
        self._rate = rate
        self._monotonic = monotonic
        self._tokens = 0.0
        self._stamp = monotonic()
        self._tickets = count()
        self._queue: deque[int] = deque()
        self._lock = threading.Lock()
        #: Bytes let through since the process started (limited or not).
        self.bytes = 0
        #: Seconds transfers spent waiting for this bucket.
        self.waited_s = 0.0

    def _refill(self, rate: float) -> float:
        now = self._monotonic()
        capacity = max(rate * BURST_S, 64 * KiB)
        self._tokens = min(capacity, self._tokens + (now - self._stamp) * rate)
        self._stamp = now
        return capacity

    @property
    def limited(self) -> bool:
        """Whether a limit is in force now."""
        return self._rate() is not None

    @property
    def rate(self) -> Rate:
        """The limit in force now (bytes per second; ``None``: unlimited)."""
        return self._rate()

    def count(self, n: int) -> None:
        """Record ``n`` bytes moved without waiting (an unlimited transfer)."""
        self.bytes += n

    def piece(self, wanted: int) -> int:
        """How many bytes to move at once under the current rate (about 1/8 s of it)."""
        rate = self._rate()
        if rate is None:
            return wanted
        return max(16 * KiB, min(wanted, int(rate / 8)))

    async def acquire(self, n: int) -> None:
        """Wait until ``n`` bytes may move now; returns at once while unlimited."""
        if self._rate() is None and not self._queue:
            self.bytes += n
            return
        ticket = next(self._tickets)
        self._queue.append(ticket)
        started = self._monotonic()
        try:
            while True:
                rate = self._rate()
                with self._lock:
                    if rate is None:  # lifted: every waiter goes at once
                        self._tokens = 0.0
                        self._stamp = self._monotonic()
                        break
                    capacity = self._refill(rate)
                    need = min(float(n), capacity)
                    if self._queue[0] == ticket and self._tokens >= need:
                        self._tokens -= n
                        break
                    missing = need - self._tokens if self._queue[0] == ticket else need
                    pause = min(max(missing / rate, 0.001), POLL_S)
                await asyncio.sleep(pause)
        finally:
            self._queue.remove(ticket)
        self.bytes += n
        self.waited_s += self._monotonic() - started

    @property
    def waiting(self) -> int:
        """Transfers waiting for this bucket now."""
        return len(self._queue)


class BandwidthLimiter:
    """Upload and download limits (base limits and an optional timetable) for one process.

    Args:
        up: Base upload limit (bytes per second; ``None``: unlimited).
        down: Base download limit.
        schedule: A timetable; outside its rules the base limits (or its ``otherwise``) hold.
        clock: Local wall time, for the timetable (tests inject one).
        monotonic: Seconds for the token buckets (tests may inject one).
    """

    _shared: BandwidthLimiter | None = None

    def __init__(
        self,
        up: Rate = None,
        down: Rate = None,
        schedule: Schedule | None = None,
        *,
        clock: Callable[[], datetime] = datetime.now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._base: tuple[Rate, Rate] = (up, down)
        self._schedule = schedule
        self.clock = clock
        self._cache: LimitNow | None = None
        self._cached_at: datetime | None = None
        #: Set by :meth:`apply_option`: later :meth:`apply_settings` calls change nothing.
        self.pinned = False
        self.up = TokenBucket(lambda: self._rates()[0], monotonic)
        self.down = TokenBucket(lambda: self._rates()[1], monotonic)

    @classmethod
    def shared(cls) -> BandwidthLimiter:
        """The limiter of this process, used by every S3 backend unless given another."""
        if cls._shared is None:
            cls._shared = cls()
        return cls._shared

    def configure(
        self, up: Rate = None, down: Rate = None, schedule: Schedule | None = None
    ) -> None:
        """Set new limits; running transfers follow them within :data:`POLL_S`."""
        self._base = (up, down)
        self._schedule = schedule
        self._cache = None
        self._cached_at = None

    def configure_from_text(
        self, up: str | None = None, down: str | None = None, schedule: str | None = None
    ) -> None:
        """:meth:`configure` from setting strings (empty or ``None``: unlimited / none)."""
        self.configure(
            parse_rate(up) if up else None,
            parse_rate(down) if down else None,
            parse_schedule(schedule) if schedule else None,
        )

    def apply_settings(
        self, up: str | None = None, down: str | None = None, schedule: str | None = None
    ) -> None:
        """The ``STORAGE_BWLIMIT_*`` settings, unless a ``--bwlimit`` option replaced them."""
        if not self.pinned:
            self.configure_from_text(up, down, schedule)

    def apply_option(self, text: str) -> None:
        """Apply a ``--bwlimit`` value, which replaces the settings for the whole process:
        ``RATE`` (both directions), ``UP:DOWN``, or a timetable (it has a space or ``;``)."""
        stripped = text.strip()
        if " " in stripped or ";" in stripped:
            self.configure(schedule=parse_schedule(stripped))
        else:
            self.configure(*parse_rates(stripped))
        self.pinned = True

    @property
    def schedule(self) -> Schedule | None:
        return self._schedule

    def current(self) -> LimitNow:
        """The limits in force now and until when (for the queue's "limit in force")."""
        if self._schedule is None:
            return LimitNow(*self._base, None, "setting")
        now = self.clock()
        cached, since = self._cache, self._cached_at
        # A cached answer holds until its boundary; a clock set backwards looks again.
        if (
            cached is not None
            and since is not None
            and since <= now
            and (cached.until is None or now < cached.until)
        ):
            return cached
        up, down, until = self._schedule.at(now, self._base)
        rule = next((r.text for r in self._schedule.rules if r.end_after(now)), None)
        self._cache = LimitNow(up, down, until, rule or "otherwise")
        self._cached_at = now
        return self._cache

    def _rates(self) -> tuple[Rate, Rate]:
        if self._schedule is None:
            return self._base
        limit = self.current()
        return limit.up, limit.down
