"""An uploaded picture, told with real processes: the organization uploads a phone photo (with
GPS EXIF) to its node, publishes a conference with two sessions and the photo, and the Fedify
peer following it receives the Event, signature verified, with the image attachment and its alt
text; the image the attachment points at carries no trace of where it was taken."""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image

from tests.db.media_support import ALT, photo
from tests.db.publishing_support import fixture, future
from tests.harness.fixtures import PeerFactory
from tests.harness.nodes import NodeFactory
from tests.integration.fedify_support import api_post, nec_followed_by_alice
from tests.integration.test_publishing_fedify import assert_mastodon_accepts


@pytest.mark.peer
@pytest.mark.integration
def test_a_conference_with_an_uploaded_picture_reaches_a_follower_with_its_alt_text(
    node_factory: NodeFactory, fedify_peer_factory: PeerFactory
) -> None:
    story = nec_followed_by_alice(node_factory, fedify_peer_factory)
    node, peer, org, token = story.node, story.peer, story.org, story.token

    uploaded = httpx.post(
        f"{node.base_url}/api/v1/actors/nec/media",
        headers={"Authorization": f"Bearer {token}"},
        files={"file": ("IMG_2041.jpg", photo(), "image/jpeg")},
        data={"alt": ALT, "purpose": "attachment"},
        timeout=30,
    )
    assert uploaded.status_code == 201, uploaded.text
    media = uploaded.json()
    data = fixture("conference.json")
    conference = api_post(
        node,
        token,
        "/api/v1/events",
        future(data["conference"]) | {"image": {"media": media["id"]}},
    )
    for session in data["sessions"][:2]:
        api_post(node, token, "/api/v1/events", future(session) | {"parent": conference["id"]})

    creates = peer.wait_for_inbox("Create", min=3, timeout=30)
    [entry] = [c for c in creates if c["activity"]["object"]["id"] == conference["id"]]
    assert entry["httpSignatureVerified"] is True and entry["fedify"]["activityVerified"] is True
    event = assert_mastodon_accepts(entry["activity"], org)
    assert event["type"] == "Event"
    assert event["attachment"][0] == {
        "type": "Document",
        "url": media["url"],
        "mediaType": "image/jpeg",
        "name": ALT,
        "width": 2048,
        "height": 1365,
    }
    assert event["image"]["url"] == media["url"] and event["image"]["name"] == ALT

    served = httpx.get(media["url"], timeout=10)
    assert served.status_code == 200
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    image = Image.open(io.BytesIO(served.content))
    assert image.size == (2048, 1365) and len(image.getexif()) == 0
