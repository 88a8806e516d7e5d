"""What an event page offers besides its facts: add to calendar (our ``.ics`` of the one event,
Google and Outlook links), share links, and the zone's UTC offset for the times shown.

Built from the event's public view (node/content/places.py ``public_view``): an approval-only
event's online link is in none of them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from node.content.fields import EventInput
from node.web.i18n import N_
from node.web.render import SECURITY_HEADERS

__all__ = ["EVENT_PAGE_HEADERS", "TEXTS", "links", "utc_offset"]

# Event pages run one script of ours (static/localtime.js: the visitor's own time), nothing else.
EVENT_PAGE_HEADERS: dict[str, str | None] = {
    "Content-Security-Policy": SECURITY_HEADERS["Content-Security-Policy"] + "; script-src 'self'"
}

# The page's strings for these links and the registration pages: the English, marked for the
# gettext catalogue; messages.localized(TEXTS, lang) gives them in the reader's language.
TEXTS = {
    "add_to_calendar": N_("Add to calendar"),
    "ics_download": N_("Download (.ics)"),
    "share": N_("Share"),
    "share_email": N_("By e-mail"),
    "page_address": N_("This page's address"),
    "online_private": N_(
        "The online link is given to approved participants on their registration page."
    ),
    "your_registration": N_("Your registration"),
    "registration_accepted": N_("Thank you, you are registered."),
    "registration_pending": N_(
        "Thank you: the organizer will confirm your registration. Come "
        "back to this page to see when it is confirmed."
    ),
    "registration_rejected": N_("The organizer could not accept this registration."),
    "registration_unconfirmed": N_(
        "One more step: confirm your registration with the button below. Until then it does "
        "not count."
    ),
    "registration_check_mail": N_(
        "Almost there: we sent a link to {email}. Open it and confirm within two days; until "
        "then your registration does not count."
    ),
    "registration_expired": N_("This confirmation link expired. Please register again."),
    "confirm_registration": N_("Confirm my registration"),
    "error_email_needed": N_("Give your e-mail address: we send you a link to confirm."),
    "registration_left": N_("You cancelled this registration."),
    "registration_duplicate": N_(
        "You are already registered for this event: one registration "
        "per person. To see or cancel it, use the link you were given when you registered."
    ),
    "keep_this_link": N_(
        "Keep this page's address: it is your link to see or cancel your "
        "registration. Anyone who has it can cancel it."
    ),
    "no_email": N_("No e-mail will come from this node: it does not send e-mail."),
    "email_sent": N_("A confirmation with this link is on its way to {email}."),
    "online_link": N_("Online link"),
    "cancel_registration": N_("Cancel my registration"),
    "back_to_event": N_("Back to the event"),
    "registered_as": N_("Registered as"),
    "you_are_registered": N_("You are registered for this event from this browser:"),
    "your_time": N_("Your time"),
    "your_handle": N_("Your fediverse address (like you@your.server)"),
    "join_from_server": N_("Join from your server"),
    "session_optional": N_(
        "Registered for {conference}? That covers its sessions: registering "
        "for this one is optional (it helps the organizer plan the room)."
    ),
    "interact_continue": N_(
        "Your server, {host}, will show you this event: follow or join it there."
    ),
    "interact_go": N_("Continue on {host}"),
}


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def utc_offset(inp: EventInput) -> str:
    """``UTC+02:00`` for the event's start in its own zone (``UTC`` for zero)."""
    offset = inp.start_time.astimezone(inp.zone).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _where(inp: EventInput) -> str:
    loc = inp.location
    if loc is None:
        return ""
    place = loc.place
    if place is not None and inp.status != "movedOnline":
        a = place.address
        parts = [place.name, a.street_address, a.address_locality] if a else [place.name]
        return ", ".join(p for p in parts if p)
    return loc.online_url or ""


def links(inp: EventInput, title: str, page_url: str, item_url: str) -> dict[str, Any]:
    """Calendar and share links of a (public view of an) event."""
    where = _where(inp)
    google = {
        "action": "TEMPLATE",
        "text": title,
        "dates": f"{_stamp(inp.start_time)}/{_stamp(inp.end_time)}",
        "details": page_url,
        "location": where,
        "ctz": inp.timezone,
    }
    outlook = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": title,
        "startdt": inp.start_time.isoformat(),
        "enddt": inp.end_time.isoformat(),
        "body": page_url,
        "location": where,
    }
    # mailto: wants %20 for spaces, not "+" (RFC 6068)
    mail = f"subject={quote(title, safe='')}&body={quote(page_url, safe='')}"
    return {
        "ics": f"{item_url}/event.ics",
        "google": "https://calendar.google.com/calendar/render?" + urlencode(google),
        "outlook": "https://outlook.live.com/calendar/0/deeplink/compose?" + urlencode(outlook),
        "mail": f"mailto:?{mail}",
        "page": page_url,
        "offset": utc_offset(inp),
    }
