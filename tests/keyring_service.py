"""A private Secret Service for tests: its own D-Bus session bus and gnome-keyring-daemon.

The credential tests run against the real thing (RELIABILITY F9, S7), never against the
developer's keyring: the daemons get a throw-away HOME and XDG folders, their own bus socket, no
``DISPLAY`` (so no unlock prompt can pop up on a desktop) and a bus with no activatable services.

Fixtures:
    secret_service: session-scoped; an unlocked keyring. ``DBUS_SESSION_BUS_ADDRESS`` points at
        the private bus for the whole session, and is restored afterwards.
    secret_service_sandbox: the :class:`SecretServiceSandbox` behind it (its files, its address).
    locked_secret_service: a second keyring whose default collection is locked; the bus address
        points at it for one test only.

The tests skip only when ``dbus-daemon`` or ``gnome-keyring-daemon`` is not installed (Debian
packages ``dbus-daemon`` and ``gnome-keyring``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from types import TracebackType

import pytest
from keyring.backends.SecretService import Keyring as SecretServiceKeyring

REQUIRED_PROGRAMS = ("dbus-daemon", "gnome-keyring-daemon")
START_TIMEOUT = 10.0
KEYRING_PASSWORD = "leap-test-keyring-password"

# A session bus that starts nothing on demand: only the daemons we launch answer on it, so an
# unlock attempt finds no prompter and fails at once instead of waiting for a user.
_BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""

# Variables that would connect the daemons to the developer's session or screen.
_SCRUBBED = (
    "DBUS_SESSION_BUS_ADDRESS",
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "GNOME_KEYRING_CONTROL",
    "SSH_AUTH_SOCK",
)


_MAX_SOCKET_PATH = 100
_PR_SET_PDEATHSIG = 1
# Loaded before any fork: the child must not import or allocate between fork and exec.
_LIBC = (
    ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True) if sys.platform == "linux" else None
)


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the test process dies, even by a crash (Linux)."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def missing_programs() -> list[str]:
    """The daemons this module needs that are not on ``PATH``."""
    return [name for name in REQUIRED_PROGRAMS if shutil.which(name) is None]


class SecretServiceSandbox:
    """A session bus plus gnome-keyring-daemon, with everything under ``root``.

    Args:
        root: A folder for the daemons' HOME, XDG folders and logs (the keyring file goes to
            ``root/data/keyrings``).
        locked: Lock the default collection once it exists, to test a locked keyring.
    """

    def __init__(self, root: Path, *, locked: bool = False) -> None:
        self.root = root
        self.locked = locked
        self.address = ""
        self._socket_dir: Path | None = None
        self._bus: subprocess.Popen[bytes] | None = None
        self._keyring: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> SecretServiceSandbox:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def data_dir(self) -> Path:
        """Where gnome-keyring keeps its (encrypted) keyring files."""
        return self.root / "data"

    def start(self) -> None:
        """Start both daemons and wait until the default collection answers."""
        env = self._environment()
        socket = self.root / "bus"
        if len(str(socket)) > _MAX_SOCKET_PATH:  # AF_UNIX paths are limited to 108 bytes
            self._socket_dir = Path(tempfile.mkdtemp(prefix="leap-bus-"))
            socket = self._socket_dir / "bus"
        config = self.root / "bus.conf"
        config.write_text(_BUS_CONFIG.format(socket=socket), encoding="utf-8")
        with open(self.root / "dbus-daemon.log", "wb") as bus_log:
            self._bus = subprocess.Popen(
                ["dbus-daemon", "--nofork", f"--config-file={config}", "--print-address=1"],
                stdout=subprocess.PIPE,
                stderr=bus_log,
                env=env,
                preexec_fn=_die_with_parent,  # a crashed test run must not leak it
            )
        assert self._bus.stdout is not None
        self.address = self._bus.stdout.readline().decode().strip()
        if not self.address:
            self.stop()
            raise RuntimeError(f"dbus-daemon did not start; see {self.root / 'dbus-daemon.log'}")
        env["DBUS_SESSION_BUS_ADDRESS"] = self.address
        with open(self.root / "gnome-keyring.log", "wb") as keyring_log:
            self._keyring = subprocess.Popen(
                ["gnome-keyring-daemon", "--unlock", "--components=secrets", "--foreground"],
                stdin=subprocess.PIPE,
                stdout=keyring_log,
                stderr=keyring_log,
                env=env,
                preexec_fn=_die_with_parent,
            )
        assert self._keyring.stdin is not None
        # --unlock reads the login keyring's password from standard input until EOF.
        self._keyring.stdin.write(KEYRING_PASSWORD.encode())
        self._keyring.stdin.close()
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop both daemons (idempotent)."""
        for process in (self._keyring, self._bus):
            if process is None or process.poll() is not None:
                continue
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if self._bus is not None and self._bus.stdout is not None:
            self._bus.stdout.close()
        self._keyring = self._bus = None
        if self._socket_dir is not None:
            shutil.rmtree(self._socket_dir, ignore_errors=True)
            self._socket_dir = None

    def keyring(self) -> SecretServiceKeyring:
        """A keyring backend; it talks to whatever ``DBUS_SESSION_BUS_ADDRESS`` names."""
        return SecretServiceKeyring()

    def _environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
        folders = {
            "HOME": self.root / "home",
            "XDG_DATA_HOME": self.data_dir,
            "XDG_CONFIG_HOME": self.root / "config",
            "XDG_CACHE_HOME": self.root / "cache",
            "XDG_RUNTIME_DIR": self.root / "run",
        }
        for name, folder in folders.items():
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            env[name] = str(folder)
        return env

    def _wait_ready(self) -> None:
        import secretstorage
        from jeepney.io.blocking import open_dbus_connection

        deadline = time.monotonic() + START_TIMEOUT
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self._keyring is not None and self._keyring.poll() is not None:
                break
            try:
                with closing(open_dbus_connection(bus=self.address)) as connection:
                    if secretstorage.check_service_availability(connection):
                        collection = secretstorage.get_default_collection(connection)
                        if self.locked:
                            collection.lock()
                        if collection.is_locked() == self.locked:
                            return
            except Exception as exc:  # not up yet
                last_error = exc
            time.sleep(0.05)
        log = (self.root / "gnome-keyring.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(
            f"gnome-keyring-daemon did not come up ({last_error!r}); its log says:\n{log}"
        )


