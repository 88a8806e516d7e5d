"""JSON Canonicalization Scheme (RFC 8785), the canonical form under ``eddsa-jcs-2022``.

The codec is the ``rfc8785`` library; this adapter keeps two rules of ours around it:

* an integer beyond ±(2**53 - 1), which the library refuses, is read as the IEEE-754 double a
  JavaScript peer (Fedify) would have parsed it into, so we canonicalise what it signed, and
* every way to fail - NaN, lone surrogates, non-string keys, runaway nesting - is one
  :class:`JcsError`.
"""

from __future__ import annotations

from typing import Any

import rfc8785

__all__ = ["JcsError", "canonicalize"]


class JcsError(ValueError):
    """The value cannot be canonicalised (not JSON data, NaN/Infinity, lone surrogate, too deep)."""


def canonicalize(value: Any) -> bytes:
    """Return the RFC 8785 canonical UTF-8 serialisation of a JSON value.

    Raises :class:`JcsError` for anything outside I-JSON: non-string keys, NaN or infinities,
    unpaired surrogates, unsupported Python types, or nesting deep enough to exhaust the stack.
    """
    try:
        try:
            return rfc8785.dumps(value)
        except rfc8785.IntegerDomainError:
            # Rare (ids and counters stay far below 2**53), so the copy is made only then.
            return rfc8785.dumps(_as_doubles(value))
    except (rfc8785.CanonicalizationError, UnicodeError, OverflowError) as exc:
        raise JcsError(str(exc)) from exc
    except RecursionError as exc:
        # Callers bound nesting far below this (jsonld.check_complexity); the last line.
        raise JcsError("nesting too deep") from exc


def _as_doubles(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str | float):
        return value
    if isinstance(value, int):
        return float(value)  # OverflowError beyond the doubles' range: not a JSON number
    if isinstance(value, dict):
        return {key: _as_doubles(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_as_doubles(item) for item in value]
    return value  # the library refuses it with its own message
