"""The Networks page of a network's workspace: requests admitted or refused, members removed,
rules set, a relayed item hidden — through the services of ``solnode admit``, ``remove``,
``network rules`` and ``network hide``, so the Accept, Follow, Reject, Remove and Undo go out
as from the CLI, and every decision lands in the network's log; and the API tokens page."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from node.db import session_scope
from node.federation import outbox as delivery
from node.models import LocalActor, Membership, ModerationLog
from node.models.networks import NetworkItem, NetworkRules
from tests.db.network_support import local, remote, sent
from tests.db.publishing_support import make_org
from tests.db.workspace_people_support import as_person, incoming, staff
from tests.db.workspace_support import snapshot

BASE = "http://127.0.0.1:8000"
NETWORK = f"{BASE}/actors/ussen"
RIVERSIDE = "https://coop.example/actors/riverside"
HILLTOP = "https://coop.example/actors/hilltop"
NOTE = "https://coop.example/items/harvest-fair"


def _ids(engine: Engine) -> dict[str, str]:
    with Session(engine) as session:
        return {m.member: str(m.id) for m in session.exec(select(Membership))}


def _states(engine: Engine) -> dict[str, str]:
    with Session(engine) as session:
        return {m.member: m.state for m in session.exec(select(Membership))}


def _relayed_item(engine: Engine, network: LocalActor) -> None:
    """An item filed and re-announced, as filing.py leaves it."""
    announce_id = f"{NETWORK}/activities/announce-1"
    doc = {"@context": "https://www.w3.org/ns/activitystreams", "id": announce_id,
           "type": "Announce", "actor": NETWORK, "object": NOTE,
           "to": ["https://www.w3.org/ns/activitystreams#Public"]}  # fmt: skip
    with session_scope(engine) as session:
        delivery.send(session, network, doc, delivery.Audience(followers=True))
        assert network.id is not None
        session.add(NetworkItem(network_id=network.id, object_id=NOTE, author=RIVERSIDE,
                                kind="event", announce_id=announce_id))  # fmt: skip


def test_a_network_admits_refuses_removes_sets_rules_and_hides_an_item(
    app: Starlette, client: TestClient, engine: Engine
) -> None:
    network = local(engine, "ussen", "network")
    for member in (RIVERSIDE, HILLTOP):
        remote(engine, member)
        assert incoming(app, "Join", member, NETWORK).startswith("network: requested")
    staff(engine, "ussen")
    token = as_person(client, "eddie@nec.example", "/workspace/ussen/networks")
    page = client.get("/workspace/ussen/networks")
    assert page.status_code == 200 and RIVERSIDE in page.text
    dashboard = client.get("/workspace/ussen").text
    assert 'href="/workspace/ussen/networks#requests-title"' in dashboard
    ids = _ids(engine)
    # editors see, admins decide
    before = snapshot(engine)
    for action in ("admit", "remove", "rules", "hide"):
        answer = client.post(f"/workspace/ussen/networks/{action}",
                             data={"csrf": token, "membership_id": ids[RIVERSIDE]})  # fmt: skip
        assert answer.status_code == 403, action
    assert snapshot(engine) == before

    token = as_person(client, "vera@nec.example", "/workspace/ussen/networks")
    done = client.post("/workspace/ussen/networks/admit",
                       data={"csrf": token, "membership_id": ids[RIVERSIDE]},
                       follow_redirects=False)  # fmt: skip
    assert done.headers["location"] == "/workspace/ussen/networks?done=member-admitted"
    asked = client.post("/workspace/ussen/networks/remove",
                        data={"csrf": token, "membership_id": ids[HILLTOP]})  # fmt: skip
    assert "It will be told its request to join was refused" in asked.text
    assert _states(engine) == {RIVERSIDE: "admitted", HILLTOP: "requested"}
    client.post("/workspace/ussen/networks/remove",
                data={"csrf": token, "membership_id": ids[HILLTOP], "confirmed": "yes",
                      "reason": "not a co-op"})  # fmt: skip
    assert _states(engine) == {RIVERSIDE: "admitted", HILLTOP: "rejected"}
    assert [r.document["object"] for r in sent(engine, "Follow")] == [RIVERSIDE]
    assert [r.document["to"] for r in sent(engine, "Accept") + sent(engine, "Reject")] == [
        [RIVERSIDE], [HILLTOP]]  # fmt: skip

    client.post("/workspace/ussen/networks/remove",
                data={"csrf": token, "membership_id": ids[RIVERSIDE], "confirmed": "yes"})  # fmt: skip
    assert _states(engine)[RIVERSIDE] == "ended"
    [removal] = sent(engine, "Remove")
    assert removal.document["object"] == RIVERSIDE
    assert [u.document["object"]["type"] for u in sent(engine, "Undo")] == ["Follow"]

    rules = client.post("/workspace/ussen/networks/rules",
                        data={"csrf": token, "kinds": ["event", "news"],
                              "tags": "#FoodCoops, housing", "regions": "Vermont"})  # fmt: skip
    assert rules.status_code == 200 and "The rules were saved." in rules.text
    with Session(engine) as session:
        row = session.exec(select(NetworkRules)).one()
    assert (row.kinds, row.tags, row.regions) == (["event", "news"], ["foodcoops", "housing"],
                                                  ["Vermont"])  # fmt: skip
    bad = client.post("/workspace/ussen/networks/rules",
                      data={"csrf": token, "kinds": "concert"})  # fmt: skip
    assert bad.status_code == 400 and "is not one of event, news" in bad.text

    _relayed_item(engine, network)
    assert NOTE in client.get("/workspace/ussen/networks").text
    client.post("/workspace/ussen/networks/hide",
                data={"csrf": token, "object_id": NOTE, "confirmed": "yes"})  # fmt: skip
    with Session(engine) as session:
        assert session.exec(select(NetworkItem)).one().state == "hidden"
        log = [(e.who, e.action) for e in session.exec(select(ModerationLog))]
    undone = [u.document["object"]["type"] for u in sent(engine, "Undo")]
    assert undone == ["Follow", "Announce"]  # the boost is taken back
    vera = "admin:vera@nec.example"
    assert [(vera, a) for a in ("network_admit", "network_reject", "network_remove",
                                "network_rules", "network_hide")] == [
        e for e in log if e[0] == vera]  # fmt: skip
    decisions = client.get("/workspace/ussen/networks").text.split('id="log-title"')[1]
    assert f"{vera} · hid an item · {NOTE}" in decisions and "network_hide" not in decisions


def test_an_organization_has_no_networks_page(client: TestClient, engine: Engine) -> None:
    make_org(engine)
    staff(engine)
    as_person(client, "vera@nec.example", "/workspace/nec")
    assert client.get("/workspace/nec/networks").status_code == 404
    assert 'href="/workspace/nec/networks"' not in client.get("/workspace/nec").text
