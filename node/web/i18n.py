"""Gettext catalogues for the words around the content, and dates in the reader's language.

The English text is the message id; translations live in ``node/locale/<lang>/LC_MESSAGES/
messages.po`` (made and updated with ``make messages``, which runs Babel's extractor over
``node/`` and ``templates/``). The ``.po`` files are read at first use and compiled in memory, so
no binary ``.mo`` is committed and a translator's edit shows on the next start.

Templates use ``{{ _("Upcoming events") }}`` or ``{% trans %}…{% endtrans %}``; the page's
language comes from :func:`node.web.render.html`'s ``ui_lang`` (default: the request's
``Accept-Language``). Python code marks strings it renders later with :func:`N_` and translates
them with :func:`translations`.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime, tzinfo
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime, format_skeleton, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from node.content.i18n import pick_language

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
DOMAIN = "messages"
# English is the source language; the others have a catalogue under node/locale/.
SHIPPED = ("en", "es", "fr")
DEFAULT = "en"


def N_(message: str) -> str:
    """Mark a string for the catalogue without translating it here."""
    return message


def ui_language(tag: str | None) -> str:
    """The shipped language for a BCP 47 tag (``es-MX`` → ``es``), English when none fits."""
    primary = (tag or "").split("-", 1)[0].lower()
    return primary if primary in SHIPPED else DEFAULT


def negotiate(accept_language: str) -> str:
    """The shipped language the reader's ``Accept-Language`` prefers."""
    return ui_language(pick_language(accept_language, SHIPPED, DEFAULT))


@cache
def translations(lang: str) -> NullTranslations:
    """The compiled catalogue of ``lang`` (English and unknown languages: the identity)."""
    ui = ui_language(lang)
    path = LOCALE_DIR / ui / "LC_MESSAGES" / f"{DOMAIN}.po"
    if ui == DEFAULT or not path.exists():
        return NullTranslations()
    with path.open("rb") as source:
        catalog = read_po(source, locale=ui, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def gettext(lang: str, message: str) -> str:
    return translations(lang).gettext(message)


def ngettext(lang: str, singular: str, plural: str, n: int) -> str:
    return translations(lang).ngettext(singular, plural, n)


# --- dates: one format per context, written the reader's way ------------------------------------
# "day": Saturday, 6 June 2026 / sábado, 6 de junio de 2026; "short_day": Sat 6 Jun;
# "time": 18:30 (or 6:30 PM where the locale says so); "datetime": the day and the time.
_DAY = "full"


def _locale(lang: str) -> Locale:
    return Locale.parse(ui_language(lang))


def day(moment: date | datetime, lang: str, tz: tzinfo | None = None) -> str:
    if isinstance(moment, datetime) and tz is not None:
        moment = moment.astimezone(tz)
    return format_date(moment, format=_DAY, locale=_locale(lang))


def short_day(moment: date | datetime, lang: str, tz: tzinfo | None = None) -> str:
    if isinstance(moment, datetime) and tz is not None:
        moment = moment.astimezone(tz)
    return format_date(moment, format="EEE d MMM", locale=_locale(lang))


def day_with_year(moment: date | datetime, lang: str, tz: tzinfo | None = None) -> str:
    """``Tue 3 Nov 2026`` / ``mar 3 nov 2026``: a day inside a sentence or a list."""
    if isinstance(moment, datetime) and tz is not None:
        moment = moment.astimezone(tz)
    return format_date(moment, format="EEE d MMM y", locale=_locale(lang))


def clock(moment: datetime, lang: str, tz: tzinfo | None = None) -> str:
    return format_time(moment, format="short", tzinfo=tz, locale=_locale(lang))


def day_and_time(moment: datetime, lang: str, tz: tzinfo | None = None) -> str:
    return format_datetime(moment, format="medium", tzinfo=tz, locale=_locale(lang))


def day_time_zone(moment: datetime, lang: str) -> str:
    """``Tue 3 Nov 2026, 18:30 UTC+01:00``: a moment in its own offset, the offset named (the
    widget is read on other sites, by people in other zones)."""
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign, minutes = ("+" if minutes >= 0 else "-"), abs(minutes)
    zone = f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}" if minutes else "UTC"
    when = format_time(moment, format="short", tzinfo=moment.tzinfo, locale=_locale(lang))
    return f"{short_day(moment, lang)} {moment.year}, {when} {zone}"


@lru_cache(maxsize=4096)
def _day_in_pattern(day: date, pattern: str, lang: str) -> str:
    """A day by CLDR pattern, formatted once: a month's grid names the same 42 days (and their
    weekdays) on every read, and Babel took ~25 µs a name."""
    return format_date(day, format=pattern, locale=_locale(lang))


# --- templates ----------------------------------------------------------------------------------


def template_callables(lang: str) -> dict[str, Callable[..., str]]:
    """``_``, ``gettext`` and ``ngettext`` for one page, in Jinja's new style: ``%(name)s``
    placeholders filled from keyword arguments, which are escaped in autoescaped templates."""
    catalogue = translations(lang)

    @pass_context
    def _gettext(context: Context, message: str, /, **variables: Any) -> str:
        text = catalogue.gettext(message)
        if context.eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704 (our committed catalogue; variables are escaped by %)
        return text % variables if variables else text

    @pass_context
    def _ngettext(context: Context, singular: str, plural: str, n: int, /, **variables: Any) -> str:
        variables.setdefault("num", n)
        text = catalogue.ngettext(singular, plural, n)
        if context.eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704 (our committed catalogue; variables are escaped by %)
        return text % variables

    def _date_format(moment: date | datetime, pattern: str, /) -> str:
        """A date by CLDR pattern (``LLLL y``: the month's heading; ``EEE``: a weekday)."""
        if type(moment) is date:
            return _day_in_pattern(moment, pattern, lang)
        return format_date(moment, format=pattern, locale=_locale(lang))

    def _translated(message: str, /) -> str:
        """A string chosen by code (an error page's message, a confirmation), translated when
        the catalogue has it; plain text, so the template escapes it like any other value."""
        return catalogue.gettext(message)

    return {
        "translated": _translated,
        "_": _gettext,
        "gettext": _gettext,
        "ngettext": _ngettext,
        "date_format": _date_format,
        "day_time_zone": lambda moment: day_time_zone(moment, lang),
        "month_year": lambda moment: format_skeleton("yMMMM", moment, locale=_locale(lang)),
    }
