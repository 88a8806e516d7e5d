"""RFC 8941 structured fields: the subset HTTP message signatures (RFC 9421) use.

Dictionaries of inner lists with parameters, strings, tokens, integers, decimals and byte
sequences. Strict and bounded: a hostile header is refused with SFError, never crashes.
"""

from __future__ import annotations

import base64
import binascii
import re
from decimal import ROUND_HALF_EVEN, Decimal
from typing import NamedTuple

# Written as plain functions threading an index: this runs on every inbox POST, and attribute
# look-ups on a parser object cost more than the parsing itself.

# Bounds shared with the signature parser: a header, and the components one signature covers.
MAX_HEADER = 8192
MAX_COMPONENTS = 32
_MAX_SF_MEMBERS = 32
_MAX_SF_PARAMS = 16

_SF_KEY = re.compile(r"[a-z*][a-z0-9_\-.*]*")
_SF_TOKEN = re.compile(r"[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*")
_SF_NUMBER = re.compile(r"-?[0-9]{1,15}(?:\.[0-9]{1,3})?(?![0-9.])")
_SF_STRING = re.compile(
    r'"([\x20\x21\x23-\x5b\x5d-\x7e]*(?:\\["\\][\x20\x21\x23-\x5b\x5d-\x7e]*)*)"'
)
_SF_STRING_ESCAPE = re.compile(r'\\(["\\])')
_SF_BYTES = re.compile(r":([A-Za-z0-9+/=]*):")
_SF_PLAIN_LIST = re.compile(r'(?:"[!#-\[\]-~]+"(?: "[!#-\[\]-~]+")*)?\)')
_SF_TOKEN_START = frozenset("*ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_SF_NUMBER_START = frozenset("-0123456789")


class _Token(str):
    """An RFC 8941 Token, kept apart from a String because the two serialise differently."""

    __slots__ = ()


_Bare = bool | int | Decimal | str | bytes
_Params = dict[str, _Bare]


class _Item(NamedTuple):
    value: _Bare
    params: _Params


class _InnerList(NamedTuple):
    items: tuple[_Item, ...]
    params: _Params


class _SFError(Exception):
    pass


def _sf_dictionary(text: str) -> dict[str, _Item | _InnerList] | None:
    """Parse an RFC 8941 dictionary strictly; None on anything malformed or too large."""
    if len(text) > MAX_HEADER:
        return None
    try:
        return _sf_parse_dictionary(text)
    except _SFError:
        return None


def _sf_parse_dictionary(s: str) -> dict[str, _Item | _InnerList]:
    out: dict[str, _Item | _InnerList] = {}
    n = len(s)
    i = 0
    while i < n and s[i] == " ":
        i += 1
    while i < n:
        match = _SF_KEY.match(s, i)
        if match is None:
            raise _SFError
        key, i = match.group(), match.end()
        member: _Item | _InnerList
        if s.startswith("=(", i):
            member, i = _sf_parse_inner_list(s, i + 2)
        elif s.startswith("=", i):
            value, i = _sf_parse_bare(s, i + 1)
            params, i = _sf_parse_params(s, i)
            member = _Item(value, params)
        else:
            params, i = _sf_parse_params(s, i)
            member = _Item(True, params)
        out[key] = member
        if len(out) > _MAX_SF_MEMBERS:
            raise _SFError
        while i < n and s[i] in " \t":
            i += 1
        if i >= n:
            break
        if s[i] != ",":
            raise _SFError
        i += 1
        while i < n and s[i] in " \t":
            i += 1
        if i >= n:
            raise _SFError
    return out


def _sf_parse_inner_list(s: str, i: int) -> tuple[_InnerList, int]:
    # Fast path for the usual shape, plain strings without parameters: ("@method" "host" ...).
    plain = _SF_PLAIN_LIST.match(s, i)
    if plain is not None:
        text = plain.group()[1:-2]
        params, end = _sf_parse_params(s, plain.end())
        names = text.split('" "') if text else ()
        if len(names) > MAX_COMPONENTS:
            raise _SFError
        return _InnerList(tuple([_Item(name, {}) for name in names]), params), end
    items: list[_Item] = []
    n = len(s)
    while i < n:
        while i < n and s[i] == " ":
            i += 1
        if s.startswith(")", i):
            params, i = _sf_parse_params(s, i + 1)
            return _InnerList(tuple(items), params), i
        value, i = _sf_parse_bare(s, i)
        params, i = _sf_parse_params(s, i)
        items.append(_Item(value, params))
        if len(items) > MAX_COMPONENTS or (i < n and s[i] != " " and s[i] != ")"):
            raise _SFError
    raise _SFError


def _sf_parse_params(s: str, i: int) -> tuple[_Params, int]:
    params: _Params = {}
    while s.startswith(";", i):
        i += 1
        while s.startswith(" ", i):
            i += 1
        match = _SF_KEY.match(s, i)
        if match is None:
            raise _SFError
        key, i = match.group(), match.end()
        value: _Bare = True
        if s.startswith("=", i):
            value, i = _sf_parse_bare(s, i + 1)
        params[key] = value
        if len(params) > _MAX_SF_PARAMS:
            raise _SFError
    return params, i


def _sf_parse_bare(s: str, i: int) -> tuple[_Bare, int]:
    c = s[i : i + 1]
    if c == '"':
        match = _SF_STRING.match(s, i)
        if match is None:
            raise _SFError
        text = match.group(1)
        return (_SF_STRING_ESCAPE.sub(r"\1", text) if "\\" in text else text), match.end()
    if c == ":":
        match = _SF_BYTES.match(s, i)
        if match is None:
            raise _SFError
        raw = match.group(1)
        try:
            return base64.b64decode(raw + "=" * (-len(raw) % 4), validate=True), match.end()
        except (binascii.Error, ValueError):
            raise _SFError from None
    if c in _SF_TOKEN_START:
        match = _SF_TOKEN.match(s, i)
        if match is None:  # pragma: no cover - the first character always matches
            raise _SFError
        return _Token(match.group()), match.end()
    if c in _SF_NUMBER_START:
        match = _SF_NUMBER.match(s, i)
        if match is None:
            raise _SFError
        text = match.group()
        if "." not in text:
            return int(text), match.end()
        if len(text.lstrip("-").partition(".")[0]) > 12:
            raise _SFError
        return Decimal(text), match.end()
    if c == "?" and s[i + 1 : i + 2] in ("0", "1"):
        return s[i + 1] == "1", i + 2
    raise _SFError


def _ser_bare(value: _Bare) -> str:
    if type(value) is str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, _Token):
        return str(value)
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        rounded = value.quantize(Decimal("0.001"), rounding=ROUND_HALF_EVEN)
        whole, _, fraction = f"{abs(rounded):.3f}".partition(".")
        return ("-" if rounded < 0 else "") + whole + "." + (fraction.rstrip("0") or "0")
    if isinstance(value, bytes):
        return ":" + base64.b64encode(value).decode("ascii") + ":"
    raise TypeError(f"not a structured-field value: {value!r}")  # pragma: no cover


def _ser_params(params: _Params) -> str:
    if not params:
        return ""
    return "".join(
        f";{key}" if value is True else f";{key}={_ser_bare(value)}"
        for key, value in params.items()
    )


def _ser_inner_list(inner: _InnerList) -> str:
    items = " ".join(
        f'"{value}"'
        if not params and type(value) is str and '"' not in value and "\\" not in value
        else _ser_bare(value) + _ser_params(params)
        for value, params in inner.items
    )
    return f"({items}){_ser_params(inner.params)}"
