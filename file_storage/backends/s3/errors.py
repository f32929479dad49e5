"""The one place where S3 and HTTP failures become :mod:`file_storage.errors`.

Messages name the operation, the bucket and the key, say what to do, and never include a secret,
a signature or a presigned URL: server messages are only quoted for codes that cannot carry
signing material, and even then pass through :func:`redact`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp
from botocore import exceptions as boto_exc

from file_storage.backends.s3.retry import StallError
from file_storage.backends.s3.tls import hostname_mismatch
from file_storage.errors import (
    AccessDeniedError,
    BucketNotFoundError,
    ChecksumMismatchError,
    ClockSkewError,
    ConfigurationError,
    EndpointNotRespondingError,
    EndpointUnreachableError,
    InvalidCredentialsError,
    ObjectChangedError,
    ObjectNotFoundError,
    ServiceUnavailableError,
    StorageError,
    TLSVerificationError,
)
from file_storage.redaction import redact


@dataclass(frozen=True)
class S3Context:
    """Where a failure happened, for the message."""

    operation: str
    bucket: str
    endpoint: str
    key: str | None = None
    #: botocore's name for where the credentials came from (``Credentials.method``: "env",
    #: "shared-credentials-file", "assume-role"...); ``None`` or "explicit" means the settings.
    credentials: str | None = None

    @property
    def what(self) -> str:
        return f"s3://{self.bucket}/{self.key}" if self.key else f"bucket '{self.bucket}'"


_CODE_TABLE: dict[str, tuple[type[StorageError], str]] = {
    "NoSuchKey": (ObjectNotFoundError, "No object at {what}."),
    "NotFound": (ObjectNotFoundError, "No object at {what}."),
    "404": (ObjectNotFoundError, "No object at {what}."),
    "NoSuchBucket": (
        BucketNotFoundError,
        "Bucket '{bucket}' does not exist on {endpoint}; create it or fix STORAGE_S3_BUCKET.",
    ),
    "AccessDenied": (
        AccessDeniedError,
        "Access denied for {operation} on {what}; give the access key permission for this "
        "bucket, or use another key.",
    ),
    "403": (
        AccessDeniedError,
        "Access denied for {operation} on {what} (HTTP 403): the key lacks permission, or the "
        "access key or secret is wrong.",
    ),
    "AllAccessDisabled": (AccessDeniedError, "All access to bucket '{bucket}' is disabled."),
    "InvalidAccessKeyId": (
        InvalidCredentialsError,
        "The access key ID is not known to {endpoint}; check STORAGE_S3_ACCESS_KEY_ID.",
    ),
    "SignatureDoesNotMatch": (
        InvalidCredentialsError,
        "The secret access key does not match the access key ID; check "
        "STORAGE_S3_SECRET_ACCESS_KEY.",
    ),
    "InvalidToken": (InvalidCredentialsError, "The session token is invalid; get a new one."),
    "ExpiredToken": (InvalidCredentialsError, "The session token has expired; get a new one."),
    "RequestTimeTooSkewed": (
        ClockSkewError,
        "{endpoint} refused the request because this computer's clock is off by more than 15 "
        "minutes; correct the system clock (turn on automatic time) and try again.",
    ),
    "RequestExpired": (
        ClockSkewError,
        "{endpoint} says the request has expired: this computer's clock is probably wrong; "
        "correct the system clock and try again.",
    ),
    "SlowDown": (
        ServiceUnavailableError,
        "{endpoint} kept asking to slow down during {operation} on {what}; try again later.",
    ),
    "ServiceUnavailable": (
        ServiceUnavailableError,
        "{endpoint} is unavailable (HTTP 503) for {operation} on {what}; try again later.",
    ),
    "503": (
        ServiceUnavailableError,
        "{endpoint} is unavailable (HTTP 503) for {operation} on {what}; try again later.",
    ),
    "InternalError": (
        ServiceUnavailableError,
        "{endpoint} had an internal error during {operation} on {what}; try again later.",
    ),
    "500": (
        ServiceUnavailableError,
        "{endpoint} had an internal error during {operation} on {what}; try again later.",
    ),
    "PreconditionFailed": (
        ObjectChangedError,
        "{what} was replaced while it was being read; nothing was kept. Try again.",
    ),
    "412": (
        ObjectChangedError,
        "{what} was replaced while it was being read; nothing was kept. Try again.",
    ),
    "BadDigest": (ChecksumMismatchError, "{endpoint} received corrupted data for {what}."),
    "InvalidDigest": (ChecksumMismatchError, "{endpoint} received corrupted data for {what}."),
    "XAmzContentSHA256Mismatch": (
        ChecksumMismatchError,
        "{endpoint} received corrupted data for {what}.",
    ),
    "InvalidBucketName": (
        ConfigurationError,
        "'{bucket}' is not a valid bucket name; fix STORAGE_S3_BUCKET.",
    ),
    "AuthorizationHeaderMalformed": (
        ConfigurationError,
        "{endpoint} rejected the request's region; set STORAGE_S3_REGION to the bucket's region.",
    ),
    "PermanentRedirect": (
        ConfigurationError,
        "Bucket '{bucket}' lives in another region or endpoint; fix STORAGE_S3_REGION or "
        "STORAGE_S3_ENDPOINT_URL.",
    ),
    "301": (
        ConfigurationError,
        "Bucket '{bucket}' lives in another region or endpoint; fix STORAGE_S3_REGION or "
        "STORAGE_S3_ENDPOINT_URL.",
    ),
}

#: Codes whose server message is safe and useful to quote.
_QUOTABLE = {"InvalidArgument", "InvalidRequest", "EntityTooLarge", "EntityTooSmall", "InvalidPart"}


def translate_error_code(
    code: str, status: int | None, server_message: str | None, ctx: S3Context
) -> StorageError:
    """Build the storage error for an S3 error code (or an HTTP status when there is no code)."""
    if ctx.operation == "head_bucket" and (code in ("404", "NotFound") or status == 404):
        code = "NoSuchBucket"  # HEAD has no body: a 404 on the bucket means it is missing
    blamed = _blame_credential_source(code, ctx)
    if blamed is not None:
        return blamed
    entry = _CODE_TABLE.get(code) or (_CODE_TABLE.get(str(status)) if status else None)
    fields = {
        "what": ctx.what,
        "bucket": ctx.bucket,
        "endpoint": ctx.endpoint,
        "operation": ctx.operation,
    }
    if entry is not None:
        cls, template = entry
        return cls(template.format(**fields), path=ctx.key)
    detail = f": {redact(server_message)}" if server_message and code in _QUOTABLE else ""
    return StorageError(
        f"S3 {ctx.operation} on {ctx.what} failed with {code or status}{detail}.", path=ctx.key
    )


#: botocore ``Credentials.method`` values, as a user would name the place to fix.
_SOURCE_NAMES = {
    "env": "the AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY environment variables",
    "shared-credentials-file": "the AWS shared credentials file (AWS_SHARED_CREDENTIALS_FILE, "
    "default ~/.aws/credentials)",
    "config-file": "the AWS config file (AWS_CONFIG_FILE, default ~/.aws/config)",
    "assume-role": "the assumed role of the AWS profile",
    "sso": "the AWS SSO login of the profile",
    "custom-process": "the credential_process of the AWS profile",
    "iam-role": "the instance's IAM role",
    "container-role": "the container's IAM role",
}


def credential_source_name(method: str | None) -> str | None:
    """Where credentials came from, in words; ``None`` for the app's own settings."""
    if not method or method == "explicit":
        return None
    return _SOURCE_NAMES.get(method, f"the AWS credential source '{method}'")


