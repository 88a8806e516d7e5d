"""Uploaded images: an organizer's phone photo is published without where it was taken; what is
not an image, too large or a decompression bomb is refused with a clear message and stores
nothing; the served file is cached for a year and never sniffed."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import Engine
from starlette.testclient import TestClient

from node.app import create_app
from node.settings import Settings
from tests.db.media_support import ALT, bomb, logo, noise_png, opened, photo, stored, upload
from tests.db.publishing_support import make_org


@pytest.fixture
def token(engine: Engine) -> str:
    return make_org(engine)


def test_a_phone_photo_with_gps_is_served_without_any_metadata(
    client: TestClient, token: str, engine: Engine, settings: Settings
) -> None:
    original = photo()
    assert Image.open(__import__("io").BytesIO(original)).getexif().get_ifd(0x8825)  # GPS there

    answer = upload(client, token, original)

    assert answer.status_code == 201, answer.json()
    media = answer.json()
    assert media["mediaType"] == "image/jpeg" and media["name"] == ALT
    # Attachments keep their shape, at most 2048 px on the longest side.
    assert (media["width"], media["height"]) == (2048, 1365)
    assert media["url"].startswith("http://127.0.0.1:8000/media/")
    served = client.get(media["url"])
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert served.headers["x-content-type-options"] == "nosniff"
    image = opened(served.content)
    assert image.format == "JPEG" and image.size == (2048, 1365)
    assert len(image.getexif()) == 0 and "exif" not in image.info
    assert b"PhoneMaker" not in served.content and b"GPS" not in served.content
    assert "icc_profile" not in image.info and "xmp" not in image.info
    rows, files = stored(engine, settings)
    assert [r.file_name for r in rows] == files == [media["url"].rsplit("/", 1)[1]]
    assert rows[0].size == len(served.content)


def test_a_photo_taken_sideways_is_turned_upright(client: TestClient, token: str) -> None:
    # Orientation 6: the camera was turned; the picture must be rotated 90° clockwise to show.
    answer = upload(client, token, photo(600, 400, gps=False, orientation=6))

    media = answer.json()
    assert (media["width"], media["height"]) == (400, 600)
    image = opened(client.get(media["url"]).content).convert("RGB")
    red, blue = image.getpixel((200, 50)), image.getpixel((200, 550))
    assert isinstance(red, tuple) and isinstance(blue, tuple)
    assert red[0] > 150 > red[2] and blue[2] > 150 > blue[0]  # the left half is now on top
    assert len(image.getexif()) == 0


def test_a_logo_keeps_its_transparency_and_loses_its_text_chunks(
    client: TestClient, token: str
) -> None:
    answer = upload(client, token, logo(), file_name="logo.png", content_type="image/png")

    media = answer.json()
    assert media["mediaType"] == "image/png"
    served = client.get(media["url"])
    assert served.headers["content-type"] == "image/png"
    image = opened(served.content)
    assert image.mode == "RGBA" and image.getpixel((0, 0)) == (0, 0, 0, 0)
    assert b"Jane Doe" not in served.content and "Author" not in image.info


def test_avatars_and_headers_are_cropped_to_their_sizes(client: TestClient, token: str) -> None:
    avatar = upload(client, token, photo(gps=False), purpose="avatar", alt="Our logo").json()
    header = upload(client, token, photo(gps=False), purpose="header", alt="").json()

    assert (avatar["width"], avatar["height"], avatar["purpose"]) == (400, 400, "avatar")
    assert (header["width"], header["height"], header["name"]) == (1500, 500, "")
    assert opened(client.get(header["url"]).content).size == (1500, 500)


@pytest.fixture
def small_limit(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    """A node whose SOLNODE_MEDIA_MAX_BYTES is 1 MB."""
    app = create_app(dataclasses.replace(settings, media_max_bytes=1_000_000), engine=engine)
    with TestClient(app, base_url=settings.base_url) as tc:
        yield tc


def _refusals() -> list[Any]:
    text = b"Minutes of the general assembly, 3 November.\n" * 40
    return [
        pytest.param(
            {"data": text},
            415,
            "This file is not an image we can use (JPEG, PNG, WebP or GIF).",
            id="a text file renamed .jpg",
        ),
        pytest.param(
            {"data": b"%PDF-1.7\n" + text, "file_name": "flyer.pdf"},
            415,
            "This file is not an image we can use (JPEG, PNG, WebP or GIF).",
            id="a PDF",
        ),
        pytest.param(
            {"data": photo(gps=False)[:5000]},
            400,
            "This image is damaged or incomplete; try saving it again.",
            id="a JPEG cut short",
        ),
        pytest.param(
            {"data": bomb(), "file_name": "bomb.png", "content_type": "image/png"},
            413,
            "This image is 8000 x 8000 pixels; the limit is 50 million pixels.",
            id="a decompression bomb",
        ),
    ]


@pytest.mark.parametrize(("sent", "status", "message"), _refusals())
def test_what_is_not_a_usable_image_is_refused_and_nothing_is_stored(
    client: TestClient,
    token: str,
    engine: Engine,
    settings: Settings,
    sent: dict[str, Any],
    status: int,
    message: str,
) -> None:
    answer = upload(client, token, **sent)

    assert answer.status_code == status
    assert answer.json() == {"error": message, "field": "file"}
    assert stored(engine, settings) == ([], [])


def test_an_image_over_the_size_limit_is_refused_and_nothing_is_stored(
    small_limit: TestClient, token: str, engine: Engine, settings: Settings
) -> None:
    big = noise_png(1000)
    assert 2_900_000 < len(big) < 3_100_000

    answer = upload(small_limit, token, big, file_name="poster.png", content_type="image/png")

    assert answer.status_code == 413
    assert answer.json()["error"] == "This image is 3 MB; the limit is 1 MB."
    assert stored(engine, settings) == ([], [])


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"alt": None}, "alt", "is required: describe the image for people who cannot see it"),
        ({"alt": "x" * 1501}, "alt", "must be at most 1500 characters (it has 1501)"),
        ({"purpose": "banner"}, "purpose", "must be attachment, avatar or header"),
    ],
)
def test_an_attachment_needs_its_alt_text_and_a_known_purpose(
    client: TestClient,
    token: str,
    engine: Engine,
    settings: Settings,
    fields: dict[str, Any],
    field: str,
    message: str,
) -> None:
    answer = upload(client, token, photo(gps=False), **fields)

    assert answer.status_code == 422
    assert answer.json() == {"error": message, "field": field}
    assert stored(engine, settings) == ([], [])


def test_uploads_need_the_organizations_own_token_and_a_form(
    client: TestClient, token: str, engine: Engine, settings: Settings
) -> None:
    other = make_org(engine, "sjn", "Solidarity Justice Network")
    assert upload(client, other, photo(gps=False)).status_code == 403
    assert upload(client, "not-a-token", photo(gps=False)).status_code == 401
    as_json = client.post(
        "/api/v1/actors/nec/media",
        headers={"Authorization": f"Bearer {token}"},
        json={"file": "aGVsbG8="},
    )
    assert as_json.status_code == 415
    assert as_json.json()["error"] == "send the image as multipart/form-data (file, alt, purpose)"
    no_file = client.post(
        "/api/v1/actors/nec/media",
        headers={"Authorization": f"Bearer {token}"},
        files={"picture": ("a.jpg", photo(gps=False), "image/jpeg")},
        data={"alt": ALT},
    )
    assert no_file.status_code == 400
    assert stored(engine, settings) == ([], [])


@pytest.mark.parametrize(
    "path",
    [
        "/media/" + "0" * 64 + ".jpg",
        "/media/..%2Fsecret_key",
        "/media/%2E%2E%2Fsolnode.db",
        "/media/" + "a" * 64 + ".png",
        "/media/secret_key",
    ],
)
def test_only_stored_images_are_served(
    client: TestClient, token: str, settings: Settings, path: str
) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / "secret_key").write_text("do not serve me")
    upload(client, token, photo(gps=False))

    answer = client.get(path)

    assert answer.status_code == 404
    assert b"do not serve me" not in answer.content


def test_a_body_sent_without_a_length_stops_being_read_at_the_limit(
    small_limit: TestClient, token: str, engine: Engine, settings: Settings
) -> None:
    def body() -> Iterator[bytes]:
        yield (
            b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\n'
            b"Content-Type: image/png\r\n\r\n"
        )
        for _ in range(40):  # 2.6 MB in all, the length never declared
            yield noise_png(100)[:65_536].ljust(65_536, b"\0")
        yield b"\r\n--b0undary--\r\n"

    answer = small_limit.post(
        "/api/v1/actors/nec/media",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "multipart/form-data; boundary=b0undary",
        },
        content=body(),
    )

    assert answer.status_code == 413
    assert answer.json()["error"] == "This image is over the limit of 1 MB."
    assert stored(engine, settings) == ([], [])
