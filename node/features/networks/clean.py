"""What a network keeps of remote values it republishes: http(s) links without control
characters, real IANA zones, readable times in a sane range, and HTML through nh3.

Applied when an item is filed (node/features/networks/filing.py), which records :data:`RULES`
beside the document (``network_item.clean_rules``). A document filed under the current rules is
shown as stored; any other (filed before the rules were versioned, or under older rules) is
cleaned again when shown (:func:`shown`), so old rows render safely too without every read
paying for cleaning (half of a written calendar's cost, docs/benchmarks.md).
The HTML allow-list is the one replies get (node/content/remote_html.py).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from node.activitypub.addressing import is_http_url
from node.content.remote_html import clean_remote_html

# The version of what normalised() keeps. Bump it with ANY change to these rules or to the HTML
# allow-list (node/content/remote_html.py), nh3 upgrades included when they change its output:
# rows filed under another version are then cleaned again when shown. tests/unit/test_clean_rules.py
# pins the output of these rules on hostile documents to this number.
RULES = 1
MAX_URL = 2048
MAX_ZONE = 64
MAX_HTML = 100_000
# Years a calendar can show in any zone: far from datetime's limits, where conversions overflow.
MIN_YEAR, MAX_YEAR = 1000, 9000
TIME_KEYS = ("published", "updated", "startTime", "endTime")
HTML_KEYS = ("content", "summary")
_ZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
# The common shape of a link, told without urlsplit (a fifth of an event's VEVENT): http(s), an
# ASCII host, a port, then anything without "@" or "\\". Every string it matches is one
# is_http_url accepts (tests/unit/test_clean_rules.py); any other goes through is_http_url.
_PLAIN_HTTP = re.compile(r"https?://[A-Za-z0-9.\-]+(?::[0-9]{1,5})?(?:[/?#][^@\\]*)?")


def http_url(value: Any) -> str | None:
    """``value`` if it is an http(s) URL with no spaces or control characters, else None."""
    if not isinstance(value, str) or len(value) > MAX_URL or _CONTROL.search(value):
        return None
    return value if _PLAIN_HTTP.fullmatch(value) or is_http_url(value) else None


def link(value: Any) -> str | None:
    """The http(s) address of a ``url`` value: a string, a Link's ``href``, or the first of a
    list of them."""
    for candidate in value if isinstance(value, list) else [value]:
        if isinstance(candidate, dict):
            candidate = candidate.get("href")
        found = http_url(candidate)
        if found:
            return found
    return None


def zone_name(value: Any) -> str | None:
    """An IANA zone name the zone database really has (``Europe`` is a folder, not a zone)."""
    if not isinstance(value, str) or len(value) > MAX_ZONE or not _ZONE.fullmatch(value):
        return None
    try:
        ZoneInfo(value)
    except Exception:  # ZoneInfoNotFoundError, IsADirectoryError, ValueError, OSError…
        return None
    return value


def moment(value: Any) -> datetime | None:
    """An RFC 3339 time keeping its offset, in a sane range; None when unreadable."""
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        in_utc = parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return parsed if MIN_YEAR <= in_utc.year <= MAX_YEAR else None


def html(value: Any) -> str:
    """Remote HTML through nh3 with the replies' allow-list; links get rel=nofollow."""
    return clean_remote_html(value, MAX_HTML)


def normalised(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with its link, zone, times and HTML made safe; what cannot be made safe is left
    out (a missing ``url`` falls back to the id, a missing zone to UTC)."""
    clean = dict(doc)
    if "url" in clean:
        found = link(clean["url"])
        clean.pop("url") if found is None else clean.update(url=found)
    if "timezone" in clean and zone_name(clean["timezone"]) is None:
        clean.pop("timezone")
    for key in TIME_KEYS:
        if key in clean and moment(clean[key]) is None:
            clean.pop(key)
    for key in HTML_KEYS:
        if isinstance(clean.get(key), str):
            clean[key] = html(clean[key])
        mapped = clean.get(f"{key}Map")
        if isinstance(mapped, dict):
            clean[f"{key}Map"] = {str(k)[:35]: html(v) for k, v in mapped.items()}
    return clean


def shown(document: dict[str, Any], rules: int) -> dict[str, Any]:
    """A filed document as it may be shown: as stored when it was filed under the current
    :data:`RULES` (filing cleaned it then), else cleaned now."""
    return document if rules == RULES else normalised(document)
