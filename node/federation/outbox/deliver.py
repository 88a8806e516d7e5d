"""The deliver job: POST one stored activity to one inbox, signed at send time, and judge the answer.

The job carries only ids (``activity_id``, ``actor_id``, ``inbox``); the body is read from
``outbox_activity`` once per process and kept, serialised, in a small LRU shared by all the
deliver jobs of a fan-out (see :class:`OutgoingCache`). Signing is the expensive part (an
RSA-2048 signature per POST) and cryptography releases the GIL while it signs, so it runs on
signing threads, one per CPU by default, which sign in batches (``signer_threads.py``): a big
fan-out signs on every core. What that buys is measured by ``bench/bench_fanout.py``.

The inbox URL is vetted once, by the HTTP client, before any work (the federation policy and
the address rules, ``HttpClient.vet``); both knocks of a delivery POST to that vetted URL.

How answers are judged (Mastodon's rules, docs/interop.md):

* 2xx: delivered.
* 400/401 to a draft-cavage signature: knock again at once with RFC 9421, and the other way
  round; the spec that worked is remembered per host for this process ("double knock").
* 404/410: permanent, and the followers behind that inbox are pruned (see ``prune_followers``).
* other permanent 4xx (the RetryPolicy's list): given up, kept as a dead job.
* 401, 408, 429, 3xx, 5xx, connection errors, timeouts: retried with back-off; Retry-After on
  429/503 is honoured, and pauses the whole host.
* connection errors, timeouts and 5xx count against the host's circuit breaker.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache, partial
from urllib.parse import urlsplit

import orjson
from anyio import to_thread
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from node.activitypub import keys
from node.activitypub.hosts import hostport_of
from node.activitypub.signatures.cavage import sign_cavage
from node.activitypub.signatures.results import Spec
from node.activitypub.signatures.rfc9421 import sign_rfc9421
from node.db import write_connection
from node.federation.actors.documents import actor_id as local_actor_id
from node.federation.context import NodeContext
from node.federation.http import FetchError, HttpClient, HttpResponse, VettedURL
from node.federation.jobs import ClaimedJob
from node.federation.outbox.circuit import HostHealth, HostView
from node.federation.outbox.policy import PERMANENT_FETCH_REASONS, DeliveryConfig, parse_retry_after
from node.federation.outbox.signer_threads import SignerThreads
from node.federation.policy import federates_with
from node.federation.worker import Done, Fail, Outcome, Retry
from node.models import LocalActor, OutboxActivity
from node.urls import Urls

log = logging.getLogger("solnode.delivery")

ACTIVITY_CONTENT_TYPE = "application/activity+json"
_KNOCK_STATUSES = frozenset({400, 401})
_MAX_REMEMBERED_HOSTS = 4096


@dataclass(frozen=True)
class Outgoing:
    """One activity ready to go: the exact bytes to POST and who signs them."""

    body: bytes
    key_id: str
    private_key: keys.PrivateKey


class OutgoingCache:
    """Serialised activities and their signers by (activity id, local actor id): a small LRU.

    All deliver jobs of a fan-out share one entry; a miss reads the database once, even when
    many jobs miss together (one loader at a time, and it checks again under the lock).
    """

    def __init__(self, engine: Engine, urls: Urls, size: int) -> None:
        self._engine = engine
        self._urls = urls
        self._size = max(1, size)
        self._items: OrderedDict[tuple[str, int], Outgoing] = OrderedDict()
        self._lock = asyncio.Lock()

    async def get(self, activity_id: str, actor_pk: int) -> Outgoing | None:
        """The activity, or None if the activity or its actor no longer exists."""
        key = (activity_id, actor_pk)
        hit = self._items.get(key)
        if hit is not None:
            self._items.move_to_end(key)
            return hit
        async with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                return hit
            loaded = await to_thread.run_sync(partial(self._load, activity_id, actor_pk))
            if loaded is not None:
                self._items[key] = loaded
                while len(self._items) > self._size:
                    self._items.popitem(last=False)
            return loaded

    def _load(self, activity_id: str, actor_pk: int) -> Outgoing | None:
        with Session(self._engine) as session:
            row = session.exec(
                select(OutboxActivity.document, OutboxActivity.raw).where(
                    OutboxActivity.ap_id == activity_id
                )
            ).first()
            actor = session.get(LocalActor, actor_pk)
        if row is None or actor is None or not actor.rsa_private_pem:
            return None
        document, raw = row
        return Outgoing(
            # A forwarded activity goes out byte for byte as it arrived (node/features/networks/forward.py)
            body=raw.encode() if raw else orjson.dumps(document),
            key_id=Urls.main_key(local_actor_id(self._urls, actor)),
            private_key=keys.load_private_key(actor.rsa_private_pem),
        )


class DeliveryState:
    """What deliveries share in one process: the body cache, host health, signing threads."""

    def __init__(self, node: NodeContext, config: DeliveryConfig) -> None:
        self.config = config
        self.outgoing = OutgoingCache(node.engine, node.urls, config.body_cache_size)
        self.health = HostHealth(
            node.engine, config.circuit, max_attempts=config.deliver_policy.max_attempts
        )
        self.specs: dict[str, Spec] = {}
        threads = config.sign_threads
        if threads is None:
            threads = len(_cpus())
        # Not anyio's to_thread nor an executor: a fan-out signs once per delivery, and
        # batches cost the loop a fraction of a future per signature. Idle threads end.
        self.signers = SignerThreads(threads) if threads > 0 else None

    def spec_for(self, host: str) -> Spec:
        """The signature spec to try first with ``host``."""
        return self.specs.get(host, "draft-cavage")

    def remember_spec(self, host: str, spec: Spec) -> None:
        if len(self.specs) >= _MAX_REMEMBERED_HOSTS and host not in self.specs:
            self.specs.clear()
        self.specs[host] = spec


def _cpus() -> set[int]:
    try:
        return os.sched_getaffinity(0)
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return set(range(os.cpu_count() or 1))


def delivery_state(node: NodeContext, config: DeliveryConfig) -> DeliveryState:
    """This process's delivery state for ``config`` (created on first use, inside the loop)."""
    state = node.delivery
    if state is None or state.config is not config:
        state = DeliveryState(node, config)
        node.delivery = state
    return state


