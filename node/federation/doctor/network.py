"""The checks that talk HTTP, all through the node's one outbound client (the SSRF guard and the
block list apply): WebFinger and NodeInfo of our own public URL, the clock, the served keys,
and a remote handle."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime
from urllib.parse import quote, urlsplit

from cryptography.hazmat.primitives import serialization
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from node.activitypub import keys, webfinger
from node.federation.actors.documents import actor_id
from node.federation.context import NodeContext
from node.federation.doctor.result import Result, fail, ok, warn
from node.federation.http import FetchError, HttpResponse
from node.federation.remote.actor_cache import in_thread
from node.federation.remote.fetch import RemoteActorError
from node.federation.remote.webfinger import lookup
from node.models import LocalActor

CLOCK_SKEW = 60.0
AP_ACCEPT = "application/activity+json"
_UNREACHABLE = (
    "is solnode serve running, and does SOLNODE_BASE_URL say where it is really served "
    "(scheme, host, port)?"
)


def _actors(node: NodeContext) -> list[LocalActor]:
    with Session(node.engine) as session:
        return list(session.exec(select(LocalActor).order_by(LocalActor.id)))  # type: ignore[arg-type]


async def _get(node: NodeContext, url: str, accept: str) -> HttpResponse:
    return await node.open_http().get(url, headers={"Accept": accept})


async def webfinger_loops_back(node: NodeContext) -> Result:
    """Our own WebFinger, fetched from our public URL, points back to our actor."""
    name = "WebFinger"
    try:
        actors = await in_thread(_actors, node)
    except SQLAlchemyError as exc:  # a broken database is also the migrations check's FAIL
        return fail(name, f"cannot read the actors: {exc}", "fix the database first")
    actor = next((a for a in actors if a.kind != "application"), actors[0] if actors else None)
    if actor is None:
        return fail(name, "this node has no actor", "run solnode init")
    user = node.settings.hostname if actor.kind == "application" else actor.slug
    resource = quote(f"acct:{user}@{node.settings.host}", safe=":@")
    url = f"{node.settings.base_url}/.well-known/webfinger?resource={resource}"
    try:
        response = await _get(node, url, "application/jrd+json")
        document = response.json() if response.status == 200 else None
    except FetchError as exc:
        return fail(name, f"our own WebFinger did not answer: {exc}", _UNREACHABLE)
    if document is None:
        return fail(name, f"{url} answered {response.status}", _UNREACHABLE)
    expected = actor_id(node.urls, actor)
    found = webfinger.self_link(document)
    if found != expected:
        return fail(
            name,
            f"{url} points to {found or 'no actor'}, not to {expected}",
            "the server at this address is not this node, or it was started with another "
            "SOLNODE_BASE_URL: give serve and every command the same base URL",
        )
    return ok(name, f"{user}@{node.settings.host} resolves to {expected}")


async def nodeinfo_answers(node: NodeContext) -> Result:
    """/.well-known/nodeinfo links to a NodeInfo document that answers."""
    name = "NodeInfo"
    url = f"{node.settings.base_url}/.well-known/nodeinfo"
    try:
        response = await _get(node, url, "application/json")
        links = response.json().get("links") if response.status == 200 else None
        href = next((link.get("href") for link in links or [] if isinstance(link, dict)), None)
        if not isinstance(href, str):
            return fail(name, f"{url} answered {response.status} without a link", _UNREACHABLE)
        info = await _get(node, href, "application/json")
        software = info.json().get("software", {}).get("name") if info.status == 200 else None
    except (FetchError, AttributeError) as exc:
        return fail(name, f"NodeInfo did not answer: {exc}", _UNREACHABLE)
    if not software:
        return fail(name, f"{href} answered {info.status}", _UNREACHABLE)
    return ok(name, f"{href} names {software}")


def _handle_origin(node: NodeContext, handle: str) -> str:
    host = webfinger.parse_handle(handle).host
    hostname = urlsplit("//" + host).hostname or ""
    loopback = node.settings.is_loopback and hostname in node.settings.allow_hosts
    return f"{'http' if loopback else 'https'}://{host}"


async def clock(node: NodeContext, handle: str | None = None) -> Result:
    """The local clock agrees with a web server's Date header (signatures expire in minutes)."""
    name = "clock"
    try:
        origin = _handle_origin(node, handle) if handle else node.settings.base_url
        response = await _get(node, f"{origin}/.well-known/nodeinfo", "application/json")
        date = response.headers.get("Date", "")
        skew = time.time() - parsedate_to_datetime(date).timestamp()
    except (FetchError, webfinger.WebFingerError, TypeError, ValueError) as exc:
        return warn(name, f"no Date header to compare with: {exc}", "check the other checks")
    detail = f"{abs(skew):.0f} s {'ahead of' if skew > 0 else 'behind'} {origin}"
    if abs(skew) > CLOCK_SKEW:
        return warn(
            name,
            detail,
            "other servers refuse signatures from a wrong clock: turn on time sync "
            "(timedatectl set-ntp true)",
        )
    return ok(name, detail)


