"""The typed values the validators return: frozen dataclasses, the literal choices, the code
lists and the bounds. Field names follow Python; the JSON names are in the validators."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Literal
from zoneinfo import ZoneInfo


class FieldError(ValueError):
    """One invalid field: ``field`` is its path (``location.address.postalCode``, ``tags[2]``; empty
    for the document itself) and ``message`` says what is wrong, for a person."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


JoinMode = Literal["free", "restricted", "external", "invite", "none"]
EventStatus = Literal[
    "scheduled", "tentative", "cancelled", "postponed", "rescheduled", "movedOnline"
]
Purpose = Literal["offer", "request"]
NewsKind = Literal["story", "case-study", "tool", "announcement"]
Frequency = Literal["weekly", "monthly"]
Wheelchair = Literal["no", "partially", "fully"]

# Event categories both Mobilizon 5 (lib/mobilizon/events/categories.ex) and FEP-8a8e know.
# Left out: CLIMATE_ENVIRONMENT (Mobilizon spells it CLIMAT_ENVIRONMENT) and HEALTH (not in the
# FEP); Mobilizon files an unknown category as UNKNOWN.
CATEGORIES = frozenset(
    {
        "ARTS", "AUTO_BOAT_AIR", "BOOK_CLUBS", "BUSINESS", "CAUSES", "COMEDY", "COMMUNITY",
        "CRAFTS", "CREATIVE_JAM", "DIY_MAKER_SPACES", "FAMILY_EDUCATION", "FASHION_BEAUTY",
        "FESTIVALS", "FILM_MEDIA", "FOOD_DRINK", "GAMES", "INCLUSIVE_SPACES", "LANGUAGE_CULTURE",
        "LEARNING", "LGBTQ", "MEDITATION_WELLBEING", "MEETING", "MOVEMENTS_POLITICS", "MUSIC",
        "NETWORKING", "OUTDOORS_ADVENTURE", "PARTY", "PERFORMING_VISUAL_ARTS", "PETS",
        "PHOTOGRAPHY", "SCIENCE_TECH", "SPIRITUALITY_RELIGION_BELIEFS", "SPORTS", "THEATRE",
        "WORKSHOPS_SKILL_SHARING",
    }
)  # fmt: skip

# ValueFlows actions (https://w3id.org/valueflows/ont/vf#); FEP-0837 says an Intent's action
# SHOULD be transfer or deliverService, the others are valid ValueFlows all the same.
VF_ACTIONS = frozenset(
    {
        "accept", "cite", "combine", "consume", "copy", "deliverService", "dropoff", "lower",
        "modify", "move", "pickup", "produce", "raise", "separate", "transfer",
        "transferAllRights", "transferCustody", "use", "work",
    }
)  # fmt: skip

IMAGE_TYPES = {
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".gif": "image/gif",
    ".webp": "image/webp", ".avif": "image/avif",
}  # fmt: skip

NAME_MIN, NAME_MAX = 3, 200
CONTENT_MAX = 20_000
SUMMARY_MAX = 1_000
SHORT_MAX = 200
URL_MAX = 2_000
ALT_MAX = 1_500
MAX_TAGS, TAG_MAX = 20, 64
MAX_LANGUAGES = 10
MAX_SPEAKERS = 50
MAX_EVENT_DAYS = 90
MAX_OCCURRENCES = 366
MAX_SERIES_YEARS = 10
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100

EMPTY: Mapping[str, str] = MappingProxyType({})
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True, slots=True)
class PostalAddress:
    """schema.org PostalAddress, the shape Mobilizon reads."""

    street_address: str | None = None
    postal_code: str | None = None
    address_locality: str | None = None
    address_region: str | None = None
    address_country: str | None = None


@dataclass(frozen=True, slots=True)
class Place:
    """A physical place: a name and/or a postal address, optionally coordinates."""

    name: str | None = None
    address: PostalAddress | None = None
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True, slots=True)
class Location:
    """Where something happens: a place, an online URL, or both (hybrid)."""

    place: Place | None = None
    online_url: str | None = None
    online_name: str | None = None

    @property
    def is_online_only(self) -> bool:
        """Only online (Mobilizon's ``isOnline``: "the event is fully online")."""
        return self.place is None and self.online_url is not None

    @property
    def is_hybrid(self) -> bool:
        """At a place and online."""
        return self.place is not None and self.online_url is not None