@dataclass(frozen=True)
class Attempt:
    """One POST: the response, or why there was none."""

    spec: Spec
    response: HttpResponse | None = None
    error: FetchError | None = None

    @property
    def status(self) -> int | None:
        return self.response.status if self.response is not None else None


async def deliver(node: NodeContext, job: ClaimedJob, config: DeliveryConfig) -> Outcome:
    """Run one deliver job (payload: activity_id, actor_id, inbox)."""
    payload = job.payload
    activity_id = str(payload["activity_id"])
    actor_pk = int(payload["actor_id"])
    inbox = str(payload["inbox"])
    host = inbox_host(inbox)
    if host is None:
        return Fail(f"not an inbox URL: {inbox[:200]!r}")
    # Blocked (or not allowed) since the fan-out: nothing goes there. Asked here whatever the
    # client (one built without a host policy still delivers nowhere the policy refuses), and
    # again by the client just before each knock connects (http.vet).
    if not federates_with(node, host):
        return Fail(f"{host} is blocked or not allowed: this node does not federate with it")
    http = node.http or node.open_http()
    try:
        target = http.vet(inbox)
    except FetchError as exc:
        return Fail(str(exc))
    state = delivery_state(node, config)
    wait = await state.health.wait_before_sending(host, config.clock())
    if wait is not None:
        # Not before the probe (the job whose failure opened the circuit) has had its window:
        # it joins the held backlog (circuit.py) rather than race the probe, and from then on
        # it moves with the host's rounds, each counted as an attempt.
        after_probe = wait + config.circuit.probe_window
        delay = after_probe + random.uniform(0.0, min(30.0, 0.1 * wait))
        return Retry(f"circuit open for {host}: not tried", delay=delay)
    outgoing = await state.outgoing.get(activity_id, actor_pk)
    if outgoing is None:
        return Fail(f"activity {activity_id} or its actor no longer exists")

    first = await _post(http, state, (inbox, target), outgoing, state.spec_for(host))
    final = first
    if first.status in _KNOCK_STATUSES:
        other: Spec = "rfc9421" if first.spec == "draft-cavage" else "draft-cavage"
        try:  # a round trip later: judged afresh (a block may have come meanwhile)
            again = http.vet(inbox)
        except FetchError as exc:
            return Fail(str(exc))
        second = await _post(http, state, (inbox, again), outgoing, other)
        if second.status is not None and 200 <= second.status < 300:
            state.remember_spec(host, other)
        # A 400 to the second knock may only mean "I don't read that spec": keep the first
        # answer's hope (a 401 is retried) rather than give up on it.
        if second.status == 400 and first.status == 401:
            final = first
        else:
            final = second
    return await _judge(node, state, job, inbox, host, final)


@lru_cache(maxsize=8192)
def inbox_host(inbox: str) -> str | None:
    """The circuit-breaker (and policy) key of an inbox URL: its canonical ``host[:port]``.

    Remembered: a fan-out asks it two or three times per inbox (filter, job host, deliver),
    and the same inboxes come back with every activity."""
    try:
        split = urlsplit(inbox)
    except ValueError:
        return None
    if split.scheme not in ("http", "https") or not split.hostname:
        return None
    return hostport_of(inbox) or None


