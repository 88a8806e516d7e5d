"""Reading JSON values into checked Python values, one field at a time. Every function takes the
raw value and its path and returns a clean value or raises FieldError; nothing else escapes."""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from node.content.fields.types import (
    ALT_MAX,
    EMPTY,
    IMAGE_TYPES,
    MAX_LANGUAGES,
    MAX_TAGS,
    SHORT_MAX,
    TAG_MAX,
    URL_MAX,
    FieldError,
    Image,
    Location,
    Place,
    PostalAddress,
)
from node.content.i18n import normalize_language_tag

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def sub_path(path: str, key: str | int) -> str:
    """The path of a member: ``location`` + ``url`` -> ``location.url``; ``tags`` + 2 -> ``tags[2]``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def read_object(
    value: Any, path: str, allowed: frozenset[str], what: str = "an object"
) -> dict[str, Any]:
    """A JSON object whose keys are all in ``allowed`` (an unknown key is an error, with a
    suggestion: a typo must not be silently ignored)."""
    if not isinstance(value, dict):
        raise FieldError(path, f"must be {what}")
    for key in value:
        if not isinstance(key, str) or key not in allowed:
            shown = (key if isinstance(key, str) else repr(key))[:60]
            near = difflib.get_close_matches(shown, sorted(allowed), n=1)
            hint = f" (did you mean {near[0]}?)" if near else ""
            raise FieldError(sub_path(path, shown), f"unknown field{hint}")
    return value


def read_text(
    value: Any, path: str, *, required: bool = False, min_len: int = 1, max_len: int = SHORT_MAX,
    multiline: bool = False,
) -> str | None:  # fmt: skip
    """A string, NFC-normalized and trimmed, within bounds; None when absent or blank (unless
    required). Control characters, lone surrogates and (unless multiline) line breaks are refused:
    PostgreSQL cannot store NUL, and JSON encoders choke on surrogates."""
    if value is None:
        if required:
            raise FieldError(path, "is required")
        return None
    if not isinstance(value, str):
        raise FieldError(path, "must be a string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise FieldError(path, "contains characters that are not valid Unicode") from None
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").strip()
    if _CONTROL.search(text):
        raise FieldError(path, "contains control characters")
    if not multiline and ("\n" in text or "\r" in text or "\t" in text):
        raise FieldError(path, "must be a single line")
    if not text:
        if required:
            raise FieldError(path, "must not be empty")
        return None
    if len(text) < min_len:
        raise FieldError(path, f"must be at least {min_len} characters")
    if len(text) > max_len:
        raise FieldError(path, f"must be at most {max_len} characters (it has {len(text)})")
    return text


def required_text(value: Any, path: str, **kw: Any) -> str:
    """Like :func:`read_text`, but the field must be present and not blank."""
    text = read_text(value, path, required=True, **kw)
    assert text is not None
    return text


def read_url(value: Any, path: str, *, required: bool = False) -> str | None:
    """An absolute http(s) URL with a host and without credentials, at most 2000 characters."""
    text = read_text(value, path, required=required, max_len=URL_MAX)
    if text is None:
        return None
    if any(ch.isspace() for ch in text):
        raise FieldError(path, "must be a URL without spaces")
    try:
        parts = urlsplit(text)
        port_ok = parts.port is None or 0 < parts.port < 65536
        host = parts.hostname
    except ValueError:
        raise FieldError(path, "is not a valid URL") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise FieldError(path, "must be an http:// or https:// URL")
    if not host or not port_ok:
        raise FieldError(path, "is not a valid URL (no host)")
    if parts.username is not None or parts.password is not None:
        raise FieldError(path, "must not contain a user name or password")
    return text


def read_int(value: Any, path: str, low: int, high: int) -> int:
    # bool is an int in Python; JSON true is not a number.
    """A whole number in ``low..high`` (JSON ``true`` is not a number, although bool is an int)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FieldError(path, "must be a whole number")
    if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
        raise FieldError(path, "must be a whole number")
    number = int(value)
    if not low <= number <= high:
        raise FieldError(path, f"must be between {low} and {high}")
    return number


