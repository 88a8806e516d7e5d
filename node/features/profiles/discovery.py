"""WebFinger, host-meta and NodeInfo routes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func
from sqlmodel import Session, select
from starlette.requests import Request
from starlette.responses import Response

from node import __version__
from node.activitypub import nodeinfo, webfinger
from node.db import now_utc
from node.federation.actors.documents import actor_id
from node.federation.actors.local import get_actor, get_instance_actor
from node.models import Item, LocalActor
from node.web.render import ctx, json_error, json_response

CORS = {"Access-Control-Allow-Origin": "*"}


def webfinger_route(request: Request) -> Response:
    """``/.well-known/webfinger?resource=…``: acct: handles, actor URLs, and the instance actor."""
    node = ctx(request)
    try:
        resource = webfinger.parse_resource(request.query_params.get("resource", ""))
    except webfinger.WebFingerError as exc:
        return json_error(400, str(exc))
    settings = node.settings
    urls = node.urls
    with Session(node.engine) as session:
        actor: LocalActor | None = None
        if isinstance(resource, webfinger.Acct):
            if resource.host != settings.host.lower():
                return json_error(404, f"{resource.host} is not this server ({settings.host})")
            if resource.user in {settings.hostname, settings.host.lower()}:
                actor = get_instance_actor(session)  # FEP-d556: acct:host@host
            else:
                actor = get_actor(session, resource.user)
        else:
            target = resource.rstrip("/")
            if target == settings.base_url or target == urls.instance_actor:
                actor = get_instance_actor(session)  # FEP-d556: the origin URL
            else:
                for prefix in (urls.actor(""), urls.profile("")):
                    if target.startswith(prefix):
                        actor = get_actor(session, target[len(prefix) :])
                        break
    if actor is None:
        return json_error(404, "no such account on this server")
    ident = actor_id(urls, actor)
    if actor.kind == "application":
        subject = f"acct:{settings.hostname}@{settings.host}"
        profile = None
    else:
        subject = f"acct:{actor.slug}@{settings.host}"
        profile = urls.profile(actor.slug)
    doc = webfinger.jrd(
        subject,
        ident,
        profile_url=profile,
        aliases=[ident] + ([profile] if profile else []),
        subscribe_template=urls.subscribe_template(),
    )
    return json_response(doc, media_type=webfinger.JRD_TYPE, headers=CORS)


def host_meta_route(request: Request) -> Response:
    """``/.well-known/host-meta`` (XML) and ``host-meta.json``."""
    base = ctx(request).settings.base_url
    if request.url.path.endswith(".json"):
        return json_response(webfinger.host_meta_json(base), headers=CORS)
    return Response(webfinger.host_meta_xml(base), media_type="application/xrd+xml", headers=CORS)


def nodeinfo_discovery_route(request: Request) -> Response:
    """``/.well-known/nodeinfo``."""
    node = ctx(request)
    doc = nodeinfo.discovery(node.settings.base_url, node.urls.instance_actor)
    return json_response(doc, headers=CORS)


def nodeinfo_route(request: Request) -> Response:
    """``/nodeinfo/2.1``: counts of actors and posts."""
    node = ctx(request)
    now = now_utc()
    with Session(node.engine) as session:
        users = session.exec(
            select(func.count()).select_from(LocalActor).where(LocalActor.kind != "application")
        ).one()
        posts = session.exec(
            select(func.count()).select_from(Item).where(Item.deleted_at.is_(None))  # type: ignore[union-attr]
        ).one()

        def active_since(delta: timedelta) -> int:
            return int(
                session.exec(
                    select(func.count(func.distinct(Item.actor_id))).where(
                        Item.published >= now - delta
                    )
                ).one()
            )

        month = active_since(timedelta(days=30))
        halfyear = active_since(timedelta(days=180))
    doc = nodeinfo.nodeinfo_21(
        version=__version__,
        users=int(users),
        active_month=month,
        active_halfyear=halfyear,
        local_posts=int(posts),
        open_registrations=False,
        name=node.settings.instance_name,
        description=node.settings.instance_description,
    )
    return json_response(doc, media_type=nodeinfo.NODEINFO_21_PROFILE, headers=CORS)
