"""The names of the event categories (Mobilizon's list, node/content/fields) on the forms.

The category is stored as Mobilizon's identifier (``WORKSHOPS_SKILL_SHARING``); the form shows
its name, N_-marked here and translated in the organizer's language.
"""

from __future__ import annotations

from node.content.fields import CATEGORIES
from node.web import i18n
from node.web.i18n import N_

NAMES: dict[str, str] = {
    "ARTS": N_("Arts"),
    "AUTO_BOAT_AIR": N_("Cars, boats and planes"),
    "BOOK_CLUBS": N_("Book clubs"),
    "BUSINESS": N_("Business"),
    "CAUSES": N_("Causes"),
    "COMEDY": N_("Comedy"),
    "COMMUNITY": N_("Community"),
    "CRAFTS": N_("Crafts"),
    "CREATIVE_JAM": N_("Creative jam"),
    "DIY_MAKER_SPACES": N_("DIY and maker spaces"),
    "FAMILY_EDUCATION": N_("Family and education"),
    "FASHION_BEAUTY": N_("Fashion and beauty"),
    "FESTIVALS": N_("Festivals"),
    "FILM_MEDIA": N_("Film and media"),
    "FOOD_DRINK": N_("Food and drink"),
    "GAMES": N_("Games"),
    "INCLUSIVE_SPACES": N_("Inclusive spaces"),
    "LANGUAGE_CULTURE": N_("Language and culture"),
    "LEARNING": N_("Learning"),
    "LGBTQ": N_("LGBTQ"),
    "MEDITATION_WELLBEING": N_("Meditation and wellbeing"),
    "MEETING": N_("Meeting"),
    "MOVEMENTS_POLITICS": N_("Movements and politics"),
    "MUSIC": N_("Music"),
    "NETWORKING": N_("Networking"),
    "OUTDOORS_ADVENTURE": N_("Outdoors and adventure"),
    "PARTY": N_("Party"),
    "PERFORMING_VISUAL_ARTS": N_("Performing and visual arts"),
    "PETS": N_("Pets"),
    "PHOTOGRAPHY": N_("Photography"),
    "SCIENCE_TECH": N_("Science and technology"),
    "SPIRITUALITY_RELIGION_BELIEFS": N_("Spirituality, religion and beliefs"),
    "SPORTS": N_("Sports"),
    "THEATRE": N_("Theatre"),
    "WORKSHOPS_SKILL_SHARING": N_("Workshops and skill sharing"),
}


def name(category: str, lang: str) -> str:
    """A category's name in ``lang`` (an identifier this table lacks: as people read it)."""
    english = NAMES.get(category)
    if english is None:
        return category.replace("_", " ").capitalize()
    return i18n.gettext(lang, english)


def options(lang: str) -> list[tuple[str, str]]:
    """``(identifier, name)`` of every category, by name in ``lang``."""
    return sorted(((c, name(c, lang)) for c in CATEGORIES), key=lambda pair: pair[1].casefold())
