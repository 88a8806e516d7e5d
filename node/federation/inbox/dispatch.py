"""ONE dispatch table, routed on (activity type, target).

The target is what the activity is about, resolved once from its ``object``
(node/federation/inbox/targets.py): one of our actors, one of our networks, one of our events,
another of our items, an activity of ours (our Follow, our Join, our relay subscription), or
something elsewhere. Features register the handler of a (type, target) pair, or of a type
whatever its target (``ANY``: the handler decides); registering a pair twice is an error.
Observers (a network's aggregation) see Create, Update, Delete and Announce before the handler.

Preparers run where the activity is read from the database, in that thread and session
(node/federation/inbox/process.py): what a handler would otherwise ask in a thread hop and a
session of its own (which of our networks take a Create from its sender) is in
``Incoming.prepared`` when it runs; a handler still works without it (tests build Incoming
directly). A preparer may have a batch form, run once for the activities of its type that a
worker loads together (one query for all their senders, not one each); when that form fails,
each activity gets the one-at-a-time form, and one that fails even so is left out of the batch
(its job then loads and runs alone, and fails or retries alone).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from node.federation.context import NodeContext

if TYPE_CHECKING:
    from sqlmodel import Session

log = logging.getLogger("solnode.inbox")


class Target(enum.Enum):
    """What an activity's ``object`` is, from this node's point of view."""

    ACTOR = "one of our actors"
    NETWORK = "one of our networks"
    EVENT = "one of our events"
    ITEM = "one of our items"
    OUR_FOLLOW = "our Follow"
    OUR_JOIN = "our Join of a network"
    OUR_RELAY_FOLLOW = "our relay subscription"
    ELSEWHERE = "something elsewhere"
    ANY = "anything"


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
    target: Target = Target.ELSEWHERE
    # what preparers read with the activity (see the module docstring), by their own keys
    prepared: dict[str, Any] = field(default_factory=dict)

    @property
    def object(self) -> Any:
        return self.activity.get("object")


Handler = Callable[[Incoming], Awaitable[str]]
# An observer answers None when the activity does not concern it.
Observer = Callable[[Incoming], Awaitable[str | None]]
# Blocking, in the thread and session that read the activity: fills ``Incoming.prepared``.
Preparer = Callable[["Session", Incoming], None]
# The same for several activities of one type at once (``Dispatcher.prepared_many``).
BatchPreparer = Callable[["Session", list[Incoming]], None]


class Dispatcher:
    """Maps (activity type, target) to the one coroutine that handles it."""

    def __init__(self) -> None:
        self._handlers: dict[tuple[str, Target], Handler] = {}
        self._observers: dict[str, list[Observer]] = {}
        self._preparers: dict[str, list[tuple[Preparer, BatchPreparer | None]]] = {}

    def on(self, kind: str, target: Target, handler: Handler) -> None:
        """Register the handler of ``kind`` activities about ``target`` (``ANY``: all)."""
        if (kind, target) in self._handlers:
            raise ValueError(f"{kind} of {target.value} already has a handler")
        self._handlers[(kind, target)] = handler

    def observe(self, kinds: Iterable[str], observer: Observer) -> None:
        """Let ``observer`` see every activity of these types before its handler runs."""
        for kind in kinds:
            seen = self._observers.setdefault(kind, [])
            if observer in seen:
                raise ValueError(f"{observer.__qualname__} already observes {kind}")
            seen.append(observer)

    def prepare(
        self, kinds: Iterable[str], preparer: Preparer, batch: BatchPreparer | None = None
    ) -> None:
        """Let ``preparer`` read what it needs of these types where they are loaded; ``batch``,
        if given, does the same for several activities at once."""
        for kind in kinds:
            self._preparers.setdefault(kind, []).append((preparer, batch))

    def prepared(self, session: Session, msg: Incoming) -> Incoming:
        """``msg`` with what its type's preparers read (blocking: the loading thread)."""
        for preparer, _ in self._preparers.get(msg.type, ()):
            preparer(session, msg)
        return msg

    def prepared_many(self, session: Session, msgs: list[Incoming]) -> list[Incoming]:
        """``msgs`` with what their types' preparers read, each preparer once for all the
        activities of its types where it has a batch form; the ones a preparer failed on
        are left out (blocking: the loading thread)."""
        failed: set[int] = set()
        by_type: dict[str, list[Incoming]] = {}
        for msg in msgs:
            by_type.setdefault(msg.type, []).append(msg)
        for kind, group in by_type.items():
            for preparer, batch in self._preparers.get(kind, ()):
                if batch is not None:
                    try:
                        batch(session, group)
                        continue
                    except Exception:
                        log.exception(
                            "preparing %d %s activities together failed", len(group), kind
                        )
                for msg in group:
                    if id(msg) in failed:
                        continue
                    try:
                        preparer(session, msg)
                    except Exception:
                        log.exception("preparing %s failed; its job runs alone", msg.activity_id)
                        failed.add(id(msg))
        return [msg for msg in msgs if id(msg) not in failed]

    def handler_for(self, kind: str, target: Target) -> Handler | None:
        """The handler of this pair, else the one for the type whatever its target."""
        return self._handlers.get((kind, target)) or self._handlers.get((kind, Target.ANY))

    @property
    def types(self) -> frozenset[str]:
        """Every activity type something here acts on."""
        return frozenset(kind for kind, _ in self._handlers) | frozenset(self._observers)

    async def dispatch(self, msg: Incoming) -> str:
        """Run the observers, then the handler; what they did, for the inbox row."""
        results = []
        for observer in self._observers.get(msg.type, ()):
            seen = await observer(msg)
            if seen is not None:
                results.append(seen)
        handler = self.handler_for(msg.type, msg.target)
        if handler is not None:
            results.append(await handler(msg))
        elif not results:
            return f"stored: no handler for {msg.type} of {msg.target.value}"
        return "; ".join(results)
