"""Issue #15 items 2 and 14 over real HTTP: a `solnode serve` process, and a loopback origin
that serves the claimed actors and counts the GETs it gets.

* The JSON-LD bomb (a forwarded Create with 25 nested objects, each naming the ActivityStreams
  context 51 times, under an RsaSignature2017) is refused 401 ``too_complex`` at once: the
  node's CPU time for a few of them stays far below what one canonicalisation cost (3.3 s,
  twice). Measured from /proc, with a generous margin.
* Badly signed POSTs naming someone's key do not make the node fetch that someone again and
  again: at most one refetch per ``SOLNODE_KEY_REFETCH_INTERVAL`` per owner.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from aiohttp import web

from tests.db.test_ld_budget import json_ld_bomb
from tests.harness.nodes import NodeFactory, NodeProcess
from tests.integration.loopback_support import LoopThread, RemoteActorKeys, RemoteOrigin

pytestmark = pytest.mark.integration


@dataclass
class CountingOrigin(RemoteOrigin):
    """A :class:`RemoteOrigin` that counts the GETs per path."""

    gets: Counter[str] = field(default_factory=Counter)

    async def _get(self, request: web.Request) -> web.Response:
        self.gets[request.path] += 1
        return await super()._get(request)


@pytest.fixture
def origin() -> Iterator[CountingOrigin]:
    lt = LoopThread()
    server = CountingOrigin()
    lt.run(server.start())
    try:
        yield server
    finally:
        lt.run(server.stop())
        lt.close()


def _cpu_seconds(node: NodeProcess) -> float:
    """User + system CPU time of the node's process (all its threads), from /proc."""
    assert node.proc is not None and node.proc.pid is not None
    with open(f"/proc/{node.proc.pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _post(
    http: httpx.Client, node: NodeProcess, body: bytes, sender: RemoteActorKeys
) -> httpx.Response:
    url = f"{node.base_url}/inbox"
    return http.post(url, content=body, headers=sender.sign(url, body))


def test_the_json_ld_bomb_is_answered_at_once(
    node_factory: NodeFactory, origin: CountingOrigin
) -> None:
    node = node_factory().start()
    alice = origin.add_actor("alice")
    mallory = origin.add_actor("mallory")  # passes the bombs on, under her own HTTP signature
    with httpx.Client(trust_env=False, timeout=60) as http:
        warm = _post(http, node, json.dumps({"x": 1}).encode(), mallory)  # imports, first fetch
        assert warm.status_code == 400
        bombs = [json.dumps(json_ld_bomb(alice.actor_id)).encode() for _ in range(5)]
        assert 50_000 < len(bombs[0]) < 60_000
        before = _cpu_seconds(node)
        answers = [_post(http, node, bomb, mallory) for bomb in bombs]
        used = _cpu_seconds(node) - before

    for answer in answers:
        assert answer.status_code == 401, answer.text
        assert answer.json()["reason"] == "too_complex"
    # 5 bombs: was 5 x 2 x 3.3 s of CPU; now each is refused by one walk over the body. The
    # bound is generous (100 ms each, plus the node's idle work) and far below one
    # canonicalisation.
    assert used < 1.0, f"{used:.2f} s of CPU for 5 bombs"
    assert origin.gets["/users/alice"] == 0  # nothing fetched for a body refused


def test_badly_signed_posts_do_not_refetch_the_named_key_owner(
    node_factory: NodeFactory, origin: CountingOrigin
) -> None:
    node = node_factory().start()  # SOLNODE_KEY_REFETCH_INTERVAL: the default, 300 s
    alice = origin.add_actor("alice")
    mallory = origin.add_actor("mallory")
    # mallory signs with her key but names alice's
    forger = RemoteActorKeys(alice.actor_id, alice.key_id, mallory.private_pem, alice.document)
    with httpx.Client(trust_env=False, timeout=60) as http:
        for n in range(30):
            body = json.dumps(
                {
                    "@context": "https://www.w3.org/ns/activitystreams",
                    "id": f"{alice.actor_id}/follows/{n}",
                    "type": "Follow",
                    "actor": alice.actor_id,
                    "object": f"{node.base_url}/actors/nobody",
                }
            ).encode()
            answer = _post(http, node, body, forger)
            assert answer.status_code == 401, answer.text
            assert answer.json()["reason"] == "bad_signature"
    # the first fetch, and one refetch in case alice had rotated her key: not 31
    assert origin.gets["/users/alice"] <= 2, origin.gets