def _served_key(document: object) -> str:
    key = document.get("publicKey") if isinstance(document, dict) else None
    pem = key.get("publicKeyPem") if isinstance(key, dict) else None
    return pem if isinstance(pem, str) else ""


def _spki(pem: str) -> bytes:
    return keys.load_public_key(pem).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


async def _key_problem(node: NodeContext, actor: LocalActor) -> str | None:
    ident = actor_id(node.urls, actor)
    if not actor.rsa_private_pem:
        return f"{actor.slug} has no private key"
    try:
        mine = keys.public_pem_of(keys.load_private_key(actor.rsa_private_pem, checked=True))
        response = await _get(node, ident, AP_ACCEPT)
        served = _served_key(response.json()) if response.status == 200 else ""
        if not served:
            return f"{ident} answered {response.status} without a public key"
        if _spki(served) != _spki(mine):
            return f"{ident} publishes a key that is not {actor.slug}'s private key"
    except FetchError as exc:
        return f"cannot fetch {ident}: {exc}"
    except (keys.KeyFormatError, ValueError) as exc:
        return f"{actor.slug}: {exc}"
    return None


async def keys_match(node: NodeContext) -> Result:
    """Each local actor has a private key matching the public key its served document shows."""
    name = "keys"
    try:
        actors = await in_thread(_actors, node)
    except SQLAlchemyError as exc:  # a broken database is also the migrations check's FAIL
        return fail(name, f"cannot read the actors: {exc}", "fix the database first")
    problems = [p for a in actors if (p := await _key_problem(node, a)) is not None]
    if any(p.startswith("cannot fetch") for p in problems):
        return fail(name, "; ".join(problems[:5]), _UNREACHABLE)
    if problems:
        damaged = any(": not a PEM private key" in p for p in problems)
        return fail(
            name,
            "; ".join(problems[:5]),
            "a private key in the database is damaged: restore the database from a backup "
            "made before the damage (never generate new keys for a known domain)"
            if damaged
            else "the keys in the database are not the ones served: restore the data dir and "
            "database from the same backup (never generate new keys for a known domain)",
        )
    return ok(name, f"{len(actors)} actor(s), each key matches what is served")


async def remote_reachable(node: NodeContext, handle: str) -> Result:
    """A remote handle resolves (WebFinger) and its actor can be fetched."""
    name = "remote server"
    if not node.settings.is_loopback and urlsplit(node.settings.base_url).scheme != "https":
        return fail(name, "our base URL is not https", "set SOLNODE_BASE_URL to https://…")
    try:
        actor = await lookup(node, handle)
    except RemoteActorError as exc:
        return fail(
            name,
            f"{handle} cannot be reached: {exc}",
            "check the handle; is that server up, and not blocked here (solnode domain list)?",
        )
    return ok(name, f"{handle} is {actor.ap_id}")