@dataclass(frozen=True, slots=True)
class Image:
    """An image with its alt text in ``name`` (Mastodon shows it as the media description)."""

    url: str
    media_type: str
    name: str
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True, slots=True)
class Speaker:
    """A speaker or facilitator of a session."""

    name: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Room:
    """The (online) room of a session: a link, with an optional name ("Breakout room 2")."""

    url: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Accessibility:
    """What makes an event accessible. The flags map to Mobilizon's accessibility metadata."""

    captioning: bool = False
    sign_language: bool = False
    interpretation: tuple[str, ...] = ()
    wheelchair: Wheelchair | None = None
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class ByDay:
    """A BYDAY rule part: ``weekday`` 0 = Monday; ``ordinal`` 1..5 or -1..-5 (monthly only)."""

    weekday: int
    ordinal: int | None = None

    def __str__(self) -> str:
        return f"{self.ordinal or ''}{WEEKDAYS[self.weekday]}"


@dataclass(frozen=True, slots=True)
class Recurrence:
    """A bounded series: every ``interval`` weeks or months, ``count`` times or ``until``."""

    frequency: Frequency
    interval: int = 1
    by_day: tuple[ByDay, ...] = ()
    count: int | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Quantity:
    """An amount of a resource (OM2 unit name; ``one`` for countable things)."""

    value: Decimal | None = None
    unit: str = "one"


@dataclass(frozen=True, slots=True)
class EventInput:
    """A validated event. Times are aware UTC datetimes; ``timezone`` is the IANA zone they are
    shown in. ``content`` and ``content_map`` values are Markdown; ``summary`` is plain text.
    The maps hold translations only (the default language's text is ``name``/``content``…)."""

    name: str
    start_time: datetime
    end_time: datetime
    timezone: str
    content: str = ""
    summary: str | None = None
    languages: tuple[str, ...] = ()
    name_map: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    content_map: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    summary_map: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    location: Location | None = None
    join_mode: JoinMode = "free"
    external_participation_url: str | None = None
    maximum_attendee_capacity: int | None = None
    category: str | None = None
    tags: tuple[str, ...] = ()
    image: Image | None = None
    accessibility: Accessibility | None = None
    status: EventStatus = "scheduled"
    parent: str | None = None
    track: str | None = None
    speakers: tuple[Speaker, ...] = ()
    room: Room | None = None
    recurrence: Recurrence | None = None

    @property
    def language(self) -> str | None:
        """The default language (of ``name`` and ``content``), if known."""
        return self.languages[0] if self.languages else None

    @property
    def zone(self) -> ZoneInfo:
        """The event's time zone."""
        return ZoneInfo(self.timezone)


@dataclass(frozen=True, slots=True)
class CallInput:
    """A validated call for collaboration (a ValueFlows/FEP-0837 proposal)."""

    name: str
    purpose: Purpose
    action: str
    resource: str
    content: str = ""
    resource_conforms_to: str | None = None
    quantity: Quantity | None = None
    location: Location | None = None
    region: str | None = None
    deadline: datetime | None = None
    timezone: str = "UTC"
    tags: tuple[str, ...] = ()
    image: Image | None = None
    languages: tuple[str, ...] = ()
    name_map: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    content_map: Mapping[str, str] = field(default_factory=lambda: EMPTY)

    @property
    def language(self) -> str | None:
        """The default language, if known."""
        return self.languages[0] if self.languages else None


@dataclass(frozen=True, slots=True)
class NewsInput:
    """A validated news item (story, case study, tool or announcement)."""

    name: str
    content: str
    kind: NewsKind = "announcement"
    summary: str | None = None
    image: Image | None = None
    tags: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    name_map: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    content_map: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    summary_map: Mapping[str, str] = field(default_factory=lambda: EMPTY)

    @property
    def language(self) -> str | None:
        """The default language, if known."""
        return self.languages[0] if self.languages else None
