"""The app's one message channel: notice levels, error sentences and sizes in the user's language.

Everything the GUI says about a failure goes through :func:`describe`: the banner, the transfer
queue's failed rows, the preview and dialogs. ``file_storage`` writes its messages in English,
with the details that help (the endpoint, the operation, the numbers); those stay the English
text. A translated interface shows instead the translated sentence of the error's *kind*
(``file_storage.errors`` class), so a Russian window never shows a half-English sentence; the
English detail still goes to the log.

Sizes shown in the GUI are formatted by :func:`format_size`, whose unit names are translated
(``1.5 МиБ``), so a Russian window never mixes ``MiB`` and ``МиБ``.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from file_storage import errors
from file_storage.redaction import redact

if TYPE_CHECKING:
    from collections.abc import Mapping

    from file_storage.backends.base import CheckResult

CONTEXT = "Messages"


class Level(enum.Enum):
    """How much a notice matters; the value is the string the window's ``notify`` takes."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def severity(self) -> int:
        """Higher is more severe: the banner shows the most severe notice first."""
        return _SEVERITY[self]

    @classmethod
    def parse(cls, value: str | Level) -> Level:
        """``"error"`` -> :attr:`ERROR`; anything unknown is :attr:`INFO` (never lost)."""
        if isinstance(value, Level):
            return value
        try:
            return cls(str(value).lower())
        except ValueError:
            return cls.INFO


_SEVERITY = {Level.INFO: 0, Level.WARNING: 1, Level.ERROR: 2}


def _tr(text: str) -> str:
    return QCoreApplication.translate(CONTEXT, text)


#: One sentence per error kind (English source text, shown translated). The most specific class
#: of the exception that is listed here wins, so a new child of a listed class (appended later
#: to file_storage.errors) gets its parent's sentence.
SENTENCES: Mapping[type[BaseException], str] = {
    errors.StorageError: QT_TRANSLATE_NOOP(
        "Messages", "The storage operation failed. The details are in the log."
    ),
    errors.ConfigurationError: QT_TRANSLATE_NOOP(
        "Messages", "The settings are incomplete or contradictory. Check them in Settings."
    ),
    errors.InvalidPathError: QT_TRANSLATE_NOOP(
        "Messages", "This name or path cannot be used in the store."
    ),
    errors.InvalidRequestError: QT_TRANSLATE_NOOP(
        "Messages", "A value is outside the allowed range."
    ),
    errors.ObjectNotFoundError: QT_TRANSLATE_NOOP(
        "Messages",
        "The file was not found: it may have been moved or deleted. Refresh and try again.",
    ),
    errors.BucketNotFoundError: QT_TRANSLATE_NOOP(
        "Messages", "The bucket does not exist on this server. Check its name in Settings."
    ),
    errors.AccessDeniedError: QT_TRANSLATE_NOOP(
        "Messages", "Access was denied. Check the permissions of the account or the folder."
    ),
    errors.InvalidCredentialsError: QT_TRANSLATE_NOOP(
        "Messages",
        "The server did not accept the access key or the secret. Check them in Settings.",
    ),
    errors.EndpointUnreachableError: QT_TRANSLATE_NOOP(
        "Messages",
        "The storage server cannot be reached. Check the network and the endpoint in Settings.",
    ),
    errors.TLSVerificationError: QT_TRANSLATE_NOOP(
        "Messages",
        "The server's certificate could not be verified. Check the endpoint and the "
        "certificate in Settings.",
    ),
    errors.ClockSkewError: QT_TRANSLATE_NOOP(
        "Messages",
        "The server refused the request because this computer's clock is wrong. Correct the "
        "clock and try again.",
    ),
    errors.ServiceUnavailableError: QT_TRANSLATE_NOOP(
        "Messages", "The server is busy or unavailable. Try again later."
    ),
    errors.ChecksumMismatchError: QT_TRANSLATE_NOOP(
        "Messages", "What arrived differs from what was sent, so nothing was kept. Try again."
    ),
    errors.SourceChangedError: QT_TRANSLATE_NOOP(
        "Messages",
        "The file changed while it was being transferred, so nothing was kept. Try again once "
        "it is complete.",
    ),
    errors.ObjectChangedError: QT_TRANSLATE_NOOP(
        "Messages", "The file in the bucket was replaced during the download. Try again."
    ),
    errors.DiskFullError: QT_TRANSLATE_NOOP(
        "Messages", "The local disk is full. Free some space and try again."
    ),
    errors.StorageQuotaExceededError: QT_TRANSLATE_NOOP(
        "Messages",
        "This would take the store over its quota. Delete something or raise the quota in "
        "Settings.",
    ),
    errors.QuotaUnknownError: QT_TRANSLATE_NOOP(
        "Messages",
        "The store's usage could not be counted, so nothing is written. Try again when the "
        "store answers.",
    ),
    errors.NotSupportedError: QT_TRANSLATE_NOOP("Messages", "This store cannot do that."),
    errors.SyncSafetyError: QT_TRANSLATE_NOOP(
        "Messages",
        "The sync was stopped because it looks destructive (an empty side or too many "
        "deletions). Check the plan.",
    ),
    errors.MediaToolError: QT_TRANSLATE_NOOP(
        "Messages", "FFmpeg is missing or cannot run. Install it and try again."
    ),
    errors.MediaInputError: QT_TRANSLATE_NOOP(
        "Messages", "This file cannot be used for that media job."
    ),
    errors.MediaProcessingError: QT_TRANSLATE_NOOP(
        "Messages", "FFmpeg could not process this file. The details are in the log."
    ),
}

