"""Signed fetches of ActivityPub documents, checked the way Mastodon checks them.

Every document the node reads from another server (actors, keys, objects) is fetched here with a
GET signed by the instance actor (the ``Application`` at ``/actor``), because servers with
authorized fetch refuse unsigned ones, and is validated as Mastodon's ``JsonLdHelper`` does:
ActivityPub content type, a body of at most 1 MB (the HTTP client enforces it), and an ``id``
equal to the URL fetched. ``FetchBudget`` bounds how many fetches one incoming activity may
cause. The remote actor cache (``node.federation.remote.actors``) is built on this and re-exports it.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from anyio import to_thread
from sqlalchemy import Engine
from sqlmodel import Session

from node.activitypub import keys
from node.activitypub.hosts import hostport_of, is_canonical_url
from node.activitypub.mediatypes import AS_PROFILE, is_activitypub_media_type
from node.activitypub.signatures.cavage import sign_cavage
from node.activitypub.signatures.rfc9421 import sign_rfc9421
from node.federation.actors.local import get_instance_actor
from node.federation.address_guard import host_refusal
from node.federation.context import NodeContext
from node.federation.http import FetchError, HttpClient, HttpResponse
from node.federation.http import Signer as HttpSigner
from node.federation.policy import federates_with
from node.federation.remote.key_fetch import KeyFetchBusy, KeyFetchGate, active_gate
from node.urls import Urls

__all__ = [
    "AP_ACCEPT",
    "FetchBudget",
    "RemoteActorError",
    "fetch_object",
    "is_activitypub_media_type",
    "signed_get",
]

AP_ACCEPT = f'application/activity+json, application/ld+json; profile="{AS_PROFILE}"'
MAX_URL = 2048  # the width of the URL columns of remote_actor
PERMANENT_REASONS = frozenset(
    {
        "bad_content_type",
        "bad_document",
        "bad_handle",
        "bad_url",
        "blocked_address",
        "blocked_domain",
        "gone",
        "id_mismatch",
        "key_not_found",
        "local",
        "not_an_actor",
        "not_found",
        "too_large",
    }
)


class RemoteActorError(Exception):
    """A remote actor, object or key could not be obtained or was refused.

    ``reason`` is a short stable code: fetch_failed, blocked_address, blocked_domain (a
    server the admins blocked, or did not allow in allowlist mode), too_large, not_found,
    gone, bad_content_type, bad_document, id_mismatch, not_an_actor, bad_url, bad_handle,
    webfinger_failed, key_not_found, budget_exhausted, no_instance_actor, local (a URL of this
    node, which is read from the database, not fetched). ``str(error)`` reads
    well in logs and admin messages; ``status`` is the HTTP status when one was received.
    """

    def __init__(self, reason: str, message: str, *, url: str = "", status: int | None = None):
        super().__init__(message)
        self.reason = reason
        self.url = url
        self.status = status

    @property
    def permanent(self) -> bool:
        """Whether asking again later cannot help (the document is wrong, gone or refused)."""
        if self.reason == "fetch_failed" and self.status is not None:
            return 400 <= self.status < 500 and self.status not in (401, 403, 408, 429)
        return self.reason in PERMANENT_REASONS


class FetchBudget:
    """How many documents the handling of one incoming activity may fetch (each fetch takes one).

    Bounds what a hostile sender can make us do: an activity naming many actors or keys costs
    at most ``limit`` requests. Cache hits are free.
    """

    def __init__(self, limit: int = 5) -> None:
        self.limit = limit
        self.used = 0

    @property
    def remaining(self) -> int:
        """Fetches still allowed."""
        return max(self.limit - self.used, 0)

    def take(self, url: str) -> None:
        """Spend one fetch on ``url``, or raise ``RemoteActorError("budget_exhausted")``."""
        if self.used >= self.limit:
            raise RemoteActorError(
                "budget_exhausted",
                f"the fetch budget of {self.limit} documents for this activity is spent; "
                f"not fetching {url[:200]}",
                url=url,
            )
        self.used += 1


# --- URLs ----------------------------------------------------------------------------------


def http_url(value: Any) -> str:
    """``value`` if it is a usable absolute http(s) URL that fits our columns, else ""."""
    if not isinstance(value, str) or not value or len(value) > MAX_URL:
        return ""
    if any(ch.isspace() or ch == "\x00" for ch in value):
        return ""
    try:
        parts = urlsplit(value)
        _ = parts.port
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return ""
    return value


def require_url(value: str, what: str = "URL") -> str:
    """``value`` if :func:`http_url` accepts it, else ``RemoteActorError("bad_url")``."""
    url = http_url(value)
    if not url:
        raise RemoteActorError("bad_url", f"not an http(s) {what}: {value[:200]!r}", url=value)
    if not is_canonical_url(url):
        # Another spelling of a host (Unicode, compatibility characters, a legacy IP form)
        # is refused, never normalised: ids are compared as written.
        # An IP in another form gets the address guard's own verdict, the more telling one.
        guard = host_refusal(urlsplit(url).hostname or "", frozenset())
        if guard is not None and guard[0] == "blocked_address":
            raise fetch_failure(FetchError("blocked_address", url, guard[1]), url, "bad_url")
        raise RemoteActorError(
            "bad_url",
            f"malformed or unsupported URL: the {what} {value[:200]!r} does not write its host "
            "in canonical form (IDNA A-labels, canonical IP)",
            url=value,
        )
    return url


def url_host(url: str) -> str:
    """Host and port of a URL in the one canonical form: what "the same host" compares."""
    return hostport_of(url)


def is_local(node: NodeContext, url: str) -> bool:
    """Whether ``url`` is on this node (read from the database, never fetched)."""
    base = node.urls.base
    return url == base or url.startswith(base + "/")


# --- fetching ------------------------------------------------------------------------------


async def _signing_key(node: NodeContext) -> tuple[str, keys.PrivateKey]:
    if node.signing_key is not None:
        return node.signing_key

    def load(engine: Engine) -> str:
        with Session(engine) as session:
            actor = get_instance_actor(session)
            return actor.rsa_private_pem if actor is not None else ""

    pem = await to_thread.run_sync(load, node.engine)
    if not pem:
        raise RemoteActorError(
            "no_instance_actor",
            "the instance actor that signs fetches does not exist yet; run `solnode init`",
        )
    value = (Urls.main_key(node.urls.instance_actor), keys.load_private_key(pem))
    node.signing_key = value
    return value


def fetch_failure(exc: FetchError, url: str, reason: str = "fetch_failed") -> RemoteActorError:
    """The RemoteActorError for a transport failure (the address guard keeps its own reason)."""
    if exc.reason in ("blocked_address", "blocked_domain", "too_large"):
        reason = exc.reason
    return RemoteActorError(reason, str(exc), url=url)


async def signed_get(node: NodeContext, url: str) -> HttpResponse:
    """GET ``url`` asking for ActivityPub JSON, signed by the instance actor.

    Signs with draft-cavage first (what Mastodon verifies) and knocks again with RFC 9421 on a
    400/401: Fedify 2.3 builds the cavage ``(request-target)`` without the query string, so
    it refuses cavage GETs of ``?page=2`` while it accepts RFC 9421 ones.
    Any status is returned as is; a transport failure raises ``RemoteActorError`` (reason
    fetch_failed, blocked_address or too_large). Redirects are followed and re-signed.
    """
    key_id, private_key = await _signing_key(node)

    def cavage(
        method: str, target: str, headers: dict[str, str], body: bytes | None
    ) -> dict[str, str]:
        return sign_cavage(
            method, target, headers, body, key_id=key_id, private_key=private_key, now=time.time()
        )

    def rfc9421(
        method: str, target: str, headers: dict[str, str], body: bytes | None
    ) -> dict[str, str]:
        return sign_rfc9421(
            method, target, headers, body, key_id=key_id, private_key=private_key, now=time.time()
        )

    gate = active_gate()
    if gate is not None:
        return await _key_get(node, gate, url, (cavage, rfc9421))
    return await _get_twice(node.open_http(), url, (cavage, rfc9421))


async def _get_twice(
    client: HttpClient, url: str, signers: tuple[HttpSigner, HttpSigner]
) -> HttpResponse:
    try:
        response = await client.get(url, headers={"Accept": AP_ACCEPT}, signer=signers[0])
        if response.status in (400, 401):
            response = await client.get(url, headers={"Accept": AP_ACCEPT}, signer=signers[1])
    except FetchError as exc:
        raise fetch_failure(exc, url) from exc
    return response


async def _key_get(
    node: NodeContext, gate: KeyFetchGate, url: str, signers: tuple[HttpSigner, HttpSigner]
) -> HttpResponse:
    """A fetch for an inbox key lookup: the key client, one of the origin's slots, and the
    origin remembered as failed when it could not be reached (key_fetch.py)."""
    try:
        async with gate.slot(url):
            return await _get_twice(node.open_key_http(), url, signers)
    except KeyFetchBusy as exc:
        raise RemoteActorError("fetch_failed", str(exc), url=url) from exc
    except RemoteActorError as exc:
        if exc.reason in ("fetch_failed", "blocked_address"):
            gate.failed(url)
        raise


async def get_document(
    node: NodeContext, url: str, budget: FetchBudget | None
) -> tuple[dict[str, Any], str]:
    """Fetch an ActivityPub document: status, content type and JSON checked, id NOT checked.

    Returns the document and the final URL (after redirects).
    """
    require_url(url)
    if is_local(node, url):
        raise RemoteActorError("local", f"{url} is on this node: read it, do not fetch it", url=url)
    if not federates_with(node, url_host(url)):
        # Never fetched means never asked: a blocked server learns nothing from our requests.
        raise RemoteActorError(
            "blocked_domain",
            f"{url_host(url)} is blocked on this node; not fetching {url}",
            url=url,
        )
    if budget is not None:
        budget.take(url)
    response = await signed_get(node, url)
    status = response.status
    if status == 404:
        raise RemoteActorError("not_found", f"{url} does not exist (404)", url=url, status=status)
    if status == 410:
        raise RemoteActorError("gone", f"{url} is gone (410)", url=url, status=status)
    if not 200 <= status < 300:
        raise RemoteActorError("fetch_failed", f"{url} answered {status}", url=url, status=status)
    content_type = response.headers.get("Content-Type", "")
    if not is_activitypub_media_type(content_type):
        raise RemoteActorError(
            "bad_content_type",
            f"{url} answered with Content-Type {content_type[:100]!r}, not ActivityPub JSON "
            f"(application/activity+json or application/ld+json with the ActivityStreams profile)",
            url=url,
        )
    try:
        document = response.json()
    except FetchError as exc:
        raise RemoteActorError("bad_document", str(exc), url=url) from exc
    if not isinstance(document, dict):
        raise RemoteActorError("bad_document", f"{url} did not answer a JSON object", url=url)
    return document, response.url


def check_id(document: dict[str, Any], url: str, final_url: str) -> str:
    """The document's id if it is the URL fetched (or the redirect target on the same host)."""
    ident = document.get("id")
    if ident == url:
        return url
    if final_url != url and ident == final_url and url_host(final_url) == url_host(url):
        return final_url
    raise RemoteActorError(
        "id_mismatch",
        f"the document at {url} has id {str(ident)[:200]!r}; it is refused because its id "
        f"must be the URL it was fetched from",
        url=url,
    )


async def fetch_object(
    node: NodeContext, url: str, *, budget: FetchBudget | None = None
) -> dict[str, Any]:
    """Fetch any ActivityPub object by id (signed GET) and return it, validated.

    Refused (``RemoteActorError``): a non-ActivityPub content type, an ``id`` other than
    ``url`` (after redirects, only a same-host target), a non-2xx status (404 not_found,
    410 gone, others fetch_failed with ``status``), a URL of this node (local), or a spent
    ``budget`` (budget_exhausted). Each call takes one fetch from ``budget``.
    """
    document, final_url = await get_document(node, url, budget)
    check_id(document, url, final_url)
    return document
