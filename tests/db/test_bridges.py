"""Bridges: the Murmurations profile (valid against the library's schema) and its registration
with a (loopback) index, the ESSGlobal JSON-LD description, the embeddable events widget."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from aiohttp import web
from pyld import jsonld
from sqlalchemy import Engine
from starlette.testclient import TestClient

from node.cli import main
from node.settings import ConfigError, Settings, load_settings
from tests.db.publishing_support import BASE, Api, Page, make_org

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "murmurations"
STANDARD = "http://purl.org/essglobal/standard"
VOCAB = "http://purl.org/essglobal/vocab/"
PROFILE = {
    "name": "New Economy Coalition",
    "description": "Convening the **solidarity economy** movement.",
    "icon": {"url": "https://nec.example.org/logo.png", "name": "The NEC logo"},
    "website": "https://nec.example.org",
    "fields": [{"name": "Newsletter", "value": "https://nec.example.org/news"}],
    "region": "New England",
    "country": "us",
    "latitude": 42.36,
    "longitude": -71.06,
    "essglobal": {
        "legalForm": [f"{STANDARD}/legal-form/L4"],
        "economicSector": [f"{STANDARD}/activities-ica/ICA10"],
    },
}


@pytest.fixture
def api(client: TestClient, engine: Engine) -> Api:
    return Api(client, make_org(engine))


def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((FIXTURES / "organizations_schema-v1.0.0.json").read_text())
    return schema


def test_the_murmurations_profile_validates_against_the_library_schema(
    api: Api, client: TestClient
) -> None:
    assert api.patch("/api/v1/profile", PROFILE).status_code == 200
    answer = client.get("/@nec/murmurations.json")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    profile = answer.json()
    jsonschema.Draft7Validator(_schema()).validate(profile)
    assert profile["linked_schemas"] == ["organizations_schema-v1.0.0"]
    assert profile["name"] == "New Economy Coalition"
    assert profile["primary_url"] == "https://nec.example.org"
    assert profile["geolocation"] == {"lat": 42.36, "lon": -71.06}
    assert profile["country_iso_3166"] == "US"
    assert profile["full_address"] == "New England, US"
    assert profile["image"] == "https://nec.example.org/logo.png"
    assert "Non-Profit Organisation" in profile["tags"]
    urls = {u["url"] for u in profile["urls"]}
    assert {f"{BASE}/@nec", f"{BASE}/actors/nec", "https://nec.example.org/news"} <= urls
    assert f"{BASE}/@nec/calendar.ics" in urls
    # The feed the profile names is one a reader can read.
    assert profile["rss"] == f"{BASE}/@nec/feed.rss"
    rss = client.get(profile["rss"].removeprefix(BASE))
    assert rss.status_code == 200 and rss.headers["content-type"].startswith("application/rss+xml")


def test_a_bare_profile_is_valid_too_and_unknown_slugs_are_404(
    api: Api, client: TestClient
) -> None:
    profile = client.get("/@nec/murmurations.json").json()
    jsonschema.Draft7Validator(_schema()).validate(profile)
    assert profile["primary_url"] == f"{BASE}/@nec"
    assert "tags" not in profile  # the schema wants at least one
    assert client.get("/@nobody/murmurations.json").status_code == 404
    assert client.get("/@nobody/essglobal.jsonld").status_code == 404


def _no_remote_documents(url: str, options: Any = None) -> Any:
    raise AssertionError(f"the context must be inline, not fetched: {url}")


def test_the_essglobal_description_has_the_concept_iris_and_expands_offline(
    api: Api, client: TestClient
) -> None:
    api.patch("/api/v1/profile", PROFILE)
    answer = client.get("/@nec/essglobal.jsonld")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/ld+json")
    doc = answer.json()
    assert isinstance(doc["@context"], dict)  # inline
    assert doc["legalForm"] == [f"{STANDARD}/legal-form/L4"]
    [node] = jsonld.expand(doc, {"documentLoader": _no_remote_documents})
    assert node["@id"] == f"{BASE}/actors/nec"
    assert set(node["@type"]) == {f"{VOCAB}SSEInitiative", "https://schema.org/Organization"}
    assert node[f"{VOCAB}legalForm"] == [{"@id": f"{STANDARD}/legal-form/L4"}]
    assert node[f"{VOCAB}economicSector"] == [{"@id": f"{STANDARD}/activities-ica/ICA10"}]
    assert node["https://schema.org/name"] == [{"@value": "New Economy Coalition"}]
    [geo] = node["https://schema.org/geo"]
    assert geo["https://schema.org/latitude"] == [{"@value": 42.36}]

    # Linked from the actor document (its own inline term) and from the HTML profile page.
    actor = client.get("/actors/nec", headers={"Accept": "application/activity+json"}).json()
    assert actor["essglobal"] == f"{BASE}/@nec/essglobal.jsonld"
    assert actor["@context"][-1]["essglobal"]["@type"] == "@id"
    page = Page(client.get("/@nec", headers={"Accept": "text/html"}).text)
    assert '<link rel="alternate" type="application/ld+json"' in page.text
    assert f'href="{BASE}/@nec/essglobal.jsonld"' in page.text


def _event(name: str, start: str, **extra: Any) -> dict[str, Any]:
    end = start.replace("T10:", "T12:")
    body = {"name": name, "content": f"About {name}.", "startTime": start, "endTime": end}
    return body | {"timezone": "UTC"} | extra


@pytest.fixture
def events(api: Api) -> None:
    online = {"location": {"name": "Online", "url": "https://venue.example.org/x"}}
    vermont = {"location": {"name": "Town hall", "address": {"addressRegion": "Vermont"}}}
    for body in (
        _event("Online assembly", "2099-03-01T10:00:00", tags=["coops"], **online),
        _event("Vermont gathering", "2099-02-01T10:00:00", **vermont),
        _event("Gathering of 2001", "2001-02-01T10:00:00", **vermont),
    ):
        answer = api.post("/api/v1/events", body)
        assert answer.status_code == 201, answer.json()


def test_the_widget_shows_upcoming_events_only_and_filters_them(
    client: TestClient, events: None
) -> None:
    page = client.get("/@nec/widget").text
    assert "Vermont gathering" in page and "Online assembly" in page
    assert "Gathering of 2001" not in page
    assert page.index("Vermont gathering") < page.index("Online assembly")  # soonest first
    assert 'target="_blank" rel="noopener"' in page and "<script" not in page
    assert f'href="{BASE}/items/' in page
    only_online = client.get("/@nec/widget?online=1").text
    assert "Online assembly" in only_online and "Vermont gathering" not in only_online
    tagged = client.get("/@nec/widget?tag=coops").text
    assert "Online assembly" in tagged and "Vermont gathering" not in tagged
    region = client.get("/@nec/widget?region=vermont").text
    assert "Vermont gathering" in region and "Online assembly" not in region
    one = client.get("/@nec/widget?limit=1").text
    assert "Vermont gathering" in one and "Online assembly" not in one
    assert "match these filters" in client.get("/@nec/widget?tag=nothing").text
    assert client.get("/@nec/widget?limit=x").status_code == 200
    assert client.get("/@nobody/widget").status_code == 404


def test_only_the_widget_may_be_framed(client: TestClient, events: None) -> None:
    widget = client.get("/@nec/widget")
    assert "frame-ancestors *" in widget.headers["content-security-policy"]
    assert "script-src" not in widget.headers["content-security-policy"]
    assert "x-frame-options" not in widget.headers
    for path in ("/@nec", "/@nec/events", "/"):
        other = client.get(path, headers={"Accept": "text/html"})
        assert "frame-ancestors 'none'" in other.headers["content-security-policy"], path
        assert other.headers["x-frame-options"] == "DENY"


class FakeIndex:
    """A Murmurations index on a loopback port, in its own thread and event loop."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str, Any]] = []
        self.loop = asyncio.new_event_loop()
        self.port = 0
        ready = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self.thread.start()
        assert ready.wait(10)

    async def _nodes(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append((request.path, request.headers["Content-Type"], body))
        return web.json_response({"data": {"node_id": "abc123"}})

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        app.router.add_post("/v2/nodes", self._nodes)
        self.runner = web.AppRunner(app)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        ready.set()
        self.loop.run_forever()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()  # frees the loop's self-pipe sockets now, not at garbage collection


@pytest.fixture
def fake_index() -> Iterator[FakeIndex]:
    index = FakeIndex()
    yield index
    index.stop()


def _cli_env(monkeypatch: pytest.MonkeyPatch, settings: Settings, index: str) -> None:
    monkeypatch.delenv("SOLNODE_CONFIG", raising=False)
    for key, value in {
        "SOLNODE_BASE_URL": settings.base_url,
        "SOLNODE_DATA_DIR": str(settings.data_dir),
        "SOLNODE_DATABASE_URL": settings.database_url,
        "SOLNODE_SECRET_KEY": settings.secret_key,
        "SOLNODE_ALLOW_HOSTS": "127.0.0.1",
        "SOLNODE_MURMURATIONS_INDEX": index,
    }.items():
        monkeypatch.setenv(key, value)


def test_register_posts_the_profile_url_to_the_index(
    engine: Engine,
    settings: Settings,
    fake_index: FakeIndex,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_org(engine)
    _cli_env(monkeypatch, settings, f"http://127.0.0.1:{fake_index.port}/")
    assert main(["murmurations", "register", "nec"]) == 0
    assert fake_index.received == [
        ("/v2/nodes", "application/json", {"profile_url": f"{BASE}/@nec/murmurations.json"})
    ]
    assert "abc123" in capsys.readouterr().out
    assert main(["murmurations", "register", "nobody"]) == 1
    assert len(fake_index.received) == 1


def test_register_needs_an_index(
    engine: Engine,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_org(engine)
    _cli_env(monkeypatch, settings, "")
    assert main(["murmurations", "register", "nec"]) == 1
    assert "SOLNODE_MURMURATIONS_INDEX" in capsys.readouterr().err


@pytest.mark.parametrize(
    "value", ["index.example", "ftp://index.example", "http://index.example", "https://i.x/?q=1"]
)
def test_the_index_setting_is_validated(value: str) -> None:
    with pytest.raises(ConfigError, match="SOLNODE_MURMURATIONS_INDEX"):
        load_settings(env={"SOLNODE_MURMURATIONS_INDEX": value})
