"""Languages: BCP 47 tags, choosing a language for a reader, and ``nameMap``-style maps.

Content is written in one default language (the first of an item's ``languages``) and may carry
translations. ActivityStreams carries them as ``nameMap``/``contentMap``/``summaryMap``
({language: text}) next to the plain ``name``/``content``/``summary``; Mastodon shows ``content``
or, failing that, the first ``contentMap`` value, so the default text always goes in both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

# A pragmatic subset of BCP 47 (RFC 5646): language[-script][-region][-variant]*. Extensions and
# grandfathered tags are refused; no fediverse software we talk to produces them.
_TAG_RE = re.compile(
    r"^(?P<lang>[A-Za-z]{2,3})"
    r"(?:-(?P<script>[A-Za-z]{4}))?"
    r"(?:-(?P<region>[A-Za-z]{2}|[0-9]{3}))?"
    r"(?P<variants>(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*)$"
)
MAX_TAG_LENGTH = 35

# Accept-Language is attacker-controlled: look at a bounded prefix and a bounded number of ranges.
_MAX_HEADER = 1000
_MAX_RANGES = 20
_RANGE_RE = re.compile(r"^(\*|[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*)$")
_Q_RE = re.compile(r"^[qQ]=(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$")

# English names for the languages a summary line may mention ("interpretation into Spanish").
_NAMES = {
    "ar": "Arabic",
    "ase": "American Sign Language",
    "bn": "Bengali",
    "bfi": "British Sign Language",
    "ca": "Catalan",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "eu": "Basque",
    "fa": "Persian",
    "fr": "French",
    "fsl": "French Sign Language",
    "ht": "Haitian Creole",
    "hi": "Hindi",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "nl": "Dutch",
    "pl": "Polish",
    "pt": "Portuguese",
    "ru": "Russian",
    "so": "Somali",
    "sw": "Swahili",
    "tl": "Tagalog",
    "uk": "Ukrainian",
    "ur": "Urdu",
    "vi": "Vietnamese",
    "wo": "Wolof",
    "zh": "Chinese",
}


def normalize_language_tag(tag: str) -> str | None:
    """The tag in canonical case (``en-us`` -> ``en-US``, ``zh-hant-tw`` -> ``zh-Hant-TW``).

    Returns None when ``tag`` is not a language tag we accept.
    """
    if not isinstance(tag, str) or len(tag) > MAX_TAG_LENGTH:
        return None
    match = _TAG_RE.match(tag.strip().replace("_", "-"))
    if match is None:
        return None
    parts = [match["lang"].lower()]
    if match["script"]:
        parts.append(match["script"].title())
    if match["region"]:
        parts.append(match["region"].upper())
    parts += [v.lower() for v in match["variants"].split("-") if v]
    return "-".join(parts)


def is_language_tag(tag: str) -> bool:
    """Whether ``tag`` is a language tag we accept (see :func:`normalize_language_tag`)."""
    return normalize_language_tag(tag) is not None


def language_name(tag: str) -> str:
    """An English name for a language tag (``es`` -> ``Spanish``); the tag itself if unknown."""
    primary = tag.split("-", 1)[0].lower()
    return _NAMES.get(primary, tag)


def _ranges(accept_language: str) -> list[tuple[float, int, str]]:
    """(quality, position, range) for each acceptable range, best first."""
    found: list[tuple[float, int, str]] = []
    for position, item in enumerate(accept_language[:_MAX_HEADER].split(",")[:_MAX_RANGES]):
        pieces = [p.strip() for p in item.split(";")]
        lang = pieces[0]
        if not _RANGE_RE.match(lang):
            continue
        quality = 1.0
        for param in pieces[1:]:
            q = _Q_RE.match(param)
            if q is not None:
                quality = float(q.group(1))
        if quality > 0:
            found.append((quality, position, lang.lower()))
    # Highest quality first; equal qualities keep the order the client gave.
    found.sort(key=lambda r: (-r[0], r[1]))
    return found


def pick_language(accept_language: str, available: Sequence[str], default: str) -> str:
    """The language of ``available`` that best matches an ``Accept-Language`` header.

    RFC 4647 "lookup" with quality values: for each range, best first, an exact match wins, then
    the range truncated (``fr-CA`` finds ``fr``), then an available tag that extends the range
    (``fr`` finds ``fr-CA``). ``*`` and no match give ``default``. Returns the tag as spelled in
    ``available`` (or ``default``).
    """
    if not available:
        return default
    lowered = {a.lower(): a for a in available}
    for _, _, wanted in _ranges(accept_language or ""):
        if wanted == "*":
            return default
        if wanted in lowered:
            return lowered[wanted]
        parts = wanted.split("-")
        while len(parts) > 1:
            parts.pop()
            candidate = "-".join(parts)
            if candidate in lowered:
                return lowered[candidate]
        for low, original in lowered.items():
            if low.startswith(wanted + "-"):
                return original
    return default


def language_map(
    default_language: str | None, default_text: str | None, extra: Mapping[str, str]
) -> dict[str, str] | None:
    """A ``nameMap``/``contentMap``/``summaryMap`` value: the default text first, then the others.

    Emitted whenever the default language is known, even without translations: Mastodon takes a
    post's language only from these maps (the first key of ``contentMap``, then ``nameMap``, then
    ``summaryMap``; ActivityPub::Parser::StatusParser#language). None when there is no text or
    no language.
    """
    result: dict[str, str] = {}
    if default_language and default_text is not None:
        result[default_language] = default_text
    for lang, text in extra.items():
        result.setdefault(lang, text)
    return result or None


def localized(
    default_language: str | None,
    default_text: str,
    extra: Mapping[str, str],
    wanted: str,
) -> str:
    """The text in ``wanted`` if there is a translation, else the default text (for HTML pages)."""
    if default_language is not None and wanted.lower() == default_language.lower():
        return default_text
    for lang, text in extra.items():
        if lang.lower() == wanted.lower():
            return text
    return default_text
