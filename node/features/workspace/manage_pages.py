"""What an organization has published and prepared, and the changes to one item: edit,
postpone, cancel, confirm again, delete. Each change shows first what followers will see (the
text Mastodon shows, and what happens to the people registered), then is made through the
publishing service on confirmation.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select
from starlette.responses import Response

from node.content.fields import EventInput, FieldError, merge
from node.content.markdown import render
from node.content.summary import status_change_html
from node.db import session_scope
from node.features.publishing import service
from node.features.publishing.service.build import build_document
from node.features.workspace import drafts
from node.features.workspace.desk import Desk, not_yours, staff_page
from node.features.workspace.form_errors import field_errors
from node.features.workspace.form_images import attached_image
from node.features.workspace.form_kit import followers_view, posted
from node.features.workspace.form_source import patch_for, to_source, to_values
from node.features.workspace.publish_pages import render_form
from node.models import Draft, Item, LocalActor
from node.urls import is_uid
from node.web.i18n import N_

KINDS = ("event", "call", "news")
# What a change of status is called on the buttons, and what it tells the people registered
# (marked for the catalogue; the templates show them with ``translated``).
STATUSES = {
    "postponed": (N_("Postpone"), N_("Their registration stays; they are told the event is "
                                     "postponed and will see the new date when you set one.")),
    "cancelled": (N_("Cancel"), N_("Their registration stays on record, but the event will not "
                                   "take place: calendars and Mobilizon show it as cancelled.")),
    "scheduled": (N_("Confirm again"), N_("Their registration stays; they are told the event "
                                          "takes place after all.")),
}  # fmt: skip


@staff_page(role="editor")
def overview(desk: Desk) -> Response:
    """The organization's published items (newest first) and its drafts."""
    with Session(desk.engine) as session:
        items = session.exec(
            select(Item)
            .where(Item.actor_id == desk.actor.id, col(Item.kind).in_(KINDS),
                   col(Item.deleted_at).is_(None), col(Item.parent_id).is_(None))
            .order_by(col(Item.id).desc())
            .limit(200)
        ).all()  # fmt: skip
        prepared = session.exec(
            select(Draft).where(Draft.actor_id == desk.actor.id).order_by(col(Draft.id).desc())
        ).all()
    rows = [(i, desk.node.urls.item_uid(i.ap_id)) for i in items]
    problems = {d.id: drafts.problem_words(d.problem, desk.lang) for d in prepared if d.problem}
    return desk.render("workspace/publish_list.html", items=rows, drafts=prepared,
                       problems=problems)  # fmt: skip


def _item(session: Session, desk: Desk) -> Item | None:
    uid = str(desk.request.path_params.get("uid", ""))
    if not is_uid(uid):
        return None
    item = session.exec(select(Item).where(Item.ap_id == desk.node.urls.item(uid))).first()
    ok = item is not None and item.actor_id == desk.actor.id and item.kind in KINDS
    return item if ok and item is not None and item.deleted_at is None else None


def _registered(item: Item) -> int:
    return int(item.document.get("participantCount", 0) or 0)


@staff_page(role="editor")
def item_page(desk: Desk) -> Response:
    """One item: its status, its sessions (a conference's programme) and what can be done."""
    with Session(desk.engine) as session:
        item = _item(session, desk)
        if item is None:
            return not_yours(desk.request)
        sessions = session.exec(
            select(Item)
            .where(Item.parent_id == item.id, Item.kind == "event", col(Item.deleted_at).is_(None))
            .order_by(col(Item.start_time))
        ).all()
    uid = desk.node.urls.item_uid(item.ap_id)
    return desk.render("workspace/publish_item.html", item=item, uid=uid,
                       sessions=[(s, desk.node.urls.item_uid(s.ap_id)) for s in sessions],
                       item_status=item.source.get("status", "scheduled"),
                       statuses={key: (desk.gettext(verb), desk.gettext(told))
                                 for key, (verb, told) in STATUSES.items()},
                       registered=_registered(item))  # fmt: skip


def _edit_context(desk: Desk, item: Item, uid: str | None) -> dict[str, Any]:
    return {"item": item, "item_uid": uid, "form_action": f"{desk.base}/publish/items/{uid}/edit",
            "title": desk.gettext(N_("Edit: %(name)s"), name=item.document.get("name", ""))}  # fmt: skip


@staff_page(role="editor")
def edit_form(desk: Desk) -> Response:
    """The item's form, filled with what it says now."""
    with Session(desk.engine) as session:
        item = _item(session, desk)
    if item is None:
        return not_yours(desk.request)
    try:
        inp: Any = service.validate(item.kind, item.source)
    except FieldError:
        inp = None
    values = to_values(item.kind, item.source, inp)
    uid = desk.node.urls.item_uid(item.ap_id)
    return render_form(desk, item.kind, values, {}, **_edit_context(desk, item, uid))


