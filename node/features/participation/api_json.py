"""The JSON the participation API answers with: participants of our events and replies from
the fediverse (schemas in node/features/participation/openapi.py)."""

from __future__ import annotations

from typing import Any

from node.activitypub.vocab import iso
from node.db import as_utc
from node.models import Interaction, Participant


def participant_view(row: Participant) -> dict[str, Any]:
    """A participant: a remote actor (``actor``) or someone who registered on the page."""
    assert row.id is not None
    return {
        "id": row.id,
        "actor": row.actor or None,
        "name": row.name or None,
        "email": row.email or None,
        "state": row.state,
        "created": iso(as_utc(row.created_at)),
        "updated": iso(as_utc(row.updated_at)),
    }


def reply_view(row: Interaction) -> dict[str, Any]:
    """A reply from the fediverse to one of our items (HTML sanitized when it arrived)."""
    assert row.id is not None
    doc = row.document or {}
    url = doc.get("url")
    return {
        "id": row.id,
        "replyId": row.activity_id,
        "actor": row.actor,
        "inReplyTo": row.object_id,
        "url": url if isinstance(url, str) else None,
        "content": row.content,
        "state": row.state,
        # public, followers or direct: only public replies are shown on our pages, even when
        # approved (replies from before this field was kept count as public).
        "visibility": str(doc.get("visibility", "public")),
        # The content warning a moderator should see before approving (issue 13).
        "summary": doc.get("summary") or None,
        "sensitive": doc.get("sensitive") is True or bool(doc.get("summary")),
        "created": iso(as_utc(row.created_at)),
    }
