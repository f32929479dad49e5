"""Driving a real :class:`MainWindow` in tests: composition, trees, drops, modal dialogs.

Used by ``test_main_window.py`` and, as ``python -m tests.gui.helpers_window``, by a subprocess
scenario that checks transfers keep running while a confirmation dialog is open (a hang there
must fail one test, not freeze the whole run).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import socket
import sys
import time
import warnings
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMimeData, QModelIndex, QObject, QPointF, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication, QDialog, QLabel, QWidget

from app.services.media import MediaService
from app.services.sync import SyncService
from app.services.transfers import JobQueue
from app.services.usage import UsageService
from app.views.log_panel import QtLogHandler
from app.views.main_window import MainWindow
from app.views.tree_pane import TreePane
from file_storage import LocalStorageBackend, S3StorageBackend, S3Tuning, StorageBackend

MiB = 1024 * 1024
USER = "users/user_000001"
REC = f"{USER}/recordings/rec-1"
#: Slow enough to cancel mid-way: 5 MiB parts, one at a time.
SLOW = S3Tuning(part_size=5 * MiB, multipart_threshold=5 * MiB, max_concurrency=1)


async def wait_until(predicate: Callable[[], bool], timeout: float = 15.0, what: str = "") -> None:
    """Poll ``predicate`` on the running (Qt) loop until it holds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        await asyncio.sleep(0.005)