async def _post(
    http: HttpClient,
    state: DeliveryState,
    inbox: tuple[str, VettedURL],
    outgoing: Outgoing,
    spec: Spec,
) -> Attempt:
    """Sign for ``inbox`` (the URL as the job names it, and as the client vetted it) and POST."""
    sign = sign_cavage if spec == "draft-cavage" else sign_rfc9421
    url, target = inbox
    signing = partial(
        sign,
        "POST",
        url,
        {"Content-Type": ACTIVITY_CONTENT_TYPE},
        outgoing.body,
        key_id=outgoing.key_id,
        private_key=outgoing.private_key,
        now=time.time(),
    )
    if state.signers is None:
        headers = signing()
    else:
        headers = await state.signers.sign(signing)
    try:
        response = await http.post(target, outgoing.body, headers=headers)
    except FetchError as exc:
        return Attempt(spec, error=exc)
    return Attempt(spec, response=response)


async def _judge(
    node: NodeContext,
    state: DeliveryState,
    job: ClaimedJob,
    inbox: str,
    host: str,
    attempt: Attempt,
) -> Outcome:
    config = state.config
    policy = config.deliver_policy
    health = state.health
    now = config.clock()
    response = attempt.response
    if response is None:
        error = attempt.error
        assert error is not None
        if error.reason in PERMANENT_FETCH_REASONS:
            return Fail(str(error))
        view = await health.record_failure(host, str(error), now)
        return Retry(str(error), delay=_probe_delay(view, now, policy.delay(job.attempts)))
    status = response.status
    if 200 <= status < 300:
        await health.record_success(host, now)
        return Done()
    error_text = _describe(response, inbox, attempt.spec)
    retry_after = parse_retry_after(response.headers, now) if status in (429, 503) else None
    delay = pause_until = None
    if retry_after is not None:
        # "Not before": never sooner than the header says, nor sooner than our own back-off
        # (a server answering "Retry-After: 0" over and over must not burn every attempt).
        retry_after = min(retry_after, policy.retry_after_cap)
        pause_until = now + retry_after
        delay = max(retry_after, policy.delay(job.attempts))
    if status >= 500:
        view = await health.record_failure(host, error_text, now, pause_until=pause_until)
        own = delay if delay is not None else policy.delay(job.attempts)
        return Retry(error_text, status=status, delay=_probe_delay(view, now, own))
    if status == 429:
        if pause_until is not None:
            await health.pause(host, pause_until, error_text, now)
        return Retry(error_text, status=status, delay=delay)
    # Any other answer means the host is up, whatever it thinks of this delivery.
    await health.record_success(host, now)
    if not policy.is_permanent(status):
        return Retry(error_text, status=status)
    if status in (404, 410):
        pruned = await to_thread.run_sync(partial(prune_followers, node.engine, inbox, status))
        if pruned:
            log.info("%s answered %s: removed %d follower(s) using it", inbox, status, pruned)
            error_text += f"; removed {pruned} follower(s)"
    log.info("delivery of %s given up: %s", job.payload.get("activity_id"), error_text)
    return Fail(error_text, status=status)


def _probe_delay(view: HostView, now: float, own: float) -> float:
    """A failed delivery to a host whose circuit is now open comes back exactly when it
    half-opens, whatever its own back-off: it is the probe, and the rest of the host's backlog
    is held until after the probe's window (circuit.py). The circuit's period grows as long as
    the host keeps failing, so it is the back-off."""
    if view.open_until is None or view.open_until <= now:
        return own
    return view.open_until - now


def prune_followers(engine: Engine, inbox: str, status: int) -> int:
    """Delete the followers (of every local actor) that a 404/410 from ``inbox`` shows gone.

    A personal inbox answering 404 or 410: its actor is gone, so its follower rows go. A shared
    inbox only on 410 Gone, which says the whole server is gone on purpose: then every
    follower delivered through it goes. A 404 on a shared inbox is left alone: one broken
    proxy route would otherwise silently erase every follower on that server.
    """
    if status == 410:
        condition = "inbox = :url OR shared_inbox = :url"
    elif status == 404:
        condition = "inbox = :url"
    else:
        return 0
    with write_connection(engine) as conn:
        # Only constant fragments and bound parameters go into this statement.
        result = conn.execute(text(f"DELETE FROM follower WHERE {condition}"), {"url": inbox})  # noqa: S608
    return int(result.rowcount)


def _describe(response: HttpResponse, inbox: str, spec: Spec) -> str:
    snippet = response.body[:200].decode("utf-8", errors="replace")
    snippet = " ".join(snippet.split())
    text_ = f"HTTP {response.status} from {inbox} ({spec})"
    return f"{text_}: {snippet}" if snippet else text_
