"""The organization profile page's sections and details, in the reader's language."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from node.content import essglobal
from node.features.publishing import listings
from node.features.publishing import page_data as item_view
from node.models import LocalActor
from node.urls import Urls
from node.web import messages


def profile_context(
    session: Session,
    urls: Urls,
    actor: LocalActor,
    asked: str | None,
    accept: str,
    *,
    with_sections: bool = True,
) -> dict[str, Any]:
    """Upcoming events, calls and news (a few each, with links to the full lists), and the
    profile's website, place and ESSGlobal classification with labels. ``with_sections=False``
    for a page that lists the actor's items its own way (a network's profile): its sections'
    four queries are not run."""
    lang = item_view.choose_language(asked, accept, ())
    profile = actor.profile or {}
    labels = []
    for scheme, iris in (profile.get("essglobal") or {}).items():
        for iri in iris:
            try:
                labels.append(
                    {"scheme": scheme, "iri": iri, "label": essglobal.label(iri, lang.ui)}
                )
            except KeyError:  # a code list changed since it was stored
                continue
    sections = []
    titles = {"events": "upcoming_events", "calls": "calls", "news": "news"}
    t = messages.translator(lang.ui)
    found = listings.profile_sections(session, actor) if with_sections else {}
    for name, listing in found.items():
        sections.append(
            {
                "name": name,
                "title": t[titles[name]],
                "cards": [item_view.card(i, lang.content) for i in listing.items],
                "more": urls.profile_section(actor.slug, name) if listing.items else None,
            }
        )
    place = ", ".join(p for p in (profile.get("region"), profile.get("country")) if p)
    return {
        "lang": lang.ui,
        "t": t,
        "alternates": item_view.switcher(lang, urls.profile(actor.slug)),
        "sections": sections,
        "classification": labels,
        "website": profile.get("website"),
        "place": place,
        "header_image": profile.get("image") if isinstance(profile.get("image"), dict) else None,
    }
