"""Validation of the JSON API input for events, calls for collaboration and news.

The API's JSON uses the same field names as the ActivityStreams we publish (``name``,
``startTime``, ``location.address.postalCode``…). Each validator takes the decoded JSON (anything:
it comes from the network) and returns a frozen dataclass, or raises :class:`FieldError` naming
the field path and saying, for a person, what is wrong. Nothing else is ever raised, whatever the
input (a Hypothesis test holds us to that). Everything is bounded: string lengths, list lengths,
numbers, dates, URL schemes (http and https only).

Several bounds come from the peers: Mobilizon refuses titles outside 3..200 characters and online
addresses over 2000 (lib/mobilizon/events/event.ex ``validate_lengths``), Mastodon keeps at most
1500 characters of image description.

Times are given with an offset, or as local wall times together with ``timezone`` (an IANA id);
they are stored as UTC plus the zone, and published in RFC 3339 with the zone's offset.
"""

from node.content.fields.times import describe_days, nth_weekday
from node.content.fields.types import (
    CATEGORIES,
    VF_ACTIONS,
    Accessibility,
    ByDay,
    CallInput,
    EventInput,
    EventStatus,
    FieldError,
    Image,
    JoinMode,
    Location,
    NewsInput,
    NewsKind,
    Place,
    PostalAddress,
    Purpose,
    Quantity,
    Recurrence,
    Room,
    Speaker,
    Wheelchair,
)
from node.content.fields.validate import (
    merge,
    validate_call,
    validate_event,
    validate_news,
)

__all__ = [
    "CATEGORIES",
    "VF_ACTIONS",
    "Accessibility",
    "ByDay",
    "CallInput",
    "EventInput",
    "EventStatus",
    "FieldError",
    "Image",
    "JoinMode",
    "Location",
    "NewsInput",
    "NewsKind",
    "Place",
    "PostalAddress",
    "Purpose",
    "Quantity",
    "Recurrence",
    "Room",
    "Speaker",
    "Wheelchair",
    "describe_days",
    "merge",
    "nth_weekday",
    "validate_call",
    "validate_event",
    "validate_news",
]
