"""WebFinger (RFC 7033): parsing resources and building JRDs. Pure; the routes call it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from node.activitypub.mediatypes import is_activitypub_media_type

JRD_TYPE = "application/jrd+json"
SUBSCRIBE_REL = "http://ostatus.org/schema/1.0/subscribe"
PROFILE_REL = "http://webfinger.net/rel/profile-page"
MAX_RESOURCE = 2048


class WebFingerError(ValueError):
    """The resource parameter is missing or malformed."""


@dataclass(frozen=True)
class Acct:
    """An ``acct:user@host`` resource (host may carry a port: ``user@127.0.0.1:8001``)."""

    user: str
    host: str

    def __str__(self) -> str:
        return f"acct:{self.user}@{self.host}"


def parse_resource(resource: str) -> Acct | str:
    """An ``acct:`` resource as Acct, or an http(s) URL resource as a str."""
    resource = unquote(resource.strip())
    if not resource:
        raise WebFingerError("the resource parameter is required")
    if len(resource) > MAX_RESOURCE:
        raise WebFingerError("the resource parameter is too long")
    if resource.startswith("acct:"):
        return parse_handle(resource[5:])
    if resource.startswith(("http://", "https://")):
        try:
            parts = urlsplit(resource)
            host = parts.hostname
        except ValueError as exc:  # "http://[::1": a malformed IPv6 host (it was a 500)
            raise WebFingerError(f"the resource URL is malformed: {exc}") from None
        if not host:
            raise WebFingerError("the resource URL has no host")
        return resource
    if "@" in resource and ":" not in resource.split("@", 1)[0]:
        return parse_handle(resource)
    raise WebFingerError("the resource must be acct:user@host or an http(s) URL")


def parse_handle(handle: str) -> Acct:
    """Parse ``user@host``, ``@user@host`` or ``acct:user@host``."""
    handle = handle.strip()
    if handle.startswith("acct:"):
        handle = handle[5:]
    handle = handle.lstrip("@")
    user, sep, host = handle.rpartition("@")
    if not sep or not user or not host or "@" in user or "/" in host or " " in handle:
        raise WebFingerError(f"{handle!r} is not a handle of the form user@host")
    return Acct(user=user.lower(), host=host.lower())


def jrd(
    subject: str,
    actor_id: str,
    *,
    profile_url: str | None = None,
    aliases: list[str] | None = None,
    subscribe_template: str | None = None,
) -> dict[str, Any]:
    """The JRD for an actor: the self link's href is exactly the actor id (Mastodon checks)."""
    links: list[dict[str, Any]] = [
        {"rel": "self", "type": "application/activity+json", "href": actor_id},
    ]
    if profile_url:
        links.insert(0, {"rel": PROFILE_REL, "type": "text/html", "href": profile_url})
    if subscribe_template:
        links.append({"rel": SUBSCRIBE_REL, "template": subscribe_template})
    doc: dict[str, Any] = {"subject": subject, "links": links}
    doc["aliases"] = aliases if aliases is not None else [actor_id]
    return doc


def self_link(doc: Any) -> str | None:
    """The ActivityPub actor URL in a JRD we fetched, or None."""
    if not isinstance(doc, dict):
        return None
    links = doc.get("links")
    if not isinstance(links, list):  # {"links": true} from a remote server was a TypeError
        return None
    for link in links:
        if not isinstance(link, dict) or link.get("rel") != "self":
            continue
        media = link.get("type")
        href = link.get("href")
        if isinstance(href, str) and isinstance(media, str) and is_activitypub_media_type(media):
            return href
    return None


def host_meta_xml(base_url: str) -> str:
    """host-meta with the lrdd template (Mastodon falls back to it when WebFinger 404s)."""
    template = f"{base_url}/.well-known/webfinger?resource={{uri}}"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" template="{template}"/>\n'
        "</XRD>\n"
    )


def host_meta_json(base_url: str) -> dict[str, Any]:
    """host-meta.json, the JSON form of the same."""
    return {
        "links": [{"rel": "lrdd", "template": f"{base_url}/.well-known/webfinger?resource={{uri}}"}]
    }
