"""The opening most Fedify stories share: the New Economy Coalition on a running node, with an
API token, and alice on the Fedify peer following it (her Follow accepted); and the API calls
the stories then make."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.harness.fixtures import PeerFactory
from tests.harness.nodes import NodeFactory, NodeProcess
from tests.harness.peer import FedifyPeer


@dataclass(frozen=True)
class Followed:
    """A running node whose organization ``org`` (with API ``token``) ``peer``'s alice follows."""

    node: NodeProcess
    peer: FedifyPeer
    org: str
    token: str


def nec_followed_by_alice(node_factory: NodeFactory, peer_factory: PeerFactory) -> Followed:
    """Start a node with @nec and a token, and a Fedify peer whose alice follows @nec."""
    node = node_factory()
    node.cli("org", "create", "nec", "--name", "New Economy Coalition")
    token = node.cli("token", "create", "nec").stdout.strip()
    node.start()
    peer = peer_factory(["alice"])
    org = node.actor_url("nec")
    peer.follow(org)
    peer.wait_for_inbox("Accept", timeout=20)
    return Followed(node, peer, org, token)


def api_post(node: NodeProcess, token: str, path: str, body: Any) -> dict[str, Any]:
    """POST ``body`` to the node's API as the token's organization; the created object."""
    answer = httpx.post(
        f"{node.base_url}{path}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=20,
    )
    assert answer.status_code in (200, 201), answer.text
    return dict(answer.json())


def api_patch(node: NodeProcess, token: str, url: str, body: Any) -> dict[str, Any]:
    """PATCH the API object at ``url``; the changed object."""
    answer = httpx.patch(url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=20)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())
