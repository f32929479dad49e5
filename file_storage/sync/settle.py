"""When a changed local file is complete enough to sync: the settle rule.

A recorder writes a 2 GiB file for an hour; copying it halfway would publish a broken recording.
A file that changed is therefore held back until **all** of these hold:

1. **Closed by its writer, as far as the watcher saw.** On Linux the watcher sees every write
   (``IN_MODIFY``) and every close of a file opened for writing (``IN_CLOSE_WRITE``). A file whose
   last event is a write is still open, however long the writer pauses, so a recorder that stops
   writing for a minute mid-file is not picked up.
2. **No process has it open for writing.** Checked in ``/proc/<pid>/fdinfo`` (Linux, the user's
   own processes) when the file is otherwise ready; this also covers writers that opened the
   file before the watcher started.
3. **Stable for the settle time**: size and modification time unchanged for
   ``STORAGE_SYNC_SETTLE_S`` seconds (default 5) after the last event.

Where the platform tells neither (no inotify, no ``/proc``), rule 3 alone applies: a writer that
pauses longer than the settle time could then be caught mid-file, so raise the setting there.
A writer that opens, appends and closes the file for each chunk (rare for recorders) is seen as
finished after each chunk; the settle time must be longer than its pauses.

Everything here is plain Python with an injectable clock; the watcher feeds it events.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

#: fdinfo ``flags`` bits of an open file's access mode: O_WRONLY or O_RDWR.
_WRITE_ACCESS = os.O_WRONLY | os.O_RDWR
PROC = Path("/proc")


def open_for_writing(paths: Iterable[Path], proc: Path = PROC) -> set[Path]:
    """Those of ``paths`` that some process has open for writing (as far as ``/proc`` shows).

    Only processes whose ``/proc/<pid>/fd`` we may read are seen (our user's). Returns an empty
    set where there is no ``/proc``. Costs one ``readlink`` per open descriptor of those
    processes, so call it for a batch of candidates, not per event.
    """
    wanted = {str(path) for path in paths}
    found: set[Path] = set()
    if not wanted:
        return found
    try:
        pids = [entry for entry in os.scandir(proc) if entry.name.isdigit()]
    except OSError:
        return found
    for pid in pids:
        fd_dir = f"{pid.path}/fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:  # gone, or another user's
            continue
        for fd in fds:
            try:
                target = os.readlink(f"{fd_dir}/{fd}")
            except OSError:
                continue
            if target not in wanted:
                continue
            if _writable(f"{pid.path}/fdinfo/{fd}"):
                found.add(Path(target))
    return found


def _writable(fdinfo: str) -> bool:
    try:
        with open(fdinfo, encoding="ascii") as handle:
            for line in handle:
                if line.startswith("flags:"):
                    return bool(int(line.split()[1], 8) & _WRITE_ACCESS)
    except (OSError, ValueError):
        return False
    return False


def proc_available(proc: Path = PROC) -> bool:
    """True where ``/proc/self/fdinfo`` exists (Linux), so rule 2 can be checked."""
    return (proc / "self" / "fdinfo").is_dir()


@dataclass
class _Pending:
    last_event: float
    writing: bool
    stat: tuple[int, int] | None = None
    stat_at: float = 0.0


Stat = Callable[[Path], tuple[int, int] | None]
Writers = Callable[[Iterable[Path]], set[Path]]


def stat_of(path: Path) -> tuple[int, int] | None:
    """``(size, mtime_ns)`` of a regular file, or None when it is gone or not a file."""
    try:
        st = path.stat()
    except OSError:
        return None
    import stat as stat_module

    if not stat_module.S_ISREG(st.st_mode):
        return None
    return st.st_size, st.st_mtime_ns


class SettleTracker:
    """Holds changed files until they are complete (see the module docstring).

    Args:
        settle_s: Seconds a file's size and mtime must stay the same.
        clock: Monotonic seconds (injectable for tests).
        wall: Wall-clock seconds (compared with modification times).
        stat: ``path -> (size, mtime_ns)`` or None.
        writers: ``paths -> those open for writing``.
    """

    def __init__(
        self,
        settle_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        stat: Stat = stat_of,
        writers: Writers = open_for_writing,
    ) -> None:
        self.settle_s = settle_s
        self._clock = clock
        self._wall = wall
        self._stat = stat
        self._writers = writers
        self._pending: dict[Path, _Pending] = {}

    @property
    def pending(self) -> set[Path]:
        """Files changed and not yet complete."""
        return set(self._pending)

    def holds(self, path: Path) -> bool:
        return path in self._pending

    def written(self, path: Path) -> None:
        """The watcher saw a write: the file is open for writing until a close is seen."""
        self._note(path, writing=True)

    def closed(self, path: Path) -> None:
        """The watcher saw the writer close the file (``IN_CLOSE_WRITE``)."""
        self._note(path, writing=False)

    def appeared(self, path: Path) -> None:
        """A file appeared or changed and nothing says whether it is open (a move, a rescan)."""
        self._note(path, writing=False)

    def forget(self, path: Path) -> None:
        """The file (or folder) is gone; stop waiting for it and anything below it."""
        self._pending.pop(path, None)
        prefix = f"{path}/"
        for held in [p for p in self._pending if str(p).startswith(prefix)]:
            del self._pending[held]

    def reset_writing(self) -> None:
        """Events were lost (queue overflow): no close can be trusted to arrive."""
        for item in self._pending.values():
            item.writing = False

    def _note(self, path: Path, *, writing: bool) -> None:
        now = self._clock()
        item = self._pending.get(path)
        if item is None:
            self._pending[path] = _Pending(now, writing)
        else:
            item.last_event, item.writing = now, writing

    def next_check_in(self) -> float | None:
        """Seconds until the earliest file could be ready (None: nothing pending)."""
        waiting = [item for item in self._pending.values() if not item.writing]
        if not waiting:
            return None
        now = self._clock()
        due = min(max(item.last_event, item.stat_at) + self.settle_s for item in waiting)
        return max(0.0, due - now)

    def ready(self) -> tuple[list[Path], list[Path]]:
        """Take the files that are complete now.

        Returns:
            ``(ready, gone)``: complete files (no longer held) and files that vanished.
        """
        now, wall = self._clock(), self._wall()
        candidates: list[Path] = []
        gone: list[Path] = []
        for path, item in list(self._pending.items()):
            if item.writing:
                continue
            current = self._stat(path)
            if current is None:
                gone.append(path)
                del self._pending[path]
                continue
            quiet = now - max(item.last_event, item.stat_at) >= self.settle_s
            if current != item.stat:
                # The first look: a modification time older than the settle time is as good
                # as a second look one settle time later.
                first_and_old = item.stat is None and wall - current[1] / 1e9 >= self.settle_s
                item.stat, item.stat_at = current, now
                if not (first_and_old and quiet):
                    continue
            elif not quiet:
                continue
            candidates.append(path)
        busy = self._writers(candidates) if candidates else set()
        ready = [path for path in candidates if path not in busy]
        for path in ready:
            del self._pending[path]
        for path in busy:  # look again one settle time later
            item = self._pending[path]
            item.stat_at = now
        return ready, gone

    def unsettled(self, paths: Iterable[Path]) -> set[Path]:
        """Those of ``paths`` that must not be copied now.

        A file is unsettled when it is held here, or (for files the watcher never reported, such
        as those found by a periodic listing) when it was modified less than the settle time ago
        or is open for writing.
        """
        now = self._wall()
        result: set[Path] = set()
        unknown: list[Path] = []
        for path in paths:
            if path in self._pending:
                result.add(path)
                continue
            current = self._stat(path)
            if current is not None and now - current[1] / 1e9 < self.settle_s:
                result.add(path)
            else:
                unknown.append(path)
        with contextlib.suppress(OSError):
            result |= self._writers(unknown) if unknown else set()
        return result
