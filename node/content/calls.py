"""Calls for collaboration as ActivityStreams: a ``Note`` carrying FEP-0837 ``Proposal`` data.

FEP-0837 (Federated Marketplace) describes offers and requests with ValueFlows: ``purpose``
(offer or request) and ``publishes``, the primary ``Intent`` ({action, resourceConformsTo,
resourceQuantity {hasUnit, hasNumericalValue}, availableQuantity}). It says a proposal SHOULD be
typed ``Proposal`` but MAY use an ActivityStreams type such as ``Note`` for interoperability, and
that software without marketplace features may show it like a ``Note``. We use ``Note`` because
Mastodon shows a Note's whole ``content`` (an ``Article`` or unknown type would be cut down to the
name and a link), and keep the Proposal terms alongside for software that understands them.

So ``content`` must read well on its own: it says offer or need, what, where and until when, then
the author's description, then where to answer. A Note has no ``summary`` here: Mastodon would show
it as a content warning hiding the post. Quantities are strings, as in FEP-0837's examples.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from node.activitypub.vocab import AS_CONTEXT, iso
from node.content.envelope import Publication, without_nulls
from node.content.events import EVENT_TERMS
from node.content.fields import CallInput, Quantity
from node.content.i18n import language_map
from node.content.markdown import escape, link, render
from node.content.places import place_object
from node.content.summary import format_moment

__all__ = ["CALL_TERMS", "call_content_html", "call_context", "call_object", "quantity_text"]

CALL_TERMS: dict[str, Any] = {
    "vf": "https://w3id.org/valueflows/ont/vf#",
    "om2": "http://www.ontology-of-units-of-measure.org/resource/om-2/",
    "Proposal": "vf:Proposal",
    "Intent": "vf:Intent",
    "purpose": "vf:purpose",
    "publishes": "vf:publishes",
    "unitBased": "vf:unitBased",
    "action": "vf:action",
    "resourceConformsTo": {"@id": "vf:resourceConformsTo", "@type": "@id"},
    "resourceQuantity": "vf:resourceQuantity",
    "availableQuantity": "vf:availableQuantity",
    "hasUnit": "om2:hasUnit",
    "hasNumericalValue": "om2:hasNumericalValue",
    # ValueFlows' end of a proposal's validity: the call's deadline.
    "hasEnd": {"@id": "vf:hasEnd", "@type": "http://www.w3.org/2001/XMLSchema#dateTime"},
}
_PLACE_TERMS = (
    "schema",
    "Hashtag",
    "PostalAddress",
    "address",
    "streetAddress",
    "postalCode",
    "addressLocality",
    "addressRegion",
    "addressCountry",
    "VirtualLocation",
)


def call_context() -> list[Any]:
    """The ``@context`` of a call: ActivityStreams plus inline ValueFlows and place terms."""
    terms = {key: EVENT_TERMS[key] for key in _PLACE_TERMS} | CALL_TERMS
    return [AS_CONTEXT, terms]


def _decimal_text(quantity: Quantity) -> str | None:
    return None if quantity.value is None else format(quantity.value, "f")


def quantity_text(quantity: Quantity) -> str:
    """``10`` (unit ``one``), ``40 hour``; empty when there is no amount."""
    value = _decimal_text(quantity)
    if value is None:
        return ""
    return value if quantity.unit == "one" else f"{value} {quantity.unit}"


def _where(inp: CallInput) -> str | None:
    bits: list[str] = []
    place = inp.location.place if inp.location else None
    if place is not None:
        if place.name:
            bits.append(escape(place.name))
        if place.address is not None and place.address.address_locality:
            bits.append(escape(place.address.address_locality))
    if inp.region:
        bits.append(escape(inp.region))
    if inp.location is not None and inp.location.online_url:
        bits.append("online: " + link(inp.location.online_url))
    return ", ".join(bits) or None


def call_content_html(
    inp: CallInput, *, url: str, tag_href: Callable[[str], str], language: str | None = None
) -> str:
    """The text Mastodon shows: what is offered or needed, where, until when, the description,
    where to answer, and the hashtags as links (Mastodon only links hashtags found in content).
    With ``language``, the title and description are taken from its translation if there is one.
    (Mastodon does not show a Note's ``name``, so the title is the first line.)"""
    amount = quantity_text(inp.quantity) if inp.quantity else ""
    # A bare "(25)" after the resource left readers guessing what the number was.
    what = escape(inp.resource) + (f" (amount: {escape(amount)})" if amount else "")
    name = inp.name_map.get(language, inp.name) if language else inp.name
    markdown = inp.content_map.get(language, inp.content) if language else inp.content
    lines = [
        escape(name),
        ("We offer: " if inp.purpose == "offer" else "We need: ") + what,
    ]
    where = _where(inp)
    if where:
        lines.append("Where: " + where)
    if inp.deadline is not None:
        lines.append("Until: " + escape(format_moment(inp.deadline, inp.timezone)))
    html = "".join(f"<p>{line}</p>" for line in lines)
    html += render(markdown)
    # The page has a form, and a reply from the reader's own account reaches the organization
    # too: say both, so nobody lands on the page looking for an "Answer" button.
    html += "<p>Reply to this post to answer, or use the form: " + link(url) + "</p>"
    if inp.tags:
        tags = " ".join(
            f'<a href="{escape(tag_href(t))}" class="mention hashtag" rel="tag">#<span>{escape(t)}</span></a>'
            for t in inp.tags
        )
        html += f"<p>{tags}</p>"
    return html


def _intent(inp: CallInput, ident: str) -> dict[str, Any]:
    quantity = inp.quantity or Quantity()
    amount: dict[str, Any] = {"hasUnit": quantity.unit}
    value = _decimal_text(quantity)
    if value is not None:
        amount["hasNumericalValue"] = value
    intent: dict[str, Any] = {
        "id": f"{ident}#primary",
        "type": "Intent",
        "action": inp.action,
        "name": inp.resource,
        "resourceQuantity": amount,
    }
    if inp.resource_conforms_to:
        intent["resourceConformsTo"] = inp.resource_conforms_to
    if inp.purpose == "offer" and value is not None:
        intent["availableQuantity"] = dict(amount)
    return intent


def _location(inp: CallInput) -> Any:
    loc = inp.location
    if loc is not None and loc.place is not None:
        return place_object(loc.place)
    if inp.region:
        return {"type": "Place", "name": inp.region}
    if loc is not None and loc.online_url:
        return {
            "type": "VirtualLocation",
            "name": loc.online_name or "Online",
            "url": loc.online_url,
        }
    return None


def call_object(inp: CallInput, pub: Publication) -> dict[str, Any]:
    """The ActivityStreams ``Note`` (with FEP-0837 ``Proposal`` data) for a call.

    ``pub`` says where it is published. The primary intent's id is ``ident#primary`` as FEP-0837
    recommends.
    """
    url, tag_href = pub.url, pub.tag_href
    doc: dict[str, Any] = pub.head(call_context(), "Note")
    content = call_content_html(inp, url=url, tag_href=tag_href)
    lang = inp.language
    translations = {
        key: call_content_html(inp, url=url, tag_href=tag_href, language=key)
        for key in dict.fromkeys([*inp.name_map, *inp.content_map])
    }
    doc |= {
        "name": inp.name,
        "nameMap": language_map(lang, inp.name, inp.name_map),
        "content": content,
        "contentMap": language_map(lang, content, translations),
        "purpose": inp.purpose,
        "publishes": _intent(inp, pub.ident),
        "unitBased": False,
        "location": _location(inp),
        "hasEnd": iso(inp.deadline) if inp.deadline else None,
        **pub.envelope(inp.tags, inp.image),
    }
    return without_nulls(doc)
