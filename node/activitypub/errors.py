"""Reading exception chains: libraries (pyld, aiohttp) wrap the error that says what happened."""

from __future__ import annotations

from typing import TypeVar

__all__ = ["find_cause"]

E = TypeVar("E", bound=BaseException)


def find_cause(exc: BaseException, kind: type[E]) -> E | None:
    """The first exception of ``kind`` in ``exc``'s chain (itself, its cause or context, ...)."""
    seen: set[int] = set()  # a chain can loop back on itself
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None
