"""Publishing services: what the API, the C2S outbox, the series job and the demo call to create,
edit and delete events, calls and news. Each runs in the caller's transaction and hands its
activities to delivery (one fan-out job each); the caller commits, then ``node.notify_work()``.

* :mod:`.build` — validation and document building from stored rows;
* :mod:`.items` — one item: create, update (with the status note), delete;
* :mod:`.series` — recurring events, published a few dates ahead by the ``series`` job.
"""

from node.features.publishing.service.build import (
    AP_TYPES,
    KINDS,
    Kind,
    new_uid,
    now_seconds,
    validate,
)
from node.features.publishing.service.items import (
    Published,
    create_item,
    delete_item,
    status_change,
    update_item,
)
from node.features.publishing.service.series import (
    AHEAD,
    MAX_AHEAD,
    SeriesResult,
    create_series,
    delete_series,
    published_occurrences,
    top_up,
    update_series,
)

__all__ = [
    "AHEAD",
    "AP_TYPES",
    "KINDS",
    "MAX_AHEAD",
    "Kind",
    "Published",
    "SeriesResult",
    "create_item",
    "create_series",
    "delete_item",
    "delete_series",
    "new_uid",
    "now_seconds",
    "published_occurrences",
    "status_change",
    "top_up",
    "update_item",
    "update_series",
    "validate",
]
