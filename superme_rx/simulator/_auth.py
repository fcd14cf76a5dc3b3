"""API keys of the simulator: HS256 JWTs signed with a per-simulator secret.

The real service issues JWTs whose ``user_id`` claim names the caller (API.md,
"Connection"). The simulator signs its own with the standard library only
(RFC 7515 compact serialisation, RFC 7518 section 3.2 for HS256), so a key from
one simulator is refused by another.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import secrets
from typing import Any

import orjson

__all__ = ["TokenSigner", "bearer_token"]

logger = logging.getLogger(__name__)

_HEADER = {"alg": "HS256", "typ": "JWT"}
_ISSUER = "superme-rx-simulator"


def _b64encode(data: bytes) -> str:
    # NOTE: JWTs use base64url without padding (RFC 7515, section 2).
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    """Issues and verifies the API keys of one simulator.

    Args:
        secret: The HMAC key; a fresh random one when None.
    """

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret if secret is not None else secrets.token_bytes(32)

    def issue(self, user_id: str | None) -> str:
        """Return a signed token whose ``user_id`` claim is ``user_id``.

        Args:
            user_id: The claim's value; None leaves the claim out.

        Returns:
            The compact JWT ``header.payload.signature``.
        """
        claims: dict[str, Any] = {"iss": _ISSUER}
        if user_id is not None:
            claims["user_id"] = user_id

        head = _b64encode(orjson.dumps(_HEADER))
        body = _b64encode(orjson.dumps(claims))
        return f"{head}.{body}.{self._sign(f'{head}.{body}')}"

    def verify(self, token: str) -> dict[str, Any] | None:
        """Check a token's signature and return its claims.

        Args:
            token: The compact JWT from the Authorization header.

        Returns:
            The claims, or None when the token is malformed, not HS256 or
            signed with another secret.
        """
        parts = token.split(".")
        if len(parts) != 3:
            return None

        expected = self._sign(f"{parts[0]}.{parts[1]}")
        if not hmac.compare_digest(expected, parts[2]):
            return None

        try:
            header = orjson.loads(_b64decode(parts[0]))
            claims = orjson.loads(_b64decode(parts[1]))
        except (binascii.Error, ValueError):
            return None

        # A valid signature over a header naming another algorithm would be a
        # forgery attempt (RFC 8725, section 3.1): refuse it all the same.
        if not isinstance(header, dict) or header.get("alg") != "HS256":
            return None
        return claims if isinstance(claims, dict) else None

    def _sign(self, signing_input: str) -> str:
        digest = hmac.new(self._secret, signing_input.encode("utf-8"), hashlib.sha256)
        return _b64encode(digest.digest())


def bearer_token(header: str | None) -> str | None:
    """Extract the token of an ``Authorization: Bearer <token>`` header.

    Args:
        header: The header's value, or None when absent.

    Returns:
        The token, or None when the header is missing or of another scheme.
    """
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