class Harness:
    """A MainWindow composed as ``app.main`` does, plus what tests need to drive it.

    Args:
        local, remote: The two stores.
        register: Called with the window (``qtbot.addWidget``) so pytest-qt tracks it.
    """

    def __init__(
        self,
        local: LocalStorageBackend,
        remote: StorageBackend,
        register: Callable[[QWidget], None] | None = None,
        media: Callable[[JobQueue], MediaService] | None = None,
        sync: Callable[[JobQueue], SyncService] | None = None,
    ) -> None:
        self.local = local
        self.remote = remote
        self.queue = JobQueue()
        self.usage = UsageService({"local": local, "s3": remote})
        self.log_handler = QtLogHandler()
        self.media = media(self.queue) if media is not None else None
        self.sync = sync(self.queue) if sync is not None else None
        self.window = MainWindow(
            local,
            remote,
            self.queue,
            self.usage,
            self.log_handler,
            profile_label="Tests",
            media=self.media,
            sync=self.sync,
        )
        self.closed = False
        self.added: list[str] = []
        self.finished: dict[str, bool] = {}
        self.action_tasks: list[asyncio.Task[Any]] = []
        self.window.closed.connect(self._on_closed)
        self.queue.jobAdded.connect(self.added.append)
        self.queue.jobFinished.connect(self.finished.__setitem__)
        # Observe (not change) the tasks the window starts for actions and drops, so a test can
        # await an action to its end instead of polling while a modal dialog may be open.
        run_task = self.window.run_task

        def observed(coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
            task = run_task(coro)
            self.action_tasks.append(task)
            return task

        self.window.run_task = observed  # type: ignore[method-assign]
        if register is not None:
            register(self.window)

    def _on_closed(self) -> None:
        self.closed = True

    async def open(self) -> None:
        """Show the window and start what ``app.main`` starts (root listings, usage)."""
        logging.getLogger().addHandler(self.log_handler)
        self.window.show()
        self.window.activateWindow()
        self.window.local_model.refresh("")
        self.window.remote_model.refresh("")
        self.usage.start_counting()

    async def close(self, timeout: float = 10.0) -> None:
        """Close as the user does (F10) and wait until the window really closed."""
        try:
            if not self.closed:
                self.window.close()
                await wait_until(lambda: self.closed, timeout, "the window to close")
        finally:
            logging.getLogger().removeHandler(self.log_handler)
            await self.queue.shutdown(timeout=4.0)
            # Let cancelled tasks unwind and queued signals arrive while everything is still
            # referenced. (Never processEvents() here: re-entering the loop from a coroutine
            # loses qasync's task wake-ups.)
            for _ in range(5):
                await asyncio.sleep(0.01)
            # The queue, the usage service and the log bridge belong to Python, and their
            # connections (held in C++) reference the window: a cycle Python's GC cannot see.
            # Cut it, or every test leaks a whole window and later tests pay for it in GC time.
            senders: list[QObject] = [self.queue, self.usage, self.log_handler.bridge]
            if self.media is not None:
                senders.append(self.media)
            if self.sync is not None:
                senders.append(self.sync)
                await self.sync.aclose()
            for sender in senders:
                disconnect_all(sender)
            del self.window.run_task

    # ------------------------------------------------------------------ trees

    @property
    def local_pane(self) -> TreePane:
        return self.window.local_pane

    @property
    def remote_pane(self) -> TreePane:
        return self.window.remote_pane

    async def reveal(self, pane: TreePane, path: str, timeout: float = 15.0) -> QModelIndex:
        """Expand the folders down to ``path`` as a user would; return its proxy index."""
        parts = path.split("/")
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            await wait_until(
                lambda p=prefix: pane.model.index_for(p).isValid(), timeout, f"row {prefix!r}"
            )
            if depth < len(parts):
                pane.view.expand(pane.proxy.mapFromSource(pane.model.index_for(prefix)))
        return pane.proxy.mapFromSource(pane.model.index_for(path))

    async def select(self, pane: TreePane, path: str) -> None:
        """Select the row of ``path`` (through the proxy) and give that tree the focus."""
        index = await self.reveal(pane, path)
        selection = pane.view.selectionModel()
        flags = selection.SelectionFlag
        selection.setCurrentIndex(index, flags.ClearAndSelect | flags.Rows)
        pane.view.setFocus(Qt.FocusReason.MouseFocusReason)
        assert pane.selected_paths() == [path]

    async def settle(self, timeout: float = 15.0) -> None:
        """Wait until no listing runs and both sides are counted (nothing async is pending)."""
        loaders = [self.window.local_loader, self.window.remote_loader]
        await wait_until(
            lambda: not any(loader and loader.running() for loader in loaders),
            timeout,
            "the trees to finish loading",
        )
        await wait_until(
            lambda: all(side.counted for side in self.usage.sides.values()),
            timeout,
            "usage to be counted",
        )

    def drop_files(self, pane: TreePane, folder: str, files: list[Path]) -> bool:
        """Drop desktop files on the row of ``folder`` with real drag-and-drop events."""
        index = pane.proxy.mapFromSource(pane.model.index_for(folder))
        assert index.isValid(), f"{folder!r} is not shown"
        view = pane.view
        view.scrollTo(index)
        pos = view.visualRect(index).center()
        data = QMimeData()
        data.setUrls([QUrl.fromLocalFile(str(f)) for f in files])
        copy = Qt.DropAction.CopyAction
        left = Qt.MouseButton.LeftButton
        none = Qt.KeyboardModifier.NoModifier
        enter = QDragEnterEvent(pos, copy, data, left, none)
        QApplication.sendEvent(view.viewport(), enter)
        assert enter.isAccepted(), "the tree refused the drag"
        move = QDragMoveEvent(pos, copy, data, left, none)
        QApplication.sendEvent(view.viewport(), move)
        assert move.isAccepted(), f"the tree refused the drag over {folder!r}"
        drop = QDropEvent(QPointF(pos), copy, data, left, none)
        QApplication.sendEvent(view.viewport(), drop)
        return drop.isAccepted()

    # ------------------------------------------------------------------ actions and jobs

    def action(self, name: str) -> QAction:
        action = self.window.findChild(QAction, name)
        assert action is not None, name
        return action

    async def run_action(self, name: str, timeout: float = 15.0) -> None:
        """Trigger the action ``name`` and wait until its coroutine has finished."""
        before = len(self.action_tasks)
        self.action(name).trigger()
        assert len(self.action_tasks) == before + 1, f"{name} started no task"
        await asyncio.wait_for(asyncio.shield(self.action_tasks[-1]), timeout)

    async def wait_jobs(self, count: int, timeout: float = 30.0) -> list[str]:
        """Wait until ``count`` jobs were added and all of them finished; return their ids."""
        await wait_until(lambda: len(self.added) >= count, timeout, f"{count} job(s) added")
        await wait_until(
            lambda: all(job_id in self.finished for job_id in self.added),
            timeout,
            "the jobs to finish",
        )
        return list(self.added)

    def banner(self) -> tuple[bool, str, str]:
        """``(visible, level, text)`` of the notification bar, found by object name."""
        bar = self.window.findChild(QWidget, "notificationBar")
        label = bar.findChild(QLabel, "notificationText")
        return bar.isVisible(), str(bar.level), label.text()


#: ``async with open_window(remote) as harness:`` (the ``open_window`` fixtures).
OpenWindow = Callable[..., contextlib.AbstractAsyncContextManager[Harness]]


@contextlib.asynccontextmanager
async def opened_window(
    qtbot_add: Callable[[QWidget], None],
    local: LocalStorageBackend,
    remote: StorageBackend,
    *,
    media: Callable[[JobQueue], MediaService] | None = None,
    sync: Callable[[JobQueue], SyncService] | None = None,
) -> AsyncIterator[Harness]:
    """A window composed as ``app.main`` does, shown, and closed cleanly (F10) at the end.

    As in the app, closing the window does not quit the application (the window decides).
    """
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.quitOnLastWindowClosed()
    app.setQuitOnLastWindowClosed(False)
    harness = Harness(local, remote, qtbot_add, media=media, sync=sync)
    await harness.open()
    try:
        yield harness
    finally:
        await harness.close()
        app.setQuitOnLastWindowClosed(before)


async def seed_every_state(local: StorageBackend, remote: StorageBackend, folder: str) -> None:
    """In ``folder``: identical.txt on both, changed.txt different, here.txt local only,
    there.txt S3 only (every comparison state a first compare can show)."""
    await local.save(f"{folder}/identical.txt", b"same")
    await remote.save(f"{folder}/identical.txt", b"same")
    await local.save(f"{folder}/changed.txt", b"local version")
    await remote.save(f"{folder}/changed.txt", b"remote version!")
    await local.save(f"{folder}/here.txt", b"only here")
    await remote.save(f"{folder}/there.txt", b"only there")


def disconnect_all(sender: QObject) -> None:
    """Disconnect every slot from each signal that ``sender``'s own class declares."""
    for name, attribute in vars(type(sender)).items():
        if isinstance(attribute, Signal):
            with warnings.catch_warnings(), contextlib.suppress(RuntimeError, TypeError):
                warnings.simplefilter("ignore", RuntimeWarning)  # "failed to disconnect": none
                getattr(sender, name).disconnect()


# --------------------------------------------------------------------------- modal dialogs


class ModalAnswer:
    """Answers the next modal dialog from a Qt timer (the dialog runs its own event loop).

    ``handle`` gets the dialog, records what it needs and closes it; whatever goes wrong, the
    dialog is rejected so nothing stays stuck in ``exec()``. Nothing here touches asyncio: while
    a dialog's nested loop runs, only plain Qt callbacks are safe.
    """

    def __init__(self, handle: Callable[[QWidget], None], timeout: float = 10.0) -> None:
        self._handle = handle
        self._deadline = time.monotonic() + timeout
        self.dialog_name = ""
        self.error: BaseException | str | None = None
        self.done = False
        QTimer.singleShot(0, self._poll)

    def _poll(self) -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            if time.monotonic() > self._deadline:
                self.error, self.done = "no modal dialog appeared", True
            else:
                QTimer.singleShot(10, self._poll)
            return
        self.dialog_name = dialog.objectName()
        try:
            self._handle(dialog)
        except BaseException as exc:  # reported by check(); the dialog is never left open
            self.error = exc
            if isinstance(dialog, QDialog) and dialog.isVisible():
                dialog.reject()
        finally:
            self.done = True

    def check(self) -> None:
        """Raise what went wrong while answering (after the action finished)."""
        assert self.done, "the modal dialog was never answered"
        if isinstance(self.error, BaseException):
            raise self.error
        assert self.error is None, self.error

    async def answered(self, timeout: float = 15.0) -> None:
        """Wait (on the loop) until the dialog was answered, then :meth:`check`."""
        await wait_until(lambda: self.done, timeout, "the modal dialog to be answered")
        self.check()


def click_from_qt(widget: QWidget) -> None:
    """Click ``widget`` from a Qt timer, as a user's click arrives: outside any asyncio task.

    A click that opens a modal dialog (``QMessageBox.question``, ``exec()``) runs the dialog's
    nested event loop inside whatever called it. Called from a test coroutine, that is inside
    the test's task: qasync then cannot step any other task (``Cannot enter into task``), loses
    its wake-up, and the loop hangs at teardown. From a timer the nested loop runs where the
    app's own does. Create the :class:`ModalAnswer` after this call (its first poll then runs
    inside the dialog's loop, not on an already open modal parent) and ``await answer.answered()``.
    """
    QTimer.singleShot(0, lambda: QTest.mouseClick(widget, Qt.MouseButton.LeftButton))


def click_button(dialog: QWidget, text: str) -> None:
    """Click the dialog's button labelled ``text`` with the mouse."""
    buttons = dialog.findChildren(QAbstractButton)
    matching = [b for b in buttons if b.text().replace("&", "") == text]
    assert len(matching) == 1, [b.text() for b in buttons]
    QTest.mouseClick(matching[0], Qt.MouseButton.LeftButton)


# --------------------------------------------------------------------------- bucket and disk


async def keys_under(raw_s3: Any, remote: S3StorageBackend) -> dict[str, int]:
    """Every object under the backend's prefix: key -> size."""
    response = await raw_s3.list_objects_v2(Bucket=remote.bucket_name, Prefix=f"{remote.prefix}/")
    return {item["Key"]: item["Size"] for item in response.get("Contents", [])}


async def s3_sha256(raw_s3: Any, remote: S3StorageBackend, path: str) -> str:
    """SHA-256 of the object's bytes as the server returns them."""
    response = await raw_s3.get_object(Bucket=remote.bucket_name, Key=remote.key_for(path))
    async with response["Body"] as body:
        return hashlib.sha256(await body.read()).hexdigest()


async def open_uploads(raw_s3: Any, remote: S3StorageBackend) -> list[dict[str, Any]]:
    response = await raw_s3.list_multipart_uploads(
        Bucket=remote.bucket_name, Prefix=f"{remote.prefix}/"
    )
    return list(response.get("Uploads", []))


def partials_under(folder: Path) -> list[Path]:
    """Temp files of interrupted local writes."""
    return sorted(p for p in folder.rglob("*") if p.name.endswith(".leap-partial"))


def free_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TcpRelay:
    """A loopback TCP relay to the S3 server that can be cut, like a network going away."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Future[None]] = set()
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._on_client, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self._target)
        self._writers |= {writer, up_writer}
        pipes = [
            asyncio.ensure_future(self._pipe(reader, up_writer)),
            asyncio.ensure_future(self._pipe(up_reader, writer)),
        ]
        self._tasks.update(pipes)
        await asyncio.gather(*pipes, return_exceptions=True)

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def cut(self) -> None:
        """Refuse new connections and reset the open ones."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in self._writers:
            writer.transport.abort()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


# --------------------------------------------------------------------------- subprocess scenario

#: Environment variables the scenario reads (set by the test from its fixtures).
SCENARIO_ENV = ("LEAP_T_ENDPOINT", "LEAP_T_KEY", "LEAP_T_SECRET", "LEAP_T_BUCKET", "LEAP_T_PREFIX")


async def _scenario(workdir: Path, report: dict[str, Any], live: dict[str, Any]) -> None:
    """An upload runs; the user presses Delete and looks at the question for a second.

    ``report`` is printed as JSON at the end; ``live`` exposes the harness and the dialog
    answer to the watchdog in :func:`main`.
    """
    env = {name: os.environ[name] for name in SCENARIO_ENV}
    local = LocalStorageBackend(workdir / "store")
    remote = S3StorageBackend(
        env["LEAP_T_BUCKET"],
        prefix=env["LEAP_T_PREFIX"],
        access_key_id=env["LEAP_T_KEY"],
        secret_access_key=env["LEAP_T_SECRET"],
        endpoint_url=env["LEAP_T_ENDPOINT"],
        tuning=SLOW,
    )
    await local.save(f"{REC}/notes.txt", b"keep me")
    harness = Harness(local, remote)
    await harness.open()
    big = workdir / "desktop" / "talk.mp4"
    big.parent.mkdir(parents=True, exist_ok=True)
    big.write_bytes(os.urandom(60 * MiB))
    await harness.select(harness.local_pane, f"{REC}/notes.txt")
    await harness.settle()
    job = harness.queue.add_upload(remote, big, f"{USER}/recordings/talk/source.mp4")
    await wait_until(lambda: job.transferred > 0, 20, "upload progress")
    report["before_dialog"] = job.transferred
    samples: list[int] = report.setdefault("during_dialog", [])

    after: list[int] = report.setdefault("after_dialog", [])
    closed_at: list[float] = []

    def hold(dialog: QWidget) -> None:
        # Qt timers only: sample the upload for a second, then answer Cancel.
        end = time.monotonic() + 1.0

        def tick() -> None:
            samples.append(job.transferred)
            if time.monotonic() < end:
                QTimer.singleShot(100, tick)
            else:
                click_button(dialog, "Cancel")
                closed_at.append(time.monotonic())
                QTimer.singleShot(0, watch_after)

        tick()

    def watch_after() -> None:
        # Also Qt only, so it reports even if asyncio no longer wakes anything up.
        after.append(job.transferred)
        report["state"] = job.state.value
        if job.state.value != "Running":
            finish()
        elif time.monotonic() - closed_at[0] > 4.0:
            report["stalled"] = True
            finish()
        else:
            QTimer.singleShot(100, watch_after)

    def finish() -> None:
        for key in ("during_dialog", "after_dialog"):  # summarised, in MiB
            values = report[key]
            report[key] = {
                "first_mib": values[0] / MiB if values else None,
                "last_mib": values[-1] / MiB if values else None,
                "samples": len(values),
            }
        print(json.dumps(report), flush=True)
        os._exit(0)  # the loop may be wedged; the parent aborts the upload

    harness.window.local_pane.view.setFocus()
    live["harness"] = harness
    live["answer"] = ModalAnswer(hold)
    harness.action("actionDelete").trigger()
    await asyncio.Event().wait()  # everything from here on runs from Qt timers


def main() -> None:
    """Run :func:`_scenario` on a qasync loop; print a JSON report on stdout."""
    import qasync

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    report: dict[str, Any] = {}
    live: dict[str, Any] = {}

    def give_up() -> None:
        answer, harness = live.get("answer"), live.get("harness")
        report["timeout"] = True
        report["dialog_error"] = str(getattr(answer, "error", ""))
        report["banner"] = harness.banner() if harness else None
        report["tasks"] = [str(t) for t in (harness.action_tasks if harness else [])]
        print(json.dumps(report), flush=True)
        os._exit(0)

    QTimer.singleShot(30_000, give_up)
    with loop:
        loop.run_until_complete(_scenario(Path(sys.argv[1]), report, live))


if __name__ == "__main__":
    main()
