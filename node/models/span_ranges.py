"""The classes of duration (node/models/spans.py) in SQL, for the readers that read one range a
class: the networks' filed events (node/features/networks/event_ranges.py), our own
(own_ranges.py) and an organization's events list (node/features/publishing/running_ranges.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import DateTime, bindparam, literal_column, select, union_all

from node.models.spans import SPANS


def span_classes(prefix: str, name: str) -> Any:
    """The classes as rows ``(k, lower)``: each class and the bound parameter ``{prefix}{k}``
    that holds its range's lower bound (spans.class_lowers). A LATERAL subquery joined to it
    runs once per class and is planned once: PostgreSQL plans each member of a union on its
    own, and twelve cost ~1 ms of planning a read."""
    when = DateTime(timezone=True)
    rows: list[Any] = [
        select(
            literal_column(str(k)).label("k"), bindparam(f"{prefix}{k}", type_=when).label("lower")
        )
        for k in range(len(SPANS))
    ]
    return union_all(*rows).subquery(name)
