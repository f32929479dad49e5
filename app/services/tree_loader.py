"""``TreeLoader``: lists folders for a :class:`~app.models.storage_tree.StorageTreeModel`.

The model asks (``fetchRequested``); the loader lists the folder page by page with
``iter_pages(path, recursive=False)``, which on S3 is a delimiter listing: one request per 1,000
entries, never one per object. Each page goes to the model as soon as it arrives, so the first rows
show while a large prefix is still being listed, and the event loop runs between pages.

Alongside, and concurrently, it lists the same folder on the peer store (for the Status column) and,
for a user's ``recordings`` folder, the whole folder once recursively to sum each recording's size.

Every listing is bounded: a page that does not arrive within :attr:`TreeLoader.answer_timeout`
(an S3 store's stall timeout, ``STORAGE_S3_STALL_TIMEOUT_S``) ends the listing with
:class:`~file_storage.errors.EndpointNotRespondingError`, and the folder shows "Not responding —
Retry" instead of "Loading…" for as long as the server is frozen.

The model's ``searchRequested`` (the pane's filter) starts a whole-store search: one flat,
recursive, paginated listing of the store (on S3 the fast lister: about a second for 20,000
objects; on a disk a walk in a worker thread), each page's matches handed to the model as they
arrive; a new filter text cancels it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections import defaultdict
from collections.abc import AsyncGenerator, AsyncIterator, Coroutine
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal, Slot

from app.messages import describe
from app.models.storage_tree import HIDDEN_ROOT_FOLDERS, StorageTreeModel, is_recordings_folder
from file_storage.backends.base import ListPage, ObjectInfo, StorageBackend
from file_storage.errors import EndpointNotRespondingError, StorageError

logger = logging.getLogger(__name__)
T = TypeVar("T")


#: Per-recording sizes, and per-recording ``{"source"|"thumbnail": ObjectInfo}``.
RecordingListing = tuple[dict[str, int], dict[str, dict[str, ObjectInfo]]]
#: Longest a listed page waits before its rows are shown (seconds).
BATCH_MAX_AGE = 1.0
#: After the first page, rows are shown once this many times as many are waiting as are shown.
BATCH_GROWTH = 4
#: Longest wait for a listing page from a store without a stall timeout of its own (seconds).
LISTING_ANSWER_TIMEOUT = 30.0
#: A search stops after this many matches (the pane asks for a longer text).
MAX_MATCHES = 1000


def answer_timeout_for(backend: StorageBackend) -> float:
    """How long a listing page may take: the store's stall timeout if it has one."""
    tuning = getattr(backend, "tuning", None)
    stall = getattr(tuning, "stall_timeout", None)
    return float(stall) if isinstance(stall, int | float) and stall > 0 else LISTING_ANSWER_TIMEOUT


async def bounded_pages(
    pages: AsyncIterator[ListPage], limit: float, what: str
) -> AsyncGenerator[ListPage, None]:
    """``pages``, but a page that takes longer than ``limit`` seconds ends the listing with
    :class:`EndpointNotRespondingError` (use under ``contextlib.aclosing``)."""
    iterator = aiter(pages)
    try:
        while True:
            try:
                async with asyncio.timeout(limit):
                    page = await anext(iterator)
            except StopAsyncIteration:
                return
            except TimeoutError:
                raise EndpointNotRespondingError(
                    f"The store did not answer within {limit:g} s while listing "
                    f"{what or 'the top folder'}.",
                    path=what or None,
                ) from None
            yield page
    finally:
        close = getattr(iterator, "aclose", None)
        if close is not None:
            await close()


def matches_in(
    files: list[ObjectInfo], needle: str, seen: set[str]
) -> tuple[list[str], list[ObjectInfo]]:
    """The folders (not in ``seen``, which learns them) and files of a recursive listing page
    whose names contain ``needle`` (casefolded); ``temp/`` is never shown."""
    folders: list[str] = []
    found: list[ObjectInfo] = []
    for info in files:
        path = info.path
        if needle not in path.casefold():
            continue
        parts = path.split("/")
        if parts[0] in HIDDEN_ROOT_FOLDERS:
            continue
        for depth, part in enumerate(parts[:-1]):
            if needle in part.casefold():
                folder = "/".join(parts[: depth + 1])
                if folder not in seen:
                    seen.add(folder)
                    folders.append(folder)
        if needle in parts[-1].casefold():
            found.append(info)
    return folders, found


