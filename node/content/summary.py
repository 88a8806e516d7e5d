"""The text Mastodon shows for our events and news.

Mastodon converts ``Event`` and ``Article`` into a post made of the bold ``name``, then ``summary``
as HTML, then a link to ``url``; ``content`` is ignored and event fields (start, end, location) are
never read (interop.md, "What Mastodon shows"). So the ``summary`` of an event must say, by
itself: when (with the zone), where (place, or the online link, or both), what it is in a
sentence, and how to take part; and the status and accessibility when they matter. Unless the
author wrote a summary, it is generated here, in English, as plain paragraphs (no bold: the name
above is already bold). Every piece of text is escaped: names can contain ``<`` and ``&``.

Mastodon keeps ``p``, ``br`` and ``a`` from remote HTML, which is all this module emits.

Older Mastodon ignores ``Update`` of converted types (it applies them since 4.5, and only when
``updated`` is newer), so a cancellation is also announced by a short ``Note`` replying to the
event: :func:`status_change_html` writes its text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from node.content.fields import EventInput, NewsInput, Recurrence, describe_days
from node.content.fields.types import Accessibility
from node.content.i18n import language_name
from node.content.markdown import (
    escape,
    first_sentence,
    link,
    plain_text_to_html,
    render,
    to_plain_text,
    truncate,
)

__all__ = [
    "ParentRef",
    "accessibility_text",
    "article_summary_html",
    "event_summary_html",
    "format_moment",
    "format_when",
    "recurrence_text",
    "status_change_html",
    "zone_abbreviation",
]

DESCRIPTION_MAX = 200
LEAD_MAX = 500
EN_DASH = "\u2013"  # between times, as typographers (and the Mastodon summary spec) want
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_STATUS_LINES = {
    "tentative": "To be confirmed: the date may still change.",
    "cancelled": "Cancelled: this event will not take place.",
    "postponed": "Postponed: it will not take place on the date below; a new date will be announced.",
    "rescheduled": "Rescheduled: note the new date.",
    "movedOnline": "Moved online: this event now takes place online only.",
}
_KIND_LABELS = {
    "story": "Story",
    "case-study": "Case study",
    "tool": "Tool",
    "announcement": "Announcement",
}


@dataclass(frozen=True, slots=True)
class ParentRef:
    """The event a session belongs to (a conference): its id, name and HTML page."""

    id: str
    name: str
    url: str


def _day(moment: datetime) -> str:
    # Our own names: strftime's %a/%b follow the process locale.
    return f"{_DAYS[moment.weekday()]} {moment.day} {_MONTHS[moment.month - 1]} {moment.year}"


def zone_abbreviation(moment: datetime) -> str:
    """The zone's short name at ``moment`` (CET, EDT), or ``UTC-05:00`` where it has none."""
    name = moment.tzname() or ""
    if not name or name[0] in "+-":
        # Fixed-offset zones (Etc/GMT+5) call themselves "-05": spell the offset out.
        minutes = int((moment.utcoffset() or timedelta(0)).total_seconds()) // 60
        sign = "+" if minutes >= 0 else "-"
        return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return name


def _zone_suffix(key: str) -> str:
    # "(America/New_York)" tells the reader which rules apply; Etc/GMT+5 would only confuse
    # (its sign is inverted) and UTC names itself already.
    return f" ({key})" if "/" in key and not key.startswith("Etc/") else ""


def format_when(start: datetime, end: datetime, zone: str) -> str:
    """A time range in its zone: ``Thu 17 Dec 2026, 18:00-20:00 EST (America/New_York)`` (with an en dash).

    Multi-day ranges name both days; when the abbreviation changes within the range (daylight
    saving time starts or ends) each end gets its own.
    """
    tz = ZoneInfo(zone)
    s, e = start.astimezone(tz), end.astimezone(tz)
    sa, ea = zone_abbreviation(s), zone_abbreviation(e)
    s_zone = "" if sa == ea else f" {sa}"
    if s.date() == e.date():
        text = f"{_day(s)}, {s:%H:%M}{s_zone}{EN_DASH}{e:%H:%M} {ea}"
    else:
        text = f"{_day(s)}, {s:%H:%M}{s_zone} {EN_DASH} {_day(e)}, {e:%H:%M} {ea}"
    return text + _zone_suffix(zone)


def format_moment(moment: datetime, zone: str) -> str:
    """One moment in a zone; a moment at 23:59:59 local (a deadline given as a date) is the date."""
    local = moment.astimezone(ZoneInfo(zone))
    if (local.hour, local.minute, local.second) == (23, 59, 59):
        return _day(local)
    return f"{_day(local)}, {local:%H:%M} {zone_abbreviation(local)}{_zone_suffix(zone)}"


def recurrence_text(rule: Recurrence, zone: str) -> str:
    """``Repeats monthly on the third Thursday, 12 times``."""
    unit = "month" if rule.frequency == "monthly" else "week"
    every = f"{rule.frequency}" if rule.interval == 1 else f"every {rule.interval} {unit}s"
    days = f" on the {describe_days(rule.by_day)}" if rule.by_day else ""
    if rule.frequency == "weekly" and rule.by_day:
        days = f" on {describe_days(rule.by_day)}"
    if rule.count is not None:
        end = f", {rule.count} times" if rule.count > 1 else ", once"
    elif rule.until is not None:
        end = f", until {_day(rule.until.astimezone(ZoneInfo(zone)))}"
    else:  # pragma: no cover - validated series always end
        end = ""
    return f"Repeats {every}{days}{end}"


