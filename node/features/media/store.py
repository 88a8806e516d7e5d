"""Storing an uploaded image: cleaned (images.py), written under DATA_DIR/media/ by content
hash, recorded in a ``media`` row — all of it or nothing.

Order: the file first (a temporary file in the same directory, fsynced, renamed into place),
then the row. A process killed between the two leaves a file with no row: it is never served
(``GET /media/{name}`` answers only names with a row) and the next upload of the same picture
reuses it. The reverse order could leave a row, already published in an attachment, whose file
is missing. A refused upload is refused before anything is written; a failed transaction
removes the file it wrote unless a row names it.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, select

from node.content.fields import FieldError
from node.content.fields.parse import read_text
from node.db import session_scope
from node.features.media.images import PURPOSES, Purpose, clean
from node.models import LocalActor, Media
from node.models.media import ALT_MAX
from node.settings import Settings

MEDIA_DIR = "media"
FILE_NAME = re.compile(r"^[0-9a-f]{64}\.(?:jpg|png)$")


def media_dir(settings: Settings) -> Path:
    """Where the image files live: DATA_DIR/media/."""
    return settings.data_dir / MEDIA_DIR


def read_purpose(value: object) -> Purpose:
    """``attachment`` (the default), ``avatar`` or ``header``; FieldError otherwise."""
    if value is None or value == "":
        return "attachment"
    for purpose in PURPOSES:
        if value == purpose:
            return purpose
    raise FieldError("purpose", "must be attachment, avatar or header")


def read_alt(value: object, purpose: Purpose) -> str:
    """The alt text: required for attachments (people who cannot see the image read it)."""
    alt = read_text(value, "alt", max_len=ALT_MAX, multiline=True)
    if alt is None and purpose == "attachment":
        raise FieldError("alt", "is required: describe the image for people who cannot see it")
    return alt or ""


def _write(folder: Path, name: str, data: bytes) -> bool:
    """Put ``data`` at ``folder/name`` atomically; False when the file was already there (the
    same picture uploaded before: its name is the hash of these bytes)."""
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / name
    if final.exists():
        return False
    temporary = folder / f".{name}.{secrets.token_hex(8)}.tmp"
    try:
        with open(temporary, "xb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temporary, final)
    finally:
        temporary.unlink(missing_ok=True)
    return True


def _remove_unless_named(engine: Engine, path: Path) -> None:
    with Session(engine) as session:
        named = session.exec(select(Media.id).where(Media.file_name == path.name)).first()
    if named is None:
        path.unlink(missing_ok=True)


def store_image(
    engine: Engine,
    settings: Settings,
    actor: LocalActor,
    data: bytes,
    *,
    alt: object,
    purpose: object = "attachment",
) -> Media:
    """Clean, store and record an upload of ``actor``; ImageRefused (not an image, too large,
    damaged) or FieldError (purpose, alt) when refused, and then nothing is stored. Runs its own
    short transaction; call it outside any other (the Pillow work takes a while)."""
    kind = read_purpose(purpose)
    text = read_alt(alt, kind)
    encoded = clean(
        data, kind, max_bytes=settings.media_max_bytes, max_pixels=settings.media_max_pixels
    )
    folder = media_dir(settings)
    created = _write(folder, encoded.file_name, encoded.data)
    assert actor.id is not None
    row = Media(
        actor_id=actor.id,
        file_name=encoded.file_name,
        media_type=encoded.media_type,
        width=encoded.width,
        height=encoded.height,
        size=len(encoded.data),
        alt=text,
        purpose=kind,
    )
    try:
        with session_scope(engine) as session:
            session.add(row)
    except BaseException:
        if created:
            _remove_unless_named(engine, folder / encoded.file_name)
        raise
    return row


def find_file(engine: Engine, settings: Settings, name: str) -> tuple[Path, str] | None:
    """The path and media type of a stored image named ``name``, or None (a name we did not
    mint, or a file no row names)."""
    if not FILE_NAME.match(name):
        return None
    with Session(engine) as session:
        row = session.exec(select(Media).where(Media.file_name == name)).first()
    path = media_dir(settings) / name
    if row is None or not path.is_file():
        return None
    return path, row.media_type
