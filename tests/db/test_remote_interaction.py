"""Follow / join from your server: the visitor types their handle on an event page, the node
reads their server's WebFinger (a real loopback server here) through its guarded client and
offers them the remote-interaction template with the event's id; whatever a hostile or broken
server answers, the visitor gets a page that says what went wrong, never a link onwards."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from tests.db.publishing_support import Api, Page, fixture, future, make_org

SUBSCRIBE = "http://ostatus.org/schema/1.0/subscribe"


class WebFinger(ThreadingHTTPServer):
    """Answers ``/.well-known/webfinger`` for each user as ``answers[user]`` says."""

    answers: dict[str, tuple[int, str, bytes]]

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: WebFinger

    def do_GET(self) -> None:
        resource = parse_qs(urlsplit(self.path).query).get("resource", [""])[0]
        user = resource.removeprefix("acct:").split("@", 1)[0]
        status, kind, body = self.server.answers.get(user, (404, "text/plain", b"no"))
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def webfinger() -> Iterator[WebFinger]:
    server = WebFinger(("127.0.0.1", 0), _Handler)
    server.answers = {}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def jrd(links: list[dict[str, Any]]) -> tuple[int, str, bytes]:
    return 200, "application/jrd+json", json.dumps({"subject": "acct:x", "links": links}).encode()


def interact(client: TestClient, url: str, handle: str) -> Any:
    """Fill in the event page's "join from your server" form and send it."""
    [form] = Page(client.get(url).text).find("form", class_="interact")
    assert form["action"] == f"{url}/interact"
    [token] = Page(client.get(url).text).find("input", name="interact_token")
    return client.post(
        f"{url}/interact",
        data={"handle": handle, "interact_token": token["value"]},
        follow_redirects=False,
    )


@pytest.fixture
def event(client: TestClient, engine: Engine) -> dict[str, Any]:
    api = Api(client, make_org(engine))
    body = future(fixture("forum_series.json")) | {"recurrence": None, "joinMode": "free"}
    return dict(api.post("/api/v1/events", body).json())


def test_the_visitor_is_sent_to_their_servers_page_for_the_event(
    client: TestClient, event: dict[str, Any], webfinger: WebFinger
) -> None:
    template = f"http://{webfinger.host}/authorize_interaction?uri={{uri}}"
    webfinger.answers["ana"] = jrd(
        [
            {"rel": "self", "type": "application/activity+json", "href": "http://x/ana"},
            {"rel": SUBSCRIBE, "template": template},
        ]
    )
    sent = interact(client, event["url"], f"@ana@{webfinger.host}")
    # A page with the link (the visitor sees where they go), not a redirect.
    assert sent.status_code == 200
    [go] = Page(sent.text).find("a", class_="button")
    assert go["href"] == template.replace("{uri}", quote(event["id"], safe=""))
    assert f"Continue on {webfinger.host}" in sent.text


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (jrd([{"rel": "self", "href": "http://x/ana"}]), "does not say where to follow or join"),
        (jrd([{"rel": SUBSCRIBE, "template": "javascript:alert(1)//{uri}"}]), "does not say"),
        (jrd([{"rel": SUBSCRIBE, "template": "https://evil.example/no-placeholder"}]), "does not"),
        (jrd([{"rel": SUBSCRIBE, "template": ["https://a/{uri}"]}]), "does not say"),
        ((200, "application/jrd+json", b"{not json"), "answered no JSON"),
        ((200, "application/jrd+json", b"[1, 2]"), "does not say"),
        ((500, "text/plain", b"oops"), "does not know"),
    ],
)
def test_a_broken_or_hostile_answer_becomes_a_message(
    client: TestClient,
    event: dict[str, Any],
    webfinger: WebFinger,
    answer: tuple[int, str, bytes],
    says: str,
) -> None:
    webfinger.answers["ana"] = answer
    refused = interact(client, event["url"], f"ana@{webfinger.host}")
    assert refused.status_code == 502
    assert says in refused.text and "You can also search for" in refused.text
    assert "location" not in refused.headers and 'class="button"' not in refused.text


def test_bad_handles_private_addresses_and_forged_forms_are_refused(
    client: TestClient, event: dict[str, Any]
) -> None:
    assert interact(client, event["url"], "not a handle").status_code == 422
    # a Spanish browser reads why in Spanish, the handle's form and the event's id filled in
    client.headers["Accept-Language"] = "es"
    spanish = interact(client, event["url"], "not a handle")
    assert spanish.status_code == 422
    assert "<h1>Sigue o únete desde tu servidor</h1>" in spanish.text
    assert (
        "No pudimos llevarte a tu servidor. Escríbelo como tu@tu.servidor. También puedes buscar "
        f"{event['url']} en tu aplicación del fediverso." in spanish.text
    )
    del client.headers["Accept-Language"]
    # The guarded client never connects to a private address (only 127.0.0.1 is allowed here).
    blocked = interact(client, event["url"], "ana@10.1.2.3")
    assert blocked.status_code == 502
    stranger = TestClient(client.app, base_url=str(client.base_url))
    forged = stranger.post(
        f"{event['url']}/interact", data={"handle": "a@b.example", "interact_token": "x"}
    )
    assert forged.status_code == 409
