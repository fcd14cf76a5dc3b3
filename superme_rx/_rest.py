"""One JSON request to the service over httpx, with errors mapped to the tree."""

from __future__ import annotations

import email.utils
import logging
import time
from typing import Any, TypeVar

import httpx
import orjson
from pydantic import BaseModel, ValidationError

from ._config import ClientConfig
from .errors import (
    ApiError,
    AuthenticationError,
    NotFoundError,
    PayloadError,
    RateLimitError,
    TransportError,
)

__all__ = ["RestTransport", "api_error", "parse_retry_after", "validate"]

logger = logging.getLogger(__name__)

_M = TypeVar("_M", bound=BaseModel)

# Failures that prove the request never reached the service: a message POST,
# which is not idempotent, may then be sent again.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class RestTransport:
    """Sends JSON requests with the client's key and decodes the answers."""

    def __init__(
        self,
        config: ClientConfig,
        transport: httpx.AsyncBaseTransport,
    ) -> None:
        t = config.timeouts
        self._http = httpx.AsyncClient(
            base_url=config.base_url,
            headers={
                "Authorization": f"Bearer {config.api_key.reveal()}",
                "Accept": "application/json",
                "User-Agent": "superme-rx",
            },
            timeout=httpx.Timeout(
                connect=t.connect, read=t.read, write=t.write, pool=t.pool
            ),
            transport=transport,
        )

    async def request(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> Any:
        """Send one request and return its decoded JSON answer.

        Raises:
            ApiError: Or one of its children, for any status outside 2xx.
            TransportError: The request could not be carried out.
            PayloadError: The answer is not JSON.
        """
        content = orjson.dumps(body) if body is not None else None
        headers = {"Content-Type": "application/json"} if content is not None else None
        started = time.perf_counter()

        try:
            response = await self._http.request(
                method, path, content=content, headers=headers
            )
        except httpx.TransportError as exc:
            # NOTE: str(exc) of httpx errors names the URL at most, never headers.
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            raise TransportError(
                method, path, reason, request_sent=not isinstance(exc, _NOT_SENT)
            ) from exc

        elapsed_ms = (time.perf_counter() - started) * 1000
        logger.info(
            "%s %s -> %d (%.1f ms)", method, path, response.status_code, elapsed_ms
        )

        if not response.is_success:
            raise api_error(
                method, path, response.status_code, response.content,
                response.headers.get("Retry-After"),
            )  # fmt: skip

        if not response.content:
            return {}
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise PayloadError(f"{method} {path}", "the answer is not JSON") from exc

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()


def validate(model: type[_M], data: Any, endpoint: str) -> _M:
    """Validate ``data`` as ``model``, naming ``endpoint`` when it fails.

    Raises:
        PayloadError: From the pydantic ``ValidationError``.
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = ", ".join(
            ".".join(str(part) for part in err["loc"]) or "(root)"
            for err in exc.errors()
        )
        raise PayloadError(endpoint, f"{model.__name__} invalid at {fields}") from exc


def api_error(
    method: str, path: str, status: int, body: bytes, retry_after: str | None
) -> ApiError:
    """Build the error for an answer outside 2xx, chosen by its status."""
    detail = _detail(body)
    seconds = parse_retry_after(retry_after)

    if status in (401, 403):
        return AuthenticationError(status, method, path, detail)
    if status == 404:
        return NotFoundError(status, method, path, detail)
    if status == 429:
        return RateLimitError(status, method, path, detail, seconds)
    return ApiError(status, method, path, detail, seconds)


def _detail(body: bytes) -> str:
    """The service's message: ``error``, else ``message``, else the raw text."""
    try:
        decoded = orjson.loads(body)
    except orjson.JSONDecodeError:
        decoded = None

    if isinstance(decoded, dict):
        for key in ("error", "message"):
            value = decoded.get(key)
            if isinstance(value, str) and value:
                return value
    return body[:1000].decode("utf-8", "replace") or "(empty body)"


def parse_retry_after(value: str | None) -> float | None:
    """Read ``Retry-After`` as seconds: a number or an HTTP date (RFC 9110 10.2.3)."""
    if value is None:
        return None

    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
