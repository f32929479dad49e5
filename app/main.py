"""``leap-sync``: the composition root of the desktop app.

Everything is built here and passed down: settings (the active profile, with ``STORAGE_*``
variables and ``.env`` taking precedence), the secret from the OS keyring, then the workspace
(both backends, the job queue, usage, media, sync and the health check: :mod:`app.workspace`) and
its window; the settings flow switches profiles by building a new workspace the same way.
With nothing configured (or ``--demo``), the app
starts its embedded default: a local store plus a SeaweedFS sandbox with sample recordings.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app import __version__
from file_storage.errors import StorageError
from file_storage.settings import StorageSettings

if TYPE_CHECKING:
    from collections.abc import Callable

    from app.demo import DemoEnvironment
    from app.profiles import ProfileStore
    from app.services.queue_store import QueueStore
    from app.single_instance import SingleInstance
    from app.views.log_panel import QtLogHandler
    from app.views.main_window import MainWindow
    from app.views.tray import TrayController
    from app.workspace import WorkspaceHost

logger = logging.getLogger("app")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="leap-sync",
        description=(
            "Leap Sync: your recordings on this computer and in an S3 bucket, side by side. "
            "Settings come from the active profile (Settings in the app), STORAGE_* variables or "
            "a .env file; with nothing configured the app opens a demo with sample recordings."
        ),
    )
    parser.add_argument("--version", action="version", version=f"leap-sync {__version__}")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="start on a local store plus a local S3 sandbox with sample recordings",
    )
    parser.add_argument("--dark", action="store_true", help="use a dark palette")
    parser.add_argument(
        "--background",
        action="store_true",
        help="start in the tray without opening the window (start at login uses this)",
    )
    parser.add_argument(
        "--screenshot",
        type=Path,
        metavar="PNG",
        help="once the trees are populated, save a screenshot of the window and quit",
    )
    return parser.parse_args(argv)


def nothing_configured(env_file: Path) -> bool:
    """True when neither the environment, a .env file nor a profile selects a store."""
    configured = any(name.startswith("STORAGE_") for name in os.environ)
    return not configured and not env_file.exists()


@dataclass
class Startup:
    """What the composition root decided at start."""

    settings: StorageSettings
    label: str
    warning: str
    profiles: ProfileStore
    #: The profile the settings come from (``None``: the demo, the environment, no connection).
    profile_id: str | None = None


def demo_available() -> bool:
    """Whether the demo's S3 sandbox can start here (the ``weed`` binary is found)."""
    from file_storage.errors import ConfigurationError
    from file_storage.sandbox import find_weed

    try:
        find_weed()
    except ConfigurationError:
        return False
    return True


async def resolve_settings(
    args: argparse.Namespace, config_dir: Path, data_dir: Path
) -> tuple[Startup, DemoEnvironment | None]:
    """Pick the settings: demo, the active profile (env wins), or the environment alone."""
    from PySide6.QtCore import QCoreApplication

    from app.credentials import CredentialError, KeyringCredentialStore
    from app.demo import DemoEnvironment
    from app.profiles import (
        DEFAULT_ENV_FILE,
        ProfileStore,
        ProfileStoreError,
        build_settings,
        load_settings,
        profiles_file,
    )

    warning = ""
    store = ProfileStore(profiles_file(config_dir))
    try:
        store.load()
    except ProfileStoreError as exc:
        warning = str(exc)
    active = store.active()
    if args.demo or (active is None and nothing_configured(DEFAULT_ENV_FILE)):
        if args.demo or demo_available():
            demo = DemoEnvironment(data_dir / "demo")
            try:
                settings = await demo.start()
            except StorageError as exc:
                await asyncio.to_thread(demo.stop)
                if args.demo:
                    raise  # asked for by name: say why it cannot start, and stop
                notice = QCoreApplication.translate(
                    "Main",
                    "No connection is configured yet, and the demo could not start ({error}). "
                    "Open Settings to add your bucket.",
                ).format(error=exc)
            else:
                label = QCoreApplication.translate("Main", "Demo sandbox")
                return Startup(settings, label, warning, store), demo
        else:
            # An installed app without the sandbox server: open on a local store, not a crash.
            notice = QCoreApplication.translate(
                "Main",
                "No connection is configured yet: open Settings to add your bucket. (The demo "
                "needs the SeaweedFS 'weed' binary, which this installation does not include.)",
            )
        settings = StorageSettings(local_path=data_dir / "store")
        label = QCoreApplication.translate("Main", "No connection")
        return Startup(settings, label, " ".join(filter(None, [warning, notice])), store), None
    if active is None:
        env_settings = StorageSettings(_env_file=DEFAULT_ENV_FILE)  # type: ignore[call-arg]
        return Startup(
            env_settings, QCoreApplication.translate("Main", "Environment"), warning, store
        ), None
    try:
        settings = await load_settings(active, KeyringCredentialStore(), env_file=DEFAULT_ENV_FILE)
    except CredentialError as exc:
        warning = f"{exc} " + QCoreApplication.translate(
            "Main", "The app started without the saved secret."
        )
        settings = build_settings(active, None, env_file=DEFAULT_ENV_FILE)
    return Startup(settings, active.name, warning, store, active.id), None


