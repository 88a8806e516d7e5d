"""The remote actor cache against small real servers on loopback, on SQLite and PostgreSQL.

Each story runs a little ActivityPub server (aiohttp on 127.0.0.1, an ephemeral port) whose
answers the test sets per path, and talks to it through the node's one HTTP client.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from node.activitypub import keys
from node.activitypub.signatures.request import RequestParts, SignatureInfo
from node.activitypub.signatures.results import Verified
from node.activitypub.signatures.verify import parse_signature
from node.activitypub.signatures.verify import verify as verify_signature
from node.db import now_utc, session_scope
from node.federation.actors.local import INSTANCE_SLUG, create_actor
from node.federation.context import NodeContext
from node.federation.remote.actors import (
    FetchBudget,
    RemoteActorError,
    cached_actor,
    fetch_object,
    get_remote_actor,
    inbox_for,
    lookup,
    resolve_handle,
    resolve_key,
)
from node.federation.remote.fetch import AP_ACCEPT
from node.models import LocalActor, RemoteActor
from node.settings import Settings
from node.urls import Urls

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MASTODON_ORIGIN = "https://mastodon.example"
AS = "https://www.w3.org/ns/activitystreams"
ACTIVITY_JSON = "application/activity+json; charset=utf-8"


# --- a small remote server -----------------------------------------------------------------


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    content_type: str = ACTIVITY_JSON
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Seen:
    path: str  # path and query as sent
    headers: dict[str, str]


class Remote:
    """A loopback server answering GETs from a table the test fills; it records every request."""

    def __init__(self) -> None:
        self.origin = ""
        self.answers: dict[str, Answer] = {}
        self.seen: list[Seen] = []

    @property
    def host(self) -> str:
        return self.origin.removeprefix("http://")

    def serve(
        self, path: str, doc: Any, *, status: int = 200, content_type: str = ACTIVITY_JSON
    ) -> None:
        self.answers[path] = Answer(status, json.dumps(doc).encode(), content_type)

    def redirect(self, path: str, location: str) -> None:
        self.answers[path] = Answer(301, b"", "text/plain", {"Location": location})

    def hits(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path.split("?")[0] == path]

    async def _handle(self, request: web.Request) -> web.Response:
        self.seen.append(Seen(request.raw_path, dict(request.headers)))
        answer = self.answers.get(request.path)
        if answer is None:
            return web.Response(status=404, text="not here")
        return web.Response(
            status=answer.status,
            body=answer.body,
            headers={"Content-Type": answer.content_type, **answer.headers},
        )


@asynccontextmanager
async def remote_server() -> AsyncIterator[Remote]:
    remote = Remote()
    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", remote._handle)
    runner = web.AppRunner(app, shutdown_timeout=0.2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    remote.origin = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield remote
    finally:
        await runner.cleanup()


# --- keys, documents, the node -----------------------------------------------------------------


@dataclass(frozen=True)
class Keys:
    instance: keys.KeyPairPem
    instance_ed: keys.KeyPairPem
    first: keys.KeyPairPem
    second: keys.KeyPairPem
    ed: keys.KeyPairPem


@pytest.fixture(scope="module")
def test_keys() -> Keys:
    return Keys(
        keys.generate_rsa(),
        keys.generate_ed25519(),
        keys.generate_rsa(),
        keys.generate_rsa(),
        keys.generate_ed25519(),
    )


@pytest.fixture
def instance(engine: Engine, test_keys: Keys) -> LocalActor:
    """The instance actor whose key signs every fetch."""
    with session_scope(engine) as session:
        actor = LocalActor(
            slug=INSTANCE_SLUG,
            kind="application",
            name="Test node",
            rsa_private_pem=test_keys.instance.private_pem,
            rsa_public_pem=test_keys.instance.public_pem,
            ed_private_pem=test_keys.instance_ed.private_pem,
            ed_public_pem=test_keys.instance_ed.public_pem,
        )
        session.add(actor)
    return actor


@asynccontextmanager
async def running(settings: Settings, engine: Engine) -> AsyncIterator[NodeContext]:
    node = NodeContext.build(settings, engine)
    node.open_http()
    try:
        yield node
    finally:
        await node.close_http()


@pytest.fixture
async def node(
    settings: Settings, engine: Engine, instance: LocalActor
) -> AsyncIterator[NodeContext]:
    async with running(settings, engine) as ctx:
        yield ctx


@pytest.fixture
async def remote() -> AsyncIterator[Remote]:
    async with remote_server() as server:
        yield server


def mastodon_actor(remote: Remote, pem: str | None = None) -> dict[str, Any]:
    """tests/fixtures/mastodon/actor.json as served by ``remote``."""
    text = (FIXTURES / "mastodon" / "actor.json").read_text()
    doc: dict[str, Any] = json.loads(text.replace(MASTODON_ORIGIN, remote.origin))
    if pem is not None:
        doc["publicKey"]["publicKeyPem"] = pem
    return doc


def actor_doc(remote: Remote, username: str, pem: str, **extra: Any) -> dict[str, Any]:
    ident = f"{remote.origin}/users/{username}"
    doc: dict[str, Any] = {
        "@context": [AS, "https://w3id.org/security/v1"],
        "id": ident,
        "type": "Person",
        "preferredUsername": username,
        "name": username.title(),
        "inbox": f"{ident}/inbox",
        "outbox": f"{ident}/outbox",
        "followers": f"{ident}/followers",
        "endpoints": {"sharedInbox": f"{remote.origin}/inbox"},
        "publicKey": {"id": f"{ident}#main-key", "owner": ident, "publicKeyPem": pem},
    }
    doc.update(extra)
    return doc


def age(engine: Engine, ap_id: str, seconds: float) -> None:
    """Make a cached actor look fetched ``seconds`` ago."""
    with session_scope(engine) as session:
        row = cached_actor(session, ap_id)
        assert row is not None
        row.fetched_at = now_utc() - timedelta(seconds=seconds)
        session.add(row)


def rsa_numbers(key: object) -> rsa.RSAPublicNumbers:
    """The numbers of an RSA public key, to compare keys by value; any other kind fails."""
    assert isinstance(key, rsa.RSAPublicKey)
    return key.public_numbers()


def stored(engine: Engine, ap_id: str) -> RemoteActor | None:
    with Session(engine) as session:
        return cached_actor(session, ap_id)


async def refused(reason: str, call: Any) -> RemoteActorError:
    with pytest.raises(RemoteActorError) as caught:
        await call
    assert caught.value.reason == reason, f"{caught.value.reason}: {caught.value}"
    return caught.value


# --- stories ---------------------------------------------------------------------------------


async def test_mastodon_actor_is_fetched_with_a_signed_get_and_cached(
    node: NodeContext, remote: Remote, engine: Engine, instance: LocalActor
) -> None:
    doc = mastodon_actor(remote)
    remote.serve("/users/coopcafe", doc)
    ident = f"{remote.origin}/users/coopcafe"

    actor = await get_remote_actor(node, ident)
    assert actor.id is not None
    assert (actor.ap_id, actor.type, actor.preferred_username) == (ident, "Person", "coopcafe")
    assert actor.name == "Café Coopératif du Quartier"
    assert actor.domain == remote.host
    assert actor.inbox == f"{ident}/inbox"
    assert actor.shared_inbox == f"{remote.origin}/inbox"
    assert actor.url == f"{remote.origin}/@coopcafe"
    assert actor.followers_url == f"{ident}/followers"
    assert actor.public_key_id == f"{ident}#main-key"
    assert actor.public_key_pem == doc["publicKey"]["publicKeyPem"].strip()
    assert actor.multikeys == []
    assert actor.document == doc
    assert inbox_for(actor) == f"{remote.origin}/inbox"
    assert inbox_for(actor, shared=False) == f"{ident}/inbox"

    # The request was signed by the instance actor, and verifies with its public key.
    [seen] = remote.hits("/users/coopcafe")
    assert seen.headers["Accept"] == AP_ACCEPT
    parts = RequestParts("GET", seen.path, seen.headers, None, "http")
    info = parse_signature(parts)
    assert isinstance(info, SignatureInfo)
    assert info.spec == "draft-cavage"
    assert info.key_id == Urls.main_key(node.urls.instance_actor)
    assert {"(request-target)", "host", "date", "accept"} <= set(info.components)
    public = keys.load_public_key(instance.rsa_public_pem)
    result = verify_signature(parts, info, public, now=time.time())
    assert isinstance(result, Verified), result

    # Fresh: served from the cache, no second request.
    again = await get_remote_actor(node, ident)
    assert again.id == actor.id and len(remote.hits("/users/coopcafe")) == 1
    row = stored(engine, ident)
    assert row is not None and row.inbox == actor.inbox


async def test_stale_actor_is_refetched_and_a_failed_refresh_keeps_the_old_copy(
    node: NodeContext, remote: Remote, engine: Engine, test_keys: Keys
) -> None:
    ident = f"{remote.origin}/users/ana"
    remote.serve("/users/ana", actor_doc(remote, "ana", test_keys.first.public_pem))
    await get_remote_actor(node, ident)

    remote.serve("/users/ana", actor_doc(remote, "ana", test_keys.first.public_pem, name="Ana B."))
    age(engine, ident, node.settings.remote_actor_max_age + 1)
    refreshed = await get_remote_actor(node, ident)
    assert refreshed.name == "Ana B." and len(remote.hits("/users/ana")) == 2

    remote.answers["/users/ana"] = Answer(503, b"down for maintenance", "text/plain")
    age(engine, ident, node.settings.remote_actor_max_age + 1)
    kept = await get_remote_actor(node, ident)
    assert kept.name == "Ana B." and len(remote.hits("/users/ana")) == 3

    # Without a cached copy, the failure is the caller's to see.
    remote.answers["/users/down"] = Answer(503, b"", "text/plain")
    error = await refused("fetch_failed", get_remote_actor(node, f"{remote.origin}/users/down"))
    assert error.status == 503 and not error.permanent


async def test_document_whose_id_is_not_the_url_fetched_is_refused(
    node: NodeContext, remote: Remote, engine: Engine, test_keys: Keys
) -> None:
    # Someone else's actor served from a URL the attacker controls.
    impostor = actor_doc(remote, "ana", test_keys.first.public_pem)
    remote.serve("/users/mallory", impostor)
    await refused("id_mismatch", get_remote_actor(node, f"{remote.origin}/users/mallory"))
    assert stored(engine, impostor["id"]) is None
    assert stored(engine, f"{remote.origin}/users/mallory") is None

    # A redirect on the same host is followed, and the id must be where it led.
    remote.serve("/users/ana", impostor)
    remote.redirect("/u/ana", f"{remote.origin}/users/ana")
    actor = await get_remote_actor(node, f"{remote.origin}/u/ana")
    assert actor.ap_id == impostor["id"]

    # A redirect to another host (another port is another origin) is refused.
    async with remote_server() as elsewhere:
        elsewhere.serve("/users/eve", actor_doc(elsewhere, "eve", test_keys.first.public_pem))
        remote.redirect("/u/eve", f"{elsewhere.origin}/users/eve")
        await refused("id_mismatch", get_remote_actor(node, f"{remote.origin}/u/eve"))
        assert stored(engine, f"{elsewhere.origin}/users/eve") is None


async def test_document_with_a_non_activitypub_content_type_is_refused(
    node: NodeContext, remote: Remote, test_keys: Keys
) -> None:
    for name, content_type in [
        ("html", "text/html; charset=utf-8"),
        ("json", "application/json"),
        ("ld", "application/ld+json"),  # without the ActivityStreams profile
    ]:
        remote.serve(
            f"/users/{name}",
            actor_doc(remote, name, test_keys.first.public_pem),
            content_type=content_type,
        )
        error = await refused(
            "bad_content_type", get_remote_actor(node, f"{remote.origin}/users/{name}")
        )
        assert error.permanent and content_type in str(error)

    profile = f'application/ld+json; profile="{AS}"'
    remote.serve(
        "/users/ld2", actor_doc(remote, "ld2", test_keys.first.public_pem), content_type=profile
    )
    actor = await get_remote_actor(node, f"{remote.origin}/users/ld2")
    assert actor.preferred_username == "ld2"


async def test_gone_actor_is_forgotten(
    node: NodeContext, remote: Remote, engine: Engine, test_keys: Keys
) -> None:
    ident = f"{remote.origin}/users/ana"
    remote.serve("/users/ana", actor_doc(remote, "ana", test_keys.first.public_pem))
    await get_remote_actor(node, ident)
    assert stored(engine, ident) is not None

    remote.answers["/users/ana"] = Answer(410, b'{"error":"Gone"}', "application/json")
    error = await refused("gone", get_remote_actor(node, ident, refresh=True))
    assert error.status == 410 and error.permanent
    assert stored(engine, ident) is None

    # A Tombstone in place of the actor (as some servers answer) means the same.
    remote.serve("/users/ana", actor_doc(remote, "ana", test_keys.first.public_pem))
    await get_remote_actor(node, ident)
    remote.serve("/users/ana", {"@context": AS, "id": ident, "type": "Tombstone"})
    await refused("gone", get_remote_actor(node, ident, refresh=True))
    assert stored(engine, ident) is None


async def test_not_found_and_documents_that_are_not_actors(
    node: NodeContext, remote: Remote, test_keys: Keys
) -> None:
    error = await refused("not_found", get_remote_actor(node, f"{remote.origin}/users/nobody"))
    assert error.status == 404

    note = {"@context": AS, "id": f"{remote.origin}/notes/1", "type": "Note", "content": "hi"}
    remote.serve("/notes/1", note)
    await refused("not_an_actor", get_remote_actor(node, note["id"]))

    # The inbox must be an http(s) URL on the actor's own host (or an allowed one).
    for name, inbox in [
        ("a", "https://elsewhere.example/inbox"),
        ("b", "ftp://x/inbox"),
        ("c", None),
    ]:
        doc = actor_doc(remote, name, test_keys.first.public_pem, inbox=inbox)
        remote.serve(f"/users/{name}", doc)
        await refused("bad_document", get_remote_actor(node, doc["id"]))


async def test_key_rotation_is_picked_up_with_refresh(
    node: NodeContext, remote: Remote, engine: Engine, test_keys: Keys
) -> None:
    ident = f"{remote.origin}/users/ana"
    key_id = f"{ident}#main-key"
    remote.serve("/users/ana", actor_doc(remote, "ana", test_keys.first.public_pem))

    key = await resolve_key(node, key_id)
    assert key.owner == ident and key.key_id == key_id and key.actor is not None
    assert isinstance(key.public_key, rsa.RSAPublicKey)
    assert rsa_numbers(key.public_key) == rsa_numbers(
        keys.load_public_key(test_keys.first.public_pem)
    )

    # The remote rotates its key under the same id; the cache still answers, without network.
    remote.serve("/users/ana", actor_doc(remote, "ana", test_keys.second.public_pem))
    cached = await resolve_key(node, key_id)
    assert rsa_numbers(cached.public_key) == rsa_numbers(key.public_key)
    assert len(remote.hits("/users/ana")) == 1

    # A signature failed: the inbox asks once more with refresh=True.
    fresh = await resolve_key(node, key_id, refresh=True)
    assert isinstance(fresh.public_key, rsa.RSAPublicKey)
    assert rsa_numbers(fresh.public_key) == rsa_numbers(
        keys.load_public_key(test_keys.second.public_pem)
    )
    row = stored(engine, ident)
    assert row is not None and row.public_key_pem == test_keys.second.public_pem.strip()
    assert len(remote.hits("/users/ana")) == 2


async def test_key_in_a_standalone_key_document(
    node: NodeContext, remote: Remote, engine: Engine, test_keys: Keys
) -> None:
    ident = f"{remote.origin}/users/ana"
    key_id = f"{remote.origin}/keys/ana"
    remote.serve("/users/ana", actor_doc(remote, "ana", "", publicKey=key_id))
    remote.serve(
        "/keys/ana",
        {
            "@context": [AS, "https://w3id.org/security/v1"],
            "id": key_id,
            "type": "CryptographicKey",
            "owner": ident,
            "publicKeyPem": test_keys.first.public_pem,
        },
    )
    key = await resolve_key(node, key_id)
    assert key.owner == ident
    assert rsa_numbers(key.public_key) == rsa_numbers(
        keys.load_public_key(test_keys.first.public_pem)
    )
    assert [s.path for s in remote.seen] == ["/keys/ana", "/users/ana"]
    row = stored(engine, ident)
    assert row is not None and row.public_key_id == key_id and row.public_key_pem

    # Kept with the actor: the next signature resolves without network.
    await resolve_key(node, key_id)
    assert len(remote.seen) == 2

    # A key document naming an owner that does not list it proves nothing.
    remote.serve(
        "/keys/mallory",
        {
            "id": f"{remote.origin}/keys/mallory",
            "type": "CryptographicKey",
            "owner": ident,
            "publicKeyPem": test_keys.second.public_pem,
        },
    )
    await refused("key_not_found", resolve_key(node, f"{remote.origin}/keys/mallory"))


async def test_gotosocial_style_key_url_that_serves_the_actor(
    node: NodeContext, remote: Remote, test_keys: Keys
) -> None:
    # GoToSocial's key id is /users/NAME/main-key (no fragment), which serves a stub of the
    # actor under the actor's own id.
    ident = f"{remote.origin}/users/gts"
    key_id = f"{ident}/main-key"
    doc = actor_doc(remote, "gts", test_keys.first.public_pem)
    doc["publicKey"]["id"] = key_id
    stub = {k: doc[k] for k in ("@context", "id", "type", "preferredUsername", "publicKey")}
    remote.serve("/users/gts", doc)
    remote.serve("/users/gts/main-key", stub)
    key = await resolve_key(node, key_id)
    assert key.owner == ident and key.actor is not None and key.actor.inbox == doc["inbox"]
    await resolve_key(node, key_id)
    assert [s.path for s in remote.seen] == ["/users/gts/main-key", "/users/gts"]


async def test_multikeys_from_assertion_method_are_kept_and_resolve(
    node: NodeContext, remote: Remote, test_keys: Keys
) -> None:
    ident = f"{remote.origin}/users/ana"
    multibase = keys.public_key_multibase(keys.load_public_key(test_keys.ed.public_pem))
    doc = actor_doc(
        remote,
        "ana",
        test_keys.first.public_pem,
        assertionMethod=[
            {
                "id": f"{ident}#ed25519-key",
                "type": "Multikey",
                "controller": ident,
                "publicKeyMultibase": multibase,
            },
            # Controlled by someone else, or on another host: never a key of ana's.
            {
                "id": f"{ident}#stolen",
                "type": "Multikey",
                "controller": "https://x.example/u",
                "publicKeyMultibase": multibase,
            },
            {
                "id": "https://x.example/k",
                "type": "Multikey",
                "controller": ident,
                "publicKeyMultibase": multibase,
            },
            {
                "id": f"{ident}#broken",
                "type": "Multikey",
                "controller": ident,
                "publicKeyMultibase": "zNotBase58!",
            },
        ],
    )
    remote.serve("/users/ana", doc)
    actor = await get_remote_actor(node, ident)
    assert actor.multikeys == [{"id": f"{ident}#ed25519-key", "publicKeyMultibase": multibase}]
    key = await resolve_key(node, f"{ident}#ed25519-key")
    assert isinstance(key.public_key, ed25519.Ed25519PublicKey) and key.owner == ident
    await refused("key_not_found", resolve_key(node, f"{ident}#stolen"))


async def test_public_key_owned_by_someone_else_is_not_trusted(
    node: NodeContext, remote: Remote, test_keys: Keys
) -> None:
    ident = f"{remote.origin}/users/ana"
    doc = actor_doc(remote, "ana", test_keys.first.public_pem)
    doc["publicKey"]["owner"] = f"{remote.origin}/users/bob"
    remote.serve("/users/ana", doc)
    actor = await get_remote_actor(node, ident)
    assert actor.public_key_id == "" and actor.public_key_pem == ""
    await refused("key_not_found", resolve_key(node, f"{ident}#main-key"))


async def test_webfinger_on_loopback_uses_http_with_the_port(
    node: NodeContext, remote: Remote, test_keys: Keys
) -> None:
    doc = mastodon_actor(remote, test_keys.first.public_pem)
    remote.serve("/users/coopcafe", doc)
    remote.serve(
        "/.well-known/webfinger",
        {
            "subject": f"acct:coopcafe@{remote.host}",
            "aliases": [f"{remote.origin}/@coopcafe", doc["id"]],
            "links": [
                {
                    "rel": "http://webfinger.net/rel/profile-page",
                    "type": "text/html",
                    "href": f"{remote.origin}/@coopcafe",
                },
                {"rel": "self", "type": "application/activity+json", "href": doc["id"]},
            ],
        },
        content_type="application/jrd+json; charset=utf-8",
    )
    for handle in (
        f"coopcafe@{remote.host}",
        f"@CoopCafe@{remote.host}",
        f"acct:coopcafe@{remote.host}",
    ):
        assert await resolve_handle(node, handle) == doc["id"]
    [first, *_] = remote.hits("/.well-known/webfinger")
    assert first.path == f"/.well-known/webfinger?resource=acct:coopcafe@{remote.host}"
    assert "Signature" not in first.headers  # unsigned, as real servers do
    assert len(remote.hits("/users/coopcafe")) == 1  # then cached

    actor = await lookup(node, f"@coopcafe@{remote.host}")
    assert actor.ap_id == doc["id"]


async def test_webfinger_must_loop_back_to_the_handle(
    node: NodeContext, remote: Remote, test_keys: Keys
) -> None:
    # bob's WebFinger points to ana's actor: ana's preferredUsername does not confirm "bob".
    ana = actor_doc(remote, "ana", test_keys.first.public_pem)
    remote.serve("/users/ana", ana)
    remote.serve(
        "/.well-known/webfinger",
        {
            "subject": f"acct:bob@{remote.host}",
            "links": [{"rel": "self", "type": "application/activity+json", "href": ana["id"]}],
        },
    )
    await refused("webfinger_failed", resolve_handle(node, f"bob@{remote.host}"))

    remote.serve("/.well-known/webfinger", {"subject": f"acct:bob@{remote.host}", "links": []})
    await refused("webfinger_failed", resolve_handle(node, f"bob@{remote.host}"))
    remote.answers.pop("/.well-known/webfinger")
    error = await refused("webfinger_failed", resolve_handle(node, f"bob@{remote.host}"))
    assert error.status == 404
    for bad in ("bob", "bob@", "@bob@host/path", "bob@host?x=1", "a@b@c d"):
        await refused("bad_handle", resolve_handle(node, bad))


async def test_split_domain_handle_is_confirmed_by_the_actor_host(
    node: NodeContext, remote: Remote, test_keys: Keys
) -> None:
    # ana@HANDLE-HOST lives at ACTOR-HOST (Mastodon's WEB_DOMAIN / LOCAL_DOMAIN split).
    async with remote_server() as handle_host:
        ana = actor_doc(remote, "ana", test_keys.first.public_pem)
        remote.serve("/users/ana", ana)
        link = {"rel": "self", "type": "application/activity+json", "href": ana["id"]}
        handle_host.serve(
            "/.well-known/webfinger", {"subject": f"acct:ana@{handle_host.host}", "links": [link]}
        )
        remote.serve(
            "/.well-known/webfinger", {"subject": f"acct:ana@{handle_host.host}", "links": [link]}
        )
        assert await resolve_handle(node, f"ana@{handle_host.host}") == ana["id"]

        # The actor's host does not name that handle: someone else's actor, refused.
        remote.serve(
            "/.well-known/webfinger", {"subject": f"acct:ana@{remote.host}", "links": [link]}
        )
        await refused("webfinger_failed", resolve_handle(node, f"ana@{handle_host.host}"))


async def test_webfinger_uses_https_outside_loopback_development(
    settings: Settings, engine: Engine, instance: LocalActor, remote: Remote
) -> None:
    public = replace(settings, base_url="https://node.example")
    remote.serve("/.well-known/webfinger", {"links": []})
    async with running(public, engine) as node:
        await refused("webfinger_failed", resolve_handle(node, f"ana@{remote.host}"))
    # It spoke TLS to a plain-http server: no request ever reached the WebFinger route.
    assert remote.hits("/.well-known/webfinger") == []


async def test_lookup_by_profile_url_follows_to_the_canonical_actor_id(
    node: NodeContext, remote: Remote, test_keys: Keys
) -> None:
    doc = mastodon_actor(remote, test_keys.first.public_pem)
    remote.serve("/users/coopcafe", doc)
    remote.serve("/@coopcafe", doc)  # Mastodon serves the actor at the profile URL too
    actor = await lookup(node, f"{remote.origin}/@coopcafe")
    assert actor.ap_id == doc["id"]
    assert (await lookup(node, doc["id"])).id == actor.id
    assert len(remote.hits("/users/coopcafe")) == 1


async def test_fetch_budget_bounds_fetches_per_activity(
    node: NodeContext, remote: Remote, test_keys: Keys
) -> None:
    for name in ("ana", "bob", "cy"):
        remote.serve(f"/users/{name}", actor_doc(remote, name, test_keys.first.public_pem))
    budget = FetchBudget(limit=2)
    await get_remote_actor(node, f"{remote.origin}/users/ana", budget=budget)
    await resolve_key(node, f"{remote.origin}/users/bob#main-key", budget=budget)
    assert budget.remaining == 0
    error = await refused(
        "budget_exhausted", get_remote_actor(node, f"{remote.origin}/users/cy", budget=budget)
    )
    assert not error.permanent
    await refused(
        "budget_exhausted", fetch_object(node, f"{remote.origin}/users/cy", budget=budget)
    )
    assert remote.hits("/users/cy") == []
    # Cache hits cost nothing.
    await resolve_key(node, f"{remote.origin}/users/bob#main-key", budget=budget)
    await get_remote_actor(node, f"{remote.origin}/users/ana", budget=budget)


async def test_fetch_object_returns_a_signed_fetched_validated_object(
    node: NodeContext, remote: Remote
) -> None:
    note = {
        "@context": AS,
        "id": f"{remote.origin}/notes/1",
        "type": "Note",
        "content": "<p>hi</p>",
    }
    remote.serve("/notes/1", note)
    assert await fetch_object(node, note["id"]) == note
    [seen] = remote.hits("/notes/1")
    assert "keyId=" in seen.headers["Signature"]
    await refused("id_mismatch", fetch_object(node, f"{remote.origin}/notes/1?copy"))
    remote.serve("/notes/2", [note])
    await refused("bad_document", fetch_object(node, f"{remote.origin}/notes/2"))
    await refused("local", fetch_object(node, node.urls.item("abc")))
    await refused("bad_url", fetch_object(node, "ftp://example.org/x"))
    # The address guard of the HTTP client: only the literal 127.0.0.1 is allowed in tests.
    await refused("blocked_address", fetch_object(node, "http://10.1.2.3/notes/1"))
    local_name = remote.origin.replace("127.0.0.1", "localhost")
    await refused("blocked_address", fetch_object(node, f"{local_name}/notes/1"))
    assert [s.path for s in remote.hits("/notes/1")] == ["/notes/1", "/notes/1?copy"]


async def test_concurrent_fetches_of_one_actor_store_one_row(
    node: NodeContext, remote: Remote, engine: Engine, test_keys: Keys
) -> None:
    ident = f"{remote.origin}/users/ana"
    remote.serve("/users/ana", actor_doc(remote, "ana", test_keys.first.public_pem))
    actors = await asyncio.gather(*(get_remote_actor(node, ident) for _ in range(6)))
    assert {a.ap_id for a in actors} == {ident}
    with Session(engine) as session:
        count = session.exec(select(func.count()).select_from(RemoteActor)).one()
    assert count == 1


async def test_local_actors_and_keys_come_from_the_database(
    settings: Settings, engine: Engine, instance: LocalActor
) -> None:
    with session_scope(engine) as session:
        coop = create_actor(session, "coop", kind="organization", name="Coop")
    node = NodeContext.build(settings, engine)  # no HTTP client at all
    urls = node.urls
    ident = urls.actor("coop")
    key = await resolve_key(node, Urls.main_key(ident))
    assert key.owner == ident and key.actor is None
    assert isinstance(key.public_key, rsa.RSAPublicKey)
    assert rsa_numbers(key.public_key) == rsa_numbers(keys.load_public_key(coop.rsa_public_pem))
    ed = await resolve_key(node, Urls.ed25519_key(ident))
    assert isinstance(ed.public_key, ed25519.Ed25519PublicKey)
    app_key = await resolve_key(node, Urls.main_key(urls.instance_actor))
    assert app_key.owner == urls.instance_actor
    await refused("key_not_found", resolve_key(node, Urls.main_key(urls.actor("nobody"))))

    actor = await get_remote_actor(node, ident)
    assert actor.id is None and actor.inbox == urls.inbox("coop") and actor.type == "Organization"
    assert await resolve_handle(node, f"coop@{settings.host}") == ident
    assert await resolve_handle(node, f"{settings.hostname}@{settings.host}") == urls.instance_actor
    assert (await lookup(node, urls.profile("coop"))).ap_id == ident
    await refused("not_found", resolve_handle(node, f"nobody@{settings.host}"))
    assert node.http is None


async def test_no_instance_actor_means_no_signed_fetch(
    settings: Settings, engine: Engine, remote: Remote
) -> None:
    async with running(settings, engine) as node:
        await refused("no_instance_actor", fetch_object(node, f"{remote.origin}/notes/1"))
    assert remote.seen == []


def test_error_reasons_say_whether_to_retry() -> None:
    assert RemoteActorError("gone", "x").permanent
    assert RemoteActorError("fetch_failed", "x", status=404).permanent
    assert not RemoteActorError("fetch_failed", "x", status=429).permanent
    assert not RemoteActorError("fetch_failed", "x", status=502).permanent
    assert not RemoteActorError("fetch_failed", "connect").permanent
    assert not RemoteActorError("budget_exhausted", "x").permanent
    budget = FetchBudget()
    assert budget.limit == 5 and budget.remaining == 5
    budget.take("https://x.example/")
    assert budget.remaining == 4
