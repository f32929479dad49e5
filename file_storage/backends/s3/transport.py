"""The one HTTP transport of an S3 backend: every request, whoever builds it, goes out here.

A backend builds requests three ways: aiobotocore's client (listings of uploads, delete, copy,
create/complete/abort multipart ...), the lean path (:mod:`.fast`: PUT, part PUT, GET, HEAD)
and the presigned listing (:mod:`.listing`). All three send through one
:class:`S3Transport`:

- one :class:`aiohttp.ClientSession` on one connector (one connection pool, kept alive between
  requests of any kind) with one SSL context that checks certificates and host names
  (:func:`~file_storage.backends.s3.tls.verified_ssl_context`);
- aiobotocore reaches it through its public extension point, ``AioConfig(http_session_cls=...)``:
  :meth:`S3Transport.botocore_session_class` returns a class whose ``send()`` puts botocore's
  prepared request on the transport's session and returns aiobotocore's own
  :class:`~aiobotocore.awsrequest.AioAWSResponse`, with aiohttp failures mapped to the botocore
  exceptions aiobotocore raises (so error translation and retries see the same types);
- one request counter (an aiohttp ``TraceConfig``: every request started on the session, by any
  path, counts once) that feeds ``S3Stats.requests``;
- the stall :class:`~file_storage.backends.s3.retry.Watchdog` and the one
  :class:`~file_storage.backends.s3.retry.RetryPolicy` of the backend (botocore's own retries
  are off: ``total_max_attempts=1``);
- the process's :class:`~file_storage.bandwidth.BandwidthLimiter`, which the lean path asks
  before each upload slice and after each piece of a download body;
- the proxy the environment names for the endpoint (``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY``
  and ``NO_PROXY``, read as curl and Python's ``urllib`` read them: :func:`environment_proxy`),
  for every path alike. aiohttp's own ``trust_env`` is not used: it would also read ``~/.netrc``
  and add a Basic ``Authorization`` beside the SigV4 one.

Nothing here logs a URL, a header or a signature.
"""

from __future__ import annotations

import io
import socket
import ssl
import urllib.request
from collections.abc import Callable
from types import SimpleNamespace, TracebackType
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiobotocore.awsrequest import AioAWSResponse
from botocore import exceptions as boto_exc
from multidict import CIMultiDict
from yarl import URL

from file_storage.backends.s3.retry import Watchdog
from file_storage.bandwidth import BandwidthLimiter


class S3Transport:
    """One connection pool, SSL context, counters, stall guard and limiter for one backend.

    Args:
        ssl_context: The verified context (host names checked) of every connection.
        pool_size: Connections kept in the pool (never fewer than the parts in flight).
        connect_timeout: Seconds to connect.
        read_timeout: Seconds without a byte from the server (the socket read timeout).
        stall_timeout: Seconds an attempt may move no byte before it is given up.
        limiter: The bandwidth limiter (the process's by default).
        on_request: Called once per HTTP request started (``S3Stats.requests``).
        on_stall: Called once per stalled attempt.
    """

    def __init__(
        self,
        ssl_context: ssl.SSLContext,
        *,
        pool_size: int,
        connect_timeout: float,
        read_timeout: float,
        stall_timeout: float,
        limiter: BandwidthLimiter | None = None,
        on_request: Callable[[], None] = lambda: None,
        on_stall: Callable[[], None] | None = None,
        proxy: str | None = None,
    ) -> None:
        self.ssl_context = ssl_context
        #: The HTTP(S) proxy of every request, or ``None`` (see :func:`environment_proxy`).
        self.proxy = proxy
        self.pool_size = pool_size
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.stall_timeout = stall_timeout
        self.limiter = limiter or BandwidthLimiter.shared()
        self._on_request = on_request
        self._on_stall = on_stall
        self._session: aiohttp.ClientSession | None = None
        #: HTTP requests started on this transport (all paths).
        self.requests = 0
        #: TCP connections this transport opened (a pool that keeps them alive opens few).
        self.connections = 0

    # ---------------------------------------------------------------- lifecycle

    async def open(self) -> aiohttp.ClientSession:
        """Create the session (idempotent) and return it."""
        if self._session is None:
            trace = aiohttp.TraceConfig()
            trace.on_request_start.append(self._request_started)
            trace.on_connection_create_end.append(self._connection_created)
            connector = aiohttp.TCPConnector(
                limit=self.pool_size, ssl=self.ssl_context, ttl_dns_cache=300
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(
                    sock_connect=self.connect_timeout, sock_read=self.read_timeout
                ),
                trace_configs=[trace],
                proxy=self.proxy,
            )
        return self._session

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def __aenter__(self) -> S3Transport:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        """The one aiohttp session (open it first)."""
        if self._session is None:
            raise RuntimeError("the S3 transport is not open")
        return self._session

    async def _request_started(self, *_: Any) -> None:
        self.requests += 1
        self._on_request()

    async def _connection_created(self, *_: Any) -> None:
        self.connections += 1

    def watchdog(self, timeout: float | None = None) -> Watchdog:
        """A stall guard for one attempt (or one body read)."""
        return Watchdog(self.stall_timeout if timeout is None else timeout, self._on_stall)

    # ---------------------------------------------------------------- aiobotocore

    def botocore_session_class(self) -> type[BotocoreHTTPSession]:
        """The class for ``AioConfig(http_session_cls=...)``: sends through this transport."""
        transport = self

        class _Bound(BotocoreHTTPSession):
            def __init__(self, **kwargs: Any) -> None:
                super().__init__(transport, **kwargs)

        return _Bound