def _change_preview(item: Item, patch: dict[str, Any]) -> dict[str, Any]:
    """What followers will see after the change (and the reply note a change of status or date
    sends); FieldError when the changed item does not validate."""
    new = service.validate(item.kind, merge(item.source, patch))
    try:
        old: Any = service.validate(item.kind, item.source)
    except FieldError:
        old = None
    changed = service.status_change(old, new)
    url = str(item.document.get("url", item.ap_id))
    note = status_change_html(changed, url=url) if changed is not None else ""
    return {"note_html": note, "new": new, "registered": _registered(item)}


def _apply(desk: Desk, item_id: int | None, patch: dict[str, Any], done: str) -> Response:
    with session_scope(desk.engine) as session:
        item = session.get(Item, item_id)
        actor = session.get(LocalActor, desk.actor.id)
        assert item is not None and actor is not None
        service.update_item(session, desk.node, actor, item, patch)
        uid = desk.node.urls.item_uid(item.ap_id)
    desk.node.notify_work()
    return desk.redirect(f"/publish/items/{uid}", done=done)


@staff_page(role="editor")
def submit_edit(desk: Desk) -> Response:
    """Preview the edit (what followers will see), or send it (an Update to the followers)."""
    with Session(desk.engine) as session:
        item = _item(session, desk)
    if item is None:
        return not_yours(desk.request)
    values = posted(desk, item.kind)
    uid = desk.node.urls.item_uid(item.ap_id)
    extra = _edit_context(desk, item, uid)
    try:
        source = to_source(item.kind, values)
        image = attached_image(desk, "image")
        if image is not None:
            source["image"] = image
        patch = patch_for(item.kind, item.source, source)
        if values.get("action") != "save":
            change = _change_preview(item, patch)
            doc = build_document(
                desk.node, desk.actor, item.kind, change["new"], ident=item.ap_id,
                published=item.published, updated=service.now_seconds(),
            )  # fmt: skip
            content_html = render(str(source.get("content", "")))
            shown = followers_view(doc) | {"note_html": change["note_html"],
                                           "content_html": content_html}  # fmt: skip
            return render_form(desk, item.kind, values, {}, preview=shown, **extra)
        return _apply(desk, item.id, patch, "updated")
    except FieldError as error:
        return render_form(desk, item.kind, values, field_errors(error, lang=desk.lang), **extra)


@staff_page(role="editor")
def change_status(desk: Desk) -> Response:
    """Postpone, cancel or confirm again an event: first what followers will see, then (with
    ``confirm``) the change itself."""
    with Session(desk.engine) as session:
        item = _item(session, desk)
    status = desk.field("status", 20)
    if item is None or item.kind != "event" or status not in STATUSES:
        return not_yours(desk.request)
    patch = {"status": status}
    if desk.field("confirm", 10) == "yes":
        return _apply(desk, item.id, patch, "scheduled-again" if status == "scheduled" else status)
    change = _change_preview(item, patch)
    assert isinstance(change["new"], EventInput)
    return desk.render("workspace/publish_confirm.html", item=item,
                       uid=desk.node.urls.item_uid(item.ap_id), new_status=status,
                       verb=desk.gettext(STATUSES[status][0]),
                       consequence=desk.gettext(STATUSES[status][1]), **change)  # fmt: skip


@staff_page(role="editor")
def delete_confirm(desk: Desk) -> Response:
    """What deleting does, before it is done."""
    with Session(desk.engine) as session:
        item = _item(session, desk)
        if item is None:
            return not_yours(desk.request)
        sessions = session.exec(
            select(Item.id).where(Item.parent_id == item.id, col(Item.deleted_at).is_(None))
        ).all()
    return desk.render("workspace/publish_delete.html", item=item,
                       uid=desk.node.urls.item_uid(item.ap_id), children=len(sessions),
                       registered=_registered(item))  # fmt: skip


@staff_page(role="editor")
def delete(desk: Desk) -> Response:
    """Delete the item (its sessions too): a Delete goes to the followers."""
    with session_scope(desk.engine) as session:
        item = _item(session, desk)
        actor = session.get(LocalActor, desk.actor.id)
        if item is None or actor is None:
            return not_yours(desk.request)
        parent = session.get(Item, item.parent_id) if item.parent_id else None
        service.delete_item(session, desk.node, actor, item)
        back = f"/publish/items/{desk.node.urls.item_uid(parent.ap_id)}" if parent else "/publish"
    desk.node.notify_work()
    return desk.redirect(back, done="deleted")


@staff_page(role="editor")
def delete_draft(desk: Desk) -> Response:
    """Throw a draft away (nothing was ever sent for it)."""
    with session_scope(desk.engine) as session:
        ident = desk.field("draft_id", 12)
        draft = session.get(Draft, int(ident)) if ident.isdigit() else None
        if draft is None or draft.actor_id != desk.actor.id:
            return not_yours(desk.request)
        session.delete(draft)
    return desk.redirect("/publish", done="draft-deleted")
