"""The validation errors of the publishing and profile services, in an organizer's words.

The forms call the same validation as the API (node/content/fields, the publishing service,
node/features/profiles/editing.py). Its :class:`FieldError` names an API path
(``location.address.postalCode``, ``speakers[2].name``) and says what is wrong for a developer
("is required (FEP-8a8e events always have an end)"). Here one table turns each message into
words for the person at the form, and :func:`form_field` finds the form input it belongs to
(the forms name their inputs after the API paths). tests/unit/test_form_errors.py checks that
every message the validation can raise matches a row of :data:`MESSAGES`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from node.content.fields import FieldError

# What each field is called on the forms (used in the messages that need the field's name).
LABELS: dict[str, str] = {
    "name": "the title",
    "summary": "the summary",
    "content": "the text",
    "startTime": "the start",
    "endTime": "the end",
    "timezone": "the time zone",
    "location": "the place",
    "location.name": "the place's name",
    "location.url": "the online link",
    "location.address": "the address",
    "location.address.streetAddress": "the street",
    "location.address.postalCode": "the postal code",
    "location.address.addressLocality": "the town or city",
    "location.address.addressRegion": "the region",
    "location.address.addressCountry": "the country",
    "track": "the track",
    "speakers": "the speakers",
    "room": "the room link",
    "room.url": "the room link",
    "room.name": "the room's name",
    "tags": "the hashtags",
    "category": "the category",
    "maximumAttendeeCapacity": "the number of places",
    "recurrence": "the repetition",
    "recurrence.count": "the number of dates",
    "recurrence.until": "the last date",
    "recurrence.interval": "how often",
    "recurrence.byDay": "the day",
    "recurrence.ahead": "how far ahead to publish",
    "deadline": "the deadline",
    "resource": "what is offered or needed",
    "quantity.value": "the amount",
    "quantity.unit": "the unit",
    "region": "the region",
    "purpose": "offer or request",
    "kind": "the kind of news",
    "description": "the description",
    "website": "the website",
    "fields": "the profile fields",
    "country": "the country",
    "icon": "the avatar",
    "image": "the image",
    "publish_at": "the publication time",
    "latitude": "the latitude",
    "longitude": "the longitude",
    "essglobal.economicSector": "the economic sector",
    "essglobal.legalForm": "the legal form",
    "essglobal.organisationalStructure": "the structure",
    "essglobal.baseMembershipType": "the membership type",
    "essglobal.qualifier": "the qualifiers",
}


@dataclass(frozen=True)
class Rule:
    """A validation message (a regular expression over FieldError.message) and the organizer's
    words for it; ``{label}`` is the field's name on the form, ``{0}``… the captured groups."""

    pattern: str
    words: str