def _require_programs() -> None:
    missing = missing_programs()
    if missing:
        pytest.skip(
            f"{', '.join(missing)} not installed: install the Debian packages gnome-keyring and "
            "dbus-daemon (make test does) to run the keyring tests"
        )


@pytest.fixture(scope="session")
def secret_service_sandbox(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[SecretServiceSandbox]:
    """The unlocked sandbox; ``DBUS_SESSION_BUS_ADDRESS`` names its bus for the session."""
    _require_programs()
    with (
        SecretServiceSandbox(tmp_path_factory.mktemp("secret-service")) as sandbox,
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setenv("DBUS_SESSION_BUS_ADDRESS", sandbox.address)
        yield sandbox


@pytest.fixture(scope="session")
def secret_service(secret_service_sandbox: SecretServiceSandbox) -> SecretServiceKeyring:
    """A real, unlocked Secret Service keyring backend (gnome-keyring-daemon)."""
    return secret_service_sandbox.keyring()


@pytest.fixture(scope="session")
def _locked_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecretServiceSandbox]:
    _require_programs()
    with SecretServiceSandbox(tmp_path_factory.mktemp("locked-service"), locked=True) as sandbox:
        yield sandbox


@pytest.fixture
def locked_secret_service(
    _locked_sandbox: SecretServiceSandbox, monkeypatch: pytest.MonkeyPatch
) -> SecretServiceKeyring:
    """A real Secret Service whose default collection is locked (for this test only)."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", _locked_sandbox.address)
    return _locked_sandbox.keyring()
