"""The inbox write path: verify a POST, store it raw with its job, answer 202.

Everything here runs inside the request, so it is lean: orjson, cached parsed keys, SQLAlchemy
Core statements, no JSON-LD. Whatever fails says why, with the status the sender can act on:
401 for signatures (Fedify and Mastodon then retry with the other signature spec), 400 for
malformed activities, 413/415 for bodies.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import orjson
from anyio import to_thread
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from node import jobs
from node.activitypub import addressing, signatures
from node.context import NodeContext
from node.db import is_sqlite, now_utc, write_connection
from node.models import InboxActivity, LocalActor, Tombstone

log = logging.getLogger("solnode.inbox")

MAX_BODY = 1_000_000
INBOX_TABLE = InboxActivity.__table__  # type: ignore[attr-defined]
TOMBSTONE_TABLE = Tombstone.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Outcome:
    """What the inbox answers: a status and a JSON body."""

    status: int
    body: dict[str, Any]


def _refuse(status: int, message: str, **extra: Any) -> Outcome:
    return Outcome(status, {"error": message, **extra})


ACCEPTED = Outcome(202, {"status": "accepted"})
DUPLICATE = Outcome(202, {"status": "duplicate"})


async def receive(
    node: NodeContext,
    *,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
    recipient: LocalActor | None,
    now: float | None = None,
) -> Outcome:
    """Verify and store one POST to an inbox; the returned Outcome is the HTTP answer."""
    from node.actors import remote

    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return _refuse(400, f"the body is not valid JSON: {exc}")
    try:
        activity_id, kind, actor_id = addressing.activity_shape(doc)
    except addressing.ShapeError as exc:
        return _refuse(400, str(exc))

    parts = signatures.RequestParts(
        method=method, path=path, headers=headers, body=body, scheme=node.settings.scheme
    )
    info = signatures.parse_signature(parts)
    if isinstance(info, signatures.Failure):
        return _refuse(401, signatures.FAILURE_MESSAGES[info], reason=str(info))
    instant = time.time() if now is None else now
    early = signatures.check_request(parts, info, now=instant)
    if early is not None:
        return _refuse(401, early.detail, reason=str(early.reason))

    budget = remote.FetchBudget()
    try:
        key = await remote.resolve_key(node, info.key_id, budget=budget)
    except remote.RemoteActorError as exc:
        if kind == "Delete" and _id(doc.get("object")) == actor_id:
            # An actor deleting itself is usually gone (410) by the time its Delete arrives;
            # without a cached key we never knew it, so there is nothing to delete.
            return Outcome(202, {"status": "ignored", "reason": "unknown actor deleted"})
        return _refuse(
            401, f"could not get the signing key {info.key_id}: {exc}", reason="unknown_key"
        )
    result = signatures.verify(parts, info, key.public_key, now=instant)
    if (
        isinstance(result, signatures.Rejected)
        and result.reason == signatures.Failure.BAD_SIGNATURE
    ):
        # The signer may have rotated its key: fetch it once more, as Mastodon does.
        try:
            key = await remote.resolve_key(node, info.key_id, refresh=True, budget=budget)
        except remote.RemoteActorError as exc:
            return _refuse(401, f"could not refresh the signing key: {exc}", reason="unknown_key")
        result = signatures.verify(parts, info, key.public_key, now=instant)
    if isinstance(result, signatures.Rejected):
        return _refuse(401, result.detail, reason=str(result.reason))
    if key.owner != actor_id:
        return _refuse(
            401,
            f"the signer ({key.owner}) is not the activity's actor ({actor_id})",
            reason="signer_actor_mismatch",
        )
    problem = addressing.embedded_object_origin_ok(doc, actor_id)
    if problem is not None:
        return _refuse(400, problem)

    row = {
        "activity_id": activity_id,
        "type": kind,
        "actor": actor_id,
        "recipient": recipient.slug if recipient is not None else None,
        "raw": body.decode("utf-8", errors="replace"),
        "signer": info.key_id,
        "verified_by": f"http-signature:{info.spec}",
        "received_at": now_utc(),
        "result": "",
    }
    created = _id(doc.get("object")) if kind == "Create" else None
    if is_sqlite(node.engine):
        # SQLite has one writer and this write is a few tens of microseconds: doing it inline
        # is faster than a thread hop (measured in bench/bench_inbox.py).
        stored = store(node, row, created)
    else:
        stored = await to_thread.run_sync(store, node, row, created)
    if stored:
        node.notify_work()
        return ACCEPTED
    return DUPLICATE


def _id(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return str(value["id"])
    return None


def store(node: NodeContext, row: dict[str, Any], created_object: str | None = None) -> bool:
    """Insert the raw activity and its inbox job in one transaction; False for a duplicate
    (or for a Create of an id that was deleted: a deleted id never comes back)."""
    try:
        with write_connection(node.engine) as conn:
            if created_object is not None and _is_tombstoned(conn, created_object):
                return False
            new_id = conn.execute(
                insert(INBOX_TABLE).values(**row).returning(INBOX_TABLE.c.id)
            ).scalar_one()
            jobs.enqueue(conn, "inbox", {"inbox_id": new_id}, dedupe_key=f"inbox:{new_id}")
    except IntegrityError:
        return False
    return True


def _is_tombstoned(conn: Connection, obj_id: str) -> bool:
    found = conn.execute(
        select(TOMBSTONE_TABLE.c.id).where(TOMBSTONE_TABLE.c.ap_id == obj_id)
    ).first()
    return found is not None
