"""ActivityStreams documents of local actors and their collections."""

from __future__ import annotations

from typing import Any

from node.activitypub import keys
from node.activitypub.vocab import ACTIVITY_JSON, actor_context, iso
from node.models import LocalActor
from node.urls import Urls

AP_TYPE = {"organization": "Organization", "network": "Group", "application": "Application"}
MAX_FIELDS = 4  # Mastodon shows at most four profile fields
MEMBERSHIPS_IRI = "https://w3id.org/solidarity-node#memberships"
ESSGLOBAL_IRI = "https://w3id.org/solidarity-node#essglobal"


def actor_id(urls: Urls, actor: LocalActor) -> str:
    """The id of any local actor, the instance actor included."""
    return urls.instance_actor if actor.kind == "application" else urls.actor(actor.slug)


def actor_document(actor: LocalActor, urls: Urls, *, host: str) -> dict[str, Any]:
    """The actor as served at its id: everything Mastodon, Mobilizon and Fedify read."""
    ident = actor_id(urls, actor)
    doc = _core(actor, urls, ident, host=host)
    doc["publicKey"] = {
        "id": urls.main_key(ident),
        "owner": ident,
        "publicKeyPem": actor.rsa_public_pem,
    }
    doc["assertionMethod"] = [_ed25519_method(actor, urls, ident)]
    _add_collections(doc, actor, urls)
    _add_profile(doc, actor.profile or {})
    if actor.moved_to:
        # Mastodon's term (not in the ActivityStreams context): followers' servers show the
        # account as moved and stop offering to follow it.
        doc["movedTo"] = actor.moved_to
        doc["@context"][-1]["movedTo"] = {"@id": "as:movedTo", "@type": "@id"}
    return doc


def _core(actor: LocalActor, urls: Urls, ident: str, *, host: str) -> dict[str, Any]:
    """The identity, addresses and flags every actor has (the instance actor's differ)."""
    is_app = actor.kind == "application"
    return {
        "@context": actor_context(),
        "id": ident,
        "type": AP_TYPE[actor.kind],
        "preferredUsername": host.split(":")[0] if is_app else actor.slug,
        "name": actor.name,
        "summary": actor.summary,
        "url": urls.base + "/about" if is_app else urls.profile(actor.slug),
        "inbox": urls.shared_inbox if is_app else urls.inbox(actor.slug),
        "outbox": f"{ident}/outbox",
        "followers": f"{ident}/followers",
        "following": f"{ident}/following",
        "endpoints": {"sharedInbox": urls.shared_inbox},
        "manuallyApprovesFollowers": bool(actor.manually_approves_followers),
        "discoverable": bool(actor.discoverable) and not is_app,
        "indexable": bool(actor.discoverable) and not is_app,
        "published": iso(actor.created_at),
        "updated": iso(actor.updated_at),
    }


def _ed25519_method(actor: LocalActor, urls: Urls, ident: str) -> dict[str, Any]:
    """The Ed25519 key as a FEP-521a ``Multikey`` (object integrity proofs)."""
    return {
        "id": urls.ed25519_key(ident),
        "type": "Multikey",
        "controller": ident,
        "publicKeyMultibase": keys.public_key_multibase(keys.load_public_key(actor.ed_public_pem)),
    }


def _add_collections(doc: dict[str, Any], actor: LocalActor, urls: Urls) -> None:
    """The collections an organization or network has beyond the standard ones."""
    if actor.kind == "network":
        doc["members"] = urls.members(actor.slug)
    if actor.kind == "application":
        return
    doc["upcomingEvents"] = urls.upcoming_events(actor.slug)
    # The networks it belongs to (node/features/networks/collections.py), with its term inline.
    doc["memberships"] = urls.memberships(actor.slug)
    doc["@context"][-1]["memberships"] = {"@id": MEMBERSHIPS_IRI, "@type": "@id"}
    # Its ESSGlobal description as JSON-LD (node/features/bridges/essglobal_ld.py).
    doc["essglobal"] = urls.essglobal(actor.slug)
    doc["@context"][-1]["essglobal"] = {"@id": ESSGLOBAL_IRI, "@type": "@id"}


def _add_profile(doc: dict[str, Any], profile: dict[str, Any]) -> None:
    """Avatar and header images, profile fields and former accounts, when the profile has them."""
    for key in ("icon", "image"):
        media = profile.get(key)
        if isinstance(media, dict) and media.get("url"):
            doc[key] = {
                "type": "Image",
                "url": media["url"],
                "mediaType": media.get("mediaType", "image/png"),
                **({"name": media["name"]} if media.get("name") else {}),
            }
    fields = profile.get("fields") or []
    if fields:
        doc["attachment"] = [
            {"type": "PropertyValue", "name": f["name"], "value": f["value"]}
            for f in fields[:MAX_FIELDS]
        ]
    if profile.get("alsoKnownAs"):
        doc["alsoKnownAs"] = list(profile["alsoKnownAs"])


def ordered_collection(
    ident: str, total: int, *, first: str | None = None, items: list[Any] | None = None
) -> dict[str, Any]:
    """An OrderedCollection; with ``first`` set Mastodon shows the count instead of "hidden"."""
    doc: dict[str, Any] = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": ident,
        "type": "OrderedCollection",
        "totalItems": total,
    }
    if first is not None:
        doc["first"] = first
    if items is not None:
        doc["orderedItems"] = items
    return doc


__all__ = ["ACTIVITY_JSON", "actor_document", "actor_id", "ordered_collection"]
