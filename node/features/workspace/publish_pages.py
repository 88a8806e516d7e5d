"""The publishing forms for new things: an event (or a session of a conference), a repeating
event, a call for collaboration, news. One form per kind, four buttons: Preview (the form again
with the Markdown rendered and what followers will see), Save as draft, Schedule, Publish now.

Publishing goes through the publishing service the API uses; its FieldErrors come back beside
the field in an organizer's words (form_errors.py), and nothing is stored.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select
from starlette.responses import Response

from node.content.fields import FieldError
from node.db import session_scope
from node.features.publishing.moved import ActorMoved
from node.features.publishing.service import AHEAD, MAX_AHEAD
from node.features.workspace import categories, drafts
from node.features.workspace.desk import Desk, not_yours, staff_page
from node.features.workspace.form_errors import field_errors
from node.features.workspace.form_images import attached_image
from node.features.workspace.form_kit import default_zone, posted, preview, publish_time, zones
from node.features.workspace.form_source import RULES, to_source, to_values
from node.models import Draft, Item, LocalActor
from node.web import i18n
from node.web.i18n import N_

TITLES = {
    "event": N_("New event"),
    "series": N_("New repeating event"),
    "call": N_("New call for collaboration"),
    "news": N_("New news item"),
}
SESSION_TITLE = N_("New session of the conference")


def render_form(
    desk: Desk, kind: str, values: dict[str, str], errors: dict[str, str], **extra: Any
) -> Response:
    """The form of ``kind`` (new, or editing an item when ``item`` is given)."""
    status = 422 if errors else 200
    title = SESSION_TITLE if values.get("parent") and kind == "event" else TITLES[kind]
    context: dict[str, Any] = {
        "kind": kind, "values": values, "errors": errors,
        "zone_options": [(z, z.replace("_", " ")) for z in zones()],
        "category_options": categories.options(desk.lang),
        "rules": {key: desk.gettext(rule) for key, rule in RULES.items()},
        "title": desk.gettext(title), "ahead_options": ahead_options(desk.lang),
        "form_action": f"{desk.base}/publish/new/{kind}", "item": None, "preview": None,
    }  # fmt: skip
    return desk.render("workspace/publish_form.html", status, **(context | extra))


def ahead_options(lang: str) -> list[tuple[str, str]]:
    """How many dates of a series to publish ahead, in words."""
    catalogue = i18n.translations(lang)
    return [
        (str(n), catalogue.ngettext("the next date", "the next %(num)d dates", n) % {"num": n})
        for n in (1, 2, 3, 4, 6, MAX_AHEAD)
    ]


def _kind(desk: Desk) -> str | None:
    kind = str(desk.request.path_params.get("kind", ""))
    return kind if kind in TITLES else None


def own_draft(session: Session, actor: LocalActor, ident: str) -> Draft | None:
    """The actor's draft numbered ``ident`` (None for anyone else's, or a bad number)."""
    draft = session.get(Draft, int(ident)) if ident.isdigit() and len(ident) < 12 else None
    return draft if draft is not None and draft.actor_id == actor.id else None


def conference(session: Session, desk: Desk, ap_id: str) -> Item | None:
    """The actor's event a session is added to (None when it is not one of theirs)."""
    item = session.exec(select(Item).where(Item.ap_id == ap_id)).first() if ap_id else None
    ok = item is not None and item.actor_id == desk.actor.id and item.kind == "event"
    return item if ok else None


@staff_page(role="editor")
def new_form(desk: Desk) -> Response:
    """An empty form (``?parent=`` a conference's id: a session of it; ``?draft=`` a draft)."""
    kind = _kind(desk)
    if kind is None:
        return not_yours(desk.request)
    query = desk.request.query_params
    with Session(desk.engine) as session:
        values = {"timezone": default_zone(session, desk.actor), "recurrence.ahead": str(AHEAD)}
        parent = conference(session, desk, query.get("parent", "")[:2048])
        if parent is not None and kind == "event":
            values |= {"parent": parent.ap_id, "timezone": str(parent.source.get("timezone"))}
        draft = own_draft(session, desk.actor, query.get("draft", ""))
        if draft is not None:
            if draft.kind != kind:
                return not_yours(desk.request)
            values = to_values(kind, draft.source) | {"draft_id": str(draft.id)}
            if draft.ahead is not None:
                values["recurrence.ahead"] = str(draft.ahead)
            values.setdefault("timezone", default_zone(session, desk.actor))
            problem = {"": drafts.problem_words(draft.problem, desk.lang)} if draft.problem else {}
            return render_form(desk, kind, values, {}, problem=problem)
    return render_form(desk, kind, values, {})


def _ahead(kind: str, values: dict[str, str]) -> int | None:
    text = values.get("recurrence.ahead", "")
    return int(text) if kind == "series" and text.isdigit() and len(text) < 4 else None


def _store(desk: Desk, kind: str, values: dict[str, str], source: dict[str, Any]) -> Response:
    action, ahead = values.get("action", "publish"), _ahead(kind, values)
    with session_scope(desk.engine) as session:
        actor = session.get(LocalActor, desk.actor.id)
        assert actor is not None
        draft = own_draft(session, actor, values.get("draft_id", ""))
        if action == "draft":
            drafts.save(session, actor, kind, source, draft, ahead)
            return desk.redirect("/publish", done="draft")
        if action == "schedule":
            drafts.schedule(session, actor, kind, source, draft, publish_time(values), ahead)
            return desk.redirect("/publish", done="scheduled")
        item = drafts.publish(session, desk.node, actor, kind, source, ahead)
        if draft is not None:
            session.delete(draft)
        uid = desk.node.urls.item_uid(item.ap_id)
    desk.node.notify_work()
    return desk.redirect(f"/publish/items/{uid}", done="published")


@staff_page(role="editor")
def submit_new(desk: Desk) -> Response:
    """Preview, save as a draft, schedule or publish a new item."""
    kind = _kind(desk)
    if kind is None:
        return not_yours(desk.request)
    values = posted(desk, kind)
    if kind == "series":
        values.setdefault("recurrence.ahead", str(AHEAD))
    source = to_source(kind, values)
    try:
        image = attached_image(desk, "image")
        if image is not None:
            source["image"] = image
        if values.get("action") == "preview":
            with Session(desk.engine) as session:
                parent = conference(session, desk, values.get("parent", ""))
            shown = preview(desk, kind, source, parent=parent)
            return render_form(desk, kind, values, {}, preview=shown)
        return _store(desk, kind, values, source)
    except FieldError as error:
        return render_form(desk, kind, values, field_errors(error, lang=desk.lang))
    except ActorMoved as moved:  # the whole form, not one field: the summary links to the top
        return render_form(desk, kind, values, {"": moved.in_language(desk.lang)})