# Most specific first; the first match wins. Keep in step with the validators (the unit test
# lists every message they can raise and fails on one that no rule matches).
MESSAGES: tuple[Rule, ...] = (
    Rule(r"is required \(FEP-8a8e events always have an end\)", "Give the time the event ends."),
    Rule(r"is required when joinMode is external", "Give the link where people register."),
    Rule(r"is only used when joinMode is external", "Leave the registration link empty."),
    Rule(r"is required when the event moved online", "Give the online link of the event."),
    Rule(r"is required when \S+ has no UTC offset.*", "Pick a time zone."),
    Rule(r"is required \(an IANA zone such as .*\)", "Pick a time zone."),
    Rule(r"is required \(it cannot be told from the URL\)", "Upload a JPEG, PNG, GIF or WebP image."),
    Rule(r"is required: describe the image.*", "Describe the image for people who cannot see it."),
    Rule(r"is required with summaryMap.*", "Write the summary in the main language too."),
    Rule(r"is required with the other coordinate", "Give both latitude and longitude."),
    Rule(r"is required with \S+: its first entry.*", "Say which language the text is in."),
    Rule(r"is required for a series", "Say how the event repeats."),
    Rule(r"is required: one of .*", "Choose one of the options."),
    Rule(r"is required", "Fill in {label}."),
    Rule(r"must not be empty", "Fill in {label}."),
    Rule(r"cannot be removed", "Fill in {label}."),
    Rule(r"must be at least (\d+) characters", "Make {label} at least {0} characters long."),
    Rule(r"must be at most (\d+) characters \(it has (\d+)\)",
         "Shorten {label} to {0} characters (it has {1})."),
    Rule(r"must be a single line", "Write {label} on one line."),
    Rule(r"contains control characters", "Remove the invisible control characters from {label}."),
    Rule(r"contains characters that are not valid Unicode",
         "Remove the unreadable characters from {label}."),
    Rule(r"must be a string|must be an object.*|must be a JSON object|must be a list|"
         r"must be an? .*object with .*|must be a URL or an object.*|"
         r"a PATCH body must be a JSON object|the PATCH body is nested too deeply|unknown field.*",
         "This form could not be read: reload the page and try again."),
    Rule(r"must be a URL without spaces", "Remove the spaces from the link."),
    Rule(r"is not a valid URL.*|must be an http:// or https:// URL",
         "Give a full web address starting with https://"),
    Rule(r"must not contain a user name or password",
         "Remove the user name and password from the link."),
    Rule(r"must be a whole number", "Write a whole number."),
    Rule(r"must be between the years 2000 and 2099", "Pick a date between 2000 and 2099."),
    Rule(r"must be between (-?\d+) and (-?\d+)", "Write a number from {0} to {1}."),
    Rule(r"must be a number above 0 and at most .*", "Write an amount above 0."),
    Rule(r"must be a number between (\S+) and (\S+)", "Write a number from {0} to {1}."),
    Rule(r"must be a number", "Write a number."),
    Rule(r"must be a unit name such as .*", "Write the unit as one word, such as hour or kilogram."),
    Rule(r"must be true or false", "Tick the box or leave it empty."),
    Rule(r"must have at most (\d+) entries", "Give at most {0}."),
    Rule(r"must have at most \d+ languages", "Remove some translations."),
    Rule(r"must be a language tag.*|.* is not a language tag.*",
         "Choose a language from the list."),
    Rule(r"differs from the default text.*", "Make the translation match the main text."),
    Rule(r"must be letters, digits and _ with at least one letter.*",
         "Hashtags are one word each, letters and digits (for example SolidarityEconomy), "
         "separated by commas."),
    Rule(r"is empty: give at least a street, locality or country",
         "Give at least a street, a town or a country."),
    Rule(r"give a place \(name and/or address\) or an online url, or both",
         "Give a place, an online link, or both."),
    Rule(r"a place needs a name or an address", "Give the place a name or an address."),
    Rule(r"must be an IANA time zone.*|.* is not a known IANA time zone",
         "Pick a time zone from the list."),
    Rule(r"must be a date and time like .*|.* is not a valid date and time",
         "Give a date and a time."),
    Rule(r"\S+ does not exist in (\S+): the clocks skip that hour.*",
         "That time does not exist in {0} (the clocks skip that hour): pick another."),
    Rule(r".* is not a valid date", "Give a date."),
    Rule(r"must be after startTime", "The end must come after the start."),
    Rule(r"must be within (\d+) days of startTime", "An event lasts at most {0} days."),
    Rule(r"must be one of: .*", "Choose one of the options."),
    Rule(r"must be a ValueFlows action.*", "Choose one of the options."),
    Rule(r"is in the past", "Pick a deadline that is still ahead."),
    Rule(r"must be in the future", "Pick a time that is still ahead."),
    Rule(r"must list 1 to 7 days", "Pick the day (or days) it repeats on."),
    Rule(r"must be like TH, 3TH.*|the ordinal must be .*", "Choose the day from the list."),
    Rule(r"weekly series take plain days.*|monthly series need an ordinal.*",
         "Choose the day from the list."),
    Rule(r"give either count or until \(a series must end\)",
         "Say when the repetition ends: after a number of dates, or on a last date."),
    Rule(r"must not be before startTime", "The last date must not come before the first."),
    Rule(r"must be within (\d+) years of startTime", "A series runs at most {0} years."),
    Rule(r"startTime \((\w+)\) is not one of these days",
         "The first date is a {0}: make it one of the days it repeats on."),
    Rule(r"startTime \((.*)\) is not the (.*) of its month",
         "The first date ({0}) is not the {1} of its month: pick a first date that is."),
    Rule(r"every date of this series is already over", "Every date of this series is over."),
    Rule(r"a recurring event is created as a series|a single event cannot become a series.*",
         "A repeating event is published from the repeating-event form."),
    Rule(r"edit the recurrence on the series, not on one date",
         "Change the repetition on the series, not on one date."),
    Rule(r"a series needs one; delete the series to stop it",
         "To stop the series, delete it."),
    Rule(r"a session of a conference cannot recur", "A session of a conference cannot repeat."),
    Rule(r"is not an event published by this node|is an event of another organization.*|"
         r"is not an event|is itself a session.*|is an occurrence of a recurring series|"
         r"an event cannot be its own session|this event has sessions.*",
         "Sessions can be added to your own conferences only (not to a session or a repeating "
         "event)."),
    Rule(r"calls have no summary.*", "Calls have no summary: put the text in the description."),
    Rule(r"unknown kind .*", "This form could not be read: reload the page and try again."),
    # the media service's refusals are written for organizers already (node/features/media)
    Rule(r"(This (?:file|image) .*)", "{0}"),
    Rule(r"is required: describe the image for people who cannot see it",
         "Describe the image for people who cannot see it."),
    Rule(r"is not an image you uploaded|was uploaded as \S+; upload it again as \S+|"
         r"must be the id of an image you uploaded|is not a field of an image|"
         r"must be attachment, avatar or header",
         "Upload the image again."),
    Rule(r"give both coordinates", "Give both latitude and longitude."),
    Rule(r"must be an ISO 3166-1 alpha-2 code.*", "Choose the country from the list."),
    Rule(r"unknown ESSGlobal scheme.*|must be an ESSGlobal concept IRI.*|.* is not a \S+ concept.*",
         "Choose from the list."),
)  # fmt: skip

_COMPILED = tuple((re.compile(rule.pattern, re.DOTALL), rule.words) for rule in MESSAGES)
_INDEX = re.compile(r"\[\d+\]")


# Service arguments that are not API paths, and the input they come from.
_INPUTS = {"ahead": "recurrence.ahead"}


def form_field(path: str) -> str:
    """The form input an API path belongs to: list entries are one input (``tags[2]`` is
    ``tags``; ``speakers[1].name`` is ``speakers``), the rest keep their path."""
    match = _INDEX.search(path)
    return _INPUTS.get(path, path[: match.start()] if match else path)


def organizer_words(error: FieldError, labels: Mapping[str, str] | None = None) -> str:
    """What the person at the form reads beside the field (``labels``: the form's own names
    of fields, over :data:`LABELS`)."""
    name = form_field(error.field)
    label = (labels or {}).get(name) or LABELS.get(name, "this field")
    for pattern, words in _COMPILED:
        found = pattern.fullmatch(error.message)
        if found:
            return words.format(*found.groups(), label=label)
    return f"Check {label}."


def field_errors(error: FieldError, labels: Mapping[str, str] | None = None) -> dict[str, str]:
    """``{form input: message}`` for one FieldError (``""``: the form as a whole)."""
    return {form_field(error.field): organizer_words(error, labels)}
