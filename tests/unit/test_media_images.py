"""The Pillow work on uploads, without a database: every accepted format, the first frame of an
animation, a colour profile not kept, Pillow's own bomb guard."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageCms

from node.features.media.images import ImageRefused, clean, megabytes

LIMITS = {"max_bytes": 10_000_000, "max_pixels": 50_000_000}


def _encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def _decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF"])
def test_each_accepted_format_becomes_a_jpeg(fmt: str) -> None:
    source = Image.new("RGB", (320, 240), (240, 200, 40))

    done = clean(_encoded(source, fmt), "attachment", **LIMITS)

    assert (done.media_type, done.width, done.height) == ("image/jpeg", 320, 240)
    assert _decoded(done.data).format == "JPEG"
    assert done.file_name.endswith(".jpg") and len(done.file_name) == 64 + 4


def test_an_animated_gif_gives_its_first_frame() -> None:
    frames = [Image.new("RGB", (100, 100), colour) for colour in ((250, 0, 0), (0, 0, 250))]
    data = _encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=200)

    pixel = _decoded(clean(data, "attachment", **LIMITS).data).convert("RGB").getpixel((50, 50))

    assert isinstance(pixel, tuple) and pixel[0] > 200 > pixel[2]


def test_a_photo_with_an_srgb_profile_keeps_its_colours_and_no_profile() -> None:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    source = Image.new("RGB", (200, 100), (120, 160, 90))

    done = _decoded(
        clean(_encoded(source, "JPEG", icc_profile=profile), "attachment", **LIMITS).data
    )

    assert "icc_profile" not in done.info
    pixel = done.convert("RGB").getpixel((100, 50))
    assert isinstance(pixel, tuple)
    assert all(abs(a - b) <= 4 for a, b in zip(pixel, (120, 160, 90), strict=True))


def test_pillows_own_bomb_guard_is_a_clear_refusal_too() -> None:
    # Our pixel limit set above Pillow's: its DecompressionBombWarning (an error here) stops it.
    data = _encoded(Image.new("1", (10_000, 10_000)), "PNG", optimize=True)

    with pytest.raises(ImageRefused) as refused:
        clean(data, "attachment", max_bytes=10_000_000, max_pixels=10**9)

    assert refused.value.status == 413
    assert (
        refused.value.message == "This image has too many pixels; the limit is 1000 million pixels."
    )


def test_sizes_read_as_an_organizer_reads_them() -> None:
    assert [megabytes(n) for n in (14_000_000, 10_400_000, 999_999)] == ["14 MB", "10.4 MB", "1 MB"]
