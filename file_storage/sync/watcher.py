"""Watch a local folder tree and report complete files, debounced (see :mod:`.settle`).

On Linux the watcher is inotify (through ``asyncinotify``: one watch per folder, events read on
the event loop, no thread, no polling), so an idle folder of 20,000 files costs nothing but the
kernel's watches. Elsewhere, or when inotify cannot be used (``asyncinotify`` missing, the watch
limit ``fs.inotify.max_user_watches`` reached), it falls back to scanning the tree every
``poll_s`` seconds and comparing sizes and dates.

The watcher calls ``on_batch(ready, gone)`` with store-relative paths once files are complete
(``ready``) or were deleted (``gone``); a burst of changes arrives as one batch. ``temp/`` (the
store's scratch space) is never watched.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from file_storage.sync.compare import is_excluded
from file_storage.sync.settle import SettleTracker, stat_of

logger = logging.getLogger(__name__)

#: ``(ready, gone)`` store-relative paths.
BatchCallback = Callable[[list[str], list[str]], None]
#: After the first event of a burst, wait this long for more before checking (debounce).
DEBOUNCE_S = 0.2

try:  # Linux only; the fallback scans
    from asyncinotify import Inotify, Mask

    _MASK: Any = (
        Mask.MODIFY
        | Mask.CLOSE_WRITE
        | Mask.CREATE
        | Mask.DELETE
        | Mask.MOVED_FROM
        | Mask.MOVED_TO
        | Mask.DELETE_SELF
        | Mask.ONLYDIR
    )
    HAVE_INOTIFY = True
except (ImportError, OSError):  # pragma: no cover - not Linux
    HAVE_INOTIFY = False


class FolderWatcher:
    """Watches ``store_root / folder`` and reports complete and deleted files.

    Args:
        store_root: The local store's base folder (paths are reported relative to it).
        folder: The watched folder inside the store ("" = the whole store, minus ``temp/``).
        tracker: Holds files until they are complete.
        on_batch: Called on the event loop with ``(ready, gone)``.
        poll_s: Scan interval of the fallback (no inotify).
        use_inotify: False forces the scanning fallback (tests, odd filesystems).
    """

    def __init__(
        self,
        store_root: Path,
        folder: str,
        tracker: SettleTracker,
        on_batch: BatchCallback,
        *,
        poll_s: float = 10.0,
        use_inotify: bool = True,
    ) -> None:
        self.store_root = store_root
        self.root = store_root / folder if folder else store_root
        self.tracker = tracker
        self.on_batch = on_batch
        self.poll_s = poll_s
        self.use_inotify = use_inotify and HAVE_INOTIFY
        self.watching = asyncio.Event()
        self._wake = asyncio.Event()
        self._gone: list[Path] = []
        self.mode = "inotify" if self.use_inotify else "scan"

    def _relative(self, path: Path) -> str | None:
        try:
            relative = path.relative_to(self.store_root).as_posix()
        except ValueError:
            return None
        return None if is_excluded(relative) else relative

    async def run(self) -> None:
        """Watch until cancelled."""
        self.root.mkdir(parents=True, exist_ok=True)
        if self.use_inotify:
            try:
                await self._run_inotify()
            except OSError as exc:  # e.g. ENOSPC: the user's watch limit is reached
                logger.warning(
                    "Cannot watch %s with inotify (%s); scanning every %g s instead.",
                    self.root,
                    exc,
                    self.poll_s,
                )
                self.mode = "scan"
            else:
                return
        await self._run_scan()

    # ----------------------------------------------------------------- inotify

    async def _run_inotify(self) -> None:
        with Inotify() as inotify:
            watches: dict[Path, Any] = {}
            self._add_tree(inotify, watches, self.root, report=False)
            self.watching.set()
            checker = asyncio.ensure_future(self._check_loop())
            try:
                while True:
                    event = await inotify.get()
                    self._handle(inotify, watches, event)
            finally:
                checker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await checker

    def _add_tree(self, inotify: Any, watches: dict[Path, Any], top: Path, *, report: bool) -> None:
        """Watch ``top`` and every folder below it; ``report`` its files as new (moved in)."""
        for folder, dirs, files in os.walk(top):
            path = Path(folder)
            if self._relative(path) is None and path != self.store_root:
                dirs[:] = []
                continue
            try:
                watches[path] = inotify.add_watch(path, _MASK)
            except FileNotFoundError:
                continue
            if report:
                for name in files:
                    self.tracker.appeared(path / name)
        if report:
            self.poke()

    def _handle(self, inotify: Any, watches: dict[Path, Any], event: Any) -> None:
        mask = event.mask
        if Mask.Q_OVERFLOW in mask:
            logger.warning("Missed file events under %s; scanning it again.", self.root)
            self.tracker.reset_writing()
            for folder, _dirs, files in os.walk(self.root):
                if self._relative(Path(folder)) is None and Path(folder) != self.store_root:
                    continue
                for name in files:
                    self.tracker.appeared(Path(folder) / name)
            self.poke()
            return
        path = event.path
        if path is None or (self._relative(path) is None and path != self.root):
            return
        if Mask.ISDIR in mask:
            if mask & (Mask.CREATE | Mask.MOVED_TO):
                self._add_tree(inotify, watches, path, report=True)
            elif mask & (Mask.DELETE | Mask.MOVED_FROM):
                for watched in [p for p in watches if p == path or path in p.parents]:
                    watches.pop(watched, None)
                self.tracker.forget(path)
                self._gone.append(path)
                self.poke()
            return
        if Mask.IGNORED in mask or Mask.DELETE_SELF in mask:
            return
        if Mask.MODIFY in mask:
            self.tracker.written(path)
        elif Mask.CLOSE_WRITE in mask:
            self.tracker.closed(path)
        elif mask & (Mask.CREATE | Mask.MOVED_TO):
            # A move in is complete (atomic). A created file is written next (MODIFY, then
            # CLOSE_WRITE); a hard link is created complete and is never closed, so CREATE
            # alone does not mean "open" (the /proc check covers a writer that waits).
            self.tracker.appeared(path)
        elif mask & (Mask.DELETE | Mask.MOVED_FROM):
            self.tracker.forget(path)
            self._gone.append(path)
        self.poke()

    # ----------------------------------------------------------------- both

    def poke(self) -> None:
        """Look at the held files now (something was added to the tracker)."""
        self._wake.set()

    async def _wait_for_events(self, seconds: float | None) -> None:
        self._wake.clear()
        if seconds is None:
            await self._wake.wait()
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), seconds)

    async def _check_loop(self) -> None:
        """Debounce events, then hand complete and deleted files over as one batch."""
        while True:
            delay = self.tracker.next_check_in()
            if delay is None and not self._gone:
                await self._wait_for_events(None)  # nothing pending, or only open files
                await asyncio.sleep(DEBOUNCE_S)
                continue
            if delay:
                await self._wait_for_events(delay)
                await asyncio.sleep(DEBOUNCE_S)
                if self._wake.is_set():
                    continue  # more events: the delay starts again
            ready, gone = self.tracker.ready()
            gone += self._gone
            self._gone.clear()
            ready_rel = [rel for rel in map(self._relative, ready) if rel is not None]
            gone_rel = [rel for rel in map(self._relative, gone) if rel is not None]
            if ready_rel or gone_rel:
                self.on_batch(ready_rel, gone_rel)

    # ----------------------------------------------------------------- scanning fallback

    def _scan(self) -> dict[Path, tuple[int, int]]:
        seen: dict[Path, tuple[int, int]] = {}
        for folder, dirs, files in os.walk(self.root):
            path = Path(folder)
            if self._relative(path) is None and path != self.store_root:
                dirs[:] = []
                continue
            for name in files:
                current = stat_of(path / name)
                if current is not None:
                    seen[path / name] = current
        return seen

    async def _run_scan(self) -> None:
        known = await asyncio.to_thread(self._scan)
        self.watching.set()
        checker = asyncio.ensure_future(self._check_loop())
        try:
            while True:
                await asyncio.sleep(self.poll_s)
                current = await asyncio.to_thread(self._scan)
                for path, identity in current.items():
                    if known.get(path) != identity:
                        self.tracker.appeared(path)
                for path in known.keys() - current.keys():
                    self.tracker.forget(path)
                    self._gone.append(path)
                known = current
                self.poke()
        finally:
            checker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await checker
