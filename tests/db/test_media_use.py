"""Uploaded images in what organizations publish: an event's picture with its alt text as
Mastodon and Mobilizon read it, a profile's avatar and header — and never another
organization's upload."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from node.features.media.store import store_image
from node.models import LocalActor, Media
from node.settings import Settings
from tests.db.media_support import ALT, photo, stored, upload
from tests.db.publishing_support import Api, Page, fixture, future, make_org, outbox


@pytest.fixture
def token(engine: Engine) -> str:
    return make_org(engine)


def _upload(client: TestClient, token: str, **fields: str) -> dict[str, Any]:
    answer = upload(client, token, photo(gps=False), **fields)
    assert answer.status_code == 201, answer.json()
    media: dict[str, Any] = answer.json()
    return media


def test_an_event_carries_its_uploaded_picture_with_the_alt_text(
    client: TestClient, token: str, engine: Engine
) -> None:
    media = _upload(client, token)
    conference = future(fixture("conference.json")["conference"]) | {
        "image": {"media": media["id"]}
    }

    created = Api(client, token).post("/api/v1/events", conference)

    assert created.status_code == 201, created.json()
    [create] = outbox(engine, "Create")
    event = create["object"]
    picture = {
        "url": media["url"],
        "mediaType": "image/jpeg",
        "name": ALT,
        "width": 2048,
        "height": 1365,
    }
    # Mastodon shows attachments with a url as media and their name as the description;
    # Mobilizon takes a Document attachment (before 5.1) or the image (5.1) as the banner.
    assert event["attachment"][0] == {"type": "Document", **picture}
    assert event["image"] == {"type": "Image", **picture}
    page = Page(client.get(created.json()["url"]).text)
    assert {"src": media["url"], "alt": ALT} in [
        {k: img.get(k) for k in ("src", "alt")} for img in page.find("img")
    ]


def test_an_edit_may_replace_the_upload_and_give_another_alt_text(
    client: TestClient, token: str, engine: Engine
) -> None:
    api = Api(client, token)
    first = _upload(client, token)
    news = fixture("news_share_stories.json") | {"image": {"media": first["id"]}}
    created = api.post("/api/v1/news", news).json()
    second = _upload(client, token, alt="Chairs in a circle")

    api.patch(created["api"], {"image": {"media": second["id"], "name": "Twelve chairs"}})
    [update] = outbox(engine, "Update")
    assert update["object"]["image"]["name"] == "Twelve chairs"
    assert update["object"]["image"]["url"] == second["url"]

    # Back to an image by URL: nothing of the upload stays behind.
    linked = {"url": "https://sjn.example.org/media/stories.jpg", "name": "A circle of chairs"}
    api.patch(created["api"], {"image": linked})
    image = outbox(engine, "Update")[-1]["object"]["image"]
    assert image == {"type": "Image", "mediaType": "image/jpeg", **linked}


@pytest.mark.parametrize(
    ("whose", "purpose", "message"),
    [
        ("sjn", "attachment", "is not an image you uploaded"),
        ("nec", "avatar", "was uploaded as avatar; upload it again as attachment"),
    ],
)
def test_an_item_takes_only_its_own_organizations_attachments(
    client: TestClient, token: str, engine: Engine, whose: str, purpose: str, message: str
) -> None:
    tokens = {"nec": token, "sjn": make_org(engine, "sjn", "Solidarity Justice Network")}
    media = _upload(client, tokens[whose], slug=whose, purpose=purpose)
    news = fixture("news_share_stories.json") | {"image": {"media": media["id"]}}

    refused = Api(client, token).post("/api/v1/news", news)

    assert refused.status_code == 422
    assert refused.json() == {"error": message, "field": "image.media"}
    assert outbox(engine) == []


def test_a_profile_takes_its_avatar_and_header_from_uploads(
    client: TestClient, token: str, engine: Engine
) -> None:
    avatar = _upload(client, token, purpose="avatar", alt="The NEC logo: a green circle")
    header = _upload(client, token, purpose="header", alt="People at a gathering")
    api = Api(client, token)

    answer = api.patch(
        "/api/v1/profile", {"icon": {"media": avatar["id"]}, "image": {"media": header["id"]}}
    )

    assert answer.status_code == 200, answer.json()
    [update] = outbox(engine, "Update")
    assert update["object"]["icon"] == {
        "type": "Image",
        "url": avatar["url"],
        "mediaType": "image/jpeg",
        "name": "The NEC logo: a green circle",
    }
    assert update["object"]["image"]["url"] == header["url"]
    page = Page(client.get("/@nec").text)
    assert avatar["url"] in {img.get("src") for img in page.find("img")}
    swapped = api.patch("/api/v1/profile", {"icon": {"media": header["id"]}})
    assert swapped.json() == {
        "error": "was uploaded as header; upload it again as avatar",
        "field": "icon.media",
    }


def test_a_failed_transaction_leaves_no_file_behind(
    engine: Engine, settings: Settings, token: str
) -> None:
    with Session(engine) as session:
        real = session.exec(select(LocalActor)).one()
    # An actor that is not (any longer) in the database: the row cannot be stored.
    gone = LocalActor.model_validate(real.model_dump() | {"id": 99_999, "slug": "gone"})

    with pytest.raises(Exception, match=r"(?i)foreign key|violates"):
        store_image(engine, settings, gone, photo(gps=False), alt=ALT)

    assert stored(engine, settings) == ([], [])
    with Session(engine) as session:
        assert session.exec(select(Media)).all() == []
