"""Secrets in the OS keyring and nowhere else (RELIABILITY S7, F9).

A profile on disk holds only a reference such as ``profile:<id>``; the secret access key lives in
the platform keyring (Secret Service / GNOME Keyring or KWallet on Linux, the macOS Keychain, the
Windows Credential Manager), reached through the ``keyring`` package.

Three things can go wrong, and each gets its own error with guidance: there is no secure keyring
(:class:`KeyringUnavailableError`), it is locked (:class:`KeyringLockedError`), or it said no
(:class:`KeyringRefusedError`). There is deliberately no plaintext fallback: a ``keyrings.alt``
file backend, keyring's "null" backend or any backend keyring itself does not recommend is refused
with :class:`InsecureKeyringError`, so a secret is never written to a file behind the user's back.

Keyring calls block (a D-Bus round trip, or a prompt the user must answer), so every call runs in
a worker thread and one at a time: the GUI stays responsive and the user never sees two prompts.
"""

from __future__ import annotations

import abc
import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import keyring
import keyring.core
from keyring import errors as keyring_errors
from keyring.backend import KeyringBackend
from keyring.backends import fail, null
from keyring.backends.chainer import ChainerBackend

from file_storage.redaction import REDACTED, redact, register_secret

try:  # Secret Service libraries exist on Linux only.
    from jeepney.wrappers import DBusErrorResponse  # type: ignore[import-untyped]
    from secretstorage import exceptions as secretstorage_errors
except ImportError:  # pragma: no cover - macOS / Windows
    DBusErrorResponse = None
    secretstorage_errors = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: The keyring "service" every Leap Sync secret is filed under.
SERVICE = "leap-sync"

INSTALL_HINT = (
    "Install and start a system keyring: GNOME Keyring (package gnome-keyring) or KWallet on "
    "Linux. On a headless box, run Leap Sync under 'dbus-run-session' after starting "
    "'gnome-keyring-daemon --unlock' (it reads the keyring password on standard input). "
    "Until then, set STORAGE_S3_SECRET_ACCESS_KEY in the environment or in .env instead."
)
UNLOCK_HINT = (
    "Unlock your keyring (log in to your desktop session, or unlock it in Passwords and Keys "
    "or KWallet Manager), then try again."
)
REFUSED_HINT = "Allow Leap Sync when your keyring asks for permission, then try again."

#: Display names of the keyring backends a user may recognise.
_BACKEND_NAMES = {
    "keyring.backends.SecretService.Keyring": "Secret Service",
    "keyring.backends.libsecret.Keyring": "Secret Service (libsecret)",
    "keyring.backends.kwallet.DBusKeyring": "KWallet",
    "keyring.backends.kwallet.DBusKeyringKWallet4": "KWallet 4",
    "keyring.backends.macOS.Keyring": "macOS Keychain",
    "keyring.backends.Windows.WinVaultKeyring": "Windows Credential Manager",
}
#: Which program answers on the Secret Service bus, by its process name.
_SECRET_SERVICE_PROVIDERS = {
    "gnome-keyring": "GNOME Keyring",
    "kwalletd": "KWallet",
    "ksecretd": "KWallet",
    "keepassxc": "KeePassXC",
}
#: D-Bus error names, translated.
_DBUS_LOCKED = {"org.freedesktop.Secret.Error.IsLocked"}
_DBUS_REFUSED = {"org.freedesktop.DBus.Error.AccessDenied", "org.freedesktop.DBus.Error.AuthFailed"}
_DBUS_UNAVAILABLE = {
    "org.freedesktop.DBus.Error.ServiceUnknown",
    "org.freedesktop.DBus.Error.NameHasNoOwner",
    "org.freedesktop.DBus.Error.NoReply",
    "org.freedesktop.DBus.Error.NoServer",
    "org.freedesktop.DBus.Error.Disconnected",
    "org.freedesktop.DBus.Error.Spawn.Failed",
}


class CredentialError(Exception):
    """Base class of every credential-store error; ``str(error)`` says what to do.

    Messages never contain a secret.
    """

    #: A short, stable identifier for the error kind, handy for GUIs.
    kind = "credentials"