def _blame_credential_source(code: str, ctx: S3Context) -> StorageError | None:
    """A refused key or secret that came from a profile or the environment names that source
    (the settings' STORAGE_S3_* fields were not used, so pointing at them would mislead)."""
    source = credential_source_name(ctx.credentials)
    if source is None or code not in ("InvalidAccessKeyId", "SignatureDoesNotMatch"):
        return None
    problem = (
        "access key ID is not known to " + ctx.endpoint
        if code == "InvalidAccessKeyId"
        else "secret access key does not match the access key ID"
    )
    return InvalidCredentialsError(
        f"The {problem}; the credentials came from {source} "
        f"(botocore source '{ctx.credentials}'): fix them there, or set "
        "STORAGE_S3_ACCESS_KEY_ID and STORAGE_S3_SECRET_ACCESS_KEY.",
        path=ctx.key,
    )


def translate_s3_error(exc: BaseException, ctx: S3Context) -> StorageError:
    """Translate a botocore, aiohttp or timeout exception; other exceptions are wrapped too."""
    if isinstance(exc, StorageError):
        return exc
    if isinstance(exc, StallError):
        return EndpointNotRespondingError(
            f"{ctx.endpoint} is not responding: {ctx.operation} on {ctx.what} moved no data for "
            f"{exc.stall_timeout:g} s on every attempt. The server may be frozen or overloaded, "
            "or the network path dropped; try again later (STORAGE_S3_STALL_TIMEOUT_S sets the "
            "wait).",
            path=ctx.key,
        )
    if isinstance(exc, boto_exc.ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return translate_error_code(str(error.get("Code", "")), status, error.get("Message"), ctx)
    if isinstance(exc, (boto_exc.SSLError, aiohttp.ClientSSLError)) and hostname_mismatch(exc):
        return TLSVerificationError(
            f"The TLS certificate of {ctx.endpoint} was issued for another host name; the "
            "connection was refused. Use the host name the certificate names in "
            "STORAGE_S3_ENDPOINT_URL.",
            path=ctx.key,
        )
    if isinstance(exc, (boto_exc.SSLError, aiohttp.ClientSSLError)):
        return TLSVerificationError(
            f"Could not verify the TLS certificate of {ctx.endpoint}. If it uses a private or "
            "self-signed certificate, set STORAGE_S3_CA_BUNDLE to its CA file.",
            path=ctx.key,
        )
    if isinstance(exc, boto_exc.ProfileNotFound):
        return ConfigurationError(
            f"AWS profile '{exc.kwargs.get('profile', '?')}' is not defined in the AWS config "
            "or credentials file; fix AWS_PROFILE or unset it.",
            path=ctx.key,
        )
    if isinstance(exc, boto_exc.NoCredentialsError | boto_exc.PartialCredentialsError):
        return InvalidCredentialsError(
            "No S3 credentials are configured; set STORAGE_S3_ACCESS_KEY_ID and "
            "STORAGE_S3_SECRET_ACCESS_KEY (or choose a profile in the app).",
            path=ctx.key,
        )
    if isinstance(
        exc,
        boto_exc.EndpointConnectionError
        | boto_exc.ConnectTimeoutError
        | boto_exc.ReadTimeoutError
        | boto_exc.ConnectionClosedError
        | boto_exc.ResponseStreamingError
        | aiohttp.ClientConnectionError
        | aiohttp.ClientPayloadError
        | asyncio.TimeoutError
        | ConnectionError,
    ):
        return EndpointUnreachableError(
            f"Cannot reach {ctx.endpoint} for {ctx.operation} on {ctx.what} "
            f"({type(exc).__name__}); check the endpoint URL and your network, then try again.",
            path=ctx.key,
        )
    if isinstance(exc, boto_exc.ParamValidationError):
        return StorageError(
            f"S3 {ctx.operation} on {ctx.what} was refused by the client: {redact(str(exc))}",
            path=ctx.key,
        )
    return StorageError(
        f"S3 {ctx.operation} on {ctx.what} failed: {type(exc).__name__}: {redact(str(exc))}",
        path=ctx.key,
    )
