"""A corpus of hostile inbox POSTs, sent over real HTTP to a real `solnode serve` process
(SQLite and PostgreSQL), each with the answer it must get.

The cases are data: ``tests/fixtures/hostile/*.json``, one file per case (format in
``tests/fixtures/hostile/README.md``). Each says what to POST (a body, or raw text, or a body
with generated parts: 10,000 levels of nesting, 150,000-character strings, 5,000-item arrays),
how to sign it (validly, by someone else, with someone else's key id, stale, over another body,
with an SSRF key id...), and the status expected, with the reason why that status. For every
case:

* the answer is the expected status, never a 5xx;
* a refusal stores nothing (no ``inbox_activity`` row, no inbox job);
* an accepted activity (202) is stored once and processed by the worker without an error, and
  where the case says so the result and the HTML page it shows on are checked (XSS payloads
  are stored sanitized and never rendered raw).

At the end the node still answers ``/nodeinfo/2.1`` and its log holds no traceback.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from node.activitypub.signatures.cavage import sign_cavage
from node.activitypub.signatures.dates import http_date
from node.activitypub.signatures.digests import body_digest, content_digest
from node.activitypub.signatures.rfc9421 import sign_rfc9421
from node.settings import load_settings
from tests.conftest import drop_pg_schema, pg_schema_url
from tests.harness.nodes import NodeProcess, wait_until
from tests.harness.ports import free_port
from tests.integration.loopback_support import (
    AP,
    LoopThread,
    RemoteActorKeys,
    RemoteOrigin,
    db_engine,
)

pytestmark = pytest.mark.integration

CASES_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "hostile"
CASES = sorted(CASES_DIR.glob("*.json"))


@dataclass
class Hostile:
    """The node under attack, the remote server its senders live on, and a place to look."""

    node: NodeProcess
    engine: Engine
    dialect: str
    origin: RemoteOrigin
    senders: dict[str, RemoteActorKeys]
    values: dict[str, str]  # what {placeholders} in the cases stand for
    http: httpx.Client
    known_bugs: set[str] = field(default_factory=set)  # activity ids of "known_bug" cases


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def hostile(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Hostile]:
    """A node (web + in-process worker) with @coop and one note; senders on a loopback origin.

    Replies are approved automatically so that a reply shows on the item's page at once.
    """
    dialect: str = request.param
    tmp = tmp_path_factory.mktemp(f"hostile-{dialect}")
    schema = f"h_{uuid.uuid4().hex[:12]}"
    if dialect == "sqlite":
        database_url = f"sqlite:///{tmp / 'node.db'}"
    else:
        database_url = pg_schema_url(request.getfixturevalue("pg_admin"), schema)
    node = NodeProcess(
        port=free_port(),
        data_dir=tmp / "data",
        database_url=database_url,
        log_dir=tmp / "logs",
        extra_env={"SOLNODE_AUTO_APPROVE_REPLIES": "true"},
    )
    from node import migrations
    from node.db import session_scope
    from node.features.publishing.notes import publish_note
    from node.federation.actors.local import create_actor, ensure_instance_actor
    from node.federation.context import NodeContext
    from node.settings import ensure_secret

    settings = ensure_secret(load_settings(env=node.env()))
    engine = db_engine(database_url)
    migrations.upgrade(engine)
    with session_scope(engine) as session:
        ensure_instance_actor(session, settings.instance_name)
        coop = create_actor(session, "coop", kind="organization", name="Riverside Co-op")
        item = publish_note(
            session, NodeContext.build(settings, engine), coop, "<p>Bulk flour order</p>"
        )
    lt = LoopThread()
    origin = RemoteOrigin()
    lt.run(origin.start())
    senders = {
        "alice": origin.add_actor("alice"),
        "mallory": origin.add_actor("mallory"),
        # An actor whose profile is itself an attack: markup in its name, a script URL.
        "xss": origin.add_actor(
            "xss",
            name="<script>alert('xss-name')</script><img src=x onerror=alert('xss-name')>",
            summary="<script>alert('xss-summary')</script>",
            url="javascript:alert('xss-actor-url')",
        ),
        # An actor whose inbox is somewhere else entirely (deliveries would go there).
        "evil": origin.add_actor("evil", inbox="http://169.254.169.254/latest/meta-data/"),
    }
    values = {
        "origin": origin.origin,
        "origin_port": str(origin.port),
        "alice": senders["alice"].actor_id,
        "mallory": senders["mallory"].actor_id,
        "xss_actor": senders["xss"].actor_id,
        "node": node.base_url,
        "coop": node.actor_url("coop"),
        "item": item.ap_id,
    }
    http = httpx.Client(trust_env=False, timeout=30)
    try:
        node.start()
        yield Hostile(node, engine, dialect, origin, senders, values, http)
    finally:
        http.close()
        node.stop()
        lt.run(origin.stop())
        lt.close()
        engine.dispose()
        if dialect != "sqlite":
            drop_pg_schema(request.getfixturevalue("pg_admin"), schema)


# --- building a request from a case ------------------------------------------------------------

_MACRO = re.compile(r'"<<(\w+):([^>]*)>>"')


def _expand(match: re.Match[str]) -> str:
    """Generated parts of a body, spliced into its JSON text (see the README)."""
    # The macro sat inside a JSON string: undo that string's escaping of its argument.
    kind, arg = match.group(1), json.loads(f'"{match.group(2)}"')
    if kind == "repeat":  # <<repeat:TEXT:COUNT>> -> a JSON string
        piece, count = arg.rsplit(":", 1)
        return json.dumps(piece * int(count))
    if kind == "nest_list":  # <<nest_list:DEPTH>> -> [[[...]]]
        depth = int(arg)
        return "[" * depth + "]" * depth
    if kind == "nest_object":  # <<nest_object:DEPTH>> -> {"a":{"a":...{}}}
        depth = int(arg)
        return '{"a":' * depth + "{}" + "}" * depth
    if kind == "array":  # <<array:COUNT:JSON>> -> [JSON, JSON, ...]
        count, item = arg.split(":", 1)
        return "[" + ",".join([item] * int(count)) + "]"
    raise ValueError(f"unknown macro {kind}")


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _fill(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), value)
    if isinstance(value, list):
        return [_fill(v, values) for v in value]
    if isinstance(value, dict):
        return {_fill(k, values): _fill(v, values) for k, v in value.items()}
    return value


def _body(spec: dict[str, Any], values: dict[str, str]) -> bytes:
    if "raw" in spec:
        return _MACRO.sub(_expand, _fill(str(spec["raw"]), values)).encode()
    if "raw_base64" in spec:
        return base64.b64decode(spec["raw_base64"])
    return _MACRO.sub(_expand, json.dumps(_fill(spec["body"], values))).encode()


def _headers(
    spec: dict[str, Any], url: str, body: bytes, h: Hostile, values: dict[str, str]
) -> dict[str, str]:
    headers = {"Content-Type": spec.get("content_type", AP)}
    sign = spec.get("sign")
    if sign:
        sender = h.senders[sign.get("as", "alice")]
        key_id = _fill(sign.get("key_id", sender.key_id), values)
        signed_body = _body(sign["over"], values) if "over" in sign else body
        signer = sign_rfc9421 if sign.get("spec") == "rfc9421" else sign_cavage
        headers = signer(
            "POST",
            url,
            headers,
            signed_body,
            key_id=key_id,
            private_key=sender.private_pem,
            now=time.time() + float(sign.get("skew", 0)),
        )
        if sign.get("recompute_digest"):  # the body was changed after signing, digest too
            if sign.get("spec") == "rfc9421":
                headers["Content-Digest"] = content_digest(body)
            else:
                headers["Digest"] = body_digest(body)
    for name in spec.get("drop_headers", []):
        headers = {k: v for k, v in headers.items() if k.lower() != name.lower()}
    headers.update(_fill(spec.get("set_headers", {}), values))
    return headers


def send(h: Hostile, spec: dict[str, Any], values: dict[str, str]) -> httpx.Response:
    """POST one request of a case to the node."""
    path = _fill(spec.get("path", "/actors/coop/inbox"), values)
    url = h.node.base_url + path
    body = _body(spec, values)
    headers = _headers(spec, url, body, h, values)
    if spec.get("chunked"):  # no Content-Length: the node must count what it reads
        chunks = [body[i : i + 65536] for i in range(0, len(body), 65536)]
        return h.http.post(url, content=iter(chunks), headers=headers)
    return h.http.post(url, content=body, headers=headers)


# --- looking at the node -------------------------------------------------------------------------


def counts(h: Hostile) -> tuple[int, int]:
    """(inbox activities, inbox jobs)."""
    with h.engine.connect() as conn:
        activities = conn.execute(text("SELECT COUNT(*) FROM inbox_activity")).scalar_one()
        jobs = conn.execute(text("SELECT COUNT(*) FROM job WHERE kind = 'inbox'")).scalar_one()
    return int(activities), int(jobs)


def processed(h: Hostile, activity_id: str) -> tuple[str, str | None] | None:
    """(result, state of its inbox job) once the worker has processed it, else None."""
    with h.engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT a.result, a.processed_at, j.state, j.last_error FROM inbox_activity a"
                " LEFT JOIN job j ON j.dedupe_key = 'inbox:' || CAST(a.id AS VARCHAR(20))"
                " WHERE a.activity_id = :id"
            ),
            {"id": activity_id},
        ).first()
    if row is None:
        return None
    assert not row.last_error, f"processing {activity_id} failed: {row.last_error}"
    if row.processed_at is None or row.state != "done":
        return None
    return str(row.result), row.state


def check_answer(response: httpx.Response, expect: dict[str, Any], name: str) -> None:
    assert response.status_code < 500, f"{name}: {response.status_code} {response.text[:300]}"
    assert response.status_code == expect["status"], (
        f"{name}: expected {expect['status']}, got {response.status_code} {response.text[:300]}"
    )
    if "json" not in response.headers.get("content-type", ""):
        assert not {"error", "reason", "answer_status"} & set(expect), name
        return  # the not-found page of a path no route matches
    answer = response.json()
    for key in ("error", "reason"):
        if key in expect:
            assert expect[key] in str(answer.get(key, "")), f"{name}: {answer}"
    if "answer_status" in expect:
        assert answer.get("status") == expect["answer_status"], f"{name}: {answer}"


def run_step(h: Hostile, step: dict[str, Any], values: dict[str, str], name: str) -> None:
    """One request of a case: send it, check the answer, what was stored and how it ended."""
    before = counts(h)
    response = send(h, step, values)
    expect = step["expect"]
    check_answer(response, expect, name)
    body = _body(step, values)
    accepted = response.status_code == 202 and response.json().get("status") == "accepted"
    stored = expect.get("stored", accepted)
    if not stored:
        assert counts(h) == before, f"{name}: a refused or ignored POST stored something"
        return
    assert counts(h) == (before[0] + 1, before[1] + 1), f"{name}: not stored exactly once"
    activity_id = json.loads(body)["id"]
    result = wait_until(
        lambda: processed(h, activity_id), timeout=20, what=f"{name} to be processed"
    )
    after = step.get("after", {})
    if "result" in after:
        assert after["result"] in result[0], f"{name}: processed as {result[0]!r}"
    page = after.get("page")
    if page:
        r = h.http.get(_fill(page["url"], values), headers={"Accept": "text/html"})
        assert r.status_code == 200, f"{name}: page answered {r.status_code}"
        html = r.text
        for needle in page.get("present", []):
            assert _fill(needle, values) in html, f"{name}: {needle!r} not on the page"
        for needle in page.get("absent", []):
            assert _fill(needle, values) not in html, f"{name}: {needle!r} is on the page"


def _case_param(path: Path) -> Any:
    known = json.loads(path.read_text()).get("known_bug")
    marks = [pytest.mark.xfail(reason=known, strict=True)] if known else []
    return pytest.param(path, id=path.stem, marks=marks)


@pytest.mark.parametrize("path", [_case_param(p) for p in CASES])
def test_hostile_post_gets_its_answer_and_stores_nothing_it_should_not(
    hostile: Hostile, path: Path
) -> None:
    case = json.loads(path.read_text())
    assert case.get("why"), f"{path.name}: every case says why its answer is right"
    values = {**hostile.values, "uid": uuid.uuid4().hex, "recent_date": http_date(time.time() - 30)}
    main = {**case["request"], "expect": case["expect"], "after": case.get("after", {})}
    if case.get("known_bug"):
        hostile.known_bugs.add(str(_fill(main.get("body", {}), values).get("id")))
    for n, step in enumerate(case.get("before", [])):
        run_step(hostile, step, values, f"{path.stem} (before {n + 1})")
    run_step(hostile, main, values, path.stem)


@pytest.mark.parametrize(
    "resource",
    ["http://[::1", "https://[zz]/actors/coop", "acct:", "acct:@", "<<repeat>>", "x" * 5000],
)
def test_webfinger_with_a_resource_that_breaks_parsers_is_a_4xx(
    hostile: Hostile, resource: str
) -> None:
    r = hostile.http.get(
        hostile.node.base_url + "/.well-known/webfinger", params={"resource": resource}
    )
    assert r.status_code in (400, 404), r.text  # "http://[::1" was a 500 (urlsplit raised)


def test_after_the_corpus_the_node_still_serves(hostile: Hostile) -> None:
    r = hostile.http.get(hostile.node.base_url + "/nodeinfo/2.1")
    assert r.status_code == 200 and r.json()["software"]["name"]
    assert hostile.node.proc is not None and hostile.node.proc.running
    log = hostile.node.proc.log_text()
    for crash in ("unhandled error on", "Exception in ASGI application"):
        assert crash not in log, log[log.index(crash) :][:4000]
    # No job failed, except those of the cases that document a known bug.
    with hostile.engine.connect() as conn:
        failed = conn.execute(
            text(
                "SELECT a.activity_id FROM job j LEFT JOIN inbox_activity a"
                " ON j.dedupe_key = 'inbox:' || CAST(a.id AS VARCHAR(20))"
                " WHERE j.state = 'dead' OR j.last_error != ''"
            )
        ).all()
    assert {str(row[0]) for row in failed} <= hostile.known_bugs
