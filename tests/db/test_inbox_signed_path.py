"""The inbox checks a signature against the path exactly as the sender wrote it (the server's
raw path and query, not the percent-decoded path), over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from node.settings import Settings
from tests.db.inbox_support import ana_note, coop_and_ana, signed, stored


@pytest.fixture
def ana(engine: Engine, settings: Settings) -> Any:
    return coop_and_ana(engine, settings)


note = ana_note


def test_a_percent_encoded_inbox_path_is_verified_as_it_was_sent(
    client: TestClient, engine: Engine, ana: Any
) -> None:
    sent = "/actors/co%6Fp/inbox"  # the coop's inbox, one letter escaped (routed as decoded)
    body = note(1)
    answer = client.post(sent, content=body, headers=signed(sent, body, ana))
    assert answer.status_code == 202, answer.text
    assert stored(engine) == (1, 1)


def test_a_signature_over_the_decoded_path_does_not_cover_the_escaped_one(
    client: TestClient, engine: Engine, ana: Any
) -> None:
    body = note(2)
    headers = signed("/actors/coop/inbox", body, ana)
    answer = client.post("/actors/co%6Fp/inbox", content=body, headers=headers)
    assert answer.status_code == 401
    assert stored(engine) == (0, 0)


def test_the_query_string_as_sent_is_part_of_the_signed_target(
    client: TestClient, engine: Engine, ana: Any
) -> None:
    # (a signature over the path alone also verifies: Fedify 2.3 leaves the query out, cavage.py)
    body = note(3)
    other = signed("/inbox?via=other", body, ana)
    assert client.post("/inbox?via=relay", content=body, headers=other).status_code == 401
    answer = client.post(
        "/inbox?via=relay", content=body, headers=signed("/inbox?via=relay", body, ana)
    )
    assert answer.status_code == 202, answer.text
    assert stored(engine) == (1, 1)