class BotocoreHTTPSession:
    """aiobotocore's HTTP session interface (``send``, ``close``, async context) on a transport.

    aiobotocore constructs it with its own options (``timeout``, ``verify``, ``proxies``,
    ``max_pool_connections`` ...). Timeouts are kept per request; certificates, the pool and the
    CA bundle are the transport's. The transport outlives the client: closing this session
    leaves the transport open (the backend closes it).
    """

    def __init__(self, transport: S3Transport, **options: Any) -> None:
        self.transport = transport
        timeout = options.get("timeout")
        if isinstance(timeout, list | tuple):
            connect, read = timeout
        else:
            connect = read = timeout
        self._timeout = aiohttp.ClientTimeout(sock_connect=connect, sock_read=read)

    async def __aenter__(self) -> BotocoreHTTPSession:
        await self.transport.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def close(self) -> None:
        return None

    async def send(self, request: Any) -> AioAWSResponse:
        """Send botocore's ``AWSPreparedRequest``; return aiobotocore's response type."""
        url = request.url
        headers: CIMultiDict[str] = CIMultiDict(
            (name, value.decode("utf-8") if isinstance(value, bytes) else value)
            for name, value in request.headers.items()
        )
        headers["Accept-Encoding"] = "identity"  # botocore issue 1255, as aiobotocore does
        chunked = headers.get("Transfer-Encoding", "").lower() == "chunked"
        if chunked:
            del headers["Transfer-Encoding"]  # aiohttp chunks on its own when asked
        data = request.body
        if isinstance(data, io.IOBase):
            # Small bodies only come this way (big ones take the lean path); aiohttp would close
            # a file object it was given, which botocore still owns.
            data = data.read()
        try:
            session = await self.transport.open()
            response = await session.request(
                request.method,
                URL(url, encoded=True),
                headers=headers,
                data=data,
                chunked=chunked or None,
                timeout=self._timeout,
                auto_decompress=False,
                skip_auto_headers=("Content-Type",),
            )
            raw_headers = {
                name.decode("utf-8").lower(): value.decode("utf-8")
                for name, value in response.raw_headers
            }
            answer = AioAWSResponse(str(response.url), response.status, raw_headers, response)
            if not request.stream_output:
                await answer.content  # read now; the connection goes back to the pool
        except aiohttp.ClientSSLError as exc:
            raise boto_exc.SSLError(endpoint_url=url, error=exc) from exc
        except (
            aiohttp.ServerDisconnectedError,
            aiohttp.ClientPayloadError,
            aiohttp.http_exceptions.BadStatusLine,
        ) as exc:
            raise boto_exc.ConnectionClosedError(
                error=exc, request=request, endpoint_url=url
            ) from exc
        except aiohttp.ServerTimeoutError as exc:
            if str(exc).lower().startswith("connect"):
                raise boto_exc.ConnectTimeoutError(endpoint_url=url, error=exc) from exc
            raise boto_exc.ReadTimeoutError(endpoint_url=url, error=exc) from exc
        except (aiohttp.ClientConnectionError, socket.gaierror) as exc:
            raise boto_exc.EndpointConnectionError(endpoint_url=url, error=exc) from exc
        except TimeoutError as exc:
            # A stall watchdog's cancellation is not a TimeoutError here (it is CancelledError
            # until the watchdog turns it into StallError), so this is aiohttp's own timeout.
            raise boto_exc.ReadTimeoutError(endpoint_url=url, error=exc) from exc
        return answer


def client_http_session(client: Any) -> Any:
    """The HTTP session object an aiobotocore client sends through.

    Private on purpose and in one place: aiobotocore has no public accessor for it. Only the
    one-transport test uses it, to prove that the client's session is ours; if aiobotocore
    renames ``_endpoint`` or ``http_session`` that test fails here, by name.
    """
    endpoint = getattr(client, "_endpoint", SimpleNamespace())
    return getattr(endpoint, "http_session", None)


def environment_proxy(url: str) -> str | None:
    """The proxy that ``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY`` name for ``url``, unless
    ``NO_PROXY`` exempts its host: what curl, requests and botocore use, so an endpoint that works
    for the aws CLI behind a company proxy works here too (and one listed in ``NO_PROXY`` is
    reached directly). The URL may carry the proxy's ``user:password@``; it is never logged.
    """
    parts = urlsplit(url)
    proxies = urllib.request.getproxies_environment()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]  # not in typeshed
    if not proxy or bypass(parts.hostname or "", proxies):
        return None
    return proxy