async def run(
    args: argparse.Namespace, log_handler: QtLogHandler, instance: SingleInstance | None = None
) -> int:
    """Build everything, show the window, and run until it closes."""
    from PySide6.QtCore import QStandardPaths

    loop = asyncio.get_running_loop()
    config_dir = Path(
        QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppConfigLocation)
    )
    data_dir = Path(
        QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    )

    startup, demo = await resolve_settings(args, config_dir, data_dir)
    try:
        return await _run_window(args, log_handler, startup, loop, demo, data_dir, instance)
    finally:
        if demo is not None:
            await asyncio.to_thread(demo.stop)


def default_settings(startup: Startup, data_dir: Path) -> tuple[StorageSettings, str]:
    """What runs when no profile is active: what the app started on if that was no profile
    (the demo, the environment), else a local store with no bucket."""
    from PySide6.QtCore import QCoreApplication

    if startup.profile_id is None:
        return startup.settings, startup.label
    return (
        StorageSettings(local_path=data_dir / "store"),
        QCoreApplication.translate("Main", "No connection"),
    )


async def _run_window(
    args: argparse.Namespace,
    log_handler: QtLogHandler,
    startup: Startup,
    loop: asyncio.AbstractEventLoop,
    demo: DemoEnvironment | None = None,
    data_dir: Path | None = None,
    instance: SingleInstance | None = None,
) -> int:
    """Show the window on the chosen settings and run until it closes."""
    from PySide6.QtCore import QCoreApplication, QStandardPaths
    from PySide6.QtWidgets import QApplication

    from app.credentials import KeyringCredentialStore
    from app.errors import install_error_hooks
    from app.profiles import DEFAULT_ENV_FILE
    from app.services.background_state import BackgroundState
    from app.services.notifications import Notifier
    from app.services.queue_store import FILENAME, QueueStore
    from app.settings_flow import SettingsFlow
    from app.views.background_settings import apply_saved_limits
    from app.views.tray import TrayController
    from app.workspace import WorkspaceHost, build_workspace, start_workspace

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    cache_dir = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.CacheLocation))
    data_dir = data_dir or startup.settings.local_path.parent
    apply_saved_limits(startup.settings)  # Background… bandwidth limits win over STORAGE_BWLIMIT_*
    workspace = build_workspace(startup.settings, startup.label, cache_dir=cache_dir)
    tray: TrayController | None = None
    host = WorkspaceHost(
        workspace, log_handler, prepare_window=lambda w: _add_background_action(w, lambda: tray)
    )
    flow = SettingsFlow(
        host,
        startup.profiles,
        KeyringCredentialStore(),
        DEFAULT_ENV_FILE,
        cache_dir=cache_dir,
        default=lambda: default_settings(startup, data_dir),
    )
    install_error_hooks(host.notify, loop)
    closed = asyncio.Event()
    # The window decides when it may close (after cancelling transfers), not Qt; a profile
    # switch closes the old window without quitting.
    app.setQuitOnLastWindowClosed(False)
    host.quitRequested.connect(closed.set)
    app.aboutToQuit.connect(closed.set)

    # Background: the tray (Quit, SIGTERM and the session's end close past it), notifications,
    # and the queue kept on disk so a quit or a crash does not forget it.
    # The tray follows the workspace's background sync; without a bucket there is none, and
    # a state of its own keeps Pause/Resume working on the queue.
    tray = TrayController(host, BackgroundState(app), lambda: host.window.close())
    notifier = Notifier(tray.show_message, parent=tray)
    queue_store = QueueStore(data_dir / FILENAME)
    reported: weakref.WeakSet[BackgroundState] = weakref.WeakSet()

    def adopt(window: object = None) -> None:
        if tray.state not in reported:  # each workspace's runs, once
            reported.add(tray.state)
            tray.state.runFinished.connect(notifier.on_run_finished)
        notifier.watch_queue(host.workspace.queue)
        notifier.watch_usage(host.workspace.usage)
        _restore_queue(host, queue_store)

    host.windowReplaced.connect(adopt)
    _install_sigterm(loop, tray)
    app.commitDataRequest.connect(lambda _manager: tray.quit())  # the session is ending
    if instance is not None:
        instance.activateRequested.connect(tray.open)
    in_tray = args.background and tray.available and not args.screenshot
    if not in_tray:
        host.window.show()
    tray.show()
    adopt()
    for message in (startup.warning, workspace.remote_error):
        if message:
            host.notify("warning", message)

    if demo is not None and workspace.remote is not None:
        try:
            await demo.populate(workspace.local, workspace.remote)
        except Exception as exc:
            logger.exception("Could not create the sample recordings")
            host.notify(
                "warning",
                QCoreApplication.translate(
                    "Main", "Sample recordings were not created: {error}"
                ).format(error=exc),
            )
    if in_tray:
        start_workspace(host.workspace, host.window)  # listings, counts, probes; no window
    else:
        host.show()  # listings, usage counts and the connection health probes start

    if args.screenshot:
        from app.screenshot import take_screenshot

        await take_screenshot(host.window, args.screenshot)
        host.window.close()

    await closed.wait()
    await flow.wait_idle()
    tray.hide()
    try:
        await host.aclose()
    finally:
        queue_store.close()
    return 0