class KeyringUnavailableError(CredentialError):
    """No usable system keyring: none installed, not running, or D-Bus is missing."""

    kind = "keyring-unavailable"


class InsecureKeyringError(KeyringUnavailableError):
    """The only keyring on offer keeps secrets in plaintext (or nowhere); it is refused."""

    kind = "keyring-insecure"


class KeyringLockedError(CredentialError):
    """The keyring is locked and unlocking it failed or was cancelled."""

    kind = "keyring-locked"


class KeyringRefusedError(CredentialError):
    """The keyring denied access, or the user dismissed its prompt."""

    kind = "keyring-refused"


class CredentialStore(abc.ABC):
    """Where secrets live, addressed by a reference like ``profile:<id>``.

    Every method is async because a real keyring may block on D-Bus or on a prompt.
    """

    @abc.abstractmethod
    async def get_secret(self, ref: str) -> str | None:
        """Return the secret stored under ``ref``, or ``None`` when there is none.

        Raises:
            CredentialError: The keyring is unavailable, locked or refused access.
        """

    @abc.abstractmethod
    async def set_secret(self, ref: str, secret: str) -> None:
        """Store ``secret`` under ``ref``, replacing any previous one.

        Raises:
            CredentialError: Nothing was stored; the message says why and what to do.
        """

    @abc.abstractmethod
    async def delete_secret(self, ref: str) -> None:
        """Forget the secret under ``ref``; a missing secret is not an error (idempotent).

        Raises:
            CredentialError: The secret may still be stored.
        """

    @abc.abstractmethod
    async def check(self) -> None:
        """Make sure a secure keyring is there, so the app can warn before the user types.

        Raises:
            CredentialError: No usable keyring; the message says what to install or do.
        """

    @abc.abstractmethod
    def describe(self) -> str:
        """Name where secrets go, for hints and the status bar ("Secret Service ...")."""


