"""The one place the workspace's forms hand an uploaded image (and its alt text) over.

Every form with an image (an event's, a call's, a news item's picture; a profile's avatar and
header) posts a file input ``{name}_file`` and a text input ``{name}_alt`` and calls
:func:`attached_image`. Until this node has an image store it refuses any upload with a field
error and stores nothing; connecting the media service is an edit of this module only.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData, UploadFile

from node.content.fields import FieldError

UNAVAILABLE = "Image upload is not available on this node yet."


def uploaded(form: FormData | None, name: str) -> UploadFile | None:
    """The file posted as ``{name}_file``, if the person chose one."""
    value = form.get(f"{name}_file") if form is not None else None
    if isinstance(value, UploadFile) and value.filename:
        return value
    return None


def attached_image(form: FormData | None, name: str) -> dict[str, Any] | None:
    """The API's image reference (``{url, mediaType, name}``) for an uploaded image, or None
    when no file was chosen. FieldError on ``{name}`` when it cannot be stored."""
    upload = uploaded(form, name)
    if upload is None:
        return None
    upload.file.close()  # nothing is kept of it
    raise FieldError(name, UNAVAILABLE)
