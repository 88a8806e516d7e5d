"""pyld, imported without the HTTP libraries it would load for a document loader we never use.

Importing ``pyld.jsonld`` builds a default document loader at once: a ``requests`` session if
``requests`` imports, else aiohttp's, else a loader that refuses everything. That first choice
alone loads ``requests``, urllib3 and charset_normalizer (about 110 modules, 4 MiB in a
serving process). This node never lets pyld fetch anything: every call in ``jsonld`` passes the
offline loader of bundled contexts. So the two libraries are hidden while pyld loads (only if
not loaded already; nothing else is changed). pyld then keeps aiohttp's loader class when the
process has aiohttp (it creates no session until called) or its refusing loader; neither is
ever called.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

_HTTP_LIBRARIES = ("requests", "aiohttp")


@contextmanager
def _hidden(names: tuple[str, ...]) -> Iterator[None]:
    """``import name`` raises ImportError inside the block for each name not yet imported."""
    hidden = [name for name in names if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # the documented way to refuse
    try:
        yield
    finally:
        for name in hidden:
            if sys.modules.get(name, ...) is None:
                del sys.modules[name]


with _hidden(_HTTP_LIBRARIES):
    from pyld import jsonld as pyld_jsonld
    from pyld.canon import URDNA2015
    from pyld.context_resolver import ContextResolver
    from pyld.jsonld import JsonLdError

__all__ = ["URDNA2015", "ContextResolver", "JsonLdError", "pyld_jsonld"]