#: Sentences of the credential store's errors (app.credentials, imported late: keyring).
CREDENTIAL_SENTENCES = {
    "credentials": QT_TRANSLATE_NOOP(
        "Messages", "The system keyring could not be used. The details are in the log."
    ),
    "keyring-unavailable": QT_TRANSLATE_NOOP(
        "Messages", "No usable system keyring was found, so the secret cannot be stored."
    ),
    "keyring-insecure": QT_TRANSLATE_NOOP(
        "Messages", "The only keyring available stores secrets unencrypted, so it is not used."
    ),
    "keyring-locked": QT_TRANSLATE_NOOP(
        "Messages", "The system keyring is locked. Unlock it and try again."
    ),
    "keyring-refused": QT_TRANSLATE_NOOP(
        "Messages", "The system keyring refused access. Allow it and try again."
    ),
}

#: The profiles file (app.profiles.ProfileStoreError, imported late like the credentials).
PROFILES_SENTENCE = QT_TRANSLATE_NOOP(
    "Messages", "The profiles file could not be read or written. The details are in the log."
)

#: In the context it had before this module (its translation exists already).
UNEXPECTED = QT_TRANSLATE_NOOP(
    "ErrorMessages", "Unexpected error ({name}); the details are in the log."
)
WITH_PATH = QT_TRANSLATE_NOOP("Messages", "{sentence} ({path})")


def sentence_for(exc: BaseException) -> str | None:
    """The English source sentence for ``exc``'s kind, or ``None`` for an unexpected error."""
    for cls in type(exc).__mro__:
        if cls in SENTENCES:
            return SENTENCES[cls]
    kind = getattr(exc, "kind", None)
    if _is_credential_error(exc) and isinstance(kind, str):
        return CREDENTIAL_SENTENCES.get(kind, CREDENTIAL_SENTENCES["credentials"])
    if _is_profiles_error(exc):
        return PROFILES_SENTENCE
    return None


def _is_credential_error(exc: BaseException) -> bool:
    from app.credentials import CredentialError  # late: keyring is only needed here

    return isinstance(exc, CredentialError)


def _is_profiles_error(exc: BaseException) -> bool:
    from app.profiles import ProfileStoreError  # late: app.profiles imports pydantic models

    return isinstance(exc, ProfileStoreError)


def describe(exc: BaseException) -> str:
    """The sentence a user sees for ``exc``, in the interface's language (redacted).

    English (the source language, or a catalogue without this sentence) shows the error's own
    message, which names what failed and what to do. A translated interface shows the
    translated sentence of the error's kind, followed by the storage path it concerns.
    Anything that is not a storage or credential error is a bug: "Unexpected error" with the
    class name, the traceback is in the log.
    """
    source = sentence_for(exc)
    if source is None:
        unexpected = QCoreApplication.translate("ErrorMessages", UNEXPECTED)
        return unexpected.format(name=type(exc).__name__)
    translated = _tr(source)
    if translated == source:  # English: the specific message is the better sentence
        return redact(str(exc)) or translated
    path = getattr(exc, "path", None)
    if isinstance(path, str) and path:
        return _tr(WITH_PATH).format(sentence=translated, path=redact(path))
    return translated


ANSWERED = QT_TRANSLATE_NOOP("Messages", "The bucket answered in {ms} ms.")
ANSWERED_PLAIN = QT_TRANSLATE_NOOP("Messages", "The bucket answered.")


def check_detail(result: CheckResult) -> str:
    """A connection check's detail in the interface's language (status tooltip, Settings).

    A failure is its error's sentence (:func:`describe`); a success keeps the backend's
    English detail (bucket, endpoint, latency) in English and is a translated sentence with
    the latency otherwise.
    """
    if result.error is not None:
        return describe(result.error)
    if result.ok:
        source = ANSWERED if result.latency_ms is not None else ANSWERED_PLAIN
        translated = _tr(source)
        if translated != source:
            return translated.format(ms=f"{result.latency_ms or 0:.0f}")
    return redact(result.detail)


# --------------------------------------------------------------------------- sizes

#: Binary units, English source text (shown translated: ``МиБ`` in Russian).
UNITS = (
    QT_TRANSLATE_NOOP("Units", "B"),
    QT_TRANSLATE_NOOP("Units", "KiB"),
    QT_TRANSLATE_NOOP("Units", "MiB"),
    QT_TRANSLATE_NOOP("Units", "GiB"),
    QT_TRANSLATE_NOOP("Units", "TiB"),
    QT_TRANSLATE_NOOP("Units", "PiB"),
)


def format_size(nbytes: float) -> str:
    """A byte count with binary units in the interface's language: ``1536`` -> ``'1.5 KiB'``.

    The numbers are those of :func:`file_storage.units.human_size` (the CLI's), only the unit
    names are translated, so the GUI and the CLI agree on the value.
    """
    value = float(nbytes)
    for index, unit in enumerate(UNITS):
        if abs(value) < 1024 or index == len(UNITS) - 1:
            name = QCoreApplication.translate("Units", unit)
            return f"{int(value)} {name}" if index == 0 else f"{value:.1f} {name}"
        value /= 1024
    raise AssertionError("unreachable")


def format_rate(bytes_per_second: float) -> str:
    """A transfer speed: ``'48.0 MiB/s'`` (translated units)."""
    return QCoreApplication.translate("Units", "{size}/s").format(
        size=format_size(bytes_per_second)
    )
