"""Keep secrets out of logs, whatever logs them (RELIABILITY S4).

:class:`RedactingFilter` goes on *handlers* (a filter on a handler sees records propagated from
every logger, botocore's included). It rewrites the message, its arguments and any formatted
traceback, removing:

* every secret value registered with :func:`register_secret` (secret keys, session tokens);
* ``Authorization`` header values and SigV4 ``Signature=`` values;
* presigned-URL query parameters (``X-Amz-Signature``, ``X-Amz-Credential``,
  ``X-Amz-Security-Token``) and their SigV2 equivalents.
"""

from __future__ import annotations

import logging
import re
import threading

REDACTED = "[REDACTED]"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)[^'\"\r\n,}]+"), r"\1" + REDACTED),
    (re.compile(r"(?i)(signature=)[0-9a-f]{16,}"), r"\1" + REDACTED),
    # botocore's DEBUG log prints "Signature:\n<hex>" when it signs a request.
    (re.compile(r"(?i)(signature:\s*)[0-9a-f]{16,}"), r"\1" + REDACTED),
    (
        re.compile(
            r"(?i)((?:x-amz-signature|x-amz-credential|x-amz-security-token|signature|"
            r"awsaccesskeyid)=)[^&\s'\"]+"
        ),
        r"\1" + REDACTED,
    ),
    (
        re.compile(
            r"(?i)((?:x-amz-security-token|x-amz-content-sha256)['\"]?\s*[:=]\s*['\"]?)[^'\"\s,}]+"
        ),
        r"\1" + REDACTED,
    ),
    (
        re.compile(r"(?i)(aws_secret_access_key['\"]?\s*[:=]\s*['\"]?)[^'\"\s,}]+"),
        r"\1" + REDACTED,
    ),
)

_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Make sure ``value`` never appears in a log line from now on.

    Very short values are ignored: redacting "a" everywhere would make logs unreadable and such a
    value is no secret anyway.
    """
    if value and len(value) >= 6:
        with _secrets_lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """Return ``text`` with every known secret and signature replaced by ``[REDACTED]``."""
    with _secrets_lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """A handler filter that redacts each record in place; it never drops a record."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken %-format must not hide the record
            message = f"{record.msg!r} % {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def configure_logging(
    level: int = logging.INFO,
    *,
    handler: logging.Handler | None = None,
    debug_botocore: bool = False,
) -> logging.Handler:
    """Install one redacting handler on the root logger and quiet botocore unless asked.

    botocore's DEBUG output prints request headers and signing material; it stays at WARNING
    unless ``debug_botocore`` is set, and even then passes through the redaction filter.

    Returns:
        The handler installed (so tests and the GUI can remove or reuse it).
    """
    handler = handler or logging.StreamHandler()
    handler.addFilter(RedactingFilter())
    if handler.formatter is None:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    quiet = logging.DEBUG if debug_botocore else logging.WARNING
    for name in ("botocore", "aiobotocore", "boto3", "aioboto3", "urllib3", "s3transfer"):
        logging.getLogger(name).setLevel(quiet)
    return handler
