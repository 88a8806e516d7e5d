"""JSON Canonicalization Scheme (RFC 8785), the canonical form under ``eddsa-jcs-2022``.

JCS is "what ECMAScript's ``JSON.stringify`` prints, with object members sorted". Two details
make Python's ``json.dumps(sort_keys=True)`` unsuitable:

* numbers are printed as ECMAScript ``Number.prototype.toString`` prints an IEEE-754 double
  (``1e+21``, ``1e-7``, ``0.000001``, ``4.5`` for ``4.50``, ``1`` for ``1.0``), and
* members are ordered by their UTF-16 code units, not by code points (they differ for keys
  beyond the Basic Multilingual Plane versus keys in U+E000..U+FFFF).

Strings are emitted as UTF-8 with only the escapes ``JSON.stringify`` makes, so non-ASCII text
stays literal. Input is the plain JSON data model (dict/list/str/int/float/bool/None), as
``json.loads`` returns it.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

__all__ = ["JcsError", "canonicalize", "number_to_string"]

# Recursion guard: the canonicaliser is recursive and runs on remote documents. Callers bound
# nesting well below this before calling (see jsonld.check_complexity); this is the last line.
MAX_DEPTH = 200

_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


class JcsError(ValueError):
    """The value cannot be canonicalised (not JSON data, NaN/Infinity, lone surrogate, too deep)."""


def canonicalize(value: Any, *, max_depth: int = MAX_DEPTH) -> bytes:
    """Return the RFC 8785 canonical UTF-8 serialisation of a JSON value.

    Raises :class:`JcsError` for anything outside I-JSON: non-string keys, NaN or infinities,
    unpaired surrogates, unsupported Python types, or nesting deeper than ``max_depth``.
    """
    parts: list[str] = []
    _emit(value, parts, 0, max_depth)
    text = "".join(parts)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        # json.loads happily produces lone surrogates from "\ud800"; I-JSON forbids them.
        raise JcsError("string holds an unpaired surrogate") from exc


def _emit(value: Any, out: list[str], depth: int, max_depth: int) -> None:
    if depth > max_depth:
        raise JcsError(f"nesting deeper than {max_depth}")
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, int | float):
        out.append(number_to_string(value))
    elif isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise JcsError(f"object key {key!r} is not a string")
        out.append("{")
        # UTF-16 code unit order: comparing UTF-16BE bytes compares code units, big end first.
        for index, key in enumerate(sorted(value, key=_utf16_key)):
            if index:
                out.append(",")
            out.append(_string(key))
            out.append(":")
            _emit(value[key], out, depth + 1, max_depth)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _emit(item, out, depth + 1, max_depth)
        out.append("]")
    else:
        raise JcsError(f"not a JSON value: {type(value).__name__}")


def _utf16_key(key: str) -> bytes:
    # surrogatepass: a lone surrogate must not crash the sort; encoding the output rejects it.
    return key.encode("utf-16-be", errors="surrogatepass")


def _string(text: str) -> str:
    out = ['"']
    for ch in text:
        escaped = _ESCAPES.get(ch)
        if escaped is not None:
            out.append(escaped)
        elif ch < " ":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def number_to_string(number: int | float) -> str:
    """Serialise a number as ECMAScript ``Number.prototype.toString`` does for a double.

    Integers are first converted to the nearest double, as a JavaScript peer would have parsed
    them (so 2**53 + 1 prints as 9007199254740992).
    """
    try:
        x = float(number)
    except OverflowError as exc:
        raise JcsError("number outside the range of an IEEE-754 double") from exc
    if math.isnan(x) or math.isinf(x):
        raise JcsError("NaN and Infinity are not JSON numbers")
    if x == 0:
        return "0"  # also for -0, as ECMAScript prints it
    sign = "-" if x < 0 else ""
    # repr() gives the shortest digit string that round-trips (David Gay's algorithm), the
    # same digits ECMAScript's Number::toString picks (ties go to the closer value in both).
    _, digit_tuple, exponent = Decimal(repr(abs(x))).as_tuple()
    assert isinstance(exponent, int)  # finite: never 'n'/'N'/'F'
    digits = "".join(map(str, digit_tuple)).rstrip("0")
    exponent += len(digit_tuple) - len(digits)  # account for the zeros stripped
    k = len(digits)
    n = exponent + k  # value = 0.digits * 10**n, in ECMA-262 terms s * 10**(n - k)
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + digits
    e = n - 1
    exp = f"e{'+' if e >= 0 else '-'}{abs(e)}"
    if k == 1:
        return sign + digits + exp
    return sign + digits[0] + "." + digits[1:] + exp
