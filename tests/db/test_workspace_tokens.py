"""The API tokens page (admins only): a token made with a label and an expiry is shown once
and works on the API; the list shows status, creation, last use and expiry; a revoked token is
refused from then on — the services of ``solnode token create|list|revoke``."""

from __future__ import annotations

import re

from sqlalchemy import Engine
from starlette.testclient import TestClient

from node.api.tokens import create_token
from node.db import session_scope
from tests.db.network_support import local
from tests.db.publishing_support import make_org
from tests.db.workspace_people_support import as_person, staff
from tests.db.workspace_support import snapshot

TOKEN = re.compile(r'<p class="link-box" id="the-token">(sn_[A-Za-z0-9_-]+)</p>')


def test_an_admin_makes_a_token_sees_it_once_and_revokes_it(
    client: TestClient, engine: Engine
) -> None:
    make_org(engine)  # it comes with a token of its own, unlabelled
    local(engine, "ussen", "network")
    with session_scope(engine) as session:
        create_token(session, "ussen", label="the network's")
    staff(engine)
    as_person(client, "eddie@nec.example", "/workspace/nec")
    assert client.get("/workspace/nec/tokens").status_code == 403
    token = as_person(client, "vera@nec.example", "/workspace/nec/tokens")
    listing = client.get("/workspace/nec/tokens").text
    assert "the network" not in listing and "#1 (no label)" in listing

    made = client.post("/workspace/nec/tokens/create",
                       data={"csrf": token, "label": "Calendar sync", "expires_in": "30"})  # fmt: skip
    [secret] = TOKEN.findall(made.text)
    assert "expires in 30 days" in made.text
    assert secret not in client.get("/workspace/nec/tokens").text  # shown once
    api = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/events", headers=api).status_code == 200
    row = client.get("/workspace/nec/tokens").text.split("Calendar sync", 1)[1].split("</tr>")[0]
    cells = re.findall(r"<td>(.*?)</td>", row, re.S)
    assert cells[0] == "active" and "UTC" in cells[2] and "UTC" in cells[3]  # used, expires

    before = snapshot(engine)
    bad = client.post("/workspace/nec/tokens/create",
                      data={"csrf": token, "label": "x", "expires_in": "0"})  # fmt: skip
    assert bad.status_code == 400 and "between 1 and" in bad.text
    # the network's token (id 2) is not this organization's to revoke
    other = client.post("/workspace/nec/tokens/revoke",
                        data={"csrf": token, "token_id": "2", "confirmed": "yes"})  # fmt: skip
    assert other.status_code == 404
    asked = client.post("/workspace/nec/tokens/revoke", data={"csrf": token, "token_id": "3"})
    assert "Every program using this token will be refused" in asked.text
    assert snapshot(engine) == before
    done = client.post("/workspace/nec/tokens/revoke",
                       data={"csrf": token, "token_id": "3", "confirmed": "yes"})  # fmt: skip
    assert "The token was revoked." in done.text and ">revoked</td>" in done.text
    refused = client.get("/api/v1/events", headers=api)
    assert refused.status_code == 401 and "revoked" in refused.text
