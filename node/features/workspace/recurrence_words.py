"""The values a series' validation writes in English inside its messages (a weekday, a date, an
ordinal day such as "third Thursday"), said again in the organizer's language for the form
errors (node/features/workspace/form_errors.py takes them from the message by its rules).

The validation (node/content/fields/times.py) stays English for the API and the command line;
these words are read back from its fixed formats: a weekday as ``%A`` writes it, a date as
``%A %d %B %Y``, and "ORDINAL WEEKDAY" pieces joined by " or ".
"""

from __future__ import annotations

from datetime import datetime

from babel import Locale
from babel.dates import format_date

from node.web import i18n
from node.web.i18n import N_

# The weekdays as the validation writes them (Python's %A), Monday first like Babel's.
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# node/content/fields/times.py's ordinals, each a whole phrase (Spanish puts "tercer" before
# the day, other languages after, and agrees it with the day's gender).
ORDINALS = {
    "first": N_("first %(day)s"),
    "second": N_("second %(day)s"),
    "third": N_("third %(day)s"),
    "fourth": N_("fourth %(day)s"),
    "fifth": N_("fifth %(day)s"),
    "last": N_("last %(day)s"),
    "second-to-last": N_("second-to-last %(day)s"),
    "third-to-last": N_("third-to-last %(day)s"),
    "fourth-to-last": N_("fourth-to-last %(day)s"),
    "fifth-to-last": N_("fifth-to-last %(day)s"),
}
EITHER = N_("%(one)s or %(other)s")
DATE_WRITTEN = "%A %d %B %Y"


def _weekday(name: str, lang: str) -> str:
    days = Locale.parse(i18n.ui_language(lang)).days["format"]["wide"]
    return str(days[WEEKDAYS.index(name)])


def _ordinal_day(text: str, lang: str) -> str | None:
    ordinal, _, name = text.rpartition(" ")
    if ordinal not in ORDINALS or name not in WEEKDAYS:
        return None
    return i18n.gettext(lang, ORDINALS[ordinal]) % {"day": _weekday(name, lang)}


def _ordinal_days(text: str, lang: str) -> str | None:
    """ "third Thursday or last Friday" in ``lang``; None when ``text`` is not such a list."""
    said = [_ordinal_day(piece, lang) for piece in text.split(" or ")]
    if not said or any(s is None for s in said):
        return None
    phrase = str(said[0])
    for other in said[1:]:
        phrase = i18n.gettext(lang, EITHER) % {"one": phrase, "other": other}
    return phrase


def _date(text: str, lang: str) -> str | None:
    try:
        # the C locale's English names, as the validation wrote them
        moment = datetime.strptime(text, DATE_WRITTEN)
    except ValueError:
        return None
    return format_date(moment.date(), format="full", locale=Locale.parse(i18n.ui_language(lang)))


def in_language(text: str, lang: str) -> str:
    """A value taken from a validation message, in ``lang`` when it is one of the words the
    validation writes in English; any other value (a number, a zone) as it is."""
    if i18n.ui_language(lang) == i18n.DEFAULT:
        return text
    if text in WEEKDAYS:
        return _weekday(text, lang)
    return _date(text, lang) or _ordinal_days(text, lang) or text
