"""Words for a person that code chooses (a refusal, an error beside a form), in their language.

The English is the gettext message id, marked with ``N_`` where it is written, with
``%(name)s`` placeholders for the values; it is translated first and filled afterwards, so one
catalogue entry serves every value. ``str()`` of a :class:`Worded` error stays the English (the
command line and the logs read it).

It lives in the web kit, below the features, so that any feature's service can raise a
``Worded`` error (a follower not waiting, a participant already refused) and the workspace
shows it in the reader's language while the CLI and the JSON API keep the English.
"""

from __future__ import annotations

from typing import Any

from node.web import i18n


class Term(str):
    """A stored code shown as a word inside a message (a membership's state): translated with
    the message, where a plain value (a name, an address) is filled in as it is. The code must
    be N_-marked where its feature lists its codes."""


def words(lang: str, message: str, **values: Any) -> str:
    """An N_-marked message in ``lang``, its ``%(name)s`` placeholders filled."""
    text = i18n.gettext(lang, message)
    if not values:
        return text
    return text % {
        name: i18n.gettext(lang, value) if isinstance(value, Term) else value
        for name, value in values.items()
    }


class Worded(ValueError):
    """An error whose message is for a person: N_-marked English and the values it names."""

    def __init__(self, message: str, **values: Any) -> None:
        super().__init__(message % values if values else message)
        self.message = message
        self.values = values

    def in_language(self, lang: str) -> str:
        """The message in ``lang`` (English where the catalogue has none)."""
        return words(lang, self.message, **self.values)


def in_language(exc: BaseException, lang: str) -> str:
    """The message of any error for a page: a :class:`Worded` one in ``lang``, any other as is."""
    return exc.in_language(lang) if isinstance(exc, Worded) else str(exc)
