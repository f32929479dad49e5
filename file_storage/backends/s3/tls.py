"""One TLS configuration for every S3 request: certificate and host name always verified.

aiobotocore 2.25.1 (``AIOHTTPSession._create_connector``) builds its SSL context with
botocore's ``create_urllib3_context()``, which leaves ``check_hostname=False`` (urllib3 checks
host names itself; aiohttp does not), so requests sent through aiobotocore accepted a valid
certificate issued for any other host. The backend builds one context here, with
``check_hostname=True`` and ``CERT_REQUIRED``, for its one
:class:`~file_storage.backends.s3.transport.S3Transport`, which every request (aiobotocore's
included, through ``AioConfig(http_session_cls=...)``) goes out on.
"""

from __future__ import annotations

import os
import ssl
from pathlib import Path


def verified_ssl_context(ca_bundle: Path | None) -> ssl.SSLContext:
    """The context every request uses: ``ca_bundle`` (else ``AWS_CA_BUNDLE``, else the system's
    trust store), certificates required, host names checked."""
    cafile = ca_bundle or os.environ.get("AWS_CA_BUNDLE") or None
    context = ssl.create_default_context(cafile=str(cafile) if cafile else None)
    context.verify_mode = ssl.CERT_REQUIRED
    context.check_hostname = True
    return context


def hostname_mismatch(exc: BaseException) -> bool:
    """Whether a TLS failure (anywhere in its chain) says the certificate is for another host."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        message = str(getattr(current, "verify_message", "") or "") + " " + str(current)
        if "mismatch" in message.lower() and (
            "hostname" in message.lower() or "ip address" in message.lower()
        ):
            return True
        nested = getattr(current, "os_error", None) or getattr(current, "certificate_error", None)
        current = nested or current.__cause__ or current.__context__
    return False
