"""Real images made with Pillow for the upload stories: a phone photo with GPS EXIF, a photo
taken sideways, a logo with transparency, a decompression bomb."""

from __future__ import annotations

import io
import random
from typing import Any

from PIL import Image, ImageDraw
from PIL.ExifTags import GPS, IFD, Base
from PIL.PngImagePlugin import PngInfo
from sqlalchemy import Engine
from sqlmodel import Session, select

from node.models import Media
from node.settings import Settings

ALT = "Members of the bakery cooperative around the new oven"


def photo(
    width: int = 3000, height: int = 2000, *, gps: bool = True, orientation: int = 1
) -> bytes:
    """A JPEG as a phone writes it: camera make and model, the time, and (``gps``) where it was
    taken; ``orientation`` as the EXIF tag a phone held sideways sets. The left half is red,
    the right half blue (to check the rotation)."""
    image = Image.new("RGB", (width, height), (200, 30, 30))
    ImageDraw.Draw(image).rectangle((width // 2, 0, width, height), fill=(30, 30, 200))
    exif = Image.Exif()
    exif[Base.Make] = "PhoneMaker"
    exif[Base.Model] = "Phone 12"
    exif[Base.DateTime] = "2026:11:03 09:30:00"
    exif[Base.Orientation] = orientation
    if gps:
        exif.get_ifd(IFD.GPSInfo).update(
            {
                GPS.GPSLatitudeRef: "N",
                GPS.GPSLatitude: (42.0, 21.0, 36.0),
                GPS.GPSLongitudeRef: "W",
                GPS.GPSLongitude: (71.0, 3.0, 36.0),
            }
        )
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def logo() -> bytes:
    """A PNG with a transparent background and a text chunk."""
    image = Image.new("RGBA", (600, 300), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((50, 50, 250, 250), fill=(20, 140, 60, 255))
    info = PngInfo()
    info.add_text("Author", "Jane Doe, jane@example.org")
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def noise_png(side: int) -> bytes:
    """A PNG that does not compress: about 3 bytes a pixel."""
    pixels = random.Random(12).randbytes(side * side * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), pixels).save(out, format="PNG")
    return out.getvalue()


def bomb(side: int = 8000) -> bytes:
    """A tiny PNG that decodes to ``side``² pixels."""
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, format="PNG", optimize=True)
    return out.getvalue()


def upload(
    client: Any, token: str, data: bytes, *, slug: str = "nec", file_name: str = "photo.jpg",
    content_type: str = "image/jpeg", **fields: str,
) -> Any:  # fmt: skip
    """``POST /api/v1/actors/{slug}/media`` as a browser or script sends it."""
    form = {"alt": ALT} | fields
    return client.post(
        f"/api/v1/actors/{slug}/media",
        headers={"Authorization": f"Bearer {token}"},
        files={"file": (file_name, data, content_type)},
        data={k: v for k, v in form.items() if v is not None},
    )


def stored(engine: Engine, settings: Settings) -> tuple[list[Media], list[str]]:
    """The media rows and the files under DATA_DIR/media/ (temporary ones included)."""
    with Session(engine) as session:
        rows = list(session.exec(select(Media)))
    folder = settings.data_dir / "media"
    files = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
    return rows, files


def opened(data: bytes) -> Image.Image:
    """A served image, decoded."""
    image = Image.open(io.BytesIO(data))
    image.load()
    return image
