"""The OpenAPI document at /api/openapi.json against the running API, with schemathesis.

Every operation gets generated requests as the organization of a real token: bodies, query
parameters and path values that fit the document (positive) and that do not (negative). So the
valid edits reach real rows, positive cases name an event, a call, a news item, a series, a
participant and a reply seeded beforehand (a random uid would only ever meet a 404). No input may cause a
5xx, and every answer must be a documented status with the documented content type, headers and
JSON schema. Bodies the schema allows but the validators refuse (an end before the start…) are
answered 422, which is documented; so ``positive_data_acceptance`` is not among the checks.
Hypothesis is derandomized (the same requests every run) and bounded: well under a minute.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Ok
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.testclient import TestClient

from node.db import session_scope
from node.models import Interaction
from node.wiring import api_document as document
from tests.db.publishing_support import Api, Page, fixture, future, make_org

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = 6


def seed(client: TestClient, engine: Engine, token: str) -> dict[str, dict[str, Any]]:
    """One of everything, and the path parameters that reach each."""
    api = Api(client, token)
    body = future(fixture("forum_series.json")) | {"recurrence": None, "joinMode": "restricted"}
    event = api.post("/api/v1/events", body).json()
    call = api.post("/api/v1/calls", fixture("call_group_purchasing.json")).json()
    news = api.post("/api/v1/news", fixture("news_share_stories.json")).json()
    monthly = {"startTime": "2027-01-21T18:30:00", "endTime": "2027-01-21T20:00:00"}
    series = api.post("/api/v1/events", fixture("forum_series.json") | monthly).json()
    token_field = Page(client.get(event["url"]).text).find("input", name="token")[0]["value"]
    client.post(f"{event['url']}/register", data={"token": token_field, "name": "Ada"})
    [person] = api.get(f"/api/v1/events/{event['uid']}/participants").json()["items"]
    with session_scope(engine) as session:
        reply = Interaction(
            activity_id="https://mastodon.example/statuses/1",
            kind="reply",
            actor="https://mastodon.example/users/ana",
            object_id=news["id"],
            content="<p>Hello</p>",
            state="pending",
        )
        session.add(reply)
        session.flush()
        reply_id = reply.id
    return {
        "/api/v1/events/": {"uid": event["uid"], "id": person["id"]},
        "/api/v1/calls/": {"uid": call["uid"]},
        "/api/v1/news/": {"uid": news["uid"]},
        "/api/v1/series/": {"uid": series["uid"]},
        "/api/v1/replies/": {"id": reply_id},
        "/actors/": {"slug": "nec"},
        "/api/v1/actors/": {"slug": "nec"},
    }


# Generated targets would be looked up over the network (WebFinger, actor fetch) and tests
# only ever talk to loopback: these two are tested with loopback targets in
# tests/db/test_api_follows.py instead.
NO_FUZZ = frozenset({"/api/v1/follow", "/api/v1/unfollow"})


def _run(operation: Any, mode: GenerationMode, token: str, path: dict[str, Any] | None) -> None:
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=path)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,  # the same requests on every run: CI must not flake
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

    run()


@pytest.mark.integration
def test_no_generated_request_breaks_the_api_or_its_documentation(
    app: Starlette, client: TestClient, engine: Engine
) -> None:
    token = make_org(engine)
    seeded = seed(client, engine, token)
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    operations = []
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):  # the document describes an operation wrongly: say how
            raise result.err()
        operations.append(result.ok())
    # Deletions last, so the edits before them find the seeded rows.
    operations.sort(key=lambda op: op.method.upper() == "DELETE")
    failures: list[str] = []
    for operation in operations:
        if operation.path in NO_FUZZ:
            continue
        known = next((v for k, v in seeded.items() if operation.path.startswith(k)), {})
        path = {k: v for k, v in known.items() if "{" + k + "}" in operation.path} or None
        # Valid requests at the seeded rows (random names only ever meet a 404), invalid ones
        # anywhere.
        runs = [(GenerationMode.POSITIVE, path), (GenerationMode.NEGATIVE, None)]
        for mode, values in runs:
            try:
                _run(operation, mode, token, values)
            except Exception as exc:  # collect them all, then fail once with every finding
                failures.append(f"{operation.label} ({mode.value}, {values}): {exc}")
    assert len(operations) >= 25
    assert not failures, "\n\n".join(failures)


def test_the_document_is_openapi_3_1_and_lists_every_publishing_route() -> None:
    from node.features.follows import api as routes_follows
    from node.features.media import api as routes_media
    from node.features.participation import api as routes_social
    from node.features.profiles import api as routes_profile
    from node.features.publishing import api as routes
    from node.features.publishing import outbox_api as routes_outbox
    from node.features.search import routes as routes_search

    doc = document("http://127.0.0.1:8000")
    assert doc["openapi"] == "3.1.0"
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    served = {
        (route.path.replace("{id:int}", "{id}"), method)
        for module in (
            routes,
            routes_social,
            routes_profile,
            routes_outbox,
            routes_follows,
            routes_media,
        )
        for route in module.routes()
        for method in (route.methods or set()) - {"HEAD"}
    } | {  # the search page is HTML; its JSON twin is in the document
        (route.path, method)
        for route in routes_search.routes()
        if route.path.startswith("/api/")
        for method in (route.methods or set()) - {"HEAD"}
    }
    assert documented == served
