"""A place in a keyset order, as it goes in a URL: the sort key of the last row a page showed.

A token is the key's parts joined by ``~``: a letter naming the range the row came from (a list
read as several index ranges, e.g. open calls then closed ones), a timestamp as
``20260501T120000.000000Z``, a row id as digits, e.g. ``o~20260501T120000.000000Z~8812``.
Readers treat it as opaque; :func:`parse` answers None for anything it did not make, so a
garbled link is answered as such, never with an error deep in a query.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

Part = str | datetime | int

_STAMP = "%Y%m%dT%H%M%S.%f"
_PATTERNS: dict[type, re.Pattern[str]] = {
    str: re.compile(r"^[a-z]$"),
    datetime: re.compile(r"^\d{8}T\d{6}\.\d{6}Z$"),
    int: re.compile(r"^\d{1,18}$"),
}
MAX_TOKEN = 100


def token(*parts: Part) -> str:
    """The token of a key (letters, aware timestamps, non-negative ids)."""
    out = []
    for part in parts:
        if isinstance(part, datetime):
            stamp = part.replace(tzinfo=UTC) if part.tzinfo is None else part.astimezone(UTC)
            out.append(stamp.strftime(_STAMP) + "Z")
        else:
            out.append(str(part))
    return "~".join(out)


def parse(raw: str | None, *kinds: type) -> tuple[Part, ...] | None:
    """The key a token carries, its parts of ``kinds`` (str, datetime, int) in order; None
    when absent or not a token of that shape."""
    if not raw or len(raw) > MAX_TOKEN:
        return None
    pieces = raw.split("~")
    if len(pieces) != len(kinds):
        return None
    parts: list[Part] = []
    for piece, kind in zip(pieces, kinds, strict=True):
        if not _PATTERNS[kind].match(piece):
            return None
        if kind is datetime:
            try:
                parts.append(datetime.strptime(piece[:-1], _STAMP).replace(tzinfo=UTC))
            except ValueError:
                return None
        else:
            parts.append(int(piece) if kind is int else piece)
    return tuple(parts)
