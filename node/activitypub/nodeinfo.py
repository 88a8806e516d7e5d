"""NodeInfo 2.1 and its discovery document, with the FEP-2677 application actor link."""

from __future__ import annotations

from typing import Any

NODEINFO_21_REL = "http://nodeinfo.diaspora.software/ns/schema/2.1"
NODEINFO_21_PROFILE = 'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"'
APPLICATION_ACTOR_REL = "https://www.w3.org/ns/activitystreams#Application"
SOFTWARE_NAME = "solidarity-node"
REPOSITORY = "https://github.com/solidarity-node/solidarity-node"


def discovery(base_url: str, instance_actor: str) -> dict[str, Any]:
    """``/.well-known/nodeinfo``: where NodeInfo 2.1 lives, and the instance actor (FEP-2677)."""
    return {
        "links": [
            {"rel": NODEINFO_21_REL, "href": f"{base_url}/nodeinfo/2.1"},
            {"rel": APPLICATION_ACTOR_REL, "href": instance_actor},
        ]
    }


def nodeinfo_21(
    *,
    version: str,
    users: int,
    active_month: int,
    active_halfyear: int,
    local_posts: int,
    open_registrations: bool,
    name: str,
    description: str,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The NodeInfo 2.1 document (the schema has additionalProperties: false everywhere but
    ``metadata``, so anything of ours goes there)."""
    metadata: dict[str, Any] = {"nodeName": name, "nodeDescription": description}
    metadata.update(extra or {})
    return {
        "version": "2.1",
        "software": {
            "name": SOFTWARE_NAME,
            "version": version,
            "repository": REPOSITORY,
            "homepage": REPOSITORY,
        },
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": ["atom1.0", "rss2.0"]},
        "openRegistrations": open_registrations,
        "usage": {
            "users": {
                "total": users,
                "activeMonth": active_month,
                "activeHalfyear": active_halfyear,
            },
            "localPosts": local_posts,
        },
        "metadata": metadata,
    }
