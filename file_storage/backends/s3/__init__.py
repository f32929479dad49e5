"""The S3 backend and the one transport every request of it goes through.

Modules, from the wire up:

- :mod:`.tls` builds the one SSL context (certificate and host name checked, the CA bundle of
  ``STORAGE_S3_CA_BUNDLE``/``AWS_CA_BUNDLE`` honoured).
- :mod:`.transport` is the one aiohttp session and connector per backend. aiobotocore's calls are
  plugged into it (``AioConfig(http_session_cls=...)``) and the lean paths of :mod:`.fast` (PUT,
  part PUT, ranged GET, HEAD signed by botocore's signer) send on it too: one pool, one place that
  counts requests and bytes, applies the bandwidth limit and never logs a URL or a signature.
- :mod:`.retry` is the one retry policy (attempts, base, cap, budget, jitter) and the stall
  watchdog used by every request; :mod:`.errors` turns any failure into the typed errors of
  :mod:`file_storage.errors`.
- :mod:`.listing` lists (paged, decoded only when the answer says ``EncodingType=url``).
- :mod:`.transfer` runs multipart uploads and parallel ranged downloads; :mod:`.journal` records
  each multipart upload so a later run resumes or aborts it; :mod:`.parts`, :mod:`.verify` and
  :mod:`.conditional` prove downloads and guard overwrites.
- :mod:`.backend` is :class:`S3StorageBackend`, the
  :class:`~file_storage.backends.base.StorageBackend` built from these.
"""

from file_storage.backends.s3.backend import S3Stats, S3StorageBackend, S3Tuning

__all__ = ["S3Stats", "S3StorageBackend", "S3Tuning"]
