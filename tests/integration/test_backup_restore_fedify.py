"""Backup, wipe, restore, told with real processes on SQLite and PostgreSQL: the Fedify peer
follows an organization and receives its event; the node is stopped, backed up with
`solnode backup`, its data dir and database destroyed, restored with `solnode restore` and
started again — and the peer, which never heard of any of this, receives the next post with a
signature it verifies against the same key, because the keys, the follower and the items came
back."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.db.publishing_support import fixture, future
from tests.harness.fixtures import PeerFactory
from tests.harness.nodes import NodeFactory, NodeProcess
from tests.integration.fedify_support import api_post, nec_followed_by_alice


def wipe(node: NodeProcess) -> None:
    """Destroy the node's data dir and every table of its database."""
    shutil.rmtree(node.data_dir)
    if node.database_url.startswith("sqlite"):
        db = Path(node.database_url.split("///", 1)[-1])
        for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
            path.unlink(missing_ok=True)
        return
    engine = create_engine(node.database_url)
    try:
        with engine.begin() as conn:
            names = conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            ).scalars()
            conn.execute(text("DROP TABLE " + ", ".join(f'"{n}"' for n in names) + " CASCADE"))
    finally:
        engine.dispose()


@pytest.mark.peer
@pytest.mark.integration
@pytest.mark.parametrize("node_factory", ["sqlite", "postgresql"], indirect=True)
def test_a_restored_node_federates_as_before(
    node_factory: NodeFactory, fedify_peer_factory: PeerFactory, tmp_path: Path
) -> None:
    story = nec_followed_by_alice(node_factory, fedify_peer_factory)
    node, peer, org, token = story.node, story.peer, story.org, story.token
    event = api_post(
        node, token, "/api/v1/events", future(fixture("conference.json")["conference"])
    )
    [first] = peer.wait_for_inbox("Create", timeout=30)
    key_before = node.get_json(org)["publicKey"]["publicKeyPem"]
    node.stop()
    media = node.data_dir / "media" / "nec" / "banner.png"
    media.parent.mkdir(parents=True)
    media.write_bytes(b"\x89PNG\r\n\x1a\n banner")

    archive = tmp_path / "nec-backup.tar.gz"
    made = node.cli("backup", str(archive))
    assert f"Backed up {node.base_url} to {archive}" in made.stdout

    wipe(node)
    refused = node.cli("status", check=False)
    assert refused.returncode == 1 and "run `solnode init` to set up a node" in refused.stderr

    restored = node.cli("restore", str(archive))
    assert "actors and their keys: nec" in restored.stdout
    assert "follower 1" in restored.stdout and "item 1" in restored.stdout
    assert "media: 1 file(s)" in restored.stdout
    assert media.read_bytes() == b"\x89PNG\r\n\x1a\n banner"

    node.start()
    # The same key, the event served again under its id, the follower still there.
    assert node.get_json(org)["publicKey"]["publicKeyPem"] == key_before
    assert node.get_json(event["id"])["id"] == event["id"]
    assert node.get_json(f"{org}/followers")["totalItems"] == 1
    # The peer still knows the old key (it fetched it before); a new post must verify with it.
    call = api_post(node, token, "/api/v1/calls", fixture("call_group_purchasing.json"))
    creates = peer.wait_for_inbox("Create", since=first["seq"], timeout=30)
    [entry] = [c for c in creates if c["activity"]["object"]["id"] == call["id"]]
    assert entry["httpSignatureVerified"] is True and entry["signerKeyId"] == f"{org}#main-key"
    assert entry["fedify"]["activityVerified"] is True and entry["status"] == 202
    assert first["activity"]["actor"] == entry["activity"]["actor"] == org
    # The token was in the database too: the API still takes it (the secret key came back).
    listed = httpx.get(
        f"{node.base_url}/api/v1/events", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert listed.status_code == 200
