"""The credential store: secrets go to a real keyring, or nowhere (RELIABILITY F9, S4, S7).

Round trips run against a private gnome-keyring-daemon (tests/keyring_service.py). The small
backends defined here stand in only for what no real part can do on this machine: a plaintext
backend to be refused, and a backend whose error message repeats the secret.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import keyring
import keyring.core
import pytest
import secretstorage.exceptions as ss_errors
from jeepney import DBusAddress, new_error, new_method_call
from jeepney.wrappers import DBusErrorResponse
from keyring import errors as keyring_errors
from keyring.backend import KeyringBackend
from keyring.backends import fail, null
from keyring.backends.chainer import ChainerBackend
from keyring.backends.SecretService import Keyring as SecretServiceKeyring

from app.credentials import (
    CredentialError,
    InsecureKeyringError,
    KeyringCredentialStore,
    KeyringLockedError,
    KeyringRefusedError,
    KeyringUnavailableError,
    translate_keyring_error,
)

if TYPE_CHECKING:  # imported by pytest_plugins below; a plain import would skip assert rewriting
    from tests.keyring_service import SecretServiceSandbox

#: The real Secret Service fixtures (one daemon per session, shared by every module).
pytest_plugins = ["tests.keyring_service"]

PLANTED = "PLANTED-secret-4f9c2e71d0"


def _service() -> str:
    """A fresh keyring service per test, so tests never see each other's secrets."""
    return f"leap-sync-test-{uuid.uuid4().hex[:8]}"


# Test backends take a constructor argument so keyring's own auto-detection, which
# instantiates every registered backend class without arguments, can never pick them.


class PlaintextFileKeyring(KeyringBackend):
    """Like keyrings.alt's PlaintextKeyring: a file, and a priority keyring does not recommend."""

    priority = 0.5  # type: ignore[assignment]

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        self.path.write_text(f"{service}/{username}={password}\n")

    def delete_password(self, service: str, username: str) -> None:
        self.path.unlink(missing_ok=True)


class LeakyRefusingKeyring(KeyringBackend):
    """A secure-looking backend that refuses and quotes the password in its error."""

    priority = 5  # type: ignore[assignment]

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring_errors.KeyringError(self.reason)

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring_errors.PasswordSetError(f"{self.reason}: cannot store {password!r}")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring_errors.PasswordDeleteError(self.reason)


class FixedChain(ChainerBackend):
    """A chainer over given members (the real one chains whatever is installed)."""

    priority = -1  # type: ignore[assignment]

    def __init__(self, members: list[KeyringBackend]) -> None:
        super().__init__()
        self.members = members

    @property
    def backends(self) -> list[KeyringBackend]:  # type: ignore[override]
        return self.members


# --------------------------------------------------------------------- real Secret Service


async def test_round_trip_on_the_real_secret_service(
    secret_service: SecretServiceKeyring,
) -> None:
    store = KeyringCredentialStore(secret_service, service=_service())
    ref = f"profile:{uuid.uuid4()}"
    assert await store.get_secret(ref) is None
    await store.set_secret(ref, PLANTED)
    assert await store.get_secret(ref) == PLANTED
    await store.set_secret(ref, PLANTED + "-2")
    assert await store.get_secret(ref) == PLANTED + "-2"
    await store.delete_secret(ref)
    assert await store.get_secret(ref) is None
    await store.delete_secret(ref)  # idempotent: nothing to delete is fine


async def test_secrets_are_filed_under_the_service_and_reference(
    secret_service: SecretServiceKeyring,
) -> None:
    service = _service()
    ref = f"profile:{uuid.uuid4()}"
    await KeyringCredentialStore(secret_service, service=service).set_secret(ref, PLANTED)
    assert secret_service.get_password(service, ref) == PLANTED
    other = KeyringCredentialStore(secret_service, service=_service())
    assert await other.get_secret(ref) is None
    secret_service.delete_password(service, ref)


