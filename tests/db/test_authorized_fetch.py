"""Authorized fetch holds back ActivityStreams documents from unsigned requests, not pages."""

from __future__ import annotations

import time
from dataclasses import replace

from sqlalchemy import Engine
from starlette.testclient import TestClient

from node.activitypub.signatures.cavage import sign_cavage
from node.app import create_app
from node.db import session_scope
from node.features.publishing.notes import publish_note
from node.federation.actors.documents import actor_id
from node.federation.actors.local import create_actor
from node.federation.context import NodeContext
from node.settings import Settings
from node.urls import Urls

AP = "application/activity+json"


def test_unsigned_activitypub_gets_401_while_browsers_get_the_page(
    settings: Settings, engine: Engine
) -> None:
    settings = replace(settings, authorized_fetch=True)
    node = NodeContext.build(settings, engine)
    with session_scope(engine) as session:
        coop = create_actor(session, "coop", kind="organization", name="Co-op")
        item = publish_note(session, node, coop, "<p>Seed swap on Saturday</p>")
    with TestClient(create_app(settings, engine=engine), base_url=settings.base_url) as client:
        refused = client.get(item.ap_id, headers={"Accept": AP})
        assert refused.status_code == 401
        assert "signed" in refused.json()["error"]
        assert (
            client.get(
                f"{settings.base_url}/actors/coop/outbox", headers={"Accept": AP}
            ).status_code
            == 401
        )
        page = client.get(item.ap_id, headers={"Accept": "text/html"})
        assert page.status_code == 200 and "Seed swap" in page.text
        # the actor document, with the key peers verify us with, stays open
        assert (
            client.get(f"{settings.base_url}/actors/coop", headers={"Accept": AP}).status_code
            == 200
        )


def test_a_signed_get_is_verified_like_an_inbox_post_and_its_key_is_cached(
    settings: Settings, engine: Engine
) -> None:
    settings = replace(settings, authorized_fetch=True)
    node = NodeContext.build(settings, engine)
    with session_scope(engine) as session:
        coop = create_actor(session, "coop", kind="organization", name="Co-op")
        item = publish_note(session, node, coop, "<p>Seed swap on Saturday</p>")
        signer_id, private_pem = actor_id(node.urls, coop), coop.rsa_private_pem
    key_id = Urls.main_key(signer_id)
    app = create_app(settings, engine=engine)
    with TestClient(app, base_url=settings.base_url) as client:
        headers = sign_cavage(
            "GET",
            item.ap_id,
            {"Accept": AP},
            None,
            key_id=key_id,
            private_key=private_pem,
            now=time.time(),
        )
        assert client.get(item.ap_id, headers=headers).status_code == 200
        cached = app.state.node.key_cache.get(key_id, time.time())
        assert cached is not None and cached.owner == signer_id
        forged = {
            **headers,
            "Signature": headers["Signature"].replace('signature="', 'signature="A'),
        }
        refused = client.get(item.ap_id, headers=forged)
        assert refused.status_code == 401 and "error" in refused.json()
