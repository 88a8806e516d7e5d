"""A Mastodon user finds an organization by its handle: WebFinger, the actor, NodeInfo."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from node.activitypub import keys
from node.db import session_scope
from node.federation.actors.local import create_actor

AP = "application/activity+json"
LD = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
MASTODON_ACCEPT = "application/activity+json, application/ld+json"
USERNAME_RE = re.compile(r"^[a-z0-9_]+([.-]+[a-z0-9_]+)*$", re.I)
SCHEMA = json.loads(
    (Path(__file__).parents[1] / "fixtures" / "nodeinfo" / "schema-2.1.json").read_text()
)


@pytest.fixture
def coop(engine: Engine) -> str:
    with session_scope(engine) as session:
        actor = create_actor(
            session,
            "riverside-coop",
            kind="organization",
            name="Riverside <Worker> Co-op",
            summary="<p>A worker cooperative bakery.</p>",
        )
        actor.profile = {
            "icon": {"url": "http://127.0.0.1:8000/media/logo.png", "mediaType": "image/png"},
            "fields": [{"name": f"F{i}", "value": f"v{i}"} for i in range(6)],
        }
        session.add(actor)
        create_actor(session, "bay-network", kind="network", name="Bay Area SE Network")
    return "riverside-coop"


def test_mastodon_resolves_handle_and_reads_every_required_actor_field(
    client: TestClient, coop: str
) -> None:
    # 1. WebFinger, unsigned, as Mastodon does it
    r = client.get("/.well-known/webfinger", params={"resource": f"acct:{coop}@127.0.0.1:8000"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/jrd+json")
    jrd = r.json()
    assert jrd["subject"] == f"acct:{coop}@127.0.0.1:8000"
    [self_link] = [link for link in jrd["links"] if link["rel"] == "self"]
    assert self_link["type"] == AP
    actor_url = self_link["href"]
    assert any(link["rel"] == "http://ostatus.org/schema/1.0/subscribe" for link in jrd["links"])

    # 2. The actor, with the Accept header Mastodon sends
    r = client.get(actor_url, headers={"Accept": MASTODON_ACCEPT})
    assert r.status_code == 200
    assert r.headers["content-type"] == AP
    doc = r.json()
    assert doc["id"] == actor_url  # Mastodon rejects documents whose id differs from the URL
    assert "https://www.w3.org/ns/activitystreams" in doc["@context"]
    assert doc["type"] == "Organization"
    assert USERNAME_RE.match(doc["preferredUsername"])
    # the handle loops back: preferredUsername + host of the id = the handle we asked for
    assert f"{doc['preferredUsername']}@127.0.0.1:8000" == f"{coop}@127.0.0.1:8000"
    assert doc["name"] == "Riverside <Worker> Co-op"
    for key in ("inbox", "outbox", "followers", "following"):
        assert doc[key].startswith(actor_url)
    assert doc["endpoints"]["sharedInbox"] == "http://127.0.0.1:8000/inbox"
    assert doc["url"] == "http://127.0.0.1:8000/@riverside-coop"
    assert doc["discoverable"] is True and doc["indexable"] is True
    assert doc["manuallyApprovesFollowers"] is False
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", doc["published"])
    assert doc["icon"] == {
        "type": "Image",
        "url": "http://127.0.0.1:8000/media/logo.png",
        "mediaType": "image/png",
    }
    assert [f["name"] for f in doc["attachment"]] == ["F0", "F1", "F2", "F3"]
    assert all(f["type"] == "PropertyValue" for f in doc["attachment"])
    key = doc["publicKey"]
    assert key["id"] == actor_url + "#main-key" and key["owner"] == actor_url
    assert keys.load_public_key(key["publicKeyPem"]).key_size == 2048  # type: ignore[union-attr]
    [multikey] = doc["assertionMethod"]
    assert multikey["type"] == "Multikey" and multikey["controller"] == actor_url
    assert multikey["publicKeyMultibase"].startswith("z6Mk")  # Ed25519

    # 3. Collections are paged OrderedCollections with `first` (else Mastodon says "hidden")
    for key in ("followers", "following", "outbox"):
        col = client.get(doc[key], headers={"Accept": AP}).json()
        assert col["type"] == "OrderedCollection" and col["totalItems"] == 0
        page = client.get(col["first"], headers={"Accept": AP}).json()
        assert page["type"] == "OrderedCollectionPage" and page["partOf"] == doc[key]


def test_network_is_a_group_with_members(client: TestClient, coop: str) -> None:
    doc = client.get("/actors/bay-network", headers={"Accept": LD}).json()
    assert doc["type"] == "Group"
    assert doc["members"] == "http://127.0.0.1:8000/actors/bay-network/members"


def test_webfinger_accepts_the_actor_url_and_profile_url(client: TestClient, coop: str) -> None:
    for resource in (
        "http://127.0.0.1:8000/actors/riverside-coop",
        "http://127.0.0.1:8000/@riverside-coop",
    ):
        r = client.get("/.well-known/webfinger", params={"resource": resource})
        assert r.status_code == 200, resource
        assert r.json()["subject"] == "acct:riverside-coop@127.0.0.1:8000"


@pytest.mark.parametrize(
    ("resource", "status"),
    [
        ("", 400),
        ("acct:nobody@127.0.0.1:8000", 404),
        ("acct:riverside-coop@other.example", 404),
        ("mailto:someone@example.org", 400),
        ("acct:" + "a" * 3000 + "@127.0.0.1:8000", 400),
    ],
)
def test_webfinger_errors_are_clear(
    client: TestClient, coop: str, resource: str, status: int
) -> None:
    r = client.get("/.well-known/webfinger", params={"resource": resource})
    assert r.status_code == status
    assert r.json()["error"]


def test_instance_actor_is_found_by_webfinger_and_nodeinfo(
    client: TestClient, engine: Engine
) -> None:
    from node.federation.actors.local import ensure_instance_actor

    with session_scope(engine) as session:
        ensure_instance_actor(session, "Test node")
    # FEP-d556: WebFinger for the server itself, by origin URL and by acct:host@host
    for resource in ("http://127.0.0.1:8000/", "acct:127.0.0.1@127.0.0.1:8000"):
        jrd = client.get("/.well-known/webfinger", params={"resource": resource}).json()
        assert [link["href"] for link in jrd["links"] if link["rel"] == "self"] == [
            "http://127.0.0.1:8000/actor"
        ]
    # FEP-2677: the application actor is linked from NodeInfo discovery
    links = client.get("/.well-known/nodeinfo").json()["links"]
    rels = {link["rel"]: link["href"] for link in links}
    assert (
        rels["https://www.w3.org/ns/activitystreams#Application"] == "http://127.0.0.1:8000/actor"
    )
    actor = client.get("/actor", headers={"Accept": AP}).json()
    assert actor["type"] == "Application" and actor["id"] == "http://127.0.0.1:8000/actor"
    assert actor["publicKey"]["owner"] == actor["id"]


def test_nodeinfo_validates_against_the_official_21_schema(client: TestClient, coop: str) -> None:
    links = client.get("/.well-known/nodeinfo").json()["links"]
    href = next(link["href"] for link in links if link["rel"].endswith("/schema/2.1"))
    r = client.get(href)
    assert r.status_code == 200
    doc = r.json()
    jsonschema.validate(doc, SCHEMA)
    assert doc["usage"]["users"]["total"] == 2


def test_host_meta_points_to_webfinger(client: TestClient) -> None:
    r = client.get("/.well-known/host-meta")
    assert r.headers["content-type"].startswith("application/xrd+xml")
    assert 'template="http://127.0.0.1:8000/.well-known/webfinger?resource={uri}"' in r.text
    assert client.get("/.well-known/host-meta.json").json()["links"][0]["rel"] == "lrdd"


@pytest.mark.parametrize(
    ("accept", "json_expected"),
    [
        (AP, True),
        (LD, True),
        (MASTODON_ACCEPT, True),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", False),
        ("*/*", False),
        ('application/ld+json; profile="https://example.org/other"', False),
    ],
)
def test_content_negotiation_serves_json_or_html(
    client: TestClient, coop: str, accept: str, json_expected: bool
) -> None:
    r = client.get("/actors/riverside-coop", headers={"Accept": accept})
    assert r.status_code == 200
    if json_expected:
        assert r.headers["content-type"] == AP
    else:
        assert r.headers["content-type"].startswith("text/html")
        assert "Riverside &lt;Worker&gt; Co-op" in r.text  # escaped
        assert "<main" in r.text and "Content-Security-Policy" in r.headers


def test_unknown_actor_is_404_in_both_forms(client: TestClient) -> None:
    assert client.get("/actors/nobody", headers={"Accept": AP}).status_code == 404
    r = client.get("/@nobody")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
