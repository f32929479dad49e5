"""One Leap Sync per user: a second start raises the running window and exits.

The first instance holds a lock file and listens on a local socket (a Unix socket in the temp
folder, a named pipe on Windows) whose name is per user and per configuration folder, so two
users on one machine, or a test with its own ``HOME``, never meet. A second start finds the lock
taken, connects, says ``raise`` and exits 0; the first one emits :attr:`activateRequested`.

:class:`QLockFile` notices a lock left by a crashed process (its pid is gone), so a crash does
not block the next start.
"""

from __future__ import annotations

import getpass
import hashlib
import logging
import time
from pathlib import Path

from PySide6.QtCore import QDir, QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

logger = logging.getLogger(__name__)

#: What a second instance sends.
RAISE_MESSAGE = b"raise\n"
#: How long a second start keeps trying to reach the first (which may still be starting).
CONNECT_BUDGET_S = 3.0


def instance_name(config_dir: Path) -> str:
    """The socket and lock name for this user and configuration folder."""
    digest = hashlib.sha256(str(config_dir.resolve()).encode()).hexdigest()[:10]
    user = "".join(ch for ch in getpass.getuser() if ch.isalnum())[:16] or "user"
    return f"leap-sync-{user}-{digest}"


class SingleInstance(QObject):
    """Claim the per-user instance, or hand over to the one that runs.

    Args:
        name: From :func:`instance_name`.

    Signals:
        activateRequested(): Another start asked this instance to show its window.
    """

    activateRequested = Signal()

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._lock = QLockFile(str(Path(QDir.tempPath()) / f"{name}.lock"))
        self._lock.setStaleLockTime(0)  # stale only when its process is gone, never by age
        self._server: QLocalServer | None = None

    def claim(self) -> bool:
        """Become the instance (True), or ask the running one to raise its window (False).

        When the running instance cannot be reached within :data:`CONNECT_BUDGET_S`, this start
        proceeds as the instance rather than leaving the user with nothing.
        """
        if self._lock.tryLock(0):
            self._listen()
            return True
        if self._notify_running():
            return False
        logger.warning("Another Leap Sync holds the lock but does not answer; starting anyway")
        self._listen()
        return True

    def _listen(self) -> None:
        QLocalServer.removeServer(self.name)  # a socket file left by a crash
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            logger.warning("Single-instance socket %s: %s", self.name, server.errorString())
            return
        server.newConnection.connect(self._on_connection)
        self._server = server

    def _on_connection(self) -> None:
        assert self._server is not None
        while (socket := self._server.nextPendingConnection()) is not None:
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(socket.deleteLater)
            if socket.bytesAvailable():
                self._read(socket)

    def _read(self, socket: QLocalSocket) -> None:
        data = bytes(socket.readAll().data())
        if RAISE_MESSAGE.strip() in data:
            logger.info("Another start asked for the window")
            self.activateRequested.emit()

    def _notify_running(self) -> bool:
        deadline = time.monotonic() + CONNECT_BUDGET_S
        while time.monotonic() < deadline:
            socket = QLocalSocket()
            socket.connectToServer(self.name)
            if socket.waitForConnected(500):
                socket.write(RAISE_MESSAGE)
                sent = socket.waitForBytesWritten(1000)
                socket.disconnectFromServer()
                return sent
            time.sleep(0.1)
        return False

    def release(self) -> None:
        """Stop listening and drop the lock (at quit)."""
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._lock.isLocked():
            self._lock.unlock()