def read_number(value: Any, path: str, low: float, high: float) -> float:
    """A finite number in ``low..high``, as a float."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FieldError(path, "must be a number")
    # Range-check ints before float(): a huge int would overflow.
    if not (math.isfinite(value) if isinstance(value, float) else True) or not low <= value <= high:
        raise FieldError(path, f"must be a number between {low:g} and {high:g}")
    return float(value)


def read_bool(value: Any, path: str) -> bool:
    """JSON ``true`` or ``false``."""
    if not isinstance(value, bool):
        raise FieldError(path, "must be true or false")
    return value


def read_choice(value: Any, path: str, choices: tuple[str, ...], default: str | None = None) -> str:
    """One of ``choices``; ``default`` when absent (if there is one)."""
    if value is None and default is not None:
        return default
    if value is None:
        raise FieldError(path, "is required: one of " + ", ".join(choices))
    if not isinstance(value, str) or value not in choices:
        raise FieldError(path, "must be one of: " + ", ".join(choices))
    return value


def read_list(value: Any, path: str, max_items: int) -> list[Any]:
    """A JSON array of at most ``max_items`` entries (absent: empty)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise FieldError(path, "must be a list")
    if len(value) > max_items:
        raise FieldError(path, f"must have at most {max_items} entries")
    return value


def read_language(value: Any, path: str) -> str:
    """A BCP 47 language tag, in canonical case."""
    if not isinstance(value, str):
        raise FieldError(path, "must be a language tag such as en or pt-BR")
    tag = normalize_language_tag(value)
    if tag is None:
        raise FieldError(
            path, f"{value[:40]!r} is not a language tag (BCP 47, such as en or pt-BR)"
        )
    return tag


def read_languages(value: Any, path: str) -> tuple[str, ...]:
    """A list of language tags, duplicates dropped, order kept (the first is the default)."""
    tags: list[str] = []
    for index, item in enumerate(read_list(value, path, MAX_LANGUAGES)):
        tag = read_language(item, sub_path(path, index))
        if tag not in tags:
            tags.append(tag)
    return tuple(tags)


def read_text_map(
    value: Any, path: str, default_language: str | None, default_text: str | None, **kw: Any
) -> Mapping[str, str]:
    """A {language: text} map of translations; the default language's entry must match the
    default text (it is the same field, twice), and is dropped."""
    if value is None:
        return EMPTY
    if not isinstance(value, dict):
        raise FieldError(path, "must be an object of {language: text}")
    if len(value) > MAX_LANGUAGES:
        raise FieldError(path, f"must have at most {MAX_LANGUAGES} languages")
    if value and default_language is None:
        raise FieldError(
            "languages",
            f"is required with {path}: its first entry is the language of the default text",
        )
    result: dict[str, str] = {}
    for key, text in value.items():
        lang = read_language(key, sub_path(path, str(key)[:40]))
        item = required_text(text, f"{path}.{lang}", **kw)
        if lang == default_language:
            if item != default_text:
                raise FieldError(
                    f"{path}.{lang}",
                    f"differs from the default text; {lang} is the default language, so the "
                    "text belongs in the field without Map",
                )
            continue
        result[lang] = item
    return MappingProxyType(result)


def read_tags(value: Any, path: str) -> tuple[str, ...]:
    """Hashtags: Mastodon's rule (word characters with at least one letter), without ``#``,
    duplicates in any case dropped."""
    tags: list[str] = []
    seen: set[str] = set()
    for index, item in enumerate(read_list(value, path, MAX_TAGS)):
        sub = sub_path(path, index)
        text = required_text(item, sub, max_len=TAG_MAX + 1).removeprefix("#")
        # Mastodon's hashtag rule: word characters with at least one letter.
        if not re.fullmatch(r"\w{1,64}", text) or not any(ch.isalpha() for ch in text):
            raise FieldError(
                sub,
                "must be letters, digits and _ with at least one letter (e.g. SolidarityEconomy)",
            )
        if text.casefold() not in seen:
            seen.add(text.casefold())
            tags.append(text)
    return tuple(tags)


