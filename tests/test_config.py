"""Where the client finds its key and URL, and how it keeps the key hidden."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

import superme_rx
from superme_rx import ConfigurationError, RxSuperMeClient
from superme_rx._config import ApiKey, ClientConfig


def jwt(claims: dict[str, object]) -> str:
    """An unsigned-looking JWT with these claims (the client never verifies)."""

    def part(value: dict[str, object]) -> str:
        raw = json.dumps(value).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': 'HS256'})}.{part(claims)}.c2lnbmF0dXJl"


def test_config_without_any_key_fails_at_construction() -> None:
    """No argument, variable or token file: a ConfigurationError naming all three."""
    with pytest.raises(ConfigurationError) as caught:
        RxSuperMeClient()

    message = str(caught.value)
    assert "SUPERME_API_KEY" in message and ".superme/token" in message


def test_config_prefers_argument_then_environment_then_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The argument wins over the variable, which wins over the token file."""
    token = Path.home() / ".superme" / "token"
    token.parent.mkdir()
    token.write_text("from-file\n")
    assert ClientConfig.resolve().api_key.reveal() == "from-file"

    monkeypatch.setenv("SUPERME_API_KEY", "from-env")
    assert ClientConfig.resolve().api_key.reveal() == "from-env"
    assert ClientConfig.resolve("from-arg").api_key.reveal() == "from-arg"


def test_config_base_url_comes_from_argument_environment_or_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The URL: argument, else SUPERME_BASE_URL, else the vendor's, without a slash."""
    assert ClientConfig.resolve("k").base_url == superme_rx.DEFAULT_BASE_URL

    monkeypatch.setenv("SUPERME_BASE_URL", "http://127.0.0.1:9/")
    assert ClientConfig.resolve("k").base_url == "http://127.0.0.1:9"
    assert ClientConfig.resolve("k", "https://x.test").base_url == "https://x.test"


def test_config_refuses_a_base_url_that_is_not_http() -> None:
    """A URL without http(s) is refused before any request."""
    with pytest.raises(ConfigurationError, match="http"):
        ClientConfig.resolve("k", "ftp://example.test")


def test_api_key_reads_user_id_without_verifying() -> None:
    """The user_id claim is read from the JWT payload; non-JWTs have none."""
    assert ApiKey(jwt({"user_id": 42})).user_id() == "42"
    assert ApiKey(jwt({"sub": "x"})).user_id() is None
    assert ApiKey("not-a-jwt").user_id() is None
    assert ApiKey("a.!!!.c").user_id() is None


def test_api_key_never_shows_in_repr_or_str() -> None:
    """repr() and str() of the key and of the config mask the secret."""
    secret = jwt({"user_id": "u-1"})
    config = ClientConfig.resolve(secret)

    for text in (repr(config.api_key), str(config.api_key), repr(config)):
        assert secret not in text
        assert "***" in text


def test_public_names_match_all() -> None:
    """__all__ lists exactly the package's public names (ruff keeps it sorted)."""
    public = {n for n in vars(superme_rx) if not n.startswith("_")}
    not_api = {"annotations", "errors", "models", "operators", "simulator", "cli"}

    assert len(set(superme_rx.__all__)) == len(superme_rx.__all__)
    assert set(superme_rx.__all__) == public - not_api
