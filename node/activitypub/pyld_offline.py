"""pyld, imported without the HTTP libraries it would load for a document loader we never use.

Importing ``pyld.jsonld`` builds a default document loader at once: a ``requests`` session if
``requests`` imports, else aiohttp's, else a loader that refuses everything. That first choice
alone loads ``requests``, urllib3 and charset_normalizer (about 110 modules, 4 MiB in a
serving process). This node never lets pyld fetch anything: every call in ``jsonld`` passes the
offline loader of bundled contexts. So the two libraries are hidden while pyld loads (only if
not loaded already; nothing else is changed). pyld then keeps aiohttp's loader class when the
process has aiohttp (it creates no session until called) or its refusing loader; neither is
ever called.

pyld also imports ``lxml.html`` at its top (about 5 MiB: libxml2, libxslt, lxml's element
classes), for one function: reading JSON-LD out of an HTML page a document loader returned.
The offline loader only ever returns JSON, so pyld gets a stand-in ``lxml.html`` whose
``fromstring`` imports the real one at its first call, which never comes here.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

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


def _html_fromstring(*args: Any, **kwargs: Any) -> Any:
    # lazy: pyld's HTML path, which the offline loader never takes
    return importlib.import_module("lxml.html").fromstring(*args, **kwargs)


@contextmanager
def _lxml_deferred() -> Iterator[None]:
    """``import lxml.html`` inside the block binds a stand-in with a lazy ``fromstring``
    (unless lxml is loaded already); the stand-in leaves ``sys.modules`` after the block."""
    if "lxml" in sys.modules:
        yield
        return
    package = types.ModuleType("lxml")
    html = types.ModuleType("lxml.html")
    html.fromstring = _html_fromstring  # type: ignore[attr-defined]
    package.html = html  # type: ignore[attr-defined]
    sys.modules.update({"lxml": package, "lxml.html": html})
    try:
        yield
    finally:
        for name, stand_in in (("lxml", package), ("lxml.html", html)):
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]


with _hidden(_HTTP_LIBRARIES), _lxml_deferred():
    from pyld import jsonld as pyld_jsonld
    from pyld.canon import URDNA2015
    from pyld.context_resolver import ContextResolver
    from pyld.jsonld import JsonLdError

__all__ = ["URDNA2015", "ContextResolver", "JsonLdError", "pyld_jsonld"]