# ``media`` is the id of an upload the image was made from (node/features/media/refs.py).
_IMAGE_KEYS = frozenset({"url", "mediaType", "name", "width", "height", "media"})


def read_image(value: Any, path: str) -> Image | None:
    """An image with its alt text (required) and media type (given, or told from the URL)."""
    if value is None:
        return None
    data = read_object(value, path, _IMAGE_KEYS)
    url = read_url(data.get("url"), sub_path(path, "url"), required=True)
    assert url is not None
    media_type = data.get("mediaType")
    if media_type is None:
        url_path = urlsplit(url).path
        media_type = IMAGE_TYPES.get(
            url_path[url_path.rfind(".") :].lower() if "." in url_path else ""
        )
        if media_type is None:
            raise FieldError(
                sub_path(path, "mediaType"), "is required (it cannot be told from the URL)"
            )
    elif media_type not in IMAGE_TYPES.values():
        raise FieldError(
            sub_path(path, "mediaType"),
            "must be one of: " + ", ".join(sorted(set(IMAGE_TYPES.values()))),
        )
    alt = read_text(data.get("name"), sub_path(path, "name"), max_len=ALT_MAX, multiline=True)
    if alt is None:
        raise FieldError(
            sub_path(path, "name"), "is required: describe the image for people who cannot see it"
        )
    width, height = data.get("width"), data.get("height")
    return Image(
        url=url,
        media_type=media_type,
        name=alt,
        width=None if width is None else read_int(width, sub_path(path, "width"), 1, 100_000),
        height=None if height is None else read_int(height, sub_path(path, "height"), 1, 100_000),
    )


def read_address(value: Any, path: str) -> PostalAddress | None:
    """A schema.org PostalAddress with at least one part."""
    if value is None:
        return None
    keys = ("streetAddress", "postalCode", "addressLocality", "addressRegion", "addressCountry")
    data = read_object(value, path, frozenset(keys))
    parts = [read_text(data.get(k), sub_path(path, k)) for k in keys]
    if not any(parts):
        raise FieldError(path, "is empty: give at least a street, locality or country")
    return PostalAddress(*parts)


def read_location(value: Any, path: str) -> Location | None:
    """``{name, address, latitude, longitude, url}``: with ``url`` only (or ``url`` and a
    ``name``) it is online; with an address or coordinates (or a name and no url) it is a place;
    with both a place and a url it is hybrid."""
    if value is None:
        return None
    keys = frozenset({"name", "address", "latitude", "longitude", "url"})
    data = read_object(value, path, keys, "an object with name, address, latitude, longitude, url")
    name = read_text(data.get("name"), sub_path(path, "name"))
    address = read_address(data.get("address"), sub_path(path, "address"))
    url = read_url(data.get("url"), sub_path(path, "url"))
    lat, lon = data.get("latitude"), data.get("longitude")
    if (lat is None) != (lon is None):
        missing = "longitude" if lon is None else "latitude"
        raise FieldError(sub_path(path, missing), "is required with the other coordinate")
    latitude = None if lat is None else read_number(lat, sub_path(path, "latitude"), -90, 90)
    longitude = None if lon is None else read_number(lon, sub_path(path, "longitude"), -180, 180)
    physical = address is not None or latitude is not None or (name is not None and url is None)
    if not physical:
        if url is None:
            raise FieldError(path, "give a place (name and/or address) or an online url, or both")
        return Location(online_url=url, online_name=name)
    if name is None and address is None:
        raise FieldError(sub_path(path, "name"), "a place needs a name or an address")
    return Location(Place(name, address, latitude, longitude), online_url=url)
