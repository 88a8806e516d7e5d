"""The words of the public pages, looked up by key, and dates written the reader's way.

Content comes in the languages its author wrote (``nameMap``…); the page around it is written
here. The English below is marked with :func:`N_` so ``make messages`` puts it in the gettext
catalogue (``node/locale/<lang>/LC_MESSAGES/messages.po``), where the Spanish and French live;
:func:`translator` looks each one up in the reader's language, English filling any gap.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

from node.content.i18n import language_name
from node.content.summary import zone_abbreviation
from node.web import i18n
from node.web.i18n import N_

UI_LANGUAGES = i18n.SHIPPED
NATIVE_NAMES = {
    "en": "English", "es": "Español", "fr": "Français", "pt": "Português", "de": "Deutsch",
    "it": "Italiano", "ca": "Català", "eu": "Euskara", "nl": "Nederlands", "ar": "العربية",
}  # fmt: skip

_EN = {
    "skip": N_("Skip to content"),
    "languages": N_("Languages"),
    "when": N_("When"),
    "where": N_("Where"),
    "online": N_("Online"),
    "map": N_("Map"),
    "organizer": N_("Organized by"),
    "part_of": N_("Part of"),
    "track": N_("Track"),
    "speakers": N_("With"),
    "room": N_("Room"),
    "accessibility": N_("Accessibility"),
    "take_part": N_("Take part"),
    "participants": N_("{count} taking part"),
    "places_left": N_("{count} places left"),
    "full": N_("This event is full."),
    "closed": N_("Registration is closed."),
    "register_external": N_("Register on the organizer's site"),
    "no_registration": N_("No registration needed: just come along."),
    "invite_only": N_("By invitation only."),
    "fediverse_join": N_(
        "On Mobilizon or another fediverse app? Search for this page's address there and join."
    ),
    "register_here": N_("Or register here, no account needed:"),
    "your_name": N_("Your name"),
    "your_email": N_("E-mail (optional, only the organizer sees it)"),
    "register": N_("Register"),
    "registered_accepted": N_("Thank you, you are registered."),
    "registered_pending": N_("Thank you: the organizer will confirm your registration."),
    "approval_needed": N_("The organizer approves each registration."),
    "programme": N_("Programme"),
    "general": N_("General"),
    "other_dates": N_("Other dates"),
    "repeats": N_("Repeats"),
    "updates": N_("Updates"),
    "replies": N_("Replies from the fediverse"),
    "no_replies": N_("No replies yet."),
    "tags": N_("Tags"),
    "moved_to": N_("This account has moved to"),
    "upcoming_events": N_("Upcoming events"),
    "past_events": N_("Past events"),
    "calls": N_("Calls for collaboration"),
    "news": N_("News"),
    "see_all": N_("See all"),
    "nothing_yet": N_("Nothing here yet."),
    "previous": N_("Previous"),
    "next": N_("Next"),
    "pages": N_("Pages"),
    "first_page": N_("First page"),
    "continued": N_("continued"),
    "deadline": N_("Until"),
    "closed_call": N_("Closed"),
    "offer": N_("We offer"),
    "request": N_("We need"),
    "website": N_("Website"),
    "region": N_("Region"),
    "classification": N_("Solidarity economy classification"),
    "tagged": N_("Tagged #{tag}"),
    "published": N_("Published"),
    "status_cancelled": N_("Cancelled"),
    "status_postponed": N_("Postponed"),
    "status_rescheduled": N_("Rescheduled"),
    "status_movedOnline": N_("Moved online"),
    "status_tentative": N_("To be confirmed"),
    "error_name": N_("Please give your name."),
    "error_email": N_("This is not an e-mail address."),
    "error_form": N_("The form expired. Please try again."),
    "error_rating": N_("Choose a rating from 1 to 5."),
    "error_comment": N_("The comment is too long (2000 characters at most) or has odd characters."),
    "feedback": N_("How was it?"),
    "feedback_intro": N_(
        "The event is over. Tell the organizers what you thought: only they will read it."
    ),
    "rating": N_("Your rating"),
    "rating_n": N_("{n} of 5"),
    "your_comment": N_("Comment (optional)"),
    "feedback_email": N_("The e-mail you registered with (optional: then we count you once)"),
    "send_feedback": N_("Send feedback"),
    "feedback_thanks": N_("Thank you for your feedback."),
    "published_by": N_("Published by"),
    "amount": N_("Amount"),
    "replies_count": N_("{count} replies"),
    "sensitive": N_("Sensitive content"),
    "image": N_("Image"),
    "image_no_alt": N_("no description"),
    "reply_pages": N_("Pages of replies"),
    "earlier_replies": N_("Earlier replies"),
    "later_replies": N_("Later replies"),
    "answer_call": N_("Answer this call"),
    "call_closed": N_("This call is closed."),
    "answer_fediverse": N_(
        "On Mastodon or another fediverse app? Reply to this post there: the organization sees your reply."
    ),
    "answer_here": N_(
        "Or write to the organization here, no account needed. Your message is not published."
    ),
    "your_contact": N_("How to reach you (e-mail, phone…)"),
    "your_message": N_("Your message"),
    "send_answer": N_("Send"),
    "answered_title": N_("Thank you"),
    "answered_text": N_("Your message reached {org}. They will get back to you."),
    "back_to_call": N_("Back to the call"),
    "error_contact": N_("Please say how to reach you."),
    "error_message": N_("Please write a message."),
}


def ui_language(tag: str) -> str:
    """The catalogue language for a content language (``es-MX`` -> ``es``; others -> ``en``)."""
    return i18n.ui_language(tag)


def translator(lang: str) -> dict[str, str]:
    """The strings of ``lang`` by key, from the gettext catalogue, English filling any gap."""
    return _translated(i18n.ui_language(lang))


@cache
def _translated(ui: str) -> dict[str, str]:
    return {key: i18n.gettext(ui, english) for key, english in _EN.items()}


def localized(table: Mapping[str, str], lang: str) -> dict[str, str]:
    """A feature's own table of N_-marked English strings, in ``lang``."""
    return {key: i18n.gettext(lang, english) for key, english in table.items()}


def native_name(tag: str) -> str:
    """A language's name in itself, for the language switcher."""

    return NATIVE_NAMES.get(tag.split("-", 1)[0].lower(), language_name(tag))


def day(moment: datetime, lang: str) -> str:
    """``Tue 3 Nov 2026`` / ``mar 3 nov 2026`` through Babel, in the reader's language."""
    return i18n.day_with_year(moment, lang)


def when(start: datetime, end: datetime, zone: str, lang: str) -> str:
    """A time range in the event's zone, 24-hour clock, the zone named once (twice across a
    daylight-saving change)."""
    tz = ZoneInfo(zone)
    s, e = start.astimezone(tz), end.astimezone(tz)
    sz, ez = zone_abbreviation(s), zone_abbreviation(e)
    first = f"{s:%H:%M}" + ("" if sz == ez else f" {sz}")
    if s.date() == e.date():
        return f"{day(s, lang)}, {first}\u2013{e:%H:%M} {ez}"
    return f"{day(s, lang)}, {first} \u2013 {day(e, lang)}, {e:%H:%M} {ez}"


def time_range(start: datetime, end: datetime, zone: str) -> str:
    """``10:30-11:30`` (with an en dash) in the zone (the programme's rows; the day is the heading)."""
    tz = ZoneInfo(zone)
    return f"{start.astimezone(tz):%H:%M}\u2013{end.astimezone(tz):%H:%M}"
