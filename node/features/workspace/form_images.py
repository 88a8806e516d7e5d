"""The one place the workspace's forms hand an uploaded image (and its alt text) over.

Every form with an image (an event's, a call's, a news item's picture; a profile's avatar and
header) posts a file input ``{name}_file`` and a text input ``{name}_alt`` and calls
:func:`attached_image`, which hands the file to the media service (node/features/media: type
checked by decoding, metadata stripped, resized, re-encoded, stored under the data dir) and
returns the API's reference to the upload, ``{"media": ID, "name": alt}``, which the publishing
and profile services resolve as they do for the API. A refused file is a field error in the
organizer's words, and nothing is stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.datastructures import FormData, UploadFile

from node.content.fields import FieldError
from node.features.media.images import ImageRefused
from node.features.media.store import store_image

if TYPE_CHECKING:
    from node.features.workspace.desk import Desk

# What each form field's image is for: a picture of an item, a profile's avatar and header.
PURPOSES = {"image": "attachment", "icon": "avatar"}
PROFILE_PURPOSES = {"icon": "avatar", "image": "header"}


def uploaded(form: FormData | None, name: str) -> UploadFile | None:
    """The file posted as ``{name}_file``, if the person chose one."""
    value = form.get(f"{name}_file") if form is not None else None
    if isinstance(value, UploadFile) and value.filename:
        return value
    return None


def attached_image(desk: Desk, name: str, *, profile: bool = False) -> dict[str, Any] | None:
    """The API's reference (``{"media": ID, "name": alt}``) to the image uploaded as
    ``{name}_file``, or None when no file was chosen. FieldError on ``{name}`` (or
    ``{name}_alt``) when it is refused: then nothing is stored. Call it from a sync handler
    (the Pillow work runs in the handler's thread)."""
    upload = uploaded(desk.form, name)
    if upload is None:
        return None
    purpose = (PROFILE_PURPOSES if profile else PURPOSES).get(name, "attachment")
    limit = desk.node.settings.media_max_bytes
    try:
        data = upload.file.read(limit + 1)
    finally:
        upload.file.close()
    alt = desk.field(f"{name}_alt", 1500)
    try:
        media = store_image(
            desk.engine, desk.node.settings, desk.actor, data, alt=alt, purpose=purpose
        )
    except ImageRefused as refused:
        raise FieldError(name, refused.message) from None
    except FieldError as error:
        raise FieldError(f"{name}_alt" if error.field == "alt" else name, error.message) from None
    return {"media": media.id, "name": media.alt} if media.alt else {"media": media.id}
