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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app import __version__
from file_storage.errors import StorageError
from file_storage.settings import StorageSettings

if TYPE_CHECKING:
    from app.demo import DemoEnvironment
    from app.profiles import ProfileStore
    from app.views.log_panel import QtLogHandler
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


async def run(args: argparse.Namespace, log_handler: QtLogHandler) -> int:
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
        return await _run_window(args, log_handler, startup, loop, demo, data_dir)
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
) -> int:
    """Show the window on the chosen settings and run until it closes."""
    from PySide6.QtCore import QCoreApplication, QStandardPaths
    from PySide6.QtWidgets import QApplication

    from app.credentials import KeyringCredentialStore
    from app.errors import install_error_hooks
    from app.profiles import DEFAULT_ENV_FILE
    from app.settings_flow import SettingsFlow
    from app.workspace import WorkspaceHost, build_workspace

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    cache_dir = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.CacheLocation))
    data_dir = data_dir or startup.settings.local_path.parent
    workspace = build_workspace(startup.settings, startup.label, cache_dir=cache_dir)
    host = WorkspaceHost(workspace, log_handler)
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
    _install_sigterm(loop, host)
    host.window.show()
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
    host.show()  # listings, usage counts and the connection health probes start

    if args.screenshot:
        from app.screenshot import take_screenshot

        await take_screenshot(host.window, args.screenshot)
        host.window.close()

    await closed.wait()
    await flow.wait_idle()
    await host.aclose()
    return 0


def _install_sigterm(loop: asyncio.AbstractEventLoop, host: WorkspaceHost) -> None:
    """SIGTERM closes the current window like the close button does (F10: cancel, clean)."""

    def close() -> None:
        host.window.close()

    try:
        loop.add_signal_handler(signal.SIGTERM, close)
    except (NotImplementedError, RuntimeError):
        signal.signal(signal.SIGTERM, lambda *_: close())


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
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        try:
            return loop.run_until_complete(run(args, log_handler))
        except StorageError as exc:  # the demo asked for by name could not start, say
            print(f"leap-sync: error: {exc}", file=sys.stderr)
            return 1


if __name__ == "__main__":
    sys.exit(main())
