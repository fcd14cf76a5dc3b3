"""Where the client's settings come from: API key, base URL, timeouts."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import os
from pathlib import Path
from typing import Any

import orjson

from .errors import ConfigurationError

__all__ = ["DEFAULT_BASE_URL", "ApiKey", "ClientConfig", "Timeouts"]

DEFAULT_BASE_URL = "https://www.superme.ai"
API_KEY_ENV = "SUPERME_API_KEY"
BASE_URL_ENV = "SUPERME_BASE_URL"
TOKEN_FILE = Path("~/.superme/token")


class ApiKey:
    """An API key that never shows itself in a repr, a str or a log line."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value.strip()

    def reveal(self) -> str:
        """Return the key itself, for the Authorization header only."""
        return self._value

    def __repr__(self) -> str:
        return "ApiKey('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ApiKey) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def user_id(self) -> str | None:
        """Read the ``user_id`` claim of the key, a JWT, without verifying it.

        Returns:
            The claim as a string, or None when the key is not a JWT or has no
            such claim.
        """
        claims = _jwt_claims(self._value)
        value = claims.get("user_id") if claims else None
        if value is None or value == "":
            return None
        return str(value)


@dataclasses.dataclass(frozen=True)
class Timeouts:
    """Seconds allowed for each phase of a request.

    The stream has no read timeout: an interview may sit idle for long
    (API.md, "stream read timeout"). ``read`` applies to REST answers only.
    """

    connect: float = 10.0
    read: float = 30.0
    write: float = 10.0
    pool: float = 10.0


@dataclasses.dataclass(frozen=True)
class ClientConfig:
    """The resolved settings of one client."""

    api_key: ApiKey
    base_url: str
    timeouts: Timeouts = dataclasses.field(default_factory=Timeouts)

    @classmethod
    def resolve(
        cls,
        api_key: str | None = None,
        base_url: str | None = None,
        timeouts: Timeouts | None = None,
    ) -> ClientConfig:
        """Build the settings from arguments, then environment, then files.

        The key comes from ``api_key``, else ``SUPERME_API_KEY``, else
        ``~/.superme/token``; the URL from ``base_url``, else
        ``SUPERME_BASE_URL``, else the vendor's.

        Raises:
            ConfigurationError: No key was found anywhere, or the URL is not
                http(s).
        """
        key = api_key or os.environ.get(API_KEY_ENV) or _read_token_file()
        if not key or not key.strip():
            raise ConfigurationError(
                "no SuperMe API key: pass api_key=..., set "
                f"{API_KEY_ENV}, or write it to {TOKEN_FILE}"
            )

        url = (base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise ConfigurationError(
                f"base URL must start with http:// or https://: {url!r}"
            )

        return cls(ApiKey(key), url, timeouts or Timeouts())


def _read_token_file() -> str | None:
    path = TOKEN_FILE.expanduser()
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror}") from None


def _jwt_claims(token: str) -> dict[str, Any] | None:
    parts = token.split(".")
    if len(parts) != 3:
        return None

    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = orjson.loads(base64.urlsafe_b64decode(payload))
    except (binascii.Error, ValueError):
        return None

    return claims if isinstance(claims, dict) else None