def _restore_queue(host: WorkspaceHost, store: QueueStore) -> None:
    """Record the current workspace's queue on disk, and bring back its last session's jobs."""
    from PySide6.QtCore import QCoreApplication

    from app.services.queue_store import scope_of

    workspace = host.workspace
    scope = scope_of(workspace.settings)
    workspace.queue.attach_store(store, scope)
    try:
        stored = store.load(scope)
    except Exception:  # a damaged queue file: start with an empty queue, say why in the log
        logger.exception("Could not read the saved transfer queue")
        return
    jobs = workspace.queue.restore(stored, {"local": workspace.local, "s3": workspace.remote})
    if not jobs:
        return
    running = sum(1 for item in stored if item.was_running)
    message = QCoreApplication.translate(
        "Main", "%n transfer(s) from the last session are back in the queue", "", len(jobs)
    )
    if running:
        message += "; " + QCoreApplication.translate(
            "Main", "%n of them were running when Leap Sync stopped.", "", running
        )
    else:
        message += "."
    host.notify("info", message)
    logger.info("%s", message)


def _add_background_action(window: MainWindow, tray: Callable[[], TrayController | None]) -> None:
    """Settings → Background (start at login, tray, notifications) beside Settings."""
    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtGui import QAction

    from app.icons import icon
    from app.views.background_settings import BackgroundSettingsDialog

    def open_dialog() -> None:
        controller = tray()
        dialog = BackgroundSettingsDialog(controller.available if controller else False, window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.background_dialog = dialog  # type: ignore[attr-defined]
        dialog.open()  # window-modal without a nested event loop

    action = QAction(icon("hard-drive"), QCoreApplication.translate("Main", "Background…"), window)
    action.setObjectName("actionBackground")
    action.setToolTip(
        QCoreApplication.translate("Main", "Start at login, the tray icon and notifications")
    )
    action.triggered.connect(open_dialog)
    window.add_settings_action(action)


def _install_sigterm(loop: asyncio.AbstractEventLoop, tray: TrayController) -> None:
    """SIGTERM quits like the tray's Quit does (F10: cancel, clean; the queue is kept)."""
    try:
        loop.add_signal_handler(signal.SIGTERM, tray.quit)
    except (NotImplementedError, RuntimeError):
        signal.signal(signal.SIGTERM, lambda *_: tray.quit())


def main(argv: list[str] | None = None) -> int:
    """Start the GUI and return its exit status."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    import qasync
    from PySide6.QtWidgets import QApplication

    from app.i18n import install_translations
    from app.theme import apply_theme
    from app.views.log_panel import QtLogHandler
    from file_storage.redaction import configure_logging

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("LeapSync")
    app.setApplicationName("Leap Sync")
    app.setApplicationVersion(__version__)
    # Before any window is built: widgets translate their texts when they are created.
    install_translations(app)
    apply_theme(app, dark=args.dark)
    log_handler = QtLogHandler()
    configure_logging(logging.INFO, handler=log_handler)
    stderr = logging.StreamHandler()
    stderr.setLevel(logging.WARNING)
    configure_logging(logging.INFO, handler=stderr)
    instance = None
    if not args.screenshot:  # a screenshot run is a tool, not the user's app
        from PySide6.QtCore import QStandardPaths

        from app.single_instance import SingleInstance, instance_name

        config_dir = QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.AppConfigLocation
        )
        instance = SingleInstance(instance_name(Path(config_dir)))
        if not instance.claim():
            logger.info("Leap Sync is already running: its window was asked to show")
            return 0
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        with loop:
            try:
                return loop.run_until_complete(run(args, log_handler, instance))
            except StorageError as exc:  # the demo asked for by name could not start, say
                print(f"leap-sync: error: {exc}", file=sys.stderr)
                return 1
    finally:
        if instance is not None:
            instance.release()


if __name__ == "__main__":
    sys.exit(main())
