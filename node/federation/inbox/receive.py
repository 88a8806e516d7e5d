"""The inbox write path: verify a POST, store it raw with its job, answer 202.

Everything here runs inside the request, so it is lean: orjson, one bounds walk, cached parsed
keys and moderation policy, SQLAlchemy Core statements, no JSON-LD - except for a forwarded
activity (signer is not the actor), whose LD signature or integrity proof is checked
(``forwarded.py``). ``receive()`` runs named steps: parse and bound, screen (blocked servers
and actors, before any signature work), verify (``node.federation.verify``), check the signer
against the actor, store, 202. Whatever fails is a ``Refusal`` with a reason; the status the
sender can act on comes from the one table in ``node.federation.verify``.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import DateTime, bindparam, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from node.activitypub import addressing, bounds
from node.activitypub.signatures.request import RequestParts, SignatureInfo
from node.activitypub.vocab import id_of
from node.db import is_sqlite, now_utc, write_connection
from node.federation import jobs
from node.federation.context import NodeContext
from node.federation.inbox.batch import BatchClosed, InboxBatch, Row
from node.federation.inbox.forwarded import NotAuthenticated, authenticate_forwarded
from node.federation.policy import inbox_refusal
from node.federation.remote.fetch import FetchBudget
from node.federation.verify import Refusal, Signer, read_signature, verify_request

log = logging.getLogger("solnode.inbox")

MAX_BODY = 1_000_000
# A \u0000 escape in JSON text (an odd number of backslashes before u0000; "\\u0000" is text).
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


@dataclass(frozen=True)
class Outcome:
    """What the inbox answers: a status and a JSON body."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] | None = None


ACCEPTED = Outcome(202, {"status": "accepted"})
DUPLICATE = Outcome(202, {"status": "duplicate"})
# An actor deleting itself is usually gone (410) by the time its Delete arrives; without a
# cached key we never knew it, so there is nothing to delete.
IGNORED_SELF_DELETE = Outcome(202, {"status": "ignored", "reason": "unknown actor deleted"})
# After the app's shutdown has written the last group commit: nothing stored, send it again.
SHUTTING_DOWN = Outcome(
    503,
    {
        "error": "this server is restarting and stored nothing: send the activity again shortly",
        "reason": "shutting_down",
        "retry_after": 30,
    },
    {"Retry-After": "30"},
)


def refused(refusal: Refusal) -> Outcome:
    """The answer to a refused POST: the status from the one table, the reason, the message."""
    body: dict[str, Any] = {"error": refusal.message, "reason": refusal.reason}
    if refusal.retry_after is None:
        return Outcome(refusal.status, body)
    body["retry_after"] = refusal.retry_after
    return Outcome(refusal.status, body, {"Retry-After": str(refusal.retry_after)})


@dataclass(frozen=True, slots=True)
class Incoming:
    """A POSTed activity that parsed, within bounds, with a well-formed id, type and actor."""

    doc: dict[str, Any]
    activity_id: str
    kind: str
    actor_id: str


async def receive(
    node: NodeContext,
    *,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
    recipient: str | None,
    now: float | None = None,
    client_ip: str = "",
) -> Outcome:
    """Verify and store one POST to an inbox; the returned Outcome is the HTTP answer."""
    incoming = parse_activity(body)
    if isinstance(incoming, Refusal):
        return refused(incoming)
    parts = RequestParts(
        method=method, path=path, headers=headers, body=body, scheme=node.settings.scheme
    )
    info = read_signature(parts)
    blocked = screen(node, incoming, info)
    if blocked is not None:
        return refused(blocked)
    if isinstance(info, Refusal):
        return refused(info)
    budget = FetchBudget()
    signer = await verify_signer(
        node, parts, info, incoming, now=now, budget=budget, client_ip=client_ip
    )
    if isinstance(signer, Outcome):
        return signer
    verified_by = await check_actor(node, incoming, signer, budget)
    if isinstance(verified_by, Refusal):
        return refused(verified_by)
    return await store_activity(node, incoming, body, recipient, signer, verified_by)


