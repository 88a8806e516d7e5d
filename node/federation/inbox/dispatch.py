"""ONE dispatch table of activity types; registering a type twice is an error."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from node.context import NodeContext


@dataclass
class Incoming:
    """An activity being processed: the parsed document and where it came in."""

    node: NodeContext
    activity: dict[str, Any]
    activity_id: str
    type: str
    actor: str
    recipient: str | None
    inbox_row_id: int
    notes: list[str] = field(default_factory=list)

    @property
    def object(self) -> Any:
        return self.activity.get("object")


Handler = Callable[[Incoming], Awaitable[str]]


class HandlerRegistry:
    """Maps an activity type to the one coroutine that handles it."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def add(self, kind: str, handler: Handler) -> None:
        """Register the handler of one activity type."""
        if kind in self._handlers:
            raise ValueError(f"activity type {kind} already has a handler")
        self._handlers[kind] = handler

    def get(self, kind: str) -> Handler | None:
        return self._handlers.get(kind)

    @property
    def types(self) -> frozenset[str]:
        return frozenset(self._handlers)
