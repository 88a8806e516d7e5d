"""The API slows down one address that sends too much: 429 with Retry-After, as JSON."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Engine
from starlette.testclient import TestClient

from node.api.tokens import create_token
from node.app import create_app
from node.db import session_scope
from node.federation.actors.local import create_actor
from node.limits import Limit
from node.settings import Settings


def test_an_address_over_its_api_allowance_waits(settings: Settings, engine: Engine) -> None:
    settings = replace(settings, rate_limit_api=Limit(3, 60.0))
    with session_scope(engine) as session:
        create_actor(session, "coop", kind="organization", name="Co-op")
        token = create_token(session, "coop")
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(settings, engine=engine), base_url=settings.base_url) as client:
        assert [client.get("/api/v1/profile", headers=auth).status_code for _ in range(3)] == [
            200
        ] * 3
        refused = client.get("/api/v1/profile", headers=auth)
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        assert "too many API requests" in refused.json()["error"]
        # guessing tokens counts too
        guess = client.get("/api/v1/profile", headers={"Authorization": "Bearer sn_guess"})
        assert guess.status_code == 429