def parse_activity(body: bytes) -> Incoming | Refusal:
    """Step 1, parse and bound: JSON, the bounds walk, no NUL, the activity's shape."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return Refusal("invalid_json", f"the body is not valid JSON: {exc}")
    violation = bounds.check(doc, size=len(body))
    if violation is not None:
        return Refusal(violation.reason, violation.message)
    if b"\\u0000" in body and _NUL_ESCAPE.search(body):
        # PostgreSQL text cannot hold NUL: an id or type with one was a 500 here, an object id
        # with one a crashed job (found by tests/fixtures/hostile/types-*-with-nul.json).
        return Refusal(
            "nul_character",
            "the activity contains a NUL character (\\u0000), which is never stored",
        )
    try:
        activity_id, kind, actor_id = addressing.activity_shape(doc)
    except addressing.ShapeError as exc:
        return Refusal("malformed_activity", str(exc))
    return Incoming(doc, activity_id, kind, actor_id)


def screen(node: NodeContext, incoming: Incoming, info: SignatureInfo | Refusal) -> Refusal | None:
    """Step 2, blocked servers and actors: before any signature work, a dict lookup."""
    key_id = None if isinstance(info, Refusal) else info.key_id
    refusal = inbox_refusal(node, incoming.actor_id, key_id)
    return None if refusal is None else Refusal("blocked", refusal)


async def verify_signer(
    node: NodeContext,
    parts: RequestParts,
    info: SignatureInfo,
    incoming: Incoming,
    *,
    now: float | None,
    budget: FetchBudget,
    client_ip: str = "",
) -> Signer | Outcome:
    """Step 3, the HTTP signature: verified with the signer's key, within its server's limit."""
    instant = time.time() if now is None else now
    limiter = node.limiters.inbox_host
    result = await verify_request(
        node, parts, info, now=instant, budget=budget, limiter=limiter, client_ip=client_ip
    )
    if isinstance(result, Signer):
        return result
    if result.reason == "unknown_key" and _deletes_itself(incoming):
        return IGNORED_SELF_DELETE
    return refused(result)


def _deletes_itself(incoming: Incoming) -> bool:
    return incoming.kind == "Delete" and id_of(incoming.doc.get("object")) == incoming.actor_id


async def check_actor(
    node: NodeContext, incoming: Incoming, signer: Signer, budget: FetchBudget
) -> str | Refusal:
    """Step 4, the signer against the actor: how the activity was verified, or why not.

    A relayed or forwarded activity (signer is not the actor) must carry the actor's own LD
    signature or integrity proof; an embedded object must come from the actor's origin.
    """
    verified_by = f"http-signature:{signer.spec}"
    if signer.owner != incoming.actor_id:
        forwarded = await authenticate_forwarded(
            node, incoming.doc, incoming.actor_id, budget=budget
        )
        if isinstance(forwarded, NotAuthenticated):
            return Refusal(
                forwarded.reason,
                f"the signer ({signer.owner}) is not the activity's actor ({incoming.actor_id}), "
                f"and {forwarded.detail}",
            )
        verified_by = forwarded.verified_by
    problem = addressing.embedded_object_origin_ok(incoming.doc, incoming.actor_id)
    if problem is not None:
        return Refusal("foreign_object", problem)
    return verified_by


async def store_activity(
    node: NodeContext,
    incoming: Incoming,
    body: bytes,
    recipient: str | None,
    signer: Signer,
    verified_by: str,
) -> Outcome:
    """Steps 5 and 6, dedupe and store: the raw activity and its job, then 202."""
    row = {
        "activity_id": incoming.activity_id,
        "type": incoming.kind,
        "actor": incoming.actor_id,
        "recipient": recipient,
        "raw": body.decode("utf-8", errors="replace"),
        "signer": signer.key_id,
        "verified_by": verified_by,
        "received_at": now_utc(),
        "result": "",
    }
    created = id_of(incoming.doc.get("object")) if incoming.kind == "Create" else None
    if node.inbox_batch is None:
        node.inbox_batch = InboxBatch(
            node.engine, lambda one: store(node, one.values, one.created_object)
        )
    # group commit (batch.py): answered once the row's transaction has committed
    try:
        new = await node.inbox_batch.store(Row(row, created))
    except BatchClosed:
        return SHUTTING_DOWN
    if new:
        node.notify_work()
        return ACCEPTED
    return DUPLICATE


def forget_keys(node: NodeContext, owner: str) -> None:
    """Drop this process's parsed keys of ``owner`` (after its Update: a rotated key must stop
    verifying at once, not when the entry expires). Other processes drop theirs within
    ``node.keycache.KEY_TTL``."""
    node.key_cache.forget_owner(owner)


# Plain statements compiled once: on this path ORM objects cost 4x (measured, see the issue).
INSERT_ACTIVITY = text(
    "INSERT INTO inbox_activity (activity_id, type, actor, recipient, raw, signer, verified_by,"
    " received_at, result) VALUES (:activity_id, :type, :actor, :recipient, :raw, :signer,"
    " :verified_by, :received_at, :result) RETURNING id"
).bindparams(bindparam("received_at", type_=DateTime(timezone=True)))
SELECT_TOMBSTONE = text("SELECT 1 FROM tombstone WHERE ap_id = :ap_id")


SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores DateTime in SQLite


def store(node: NodeContext, row: dict[str, Any], created_object: str | None = None) -> bool:
    """Insert the raw activity and its inbox job in one transaction; False for a duplicate
    (or for a Create of an id that was deleted: a deleted id never comes back)."""
    if is_sqlite(node.engine):
        return _store_sqlite(node, row, created_object)
    try:
        with write_connection(node.engine) as conn:
            if created_object is not None and _is_tombstoned(conn, created_object):
                return False
            new_id = conn.execute(INSERT_ACTIVITY, row).scalar_one()
            jobs.enqueue(conn, "inbox", {"inbox_id": new_id}, dedupe_key=f"inbox:{new_id}")
    except IntegrityError:
        return False
    return True


def _store_sqlite(node: NodeContext, row: dict[str, Any], created_object: str | None) -> bool:
    # The same transaction through the bare driver: SQLAlchemy's per-statement machinery cost
    # more than the insert itself on this path (bench/bench_inbox.py). The pooled connection
    # runs in autocommit mode (node/db.py), so BEGIN IMMEDIATE takes the write lock here.
    params = {**row, "received_at": row["received_at"].strftime(SQLITE_TIME)}
    raw = node.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            if (
                created_object is not None
                and cur.execute(
                    "SELECT 1 FROM tombstone WHERE ap_id = ?", (created_object,)
                ).fetchone()
            ):
                cur.execute("ROLLBACK")
                return False
            new_id = cur.execute(str(INSERT_ACTIVITY.text), params).fetchone()[0]
            now = time.time()
            cur.execute(
                jobs.INSERT_SQLITE,
                jobs.job_row("inbox", {"inbox_id": new_id}, f"inbox:{new_id}", now, now),
            )
            cur.execute("COMMIT")
        except sqlite3.IntegrityError:
            cur.execute("ROLLBACK")
            return False
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        finally:
            cur.close()
    finally:
        raw.close()
    return True


def _is_tombstoned(conn: Connection, obj_id: str) -> bool:
    return conn.execute(SELECT_TOMBSTONE, {"ap_id": obj_id}).first() is not None