async def test_describe_names_the_keyring(secret_service: SecretServiceKeyring) -> None:
    store = KeyringCredentialStore(secret_service)
    assert store.describe() == "the system keyring"  # nothing asked yet
    await store.check()
    assert store.describe() == "Secret Service (GNOME Keyring)"


async def test_the_keyring_file_on_disk_does_not_hold_the_secret_in_clear(
    secret_service_sandbox: SecretServiceSandbox, secret_service: SecretServiceKeyring
) -> None:
    store = KeyringCredentialStore(secret_service, service=_service())
    ref = f"profile:{uuid.uuid4()}"
    await store.set_secret(ref, PLANTED)
    keyring_files = [p for p in secret_service_sandbox.root.rglob("*") if p.is_file()]
    assert any(p.suffix == ".keyring" for p in keyring_files)
    for path in keyring_files:
        assert PLANTED.encode() not in path.read_bytes(), path
    await store.delete_secret(ref)


async def test_a_locked_keyring_raises_locked_with_guidance(
    locked_secret_service: SecretServiceKeyring,
) -> None:
    store = KeyringCredentialStore(locked_secret_service, service=_service())
    with pytest.raises(KeyringLockedError) as caught:
        await store.set_secret("profile:locked", PLANTED)
    assert "Unlock your keyring" in str(caught.value)
    assert PLANTED not in "".join(traceback.format_exception(caught.value))
    with pytest.raises(KeyringLockedError):
        await store.get_secret("profile:locked")


async def test_no_secret_service_on_the_bus_is_unavailable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    store = KeyringCredentialStore(SecretServiceKeyring())
    with pytest.raises(KeyringUnavailableError) as caught:
        await store.set_secret("profile:x", PLANTED)
    assert "gnome-keyring" in str(caught.value)
    assert PLANTED not in str(caught.value)


async def test_a_keyring_that_goes_away_is_reported_as_unavailable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tests.keyring_service import SecretServiceSandbox, missing_programs

    if missing_programs():
        pytest.skip("dbus-daemon / gnome-keyring-daemon not installed")
    sandbox = SecretServiceSandbox(tmp_path)
    with sandbox:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", sandbox.address)
        store = KeyringCredentialStore(sandbox.keyring(), service=_service())
        await store.check()
    # The daemons are gone (session ended, daemon crashed): say so, do not hang or fall back.
    with pytest.raises(KeyringUnavailableError):
        await store.check()
    with pytest.raises(KeyringUnavailableError) as caught:
        await store.set_secret("profile:gone", PLANTED)
    assert PLANTED not in str(caught.value)


