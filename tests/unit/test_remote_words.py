"""Another server's failure, as the federation engine reports it, reaches an organizer in their
language by its reason; an English page keeps the engine's own words (the CLI's and the logs')."""

from __future__ import annotations

from node.features.networks.membership import MembershipError
from node.features.workspace.remote_words import REASONS, why_not
from node.federation.remote.fetch import RemoteActorError, require_url
from node.web import i18n


def test_a_deleted_account_is_said_in_spanish_and_kept_word_for_word_in_english() -> None:
    gone = RemoteActorError(
        "gone",
        "https://mastodon.example/users/rosa is gone (410)",
        url="https://mastodon.example/users/rosa",
        status=410,
    )
    assert why_not(gone, "es") == "esa cuenta se eliminó de su servidor"
    assert why_not(gone, "en") == "https://mastodon.example/users/rosa is gone (410)"


def test_a_refusal_from_the_engine_itself_and_a_worded_one() -> None:
    try:
        require_url("ftp://files.example/actor", "actor")
        raise AssertionError("an ftp address was taken")
    except RemoteActorError as exc:
        refused = exc
    assert refused.reason == "bad_url"
    assert why_not(refused, "es") == "eso no es una dirección web (http o https)"
    assert why_not(refused, "en") == str(refused)
    member = MembershipError("an actor cannot join itself")
    assert why_not(member, "es") == "una cuenta no puede unirse a sí misma"
    assert why_not(ValueError("plain"), "es") == "plain"


def test_every_reason_has_spanish() -> None:
    for words in REASONS.values():
        assert i18n.gettext("es", words) != words, words
