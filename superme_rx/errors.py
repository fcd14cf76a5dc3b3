"""The exceptions superme_rx raises, or sends to ``on_error``, as one tree.

::

    SupermeError
    ├── ConfigurationError      (also ValueError) no API key, bad base URL, no user id
    ├── InvalidArgumentError    (also ValueError) checked before any request
    ├── ApiError                any non-2xx answer: status, method, path, excerpt
    │   ├── AuthenticationError 401 and 403
    │   ├── NotFoundError       404
    │   └── RateLimitError      429, with the Retry-After seconds when given
    ├── PayloadError            (also ValueError) an answer or event of the wrong shape
    ├── TransportError          (also OSError) connect, read or write failed
    └── StreamError             the event stream cannot go on (oversized event,
                                reconnection given up, idle timeout)

Catch ``SupermeError`` for everything the library raises. No message carries
the API key: errors are built from the method, the path and the answer's body.
"""

from __future__ import annotations

__all__ = [
    "ApiError",
    "AuthenticationError",
    "ConfigurationError",
    "InvalidArgumentError",
    "NotFoundError",
    "PayloadError",
    "RateLimitError",
    "StreamError",
    "SupermeError",
    "TransportError",
]

_EXCERPT_CHARS = 200


class SupermeError(Exception):
    """The base of every error superme_rx raises."""


class ConfigurationError(SupermeError, ValueError):
    """The client cannot be set up, or lacks what an endpoint needs."""


class InvalidArgumentError(SupermeError, ValueError):
    """An argument was refused before any request was sent."""


class ApiError(SupermeError):
    """The service answered with a status outside 2xx.

    Attributes:
        status_code: The HTTP status of the answer.
        method: The request's method.
        path: The request's path, without host or query.
        detail: The service's own message: the body's ``error`` field, else its
            ``message`` field, else the start of the raw text.
        retry_after: Seconds to wait before trying again, from a
            ``Retry-After`` header (429 and 503 carry one), or None.
    """

    def __init__(
        self,
        status_code: int,
        method: str,
        path: str,
        detail: str,
        retry_after: float | None = None,
    ) -> None:
        self.status_code = status_code
        self.method = method
        self.path = path
        self.detail = _excerpt(detail)
        self.retry_after = retry_after
        super().__init__(f"{method} {path} -> {status_code}: {self.detail}")


class AuthenticationError(ApiError):
    """The API key was missing, invalid or not allowed here (401, 403).

    Check ``SUPERME_API_KEY`` or ``~/.superme/token``.
    """


class NotFoundError(ApiError):
    """The interview or route does not exist for this user (404)."""


class RateLimitError(ApiError):
    """The service asks the client to slow down (429); see ``retry_after``."""


class PayloadError(SupermeError, ValueError):
    """An answer or event did not have the shape its model expects.

    Raised ``from`` the pydantic ``ValidationError`` that names the fields.

    Attributes:
        endpoint: The endpoint or stream the payload came from.
    """

    def __init__(self, endpoint: str, reason: str) -> None:
        self.endpoint = endpoint
        super().__init__(f"unexpected payload from {endpoint}: {_excerpt(reason)}")


class TransportError(SupermeError, OSError):
    """The request could not be carried out: connect, read or write failed.

    Attributes:
        method: The request's method.
        path: The request's path.
        request_sent: False only when the failure proves the service never got
            the request (the connection could not be made), so that even a
            request that is not idempotent may be sent again.
    """

    def __init__(
        self, method: str, path: str, reason: str, *, request_sent: bool = True
    ) -> None:
        self.method = method
        self.path = path
        self.request_sent = request_sent
        super().__init__(f"{method} {path} failed: {reason}")


class StreamError(SupermeError):
    """The event stream cannot go on: what happened and the last event id."""


def _excerpt(text: str) -> str:
    """Shorten ``text`` to one line of bounded length for a message."""
    flat = " ".join(text.split())
    if len(flat) <= _EXCERPT_CHARS:
        return flat
    return flat[: _EXCERPT_CHARS - 1] + "…"
