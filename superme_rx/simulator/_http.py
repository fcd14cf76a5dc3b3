"""What every request goes through: faults, authentication, errors, logging."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from ._auth import bearer_token
from ._core import CORE, EXCHANGE, Core, Exchange, Reject
from ._faults import ENDPOINTS, FailSpec

__all__ = ["error_response", "json_response", "middleware", "read_json"]

logger = logging.getLogger(__name__)

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Status recorded for a request whose client left before any answer; nginx's
# convention, never sent on the wire.
_CLIENT_GONE = 499


def json_response(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """Answer with a JSON object."""
    return web.Response(
        body=orjson.dumps(body),
        status=status,
        headers=headers,
        content_type="application/json",
    )


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    """Answer with ``{"error": message}``, the shape of every simulator error."""
    return json_response({"error": message}, status, headers)


async def read_json(request: web.Request) -> dict[str, Any]:
    """Decode the request body, which must be a JSON object.

    Raises:
        Reject: 422 when the body is empty, not JSON, or not an object.
    """
    raw = await request.read()
    try:
        body = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        raise Reject(422, "request body is not valid JSON") from None

    if not isinstance(body, dict):
        raise Reject(422, "request body must be a JSON object")
    return body


def _seconds(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.3f}".rstrip("0")


def _injected(endpoint: str, spec: FailSpec) -> Reject:
    headers = {}
    if spec.retry_after is not None:
        headers["Retry-After"] = _seconds(spec.retry_after)
    return Reject(spec.status, f"injected failure of {endpoint}", headers)


def _authenticate(request: web.Request, core: Core, current: Exchange) -> None:
    # NOTE: the header is never logged, nor put in an error message.
    token = bearer_token(request.headers.get("Authorization"))
    claims = core.signer.verify(token) if token is not None else None
    if claims is None:
        raise Reject(401, "missing or invalid API key")

    user_id = claims.get("user_id")
    current.user_id = None if user_id is None else str(user_id)


async def _answer(
    request: web.Request, handler: _Handler, core: Core, current: Exchange
) -> web.StreamResponse:
    endpoint = current.endpoint
    try:
        spec = core.fault_counter.take(endpoint)
        if endpoint is not None and spec is not None:
            raise _injected(endpoint, spec)
        if request.match_info.http_exception is None:
            _authenticate(request, core, current)
        return await handler(request)
    except Reject as exc:
        return error_response(exc.status, exc.message, exc.headers)
    except web.HTTPException as exc:
        # Unknown paths and methods: aiohttp raises these before any handler.
        return error_response(exc.status, exc.reason)


@web.middleware
async def middleware(request: web.Request, handler: _Handler) -> web.StreamResponse:
    """Apply faults and authentication, turn errors into JSON, log one line.

    A stream handler records its request itself when it sends its headers;
    every other request is recorded when its answer is ready.
    """
    core = request.app[CORE]
    name = request.match_info.route.name
    current = Exchange(name if name in ENDPOINTS else None)
    token = EXCHANGE.set(current)
    started = time.perf_counter()
    status = _CLIENT_GONE
    try:
        response = await _answer(request, handler, core, current)
        status = response.status
        core.record(request, status)
        return response
    except Exception:
        # The top level of a request: an error here is a simulator bug.
        logger.exception(
            "unexpected error answering %s %s", request.method, request.path
        )
        status = 500
        core.record(request, status)
        if current.response is not None:
            return current.response
        return error_response(500, "internal simulator error")
    finally:
        EXCHANGE.reset(token)
        status = current.status or status
        elapsed = (time.perf_counter() - started) * 1000
        logger.info(
            "%s %s -> %d (%.1f ms)", request.method, request.path, status, elapsed
        )