async def test_detection_is_retried_after_the_user_fixes_the_keyring(
    secret_service: SecretServiceKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        store = KeyringCredentialStore(service=_service())
        with pytest.raises(KeyringUnavailableError):
            await store.check()
        # The user installs or starts a keyring; the next attempt finds it without a restart.
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.SecretService.Keyring")
        await store.check()
        assert store.describe().startswith("Secret Service")
    finally:
        keyring.set_keyring(previous)


# --------------------------------------------------------------------- refused backends


async def test_no_backend_is_unavailable_with_install_guidance() -> None:
    store = KeyringCredentialStore(fail.Keyring())
    for attempt in (
        store.check(),
        store.get_secret("profile:x"),
        store.set_secret("profile:x", PLANTED),
        store.delete_secret("profile:x"),
    ):
        with pytest.raises(KeyringUnavailableError) as caught:
            await attempt
        message = str(caught.value)
        assert "gnome-keyring" in message
        assert "dbus-run-session" in message
        assert PLANTED not in message
    assert store.describe() == "the system keyring"


async def test_the_null_backend_is_refused() -> None:
    with pytest.raises(InsecureKeyringError):
        await KeyringCredentialStore(null.Keyring()).set_secret("profile:x", PLANTED)


async def test_a_plaintext_backend_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    target = tmp_path / "keyring_pass.cfg"
    store = KeyringCredentialStore(PlaintextFileKeyring(target))
    with pytest.raises(InsecureKeyringError) as caught:
        await store.set_secret("profile:x", PLANTED)
    assert isinstance(caught.value, KeyringUnavailableError)
    assert "not a secure system keyring" in str(caught.value)
    assert not target.exists()


async def test_a_chain_without_a_secure_member_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "keyring_pass.cfg"
    with pytest.raises(InsecureKeyringError):
        await KeyringCredentialStore(FixedChain([PlaintextFileKeyring(target)])).check()
    with pytest.raises(KeyringUnavailableError):
        await KeyringCredentialStore(FixedChain([])).check()
    assert not target.exists()


async def test_a_chain_uses_its_secure_member_only(
    secret_service: SecretServiceKeyring, tmp_path: Path
) -> None:
    target = tmp_path / "keyring_pass.cfg"
    chain = FixedChain([PlaintextFileKeyring(target), secret_service])
    store = KeyringCredentialStore(chain, service=_service())
    await store.set_secret("profile:chained", PLANTED)
    assert await store.get_secret("profile:chained") == PLANTED
    assert not target.exists()
    await store.delete_secret("profile:chained")


async def test_errors_never_carry_the_secret(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    store = KeyringCredentialStore(LeakyRefusingKeyring("access denied by policy"))
    with pytest.raises(KeyringRefusedError) as caught:
        await store.set_secret("profile:x", PLANTED)
    assert PLANTED not in str(caught.value)
    assert PLANTED not in "".join(traceback.format_exception(caught.value))
    assert caught.value.__cause__ is None
    assert PLANTED not in caplog.text


async def test_refs_and_secrets_are_checked() -> None:
    store = KeyringCredentialStore(fail.Keyring())
    with pytest.raises(ValueError, match="reference"):
        await store.get_secret("")
    with pytest.raises(ValueError, match="empty secret"):
        await store.set_secret("profile:x", "")


# --------------------------------------------------------------------- translation table


def _dbus_error(name: str) -> DBusErrorResponse:
    call = new_method_call(DBusAddress("/x", bus_name="org.example", interface="org.example"), "M")
    return DBusErrorResponse(new_error(call, name))


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (keyring_errors.NoKeyringError("none"), KeyringUnavailableError),
        (keyring_errors.InitError("no collection"), KeyringUnavailableError),
        (keyring_errors.KeyringLocked("locked"), KeyringLockedError),
        (keyring_errors.PasswordSetError("denied"), KeyringRefusedError),
        (keyring_errors.KeyringError("odd"), CredentialError),
        (ss_errors.LockedException("locked"), KeyringLockedError),
        (ss_errors.PromptDismissedException("dismissed"), KeyringRefusedError),
        (ss_errors.SecretServiceNotAvailableException("gone"), KeyringUnavailableError),
        (_dbus_error("org.freedesktop.DBus.Error.AccessDenied"), KeyringRefusedError),
        (_dbus_error("org.freedesktop.Secret.Error.IsLocked"), KeyringLockedError),
        (_dbus_error("org.freedesktop.DBus.Error.ServiceUnknown"), KeyringUnavailableError),
        (ConnectionRefusedError(111, "Connection refused"), KeyringUnavailableError),
        (ValueError("something else"), CredentialError),
    ],
)
def test_translation_table(exc: Exception, expected: type[CredentialError]) -> None:
    error = translate_keyring_error(exc, action="store the secret", secret=PLANTED)
    assert type(error) is expected
    assert str(error)


def test_translation_scrubs_the_secret_from_quoted_messages() -> None:
    leaky = keyring_errors.KeyringError(f"bad value {PLANTED}")
    error = translate_keyring_error(leaky, action="store the secret", secret=PLANTED)
    assert PLANTED not in str(error)
    assert "bad value" in str(error)