class TreeLoader(QObject):
    """Answers a tree model's fetch requests by listing a backend (and its peer).

    Args:
        backend: The store the model shows.
        peer: The other store, listed folder by folder for the Status column; ``None`` leaves
            statuses unknown ("—").
        model: The model to fill; its ``fetchRequested`` is connected here.
        parent: The owning QObject.

    Signals:
        loadStarted(str): Listing of a folder began.
        loadFinished(str, int): A folder is fully loaded (rows, totals and presence); the int
            is the number of rows (files and folders) it has.
        loadFailed(str, str): Listing a folder failed; the second argument is the message to
            show. The model marks the folder failed and keeps the rows it already had.
        presenceFailed(str, str): Listing the peer's copy of a folder failed; the folder itself
            loaded, its statuses stay unknown.
        recordingMediaListed(str, object): A ``recordings`` folder was listed; the object maps
            each recording's path to its ``{"source": ObjectInfo, "thumbnail": ObjectInfo}``
            (either may be missing), for thumbnails in the tree and durations in tooltips.
    """

    recordingMediaListed = Signal(str, object)
    loadStarted = Signal(str)
    loadFinished = Signal(str, int)
    loadFailed = Signal(str, str)
    presenceFailed = Signal(str, str)

    def __init__(
        self,
        backend: StorageBackend,
        peer: StorageBackend | None,
        model: StorageTreeModel,
        parent: QObject | None = None,
        *,
        answer_timeout: float | None = None,
    ) -> None:
        super().__init__(parent)
        self.backend = backend
        self.peer = peer
        self.model = model
        #: Longest wait for one listing page of ``backend`` before it counts as not responding.
        self.answer_timeout = answer_timeout or answer_timeout_for(backend)
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._search: asyncio.Task[None] | None = None
        model.fetchRequested.connect(self._on_fetch_requested)
        model.searchRequested.connect(self._on_search_requested)

    # ----------------------------------------------------------------- task bookkeeping

    @Slot(str)
    def _on_fetch_requested(self, path: str) -> None:
        # A fresh request for a folder supersedes any listing still running in or under it
        # (that is what a refresh means); the model ignores their late answers anyway.
        self._cancel_under(path)
        task = asyncio.get_running_loop().create_task(self.load(path), name=f"tree-load {path!r}")
        self._tasks[path] = task
        task.add_done_callback(functools.partial(self._forget, path))

    def _forget(self, path: str, task: asyncio.Task[None]) -> None:
        if self._tasks.get(path) is task:
            del self._tasks[path]

    def _cancel_under(self, folder: str) -> None:
        for path, task in list(self._tasks.items()):
            if not folder or path == folder or path.startswith(folder + "/"):
                task.cancel()
                del self._tasks[path]

    def running(self) -> list[str]:
        """Folders being listed right now."""
        return list(self._tasks)

    def searching(self) -> asyncio.Task[None] | None:
        """The running whole-store search, if any."""
        return self._search if self._search is not None and not self._search.done() else None

    def close(self) -> None:
        """Stop answering the model and cancel every running listing."""
        with contextlib.suppress(RuntimeError, TypeError):
            self.model.fetchRequested.disconnect(self._on_fetch_requested)
        with contextlib.suppress(RuntimeError, TypeError):
            self.model.searchRequested.disconnect(self._on_search_requested)
        self._cancel_under("")
        self._cancel_search()

    async def aclose(self) -> None:
        """Like :meth:`close`, then wait until the cancelled listings have unwound."""
        tasks = list(self._tasks.values())
        if self._search is not None:
            tasks.append(self._search)
        self.close()
        await asyncio.gather(*tasks, return_exceptions=True)

    # ----------------------------------------------------------------- search

    @Slot(str)
    def _on_search_requested(self, text: str) -> None:
        self._cancel_search()
        if not text:
            return
        self._search = asyncio.get_running_loop().create_task(
            self.search(text), name=f"tree-search {text!r}"
        )
        self.model.search_started(text)

    def _cancel_search(self) -> None:
        if self._search is not None:
            self._search.cancel()
            self._search = None

    async def search(self, text: str) -> None:
        """List the whole store once (flat, recursive, page by page) and hand the model the
        rows whose names contain ``text``; stop at :data:`MAX_MATCHES`."""
        needle = text.casefold()
        seen: set[str] = set()
        matches = 0
        pages = self.backend.iter_pages("", recursive=True)
        try:
            async with contextlib.aclosing(
                bounded_pages(pages, self.answer_timeout, "")
            ) as bounded:
                async for page in bounded:
                    folders, files = matches_in(page.files, needle, seen)
                    if folders or files:
                        room = MAX_MATCHES - matches
                        folders, files = folders[:room], files[: max(0, room - len(folders))]
                        matches += len(folders) + len(files)
                        self.model.add_found(text, folders, files)
                        if matches >= MAX_MATCHES:
                            self.model.finish_search(text, truncated=True)
                            return
        except StorageError as exc:
            logger.warning("Searching for %r failed: %s", text, exc)
            self.model.finish_search(
                text, describe(exc), not_responding=isinstance(exc, EndpointNotRespondingError)
            )
        except Exception as exc:  # a bug must not leave "Searching…" forever
            logger.exception("Searching for %r failed unexpectedly", text)
            self.model.finish_search(text, describe(exc))
        else:
            self.model.finish_search(text)

    # ----------------------------------------------------------------- listing

    async def load(self, path: str) -> None:
        """List the folder ``path`` into the model, with presence and recording totals.

        Storage errors end up in the model (the folder shows as failed) and in ``loadFailed``.
        """
        self.loadStarted.emit(path)
        helpers: list[asyncio.Task[Any]] = []
        totals: asyncio.Task[RecordingListing] | None = None
        try:
            if self.peer is not None:
                helpers.append(self._helper(self._load_presence(self.peer, path)))
            if is_recordings_folder(path):
                totals = self._helper(self._recording_totals(path))
                helpers.append(totals)
            count, folders = await self._list_into_model(path)
            if totals is not None:
                sizes, media = await totals
                self.model.set_recording_totals(dict.fromkeys(folders, 0) | sizes)
                self.model.set_recording_media(media)
                if media:
                    self.recordingMediaListed.emit(path, media)
            self.model.finish_loading(path, None)
            await asyncio.gather(*helpers)
        except StorageError as exc:
            logger.warning("Listing %r failed: %s", path, exc)
            self._fail(path, describe(exc), isinstance(exc, EndpointNotRespondingError))
        except Exception as exc:  # a bug must not leave the folder "Loading…" forever
            logger.exception("Listing %r failed unexpectedly", path)
            self._fail(path, describe(exc))
        else:
            self.loadFinished.emit(path, count)
        finally:
            for helper in helpers:
                helper.cancel()

    @staticmethod
    def _helper(coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        task = asyncio.create_task(coro)
        # When the main listing fails first, nobody awaits the helper; retrieve its outcome so
        # asyncio does not log "exception was never retrieved".
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
        return task

    async def _list_into_model(self, path: str) -> tuple[int, list[str]]:
        """Feed the listing of ``path`` to the model; return the row count and the sub-folders.

        The first page is shown at once. The model builds the rows of each later page as it
        arrives (a few milliseconds a page) but shows them only once :data:`BATCH_GROWTH` times
        as many wait as are shown (or a second's worth): every insert under an open folder makes
        ``QTreeView`` lay out the whole folder again, some 8 µs a row through PySide and the
        filter proxy, so a 20,000-row folder is laid out 3 times (1,000, 5,000, 20,000 rows),
        not 20 (or 6 with doubling batches).
        """
        shown = staged = 0
        since = time.monotonic()
        folders: list[str] = []
        pages = self._bounded(self.backend, path, recursive=False)
        async with contextlib.aclosing(pages) as bounded:
            async for page in bounded:
                staged += self.model.stage_page(path, page.folders, page.files)
                folders.extend(page.folders)
                if page.unsafe_keys:
                    logger.warning("%s: skipped %d unsafe key(s)", path, len(page.unsafe_keys))
                if staged and (
                    staged >= BATCH_GROWTH * shown or time.monotonic() - since >= BATCH_MAX_AGE
                ):
                    shown += self.model.show_staged(path)
                    staged, since = 0, time.monotonic()
        shown += self.model.show_staged(path)
        return shown, folders

    def _bounded(
        self, backend: StorageBackend, path: str, *, recursive: bool
    ) -> AsyncGenerator[ListPage, None]:
        timeout = self.answer_timeout if backend is self.backend else answer_timeout_for(backend)
        return bounded_pages(backend.iter_pages(path, recursive=recursive), timeout, path)

    def _fail(self, path: str, message: str, not_responding: bool = False) -> None:
        self.model.finish_loading(path, message, not_responding=not_responding)
        self.loadFailed.emit(path, message)

    async def _load_presence(self, peer: StorageBackend, path: str) -> None:
        """List the peer's copy of ``path`` and hand the model what it holds."""
        files: set[str] = set()
        folders: set[str] = set()
        try:
            async with contextlib.aclosing(self._bounded(peer, path, recursive=False)) as pages:
                async for page in pages:
                    files.update(info.path for info in page.files)
                    folders.update(page.folders)
        except StorageError as exc:
            logger.warning("Listing %r on the peer failed: %s", path, exc)
            self.presenceFailed.emit(path, describe(exc))
            return
        self.model.set_presence(path, files, folders)

    async def _recording_totals(self, path: str) -> RecordingListing:
        """Sum file sizes per recording under ``path`` with one recursive, paginated listing,
        and note each recording's source and thumbnail files on the way."""
        totals: defaultdict[str, int] = defaultdict(int)
        media: defaultdict[str, dict[str, ObjectInfo]] = defaultdict(dict)
        cut = len(path) + 1
        async with contextlib.aclosing(self._bounded(self.backend, path, recursive=True)) as pages:
            async for page in pages:
                self._add_totals(page, path, cut, totals, media)
        return dict(totals), dict(media)

    @staticmethod
    def _add_totals(
        page: ListPage,
        path: str,
        cut: int,
        totals: defaultdict[str, int],
        media: defaultdict[str, dict[str, ObjectInfo]],
    ) -> None:
        for info in page.files:
            recording, sep, rest = info.path[cut:].partition("/")
            if sep:  # files directly in recordings/ belong to no recording
                key = f"{path}/{recording}"
                totals[key] += info.size
                if rest == "thumbnail.jpg":
                    media[key]["thumbnail"] = info
                elif rest.startswith("source.") and "/" not in rest:
                    media[key]["source"] = info