def accessibility_text(access: Accessibility) -> str:
    """``live captioning; interpretation into Spanish and French; …`` (empty if nothing to say)."""
    parts = []
    if access.captioning:
        parts.append("live captioning")
    if access.sign_language:
        parts.append("sign language interpretation")
    if access.interpretation:
        names = [language_name(tag) for tag in access.interpretation]
        joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        parts.append(f"interpretation into {joined}")
    if access.wheelchair == "fully":
        parts.append("wheelchair accessible")
    elif access.wheelchair == "partially":
        parts.append("partly wheelchair accessible")
    elif access.wheelchair == "no":
        parts.append("not wheelchair accessible")
    if access.notes:
        parts.append(" ".join(access.notes.split()))
    return "; ".join(parts)


def _place_text(inp: EventInput) -> str | None:
    place = inp.location.place if inp.location else None
    if place is None or inp.status == "movedOnline":
        return None
    bits = [place.name] if place.name else []
    if place.address is not None:
        locality = place.address.address_locality or place.address.address_region
        if locality and locality != place.name:
            bits.append(locality)
        if not bits and place.address.street_address:
            bits.append(place.address.street_address)
        if not bits and place.address.address_country:
            bits.append(place.address.address_country)
    return ", ".join(bits) or None


def _take_part(inp: EventInput, url: str) -> str | None:
    if inp.status in ("cancelled", "postponed"):
        return None
    if inp.join_mode == "free":
        return f"Open to all — RSVP on the event page: {link(url)}"
    if inp.join_mode == "restricted":
        return f"Registration required: {link(url)}"
    if inp.join_mode == "external":
        assert inp.external_participation_url is not None
        return f"Register at: {link(inp.external_participation_url)}"
    if inp.join_mode == "invite":
        return f"By invitation only: {link(url)}"
    return "No registration needed"


def _paragraphs(lines: list[str | None]) -> str:
    return "".join(f"<p>{line}</p>" for line in lines if line)


def _status_line(inp: EventInput) -> str | None:
    line = _STATUS_LINES.get(inp.status)
    return escape(line) if line else None


def event_summary_html(inp: EventInput, *, url: str, parent: ParentRef | None = None) -> str:
    """The ``summary`` of an event: the author's text, or one generated from the data.

    The status line comes first even above an author's text (a follower must not miss a
    cancellation); ``url`` is the event's page, where people RSVP.
    """
    if inp.summary is not None:
        return _paragraphs([_status_line(inp)]) + plain_text_to_html(inp.summary)
    when = format_when(inp.start_time, inp.end_time, inp.timezone)
    lines: list[str | None] = [
        _status_line(inp),
        escape(("Was planned for: " if inp.status == "postponed" else "") + when),
    ]
    if inp.recurrence is not None:
        lines.append(escape(recurrence_text(inp.recurrence, inp.timezone)))
    place = _place_text(inp)
    if place:
        lines.append("Where: " + escape(place))
    if inp.location is not None and inp.location.online_url is not None:
        lines.append("Online: " + link(inp.location.online_url))
    if parent is not None:
        track = f" · Track: {escape(inp.track)}" if inp.track else ""
        lines.append(f"Part of: {link(parent.url, parent.name)}{track}")
    elif inp.track:
        lines.append("Track: " + escape(inp.track))
    if inp.speakers:
        lines.append(
            "With: "
            + ", ".join(link(s.url, s.name) if s.url else escape(s.name) for s in inp.speakers)
        )
    if inp.room is not None:
        lines.append("Room: " + link(inp.room.url, inp.room.name))
    if inp.content:
        lines.append(escape(first_sentence(to_plain_text(render(inp.content)), DESCRIPTION_MAX)))
    lines.append(_take_part(inp, url))
    if inp.accessibility is not None:
        text = accessibility_text(inp.accessibility)
        lines.append(escape("Accessibility: " + text) if text else None)
    return _paragraphs(lines)


def article_summary_html(inp: NewsInput) -> str:
    """The ``summary`` of a news item: its kind, then the lead (the author's, or the opening of
    the content)."""
    label = escape(_KIND_LABELS[inp.kind])
    if inp.summary is not None:
        return f"<p>{label}</p>" + plain_text_to_html(inp.summary)
    text = to_plain_text(render(inp.content))
    first = next((p for p in text.split("\n\n") if p.strip()), "")
    return _paragraphs([label, escape(truncate(first, LEAD_MAX))])


def status_change_html(inp: EventInput, *, url: str) -> str:
    """The text of the short Note that replies to an event whose status changed.

    Older Mastodon ignores an ``Update`` of an ``Event``; a reply is shown to followers. ``url`` is
    the event's page.
    """
    name = escape(inp.name)
    when = escape(format_when(inp.start_time, inp.end_time, inp.timezone))
    if inp.status == "cancelled":
        text = f"Cancelled: {name} ({when}) will not take place."
    elif inp.status == "postponed":
        text = f"Postponed: {name}, planned for {when}, will not take place then. A new date will be announced."
    elif inp.status == "rescheduled":
        text = f"New date: {name} now takes place {when}."
    elif inp.status == "movedOnline":
        assert inp.location is not None and inp.location.online_url is not None
        text = (
            f"Moved online: {name} ({when}) now takes place online: {link(inp.location.online_url)}"
        )
    elif inp.status == "tentative":
        text = f"To be confirmed: {name} ({when}) may still change."
    else:
        text = f"Confirmed: {name} takes place {when}."
    return _paragraphs([text, "Details: " + link(url)])
