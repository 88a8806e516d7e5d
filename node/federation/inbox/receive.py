"""The inbox write path: verify a POST, store it raw with its job, answer 202.

Everything here runs inside the request, so it is lean: orjson, one bounds walk, cached parsed
keys and moderation policy, SQLAlchemy Core statements, no JSON-LD - except for a forwarded
activity (signer is not the actor), whose LD signature or integrity proof is checked
(``forwarded.py``). Whatever fails says why, with the status the sender can act on: 400 for
malformed or oversized activities, 403 for blocked servers and actors (before any signature
work), 429 when a server sends too much, 401 for signatures (Fedify and Mastodon then retry
with the other signature spec), 413/415 for bodies.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from anyio import to_thread
from sqlalchemy import DateTime, bindparam, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from node.activitypub import addressing, bounds
from node.activitypub.signatures.request import RequestParts
from node.activitypub.signatures.results import FAILURE_MESSAGES, Failure, Rejected
from node.activitypub.signatures.verify import check_request, parse_signature
from node.activitypub.signatures.verify import verify as verify_signature
from node.activitypub.vocab import id_of
from node.context import NodeContext
from node.db import is_sqlite, now_utc, write_connection
from node.federation import jobs
from node.federation.inbox.forwarded import NotAuthenticated, authenticate_forwarded
from node.federation.policy import host_of, inbox_refusal
from node.ratelimit import limiter_for

if TYPE_CHECKING:
    from node.federation.remote.actors import ResolvedKey

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
    recipient: str | None,
    now: float | None = None,
) -> Outcome:
    """Verify and store one POST to an inbox; the returned Outcome is the HTTP answer."""
    from node.federation.remote import actors as remote

    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return _refuse(400, f"the body is not valid JSON: {exc}")
    violation = bounds.check(doc, size=len(body))
    if violation is not None:
        return _refuse(400, violation.message, reason=violation.reason)
    if b"\\u0000" in body and _NUL_ESCAPE.search(body):
        # PostgreSQL text cannot hold NUL: an id or type with one was a 500 here, an object id
        # with one a crashed job (found by tests/fixtures/hostile/types-*-with-nul.json).
        return _refuse(
            400,
            "the activity contains a NUL character (\\u0000), which is never stored",
            reason="nul_character",
        )
    try:
        activity_id, kind, actor_id = addressing.activity_shape(doc)
    except addressing.ShapeError as exc:
        return _refuse(400, str(exc))

    parts = RequestParts(
        method=method, path=path, headers=headers, body=body, scheme=node.settings.scheme
    )
    info = parse_signature(parts)
    refusal = inbox_refusal(node, actor_id, None if isinstance(info, Failure) else info.key_id)
    if refusal is not None:
        return _refuse(403, refusal, reason="blocked")
    if isinstance(info, Failure):
        return _refuse(401, FAILURE_MESSAGES[info], reason=str(info))
    # A server that sends too much waits. Only verified requests spend the signer's tokens
    # (below), so nobody can exhaust another server's allowance with forged requests.
    signer_host = host_of(info.key_id)
    host_limiter = limiter_for(node, "inbox_host")
    wait = host_limiter.peek(signer_host) if host_limiter is not None else 0.0
    if wait:
        return _too_many(wait, signer_host)
    instant = time.time() if now is None else now
    early = check_request(parts, info, now=instant)
    if early is not None:
        return _refuse(401, early.detail, reason=str(early.reason))

    budget = remote.FetchBudget()
    try:
        key = _cached_key(node, info.key_id, instant) or _remember_key(
            node, await remote.resolve_key(node, info.key_id, budget=budget), instant
        )
    except remote.RemoteActorError as exc:
        if kind == "Delete" and id_of(doc.get("object")) == actor_id:
            # An actor deleting itself is usually gone (410) by the time its Delete arrives;
            # without a cached key we never knew it, so there is nothing to delete.
            return Outcome(202, {"status": "ignored", "reason": "unknown actor deleted"})
        return _refuse(
            401, f"could not get the signing key {info.key_id}: {exc}", reason="unknown_key"
        )
    result = verify_signature(parts, info, key.public_key, now=instant)
    if isinstance(result, Rejected) and result.reason == Failure.BAD_SIGNATURE:
        # The signer may have rotated its key: fetch it once more, as Mastodon does.
        try:
            key = _remember_key(
                node,
                await remote.resolve_key(node, info.key_id, refresh=True, budget=budget),
                instant,
            )
        except remote.RemoteActorError as exc:
            return _refuse(401, f"could not refresh the signing key: {exc}", reason="unknown_key")
        result = verify_signature(parts, info, key.public_key, now=instant)
    if isinstance(result, Rejected):
        return _refuse(401, result.detail, reason=str(result.reason))
    if host_limiter is not None:
        host_limiter.take(signer_host)
    verified_by = f"http-signature:{info.spec}"
    if key.owner != actor_id:
        # Relayed or forwarded: the actor must have signed the body itself.
        forwarded = await authenticate_forwarded(node, doc, actor_id, budget=budget)
        if isinstance(forwarded, NotAuthenticated):
            return _refuse(
                401,
                f"the signer ({key.owner}) is not the activity's actor ({actor_id}), and "
                f"{forwarded.detail}",
                reason=forwarded.reason,
            )
        verified_by = forwarded.verified_by
    problem = addressing.embedded_object_origin_ok(doc, actor_id)
    if problem is not None:
        return _refuse(400, problem)

    row = {
        "activity_id": activity_id,
        "type": kind,
        "actor": actor_id,
        "recipient": recipient,
        "raw": body.decode("utf-8", errors="replace"),
        "signer": info.key_id,
        "verified_by": verified_by,
        "received_at": now_utc(),
        "result": "",
    }
    created = id_of(doc.get("object")) if kind == "Create" else None
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


def _too_many(wait: float, host: str) -> Outcome:
    seconds = max(1, int(wait + 0.999))
    return Outcome(
        429,
        {
            "error": f"{host} is sending more than this node accepts; retry in {seconds} s",
            "reason": "rate_limited",
            "retry_after": seconds,
        },
        {"Retry-After": str(seconds)},
    )


KEY_CACHE = "inbox_keys"
KEY_TTL = 300.0
KEY_CACHE_SIZE = 10_000


def _cached_key(node: NodeContext, key_id: str, now: float) -> ResolvedKey | None:
    # Resolving a cached key still costs a database round trip through a thread; most
    # senders post many times a minute, so the parsed key is kept in memory for a while.
    # A rotated key shows up as BAD_SIGNATURE, which refreshes it (and this entry).
    entry = node.cache.get(KEY_CACHE, {}).get(key_id)
    if entry is None or entry[1] < now:
        return None
    key: ResolvedKey = entry[0]
    return key


def _remember_key(node: NodeContext, key: ResolvedKey, now: float) -> ResolvedKey:
    cache: dict[str, tuple[ResolvedKey, float]] = node.cache.setdefault(KEY_CACHE, {})
    if len(cache) >= KEY_CACHE_SIZE:
        cache.clear()
    cache[key.key_id] = (key, now + KEY_TTL)
    return key


def forget_keys(node: NodeContext, owner: str) -> None:
    """Drop this process's parsed keys of ``owner`` (after its Update: a rotated key must stop
    verifying at once, not when the entry expires). Other processes drop theirs within
    ``KEY_TTL``."""
    cache: dict[str, tuple[ResolvedKey, float]] = node.cache.get(KEY_CACHE, {})
    for key_id in [k for k, (key, _) in cache.items() if key.owner == owner]:
        del cache[key_id]


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
