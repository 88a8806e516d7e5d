"""Why another server could not be read, for an organizer in their language.

A :class:`RemoteActorError` comes from the federation engine, below the web kit, so its
message is English for the logs and the command line (with addresses and statuses an admin
reads). A workspace page in another language says the same by its ``reason`` code, one whole
sentence each (lower-case, no final stop, like the Worded errors, so a page may put it inside
its own sentence); an English page keeps the engine's own words, and any other error is
shown as :func:`node.web.wording.in_language` shows it.
"""

from __future__ import annotations

from node.federation.remote.fetch import RemoteActorError
from node.web import i18n
from node.web.i18n import N_
from node.web.wording import in_language

UNREADABLE = N_("their server could not be read just now; try again later")
NOT_AN_ACCOUNT = N_("their server answered with something that is not a fediverse account")

REASONS = {
    "fetch_failed": N_("their server could not be reached or did not answer; try again later"),
    "webfinger_failed": N_("their server could not find that account"),
    "blocked_address": N_(
        "that address points into a private network; this node does not go there"
    ),
    "blocked_domain": N_("that server is blocked (or not allowed) on this node"),
    "too_large": N_("their server answered with a document too large to read"),
    "not_found": N_("that account does not exist on its server"),
    "gone": N_("that account was deleted from its server"),
    "bad_content_type": NOT_AN_ACCOUNT,
    "bad_document": NOT_AN_ACCOUNT,
    "id_mismatch": NOT_AN_ACCOUNT,
    "not_an_actor": NOT_AN_ACCOUNT,
    "bad_url": N_("that is not a web address (http or https)"),
    "bad_handle": N_("that is not a fediverse address like @name@server.example"),
    "local": N_("that address is on this node itself"),
}


def why_not(exc: Exception, lang: str) -> str:
    """What went wrong, for a page in ``lang``: another server's failure by its reason, a
    ``Worded`` error in ``lang``, anything else as it is."""
    if not isinstance(exc, RemoteActorError):
        return in_language(exc, lang)
    if i18n.ui_language(lang) == i18n.DEFAULT:
        return str(exc)
    return i18n.gettext(lang, REASONS.get(exc.reason, UNREADABLE))
