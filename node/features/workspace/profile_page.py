"""The profile editor: what followers and visitors see of the organization (admins only).

It edits through the profile service the API uses (node/features/profiles/editing.py), so the
same validation applies and followers get the same actor ``Update``. The ESSGlobal
classification is picked from the bundled code lists, shown by their labels in the
organizer's language where the lists have them (else English); countries by CLDR's names.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from babel import Locale
from sqlmodel import Session
from starlette.responses import Response

from node.content import essglobal
from node.content.fields import FieldError
from node.db import session_scope
from node.features.profiles.editing import profile_input, update_profile
from node.features.workspace.desk import Desk, staff_page
from node.features.workspace.form_errors import field_errors
from node.features.workspace.form_images import attached_image
from node.features.workspace.form_kit import zones
from node.federation.actors.documents import MAX_FIELDS
from node.models import LocalActor
from node.web import i18n
from node.web.i18n import N_

TEXTS = ("name", "description", "website", "region", "country", "latitude", "longitude",
         "timezone")  # fmt: skip
# What the profile's fields are called where they differ from the publishing forms'.
LABELS = {"name": N_("the name"), "image": N_("the header image"), "region": N_("the region")}
SCHEMES = ("economicSector", "legalForm", "organisationalStructure", "baseMembershipType",
           "qualifier")  # fmt: skip


@cache
def countries(lang: str = "en") -> tuple[tuple[str, str], ...]:
    """ISO 3166-1 alpha-2 codes with their names in ``lang`` (CLDR's, through Babel), by name."""
    names = Locale.parse(i18n.ui_language(lang)).territories
    return tuple(sorted(((c, n) for c, n in names.items() if len(c) == 2 and c.isalpha()),
                        key=lambda pair: pair[1].casefold()))  # fmt: skip


@cache
def pick_lists(lang: str = "en") -> tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...]:
    """(property, its title, ((concept IRI, label)…)) for each ESSGlobal property, in ``lang``
    where the code lists have it, else in English."""
    ui = i18n.ui_language(lang)
    lists = []
    for scheme in essglobal.schemes():
        options = tuple(
            (c.iri, essglobal.label(c.iri, ui)) for c in essglobal.concepts(scheme.name)
        )
        title = scheme.title.get(ui) or scheme.title.get("en", scheme.name)
        lists.append((scheme.name, title, options))
    return tuple(lists)


def _values(data: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {k: str(data[k]) for k in TEXTS if data.get(k) is not None}
    for index, entry in enumerate((data.get("fields") or [])[:MAX_FIELDS]):
        values[f"fields.{index}.name"] = entry.get("name", "")
        values[f"fields.{index}.value"] = entry.get("value", "")
    values["essglobal"] = {k: list(v) for k, v in (data.get("essglobal") or {}).items()}
    return values


def _render(desk: Desk, values: dict[str, Any], errors: dict[str, str]) -> Response:
    return desk.render("workspace/profile.html", 422 if errors else 200, values=values,
                       errors=errors, countries=countries(desk.lang), pick_lists=pick_lists(desk.lang),
                       max_fields=MAX_FIELDS,
                       zone_options=[(z, z.replace("_", " ")) for z in zones()])  # fmt: skip


@staff_page(role="admin")
def profile_form(desk: Desk) -> Response:
    """The profile as it is now."""
    with Session(desk.engine) as session:
        actor = session.get(LocalActor, desk.actor.id)
        assert actor is not None
        values = _values(profile_input(actor))
    return _render(desk, values, {})


def _posted(desk: Desk) -> tuple[dict[str, Any], dict[str, Any]]:
    """The form's values (to show again) and the merge patch they make."""
    assert desk.form is not None
    values: dict[str, Any] = {k: desk.field(k, 6_000) for k in TEXTS}
    patch: dict[str, Any] = {k: values[k] or None for k in TEXTS}
    patch["name"] = values["name"]  # an empty name is refused, not removed
    for key in ("latitude", "longitude"):
        if values[key]:
            try:
                patch[key] = float(values[key])
            except ValueError:
                patch[key] = values[key]  # the validator says it must be a number
    fields = []
    for index in range(MAX_FIELDS):
        name, value = desk.field(f"fields.{index}.name", 300), desk.field(f"fields.{index}.value")
        values[f"fields.{index}.name"], values[f"fields.{index}.value"] = name, value
        if name or value:
            fields.append({"name": name, "value": value})
    patch["fields"] = fields or None
    chosen = {s: [str(v)[:300] for v in desk.form.getlist(f"essglobal.{s}")][:20] for s in SCHEMES}
    values["essglobal"] = chosen
    patch["essglobal"] = {s: iris or None for s, iris in chosen.items()}
    return values, patch


@staff_page(role="admin")
def save_profile(desk: Desk) -> Response:
    """Save the profile; followers get an Update when something changed."""
    values, patch = _posted(desk)
    try:
        for name in ("icon", "image"):
            image = attached_image(desk, name, profile=True)
            if image is not None:
                patch[name] = image
        with session_scope(desk.engine) as session:
            actor = session.get(LocalActor, desk.actor.id)
            assert actor is not None
            changed = update_profile(session, desk.node, actor, patch)
    except FieldError as error:
        return _render(desk, values, field_errors(error, LABELS, desk.lang))
    if changed:
        desk.node.notify_work()
    return desk.redirect("/profile", done="profile" if changed else "unchanged")