class KeyringCredentialStore(CredentialStore):
    """The :class:`CredentialStore` over the ``keyring`` package.

    Args:
        backend: The keyring backend to use. ``None`` asks ``keyring`` for the system's one
            (which honours ``PYTHON_KEYRING_BACKEND`` and keyringrc.cfg), on first use.
        service: The keyring service name secrets are filed under.
    """

    def __init__(self, backend: KeyringBackend | None = None, service: str = SERVICE) -> None:
        self._backend = backend
        self._service = service
        self._usable: KeyringBackend | None = None
        self._name: str | None = None
        self._detect_failed = False
        self._lock: asyncio.Lock | None = None

    def describe(self) -> str:
        return self._name or "the system keyring"

    async def check(self) -> None:
        """Make sure the keyring is there and secure; re-asked on every call.

        A locked keyring is only noticed when a secret is read or written (asking earlier
        would prompt the user for nothing).
        """

        def recheck(backend: KeyringBackend) -> None:
            try:
                secure_backend(backend)  # the daemon may have gone since we chose it
            except CredentialError:
                self._usable, self._detect_failed = None, True
                raise

        await self._call(recheck, action="open the keyring")

    async def get_secret(self, ref: str) -> str | None:
        _check_ref(ref)
        secret = await self._call(
            lambda backend: backend.get_password(self._service, ref), action="read the secret"
        )
        register_secret(secret)  # from now on no log line can show it
        return secret

    async def set_secret(self, ref: str, secret: str) -> None:
        _check_ref(ref)
        if not secret:
            raise ValueError("An empty secret cannot be stored; delete it instead.")
        register_secret(secret)
        await self._call(
            lambda backend: backend.set_password(self._service, ref, secret),
            action="store the secret",
            secret=secret,
        )

    async def delete_secret(self, ref: str) -> None:
        _check_ref(ref)

        def delete(backend: KeyringBackend) -> None:
            try:
                backend.delete_password(self._service, ref)
            except keyring_errors.PasswordDeleteError:
                # Backends report "nothing to delete" this way; only a secret still there is bad.
                if backend.get_password(self._service, ref) is not None:
                    raise

        await self._call(delete, action="delete the secret")

    # ----------------------------------------------------------------- plumbing

    async def _call(
        self, operation: Callable[[KeyringBackend], T], *, action: str, secret: str | None = None
    ) -> T:
        """Run ``operation`` on the secure backend in a worker thread, one call at a time."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            return await asyncio.to_thread(self._run, operation, action, secret)

    def _run(self, operation: Callable[[KeyringBackend], T], action: str, secret: str | None) -> T:
        try:
            return operation(self._resolve())
        except CredentialError:
            raise
        except Exception as exc:
            error = translate_keyring_error(exc, action=action, secret=secret)
            logger.warning("Keyring could not %s: %s", action, error)
            if secret and secret in f"{exc!r} {exc}":
                raise error from None  # the backend's own message would leak the secret
            raise error from exc

    def _resolve(self) -> KeyringBackend:
        """Pick the secure backend once; a failure is retried on the next call."""
        if self._usable is not None:
            return self._usable
        try:
            candidate = self._backend if self._backend is not None else self._detect()
            usable = secure_backend(candidate)
        except CredentialError:
            self._detect_failed = True
            raise
        self._name = backend_display_name(usable)
        self._usable = usable
        logger.info("Secrets are stored in %s", self._name)
        return usable

    def _detect(self) -> KeyringBackend:
        if self._detect_failed:
            # The user may have started or installed a keyring since; look again.
            keyring.core.init_backend()
        return keyring.get_keyring()


def secure_backend(backend: KeyringBackend) -> KeyringBackend:
    """Return ``backend`` if it is a secure system keyring (for a chainer: its best such member).

    Raises:
        KeyringUnavailableError: No backend at all, or it is not running.
        InsecureKeyringError: The backend would keep secrets in plaintext or nowhere.
    """
    if isinstance(backend, ChainerBackend):
        members: list[KeyringBackend] = list(backend.backends)
        refusals = [_refusal(member) for member in members]
        for member, refusal in zip(members, refusals, strict=True):
            if refusal is None:
                return member
        insecure = [r for r in refusals if isinstance(r, InsecureKeyringError)]
        if insecure:
            raise insecure[0]
        raise KeyringUnavailableError(f"No system keyring is available. {INSTALL_HINT}")
    refusal = _refusal(backend)
    if refusal is not None:
        raise refusal
    return backend


def _refusal(backend: KeyringBackend) -> CredentialError | None:
    """Why ``backend`` must not hold secrets, or ``None`` when it may."""
    if isinstance(backend, fail.Keyring):
        return KeyringUnavailableError(f"No system keyring is available. {INSTALL_HINT}")
    name = backend_display_name(backend, ask_provider=False)
    if isinstance(backend, null.Keyring):
        return InsecureKeyringError(
            "The keyring is disabled (keyring's 'null' backend is configured), so a secret could "
            f"not be kept. {INSTALL_HINT}"
        )
    try:
        priority = float(backend.priority)
    except Exception as exc:  # keyring signals "not usable here" by raising from priority
        return KeyringUnavailableError(
            f"{name} is not usable: {_detail(exc, None)}. {INSTALL_HINT}"
        )
    module = type(backend).__module__
    # keyring itself recommends only backends of priority >= 1; keyrings.alt is the
    # "less secure" collection (plaintext and home-made encrypted files).
    if module.startswith("keyrings.alt") or priority < 1:
        return InsecureKeyringError(
            f"The keyring backend '{name}' is not a secure system keyring (it may keep secrets in "
            f"a plain file), so Leap Sync will not store the secret there. {INSTALL_HINT}"
        )
    return None


def translate_keyring_error(
    exc: BaseException, *, action: str, secret: str | None = None
) -> CredentialError:
    """Turn a keyring, Secret Service or D-Bus failure into a :class:`CredentialError`.

    The one place where backend exceptions are interpreted. ``secret`` is removed from any
    backend message that is quoted.

    Args:
        exc: What the backend raised.
        action: What was attempted, as a verb phrase ("store the secret").
        secret: The secret involved, if any, so it can be scrubbed from the message.
    """
    if isinstance(exc, CredentialError):
        return exc
    detail = _detail(exc, secret)
    locked = KeyringLockedError(
        f"The keyring is locked, so Leap Sync could not {action}. {UNLOCK_HINT}"
    )
    refused = KeyringRefusedError(
        f"The keyring refused to {action} (access denied or prompt dismissed). {REFUSED_HINT}"
    )
    unavailable = KeyringUnavailableError(
        f"The keyring could not be reached to {action} ({detail}). {INSTALL_HINT}"
    )
    if isinstance(exc, keyring_errors.NoKeyringError):
        return KeyringUnavailableError(f"No system keyring is available. {INSTALL_HINT}")
    if isinstance(exc, keyring_errors.KeyringLocked):
        return locked
    if isinstance(exc, keyring_errors.InitError):
        return KeyringUnavailableError(
            f"The keyring could not be opened to {action} ({detail}). Create or unlock a "
            f"default keyring, then try again. {INSTALL_HINT}"
        )
    if isinstance(exc, keyring_errors.PasswordSetError | keyring_errors.PasswordDeleteError):
        return refused
    if secretstorage_errors is not None:
        if isinstance(exc, secretstorage_errors.LockedException):
            return locked
        if isinstance(exc, secretstorage_errors.PromptDismissedException):
            return refused
        if isinstance(exc, secretstorage_errors.SecretServiceNotAvailableException):
            return unavailable
    if DBusErrorResponse is not None and isinstance(exc, DBusErrorResponse):
        name = str(exc.name or "")
        if name in _DBUS_LOCKED:
            return locked
        if name in _DBUS_REFUSED:
            return refused
        if name in _DBUS_UNAVAILABLE:
            return unavailable
    if isinstance(exc, OSError | EOFError):  # the D-Bus socket is gone or refuses connections
        return unavailable
    return CredentialError(f"The keyring could not {action} ({detail}).")


def backend_display_name(backend: KeyringBackend, *, ask_provider: bool = True) -> str:
    """A name a user recognises: "Secret Service (GNOME Keyring)", "macOS Keychain"...

    Args:
        backend: The keyring backend.
        ask_provider: For the Secret Service, ask D-Bus which program provides it (blocking).
    """
    cls = type(backend)
    qualified = f"{cls.__module__}.{cls.__name__}"
    name = _BACKEND_NAMES.get(qualified)
    if name is None:
        try:
            name = str(backend.name)
        except Exception:
            name = cls.__name__
    if ask_provider and qualified == "keyring.backends.SecretService.Keyring":
        provider = _secret_service_provider()
        if provider:
            name = f"{name} ({provider})"
    return name


def _secret_service_provider() -> str | None:
    """Which program serves ``org.freedesktop.secrets`` on the session bus, if we can tell."""
    try:
        from jeepney.bus_messages import message_bus  # type: ignore[import-untyped]
        from jeepney.io.blocking import open_dbus_connection  # type: ignore[import-untyped]

        with open_dbus_connection(bus="SESSION") as connection:
            reply = connection.send_and_get_reply(
                message_bus.GetConnectionUnixProcessID("org.freedesktop.secrets"), timeout=2
            )
        pid = int(reply.body[0])
        command = Path(f"/proc/{pid}/comm").read_text(encoding="utf-8").strip()
    except Exception:  # only a nicety for the label; never worth an error
        return None
    for prefix, provider in _SECRET_SERVICE_PROVIDERS.items():
        if command.startswith(prefix):
            return provider
    return None


def _detail(exc: BaseException, secret: str | None) -> str:
    """A short, secret-free description of ``exc`` for messages."""
    text = str(exc).strip()
    if secret:
        text = text.replace(secret, REDACTED)
    text = redact(text)
    if len(text) > 200:
        text = text[:197] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _check_ref(ref: str) -> None:
    if not ref or not ref.strip() or len(ref) > 200:
        raise ValueError(f"Invalid credential reference: {ref!r}.")


__all__ = [
    "INSTALL_HINT",
    "SERVICE",
    "UNLOCK_HINT",
    "CredentialError",
    "CredentialStore",
    "InsecureKeyringError",
    "KeyringCredentialStore",
    "KeyringLockedError",
    "KeyringRefusedError",
    "KeyringUnavailableError",
    "backend_display_name",
    "secure_backend",
    "translate_keyring_error",
]
