"""Language tags, Accept-Language negotiation and the nameMap/contentMap helpers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from node.content.i18n import (
    is_language_tag,
    language_map,
    language_name,
    localized,
    normalize_language_tag,
    pick_language,
)


@pytest.mark.parametrize(
    ("tag", "normal"),
    [
        ("en", "en"),
        ("EN-us", "en-US"),
        ("pt_br", "pt-BR"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("es-419", "es-419"),
        ("ase", "ase"),
        ("english", None),
        ("e", None),
        ("en-", None),
        ("", None),
        ("x" * 40, None),
    ],
)
def test_normalize_language_tag(tag: str, normal: str | None) -> None:
    assert normalize_language_tag(tag) == normal
    assert is_language_tag(tag) is (normal is not None)


@pytest.mark.parametrize(
    ("header", "available", "expected"),
    [
        ("es-MX,es;q=0.9,en;q=0.8", ["en", "es"], "es"),  # truncation: es-MX finds es
        ("fr", ["en", "fr-CA"], "fr-CA"),  # extension: fr finds fr-CA
        ("de;q=0.5, fr;q=0.9", ["de", "fr"], "fr"),  # quality wins over order
        ("fr;q=0, en", ["fr", "en"], "en"),  # q=0 means "not this"
        ("*", ["es", "en"], "en"),
        ("", ["es", "en"], "en"),
        ("ja", ["es", "fr"], "en"),  # nothing matches: the default
        ("EN-gb", ["en-GB", "en"], "en-GB"),  # case-insensitive, spelled as available
        ("garbage;;;q=zz,,,es", ["es"], "es"),
    ],
)
def test_pick_language(header: str, available: list[str], expected: str) -> None:
    assert pick_language(header, available, "en") == expected


def test_pick_language_with_nothing_available() -> None:
    assert pick_language("es", [], "en") == "en"


@given(header=st.text(max_size=3000))
def test_pick_language_never_raises(header: str) -> None:
    assert pick_language(header, ["en", "es", "fr-CA"], "en") in {"en", "es", "fr-CA"}


def test_language_map_puts_the_default_first() -> None:
    assert language_map("en", "Forum", {"es": "Foro", "en": "ignored"}) == {
        "en": "Forum",
        "es": "Foro",
    }
    assert list(language_map("en", "Forum", {"es": "Foro"}) or {}) == ["en", "es"]
    # Mastodon takes a post's language from the maps only, so one language is still a map.
    assert language_map("en", "Forum", {}) == {"en": "Forum"}
    assert language_map(None, "Forum", {}) is None
    assert language_map("en", None, {}) is None


def test_localized_and_names() -> None:
    assert localized("en", "Forum", {"es": "Foro"}, "ES") == "Foro"
    assert localized("en", "Forum", {"es": "Foro"}, "fr") == "Forum"
    assert language_name("es-MX") == "Spanish"
    assert language_name("ase") == "American Sign Language"
    assert language_name("tlh") == "tlh"
