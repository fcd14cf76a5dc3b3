"""Authentication and ownership checks of the simulator."""

from __future__ import annotations

import base64
import json

import httpx

from superme_rx.simulator import Simulator

from ._helpers import client_for, start

START = "/api/v3/agent/interview/start"


def _claims(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    decoded: dict[str, object] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


async def test_api_key_carries_user_id_claim(sim: Simulator) -> None:
    """The simulator's key is a three-part JWT whose user_id is the simulator's."""
    assert _claims(sim.api_key)["user_id"] == "sim-user"
    assert _claims(sim.make_api_key("someone"))["user_id"] == "someone"
    assert "user_id" not in _claims(sim.make_api_key(None))


async def test_auth_missing_token_is_401(sim: Simulator) -> None:
    """A request without an Authorization header gets 401 with a JSON error."""
    async with httpx.AsyncClient(base_url=sim.base_url) as http:
        response = await http.post(START, json={"role_id": sim.role_ids[0]})

    assert response.status_code == 401
    assert "error" in response.json()
    assert sim.interview_ids == ()


async def test_auth_other_scheme_is_401(sim: Simulator) -> None:
    """A key sent with a scheme other than Bearer is refused."""
    headers = {"Authorization": f"Basic {sim.api_key}"}
    async with httpx.AsyncClient(base_url=sim.base_url, headers=headers) as http:
        response = await http.get("/api/v3/interview/by-user/sim-user")

    assert response.status_code == 401


async def test_auth_bad_signature_is_401(sim: Simulator) -> None:
    """A tampered token, or one signed by another simulator, gets 401."""
    head, body, signature = sim.api_key.split(".")
    flipped = "B" if signature[0] == "A" else "A"
    tampered = f"{head}.{body}.{flipped}{signature[1:]}"
    other = Simulator().make_api_key("sim-user")

    for key in (tampered, other, "not-a-jwt"):
        async with client_for(sim, key) as http:
            response = await http.post(START, json={"role_id": sim.role_ids[0]})
        assert response.status_code == 401, key
        assert response.json()["error"]


async def test_auth_other_users_interview_is_404(
    sim: Simulator, client: httpx.AsyncClient
) -> None:
    """Another user's interview looks like no interview at all, on every route."""
    interview_id = await start(client)

    async with client_for(sim, sim.make_api_key("intruder")) as other:
        paths = [
            ("GET", f"/api/v3/interview/{interview_id}/status"),
            ("GET", f"/api/v3/interview/{interview_id}/transcript"),
            ("GET", f"/api/v3/agent/interview/{interview_id}/stream"),
            ("POST", f"/api/v3/interview/{interview_id}/submit"),
        ]
        for method, path in paths:
            response = await other.request(method, path)
            assert response.status_code == 404, path
            assert "error" in response.json()


async def test_auth_unknown_interview_is_404(client: httpx.AsyncClient) -> None:
    """An interview id that was never issued gets 404."""
    response = await client.get("/api/v3/interview/iv-nope/status")

    assert response.status_code == 404
    assert "iv-nope" in response.json()["error"]


async def test_auth_key_without_user_id_works_but_cannot_list(sim: Simulator) -> None:
    """A key without a user_id claim may start interviews but not list any user's."""
    async with client_for(sim, sim.make_api_key(None)) as anonymous:
        interview_id = await start(anonymous)
        status = await anonymous.get(f"/api/v3/interview/{interview_id}/status")
        listing = await anonymous.get("/api/v3/interview/by-user/sim-user")

    assert status.status_code == 200
    assert listing.status_code == 403
    assert sim.interview(interview_id).user_id is None
