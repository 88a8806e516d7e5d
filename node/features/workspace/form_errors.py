"""The validation errors of the publishing and profile services, in an organizer's words.

The forms call the same validation as the API (node/content/fields, the publishing service,
node/features/profiles/editing.py). Its :class:`FieldError` names an API path
(``location.address.postalCode``, ``speakers[2].name``) and says what is wrong for a developer
("is required (FEP-8a8e events always have an end)"). Here one table turns each message into
words for the person at the form, and :func:`form_field` finds the form input it belongs to
(the forms name their inputs after the API paths). tests/unit/test_form_errors.py checks that
every message the validation can raise matches a row of :data:`MESSAGES`.

The words and the fields' names are English marked with ``N_``; :func:`organizer_words`
translates both in the page's language (``desk.lang``) and fills the words afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from node.content.fields import FieldError
from node.features.workspace import recurrence_words
from node.web import i18n
from node.web.i18n import N_

# What each field is called on the forms (used in the messages that need the field's name),
# with its article: the translation needs the gender.
LABELS: dict[str, str] = {
    "name": N_("the title"),
    "summary": N_("the summary"),
    "content": N_("the text"),
    "startTime": N_("the start"),
    "endTime": N_("the end"),
    "timezone": N_("the time zone"),
    "location": N_("the place"),
    "location.name": N_("the place's name"),
    "location.url": N_("the online link"),
    "location.address": N_("the address"),
    "location.address.streetAddress": N_("the street"),
    "location.address.postalCode": N_("the postal code"),
    "location.address.addressLocality": N_("the town or city"),
    "location.address.addressRegion": N_("the region"),
    "location.address.addressCountry": N_("the country"),
    "track": N_("the track"),
    "speakers": N_("the speakers"),
    "room": N_("the room link"),
    "room.url": N_("the room link"),
    "room.name": N_("the room's name"),
    "tags": N_("the hashtags"),
    "category": N_("the category"),
    "maximumAttendeeCapacity": N_("the number of places"),
    "recurrence": N_("the repetition"),
    "recurrence.count": N_("the number of dates"),
    "recurrence.until": N_("the last date"),
    "recurrence.interval": N_("how often"),
    "recurrence.byDay": N_("the day"),
    "recurrence.ahead": N_("how far ahead to publish"),
    "deadline": N_("the deadline"),
    "resource": N_("what is offered or needed"),
    "quantity.value": N_("the amount"),
    "quantity.unit": N_("the unit"),
    "region": N_("the region"),
    "purpose": N_("offer or request"),
    "kind": N_("the kind of news"),
    "description": N_("the description"),
    "website": N_("the website"),
    "fields": N_("the profile fields"),
    "country": N_("the country"),
    "icon": N_("the avatar"),
    "image": N_("the image"),
    "publish_at": N_("the publication time"),
    "latitude": N_("the latitude"),
    "longitude": N_("the longitude"),
    "essglobal.economicSector": N_("the economic sector"),
    "essglobal.legalForm": N_("the legal form"),
    "essglobal.organisationalStructure": N_("the structure"),
    "essglobal.baseMembershipType": N_("the membership type"),
    "essglobal.qualifier": N_("the qualifiers"),
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
    Rule(r"is required \(FEP-8a8e events always have an end\)", N_("Give the time the event ends.")),
    Rule(r"is required when joinMode is external", N_("Give the link where people register.")),
    Rule(r"is only used when joinMode is external", N_("Leave the registration link empty.")),
    Rule(r"is required when the event moved online", N_("Give the online link of the event.")),
    Rule(r"is required when \S+ has no UTC offset.*", N_("Pick a time zone.")),
    Rule(r"is required \(an IANA zone such as .*\)", N_("Pick a time zone.")),
    Rule(r"is required \(it cannot be told from the URL\)", N_("Upload a JPEG, PNG, GIF or WebP image.")),
    Rule(r"is required: describe the image.*", N_("Describe the image for people who cannot see it.")),
    Rule(r"is required with summaryMap.*", N_("Write the summary in the main language too.")),
    Rule(r"is required with the other coordinate", N_("Give both latitude and longitude.")),
    Rule(r"is required with \S+: its first entry.*", N_("Say which language the text is in.")),
    Rule(r"is required for a series", N_("Say how the event repeats.")),
    Rule(r"is required: one of .*", N_("Choose one of the options.")),
    Rule(r"is required", N_("Fill in {label}.")),
    Rule(r"must not be empty", N_("Fill in {label}.")),
    Rule(r"cannot be removed", N_("Fill in {label}.")),
    Rule(r"must be at least (\d+) characters", N_("Make {label} at least {0} characters long.")),
    Rule(r"must be at most (\d+) characters \(it has (\d+)\)",
         N_("Shorten {label} to {0} characters (it has {1}).")),
    Rule(r"must be a single line", N_("Write {label} on one line.")),
    Rule(r"contains control characters", N_("Remove the invisible control characters from {label}.")),
    Rule(r"contains characters that are not valid Unicode",
         N_("Remove the unreadable characters from {label}.")),
    Rule(r"must be a string|must be an object.*|must be a JSON object|must be a list|"
         r"must be an? .*object with .*|must be a URL or an object.*|"
         r"a PATCH body must be a JSON object|the PATCH body is nested too deeply|unknown field.*",
         N_("This form could not be read: reload the page and try again.")),
    Rule(r"must be a URL without spaces", N_("Remove the spaces from the link.")),
    Rule(r"is not a valid URL.*|must be an http:// or https:// URL",
         N_("Give a full web address starting with https://")),
    Rule(r"must not contain a user name or password",
         N_("Remove the user name and password from the link.")),
    Rule(r"must be a whole number", N_("Write a whole number.")),
    Rule(r"must be between the years 2000 and 2099", N_("Pick a date between 2000 and 2099.")),
    Rule(r"must be between (-?\d+) and (-?\d+)", N_("Write a number from {0} to {1}.")),
    Rule(r"must be a number above 0 and at most .*", N_("Write an amount above 0.")),
    Rule(r"must be a number between (\S+) and (\S+)", N_("Write a number from {0} to {1}.")),
    Rule(r"must be a number", N_("Write a number.")),
    Rule(r"must be a unit name such as .*", N_("Write the unit as one word, such as hour or kilogram.")),
    Rule(r"must be true or false", N_("Tick the box or leave it empty.")),
    Rule(r"must have at most (\d+) entries", N_("Give at most {0}.")),
    Rule(r"must have at most \d+ languages", N_("Remove some translations.")),
    Rule(r"must be a language tag.*|.* is not a language tag.*",
         N_("Choose a language from the list.")),
    Rule(r"differs from the default text.*", N_("Make the translation match the main text.")),
    Rule(r"must be letters, digits and _ with at least one letter.*",
         N_("Hashtags are one word each, letters and digits (for example SolidarityEconomy), "
         "separated by commas.")),
    Rule(r"is empty: give at least a street, locality or country",
         N_("Give at least a street, a town or a country.")),
    Rule(r"give a place \(name and/or address\) or an online url, or both",
         N_("Give a place, an online link, or both.")),
    Rule(r"a place needs a name or an address", N_("Give the place a name or an address.")),
    Rule(r"must be an IANA time zone.*|.* is not a known IANA time zone",
         N_("Pick a time zone from the list.")),
    Rule(r"must be a date and time like .*|.* is not a valid date and time",
         N_("Give a date and a time.")),
    Rule(r"\S+ does not exist in (\S+): the clocks skip that hour.*",
         N_("That time does not exist in {0} (the clocks skip that hour): pick another.")),
    Rule(r".* is not a valid date", N_("Give a date.")),
    Rule(r"must be after startTime", N_("The end must come after the start.")),
    Rule(r"must be within (\d+) days of startTime", N_("An event lasts at most {0} days.")),
    Rule(r"must be one of: .*", N_("Choose one of the options.")),
    Rule(r"must be a ValueFlows action.*", N_("Choose one of the options.")),
    Rule(r"is in the past", N_("Pick a deadline that is still ahead.")),
    Rule(r"must be in the future", N_("Pick a time that is still ahead.")),
    Rule(r"must list 1 to 7 days", N_("Pick the day (or days) it repeats on.")),
    Rule(r"must be like TH, 3TH.*|the ordinal must be .*", N_("Choose the day from the list.")),
    Rule(r"weekly series take plain days.*|monthly series need an ordinal.*",
         N_("Choose the day from the list.")),
    Rule(r"give either count or until \(a series must end\)",
         N_("Say when the repetition ends: after a number of dates, or on a last date.")),
    Rule(r"must not be before startTime", N_("The last date must not come before the first.")),
    Rule(r"must be within (\d+) years of startTime", N_("A series runs at most {0} years.")),
    Rule(r"startTime \((\w+)\) is not one of these days",
         N_("The first date is a {0}: make it one of the days it repeats on.")),
    Rule(r"startTime \((.*)\) is not the (.*) of its month",
         N_("The first date ({0}) is not the {1} of its month: pick a first date that is.")),
    Rule(r"every date of this series is already over", N_("Every date of this series is over.")),
    Rule(r"a recurring event is created as a series|a single event cannot become a series.*",
         N_("A repeating event is published from the repeating-event form.")),
    Rule(r"edit the recurrence on the series, not on one date",
         N_("Change the repetition on the series, not on one date.")),
    Rule(r"a series needs one; delete the series to stop it",
         N_("To stop the series, delete it.")),
    Rule(r"a session of a conference cannot recur", N_("A session of a conference cannot repeat.")),
    Rule(r"is not an event published by this node|is an event of another organization.*|"
         r"is not an event|is itself a session.*|is an occurrence of a recurring series|"
         r"an event cannot be its own session|this event has sessions.*",
         N_("Sessions can be added to your own conferences only (not to a session or a repeating "
         "event).")),
    Rule(r"calls have no summary.*", N_("Calls have no summary: put the text in the description.")),
    Rule(r"unknown kind .*", N_("This form could not be read: reload the page and try again.")),
    # the media service's refusals (node/features/media/images.py) are written for organizers
    # already: the same English here, so that they are translated too
    Rule(r"This image is over the limit of (.+)\.", N_("This image is over the limit of {0}.")),
    Rule(r"This image is (.+) x (.+) pixels; the limit is (.+) million pixels\.",
         N_("This image is {0} x {1} pixels; the limit is {2} million pixels.")),
    Rule(r"This image is (.+); the limit is (.+)\.", N_("This image is {0}; the limit is {1}.")),
    Rule(r"This image has too many pixels; the limit is (.+) million pixels\.",
         N_("This image has too many pixels; the limit is {0} million pixels.")),
    Rule(r"This file is not an image we can use \(JPEG, PNG, WebP or GIF\)\.",
         N_("This file is not an image we can use (JPEG, PNG, WebP or GIF).")),
    Rule(r"This image is damaged or incomplete; try saving it again\.",
         N_("This image is damaged or incomplete; try saving it again.")),
    Rule(r"is required: describe the image for people who cannot see it",
         N_("Describe the image for people who cannot see it.")),
    Rule(r"is not an image you uploaded|was uploaded as \S+; upload it again as \S+|"
         r"must be the id of an image you uploaded|is not a field of an image|"
         r"must be attachment, avatar or header",
         N_("Upload the image again.")),
    Rule(r"give both coordinates", N_("Give both latitude and longitude.")),
    Rule(r"must be an ISO 3166-1 alpha-2 code.*", N_("Choose the country from the list.")),
    Rule(r"unknown ESSGlobal scheme.*|must be an ESSGlobal concept IRI.*|.* is not a \S+ concept.*",
         N_("Choose from the list.")),
)  # fmt: skip

_COMPILED = tuple((re.compile(rule.pattern, re.DOTALL), rule.words) for rule in MESSAGES)
_INDEX = re.compile(r"\[\d+\]")


# A field no label names, and the words for a message no rule matches.
UNNAMED = N_("this field")
UNMATCHED = N_("Check {label}.")

# Service arguments that are not API paths, and the input they come from.
_INPUTS = {"ahead": "recurrence.ahead"}


def form_field(path: str) -> str:
    """The form input an API path belongs to: list entries are one input (``tags[2]`` is
    ``tags``; ``speakers[1].name`` is ``speakers``), the rest keep their path."""
    match = _INDEX.search(path)
    return _INPUTS.get(path, path[: match.start()] if match else path)


def organizer_words(
    error: FieldError, labels: Mapping[str, str] | None = None, lang: str = i18n.DEFAULT
) -> str:
    """What the person at the form reads beside the field, in ``lang`` (the page's language:
    ``desk.lang``); ``labels``: the form's own N_-marked names of fields, over :data:`LABELS`.
    The rule's words and the field's name are translated apart, then put together."""
    catalogue = i18n.translations(lang)
    name = form_field(error.field)
    label = catalogue.gettext((labels or {}).get(name) or LABELS.get(name, UNNAMED))
    for pattern, words in _COMPILED:
        found = pattern.fullmatch(error.message)
        if found:
            values = (recurrence_words.in_language(group, lang) for group in found.groups())
            return catalogue.gettext(words).format(*values, label=label)
    return catalogue.gettext(UNMATCHED).format(label=label)


def field_errors(
    error: FieldError, labels: Mapping[str, str] | None = None, lang: str = i18n.DEFAULT
) -> dict[str, str]:
    """``{form input: message in lang}`` for one FieldError (``""``: the form as a whole)."""
    return {form_field(error.field): organizer_words(error, labels, lang)}
