"""Remote interaction: a visitor types their fediverse handle on one of our pages and is sent
to their own server to follow or join from there. Their server says where, in its WebFinger
document: the ``http://ostatus.org/schema/1.0/subscribe`` link's ``template`` (Mastodon's
``https://host/authorize_interaction?uri={uri}``), filled in with our object's id.

The lookup goes through the SSRF-guarded client (node/federation/http.py); whatever the other
server answers (an error, no JSON, no such link, a template that is not an http(s) URL or has
no ``{uri}``), the visitor gets a :class:`RemoteActorError` with a message, never a redirect to
somewhere odd.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from node.federation.context import NodeContext
from node.federation.http import FetchError
from node.federation.remote.fetch import RemoteActorError, fetch_failure, http_url
from node.federation.remote.webfinger import JRD_ACCEPT, parse_acct, webfinger_url

__all__ = ["SUBSCRIBE_REL", "interaction_url", "subscribe_template"]

SUBSCRIBE_REL = "http://ostatus.org/schema/1.0/subscribe"
MAX_TEMPLATE = 2048


def subscribe_template(document: Any) -> str | None:
    """The remote-interaction template of a WebFinger document, if it has a usable one."""
    links = document.get("links") if isinstance(document, dict) else None
    for link in links if isinstance(links, list) else []:
        if not isinstance(link, dict) or link.get("rel") != SUBSCRIBE_REL:
            continue
        template = link.get("template")
        if not isinstance(template, str) or len(template) > MAX_TEMPLATE:
            continue
        if "{uri}" in template and http_url(template.replace("{uri}", "x")):
            return template
    return None


async def interaction_url(node: NodeContext, handle: str, uri: str) -> str:
    """Where to send the owner of ``handle`` to interact with our object ``uri``."""
    acct = parse_acct(handle)
    url = webfinger_url(node.settings, acct)
    try:
        response = await node.open_http().get(url, headers={"Accept": JRD_ACCEPT})
    except FetchError as exc:
        raise fetch_failure(exc, url, "webfinger_failed") from exc
    if response.status != 200:
        raise RemoteActorError(
            "webfinger_failed", f"{acct.host} does not know {acct} ({response.status})", url=url
        )
    try:
        document = response.json()
    except FetchError as exc:
        raise RemoteActorError(
            "webfinger_failed", f"{acct.host} answered no JSON", url=url
        ) from exc
    template = subscribe_template(document)
    if template is None:
        raise RemoteActorError(
            "no_template", f"{acct.host} does not say where to follow or join from", url=url
        )
    return template.replace("{uri}", quote(uri, safe=""))
