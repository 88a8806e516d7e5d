"""Every event category a form offers has a name of its own, marked for the catalogue, and the
list is in the organizer's language, by name."""

from __future__ import annotations

from node.content.fields import CATEGORIES
from node.features.workspace import categories
from tests.unit.test_catalogues import _marked


def test_every_category_has_a_marked_name() -> None:
    assert set(categories.NAMES) == set(CATEGORIES)
    assert not sorted(set(categories.NAMES.values()) - _marked())


def test_the_list_is_in_the_organizers_language_by_name() -> None:
    english = categories.options("en")
    assert ("WORKSHOPS_SKILL_SHARING", "Workshops and skill sharing") in english
    assert english[0] == ("ARTS", "Arts") and len(english) == len(CATEGORIES)
    spanish = categories.options("es")
    assert ("FOOD_DRINK", "Comida y bebida") in spanish
    assert [name for _, name in spanish] == sorted((n for _, n in spanish), key=str.casefold)
    assert categories.name("UNDERWATER_BASKETS", "es") == "Underwater baskets"
