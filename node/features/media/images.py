"""The Pillow work on an uploaded image: find its real type by decoding it, refuse what is too
big, apply the EXIF orientation, drop every piece of metadata, resize for its purpose and
re-encode.

Nothing of the upload is copied through: a new image is written from the decoded pixels alone,
so EXIF (GPS position, camera serial), XMP, IPTC, comments and PNG text chunks all stay behind.
A colour profile other than sRGB is converted to sRGB first (the pixels then look the same in a
browser that assumes sRGB), and no profile is written.

Encoding: JPEG (quality 85, progressive) for opaque images, PNG for images with transparency
(logos). Measured on a synthetic 2048x1536 picture (fractal plus noise, slightly blurred): JPEG
q85 355 kB, WebP q80 129 kB. WebP is smaller, but the images we publish are fetched and shown by
software we do not control (fediverse servers that re-process attachments, feed readers, mail
clients showing our newsletters' pictures), and JPEG is the one format all of them decode; a few
hundred kB per image is a fair price for that.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from PIL import Image

Purpose = Literal["attachment", "avatar", "header"]
PURPOSES: tuple[Purpose, ...] = ("attachment", "avatar", "header")
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
ATTACHMENT_MAX_SIDE = 2048
# Exact sizes, cropped from the centre: what Mastodon shows (avatar 400 px, header 1500x500).
FIXED_SIZES: dict[str, tuple[int, int]] = {"avatar": (400, 400), "header": (1500, 500)}
JPEG_QUALITY = 85

NOT_AN_IMAGE = "This file is not an image we can use (JPEG, PNG, WebP or GIF)."


class ImageRefused(Exception):
    """An upload we do not take: ``status`` is the HTTP status (413 too large, 415 not an image
    we use, 400 damaged), the message is for the organizer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Encoded:
    """The cleaned image: its bytes, type and size, and its file name (content hash)."""

    data: bytes
    media_type: str
    width: int
    height: int

    @property
    def file_name(self) -> str:
        """``<sha256>.jpg`` or ``.png``: the same picture is one file, whoever uploads it."""
        extension = "png" if self.media_type == "image/png" else "jpg"
        return f"{hashlib.sha256(self.data).hexdigest()}.{extension}"


def megabytes(size: int) -> str:
    """``14 MB``, ``10.4 MB``: sizes as an organizer reads them (1 MB = 1,000,000 bytes)."""
    text = f"{size / 1_000_000:.1f}".removesuffix(".0")
    return f"{text} MB"


def check_size(size: int, max_bytes: int) -> None:
    """Refuse (413) an upload over ``max_bytes``."""
    if size > max_bytes:
        raise ImageRefused(
            413, f"This image is {megabytes(size)}; the limit is {megabytes(max_bytes)}."
        )


def _open(data: bytes, max_pixels: int) -> Image.Image:
    """The decoded first frame; refuses other formats, damaged files and decompression bombs
    (the pixel count is read from the header, before any pixel is decoded)."""
    # lazy: Pillow (~2 MiB a process) loads on the first upload, not in every serving process
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
            width, height = image.size
            if width * height > max_pixels:
                raise ImageRefused(
                    413,
                    f"This image is {width} x {height} pixels; the limit is "
                    f"{max_pixels / 1_000_000:g} million pixels.",
                )
            image.seek(0)  # a GIF: its first frame
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own guard (a frame larger than its header said, or our limit set above it).
        raise ImageRefused(
            413,
            f"This image has too many pixels; the limit is {max_pixels / 1_000_000:g} "
            "million pixels.",
        ) from None
    except UnidentifiedImageError:
        raise ImageRefused(415, NOT_AN_IMAGE) from None
    except (OSError, ValueError, SyntaxError, EOFError):
        raise ImageRefused(
            400, "This image is damaged or incomplete; try saving it again."
        ) from None
    return image


def _to_srgb(image: Image.Image) -> Image.Image:
    """Pixels in sRGB (RGB or RGBA), converted through the embedded profile if there is one."""
    from PIL import ImageCms  # lazy: see _open

    icc = image.info.get("icc_profile")
    alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    image = image.convert("RGBA" if alpha else "RGB")
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(
                image, source, ImageCms.createProfile("sRGB"), outputMode=image.mode
            )
            if converted is not None:
                image = converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: the pixels as they are
    return image


def _resize(image: Image.Image, purpose: Purpose) -> Image.Image:
    from PIL import Image, ImageOps  # lazy: see _open

    if purpose in FIXED_SIZES:
        return ImageOps.fit(image, FIXED_SIZES[purpose], Image.Resampling.LANCZOS)
    image = image.copy()
    image.thumbnail((ATTACHMENT_MAX_SIDE, ATTACHMENT_MAX_SIDE), Image.Resampling.LANCZOS)
    return image


def _has_transparency(image: Image.Image) -> bool:
    if image.mode != "RGBA":
        return False
    extrema = image.getchannel("A").getextrema()
    return isinstance(extrema[0], int) and extrema[0] < 255


def clean(data: bytes, purpose: Purpose, *, max_bytes: int, max_pixels: int) -> Encoded:
    """The image to store from an upload (ImageRefused says why not)."""
    from PIL import ImageOps  # lazy: see _open

    check_size(len(data), max_bytes)
    decoded = _open(data, max_pixels)
    upright = ImageOps.exif_transpose(decoded)
    pixels = _resize(_to_srgb(upright), purpose)
    # Encoders fall back on ``info`` for EXIF and ICC (PNG does): nothing of the upload's.
    pixels.info = {}
    out = io.BytesIO()
    if _has_transparency(pixels):
        pixels.save(out, format="PNG", optimize=True)
        media_type = "image/png"
    else:
        opaque = pixels.convert("RGB")
        opaque.info = {}
        opaque.save(out, format="JPEG", quality=JPEG_QUALITY, progressive=True, optimize=True)
        media_type = "image/jpeg"
    return Encoded(out.getvalue(), media_type, pixels.width, pixels.height)
