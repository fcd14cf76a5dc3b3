"""An httpx transport that sends requests over an aiohttp session.

httpx stays the REST layer (requests, per-phase timeouts, mock transports in
users' tests); the bytes go through aiohttp's connection pool, the one the
event streams already use. httpcore's pool does work for every open
connection on each request: with a hundred interviews in one process, 100
concurrent requests took about 8 times as long through it as through aiohttp
(``benchmarks``, section 4).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import aiohttp
import httpx

__all__ = ["AiohttpTransport"]

logger = logging.getLogger(__name__)


class AiohttpTransport(httpx.AsyncBaseTransport):
    """Carry httpx requests over the aiohttp session that ``session()`` gives.

    Args:
        session: Returns the session to use, created inside the running loop.
    """

    def __init__(self, session: Callable[[], aiohttp.ClientSession]) -> None:
        self._session = session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send one request and read its whole answer.

        Raises:
            httpx.ConnectError: Or ``ConnectTimeout``, when no connection could
                be made (the request never left).
            httpx.ReadTimeout: Or ``ReadError``, ``WriteError``, otherwise.
        """
        timeout = _timeout(request)
        body = await request.aread()

        try:
            async with self._session().request(
                request.method,
                str(request.url),
                headers=list(request.headers.multi_items()),
                data=body or None,
                timeout=timeout,
                allow_redirects=False,
                auto_decompress=True,
            ) as answer:
                content = await answer.read()
                headers = [
                    (k, v)
                    for k, v in answer.headers.items()
                    if k.lower() not in ("content-encoding", "transfer-encoding")
                ]
                return httpx.Response(
                    answer.status, headers=headers, content=content, request=request
                )
        except aiohttp.ClientConnectorError as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc
        except aiohttp.ConnectionTimeoutError as exc:
            raise httpx.ConnectTimeout(
                str(exc) or "connect timed out", request=request
            ) from exc
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise httpx.ReadTimeout(
                str(exc) or "read timed out", request=request
            ) from exc
        except aiohttp.ClientError as exc:
            raise httpx.ReadError(
                f"{type(exc).__name__}: {exc}", request=request
            ) from exc


def _timeout(request: httpx.Request) -> aiohttp.ClientTimeout:
    """Translate httpx's per-phase timeout extension into aiohttp's terms."""
    phases = request.extensions.get("timeout", {})
    return aiohttp.ClientTimeout(
        total=None,
        connect=phases.get("pool"),
        sock_connect=phases.get("connect"),
        sock_read=phases.get("read"),
    )
