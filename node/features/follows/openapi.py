"""The follows API's part of the OpenAPI document: followers and their approval, and the actors
we follow (node/features/follows/api.py). Its bodies are small: written inline, no components."""

from __future__ import annotations

from node.api.openapi import ApiFragment, Doc, json_content, request_body, responses
from node.api.openapi_schemas import Schema


def _page_of(item: Schema) -> Schema:
    return {"type": "object", "properties": {"items": {"type": "array", "items": item}}}


def _decide(operation: str, summary: str) -> Doc:
    """Approve or refuse a pending follower, or remove an accepted one."""
    actor = {
        "type": "object",
        "required": ["actor"],
        "properties": {"actor": {"type": "string", "description": "the follower's actor URL"}},
    }
    decision = {
        "type": "object",
        "properties": {
            "actor": {"type": "string"},
            "state": {"enum": ["accepted", "refused", "removed"]},
        },
    }
    return {
        "post": {
            "operationId": operation,
            "summary": summary,
            "requestBody": request_body(actor),
            "responses": responses(
                {"200": json_content(decision, "the decision")}, "400", "409", "413", "415", "422"
            ),
        }
    }


def _follow(operation: str, summary: str, ok: str) -> Doc:
    """Follow a remote actor, or stop."""
    target = {
        "type": "object",
        "required": ["target"],
        "properties": {"target": {"type": "string", "description": "user@host or actor URL"}},
    }
    follow_state = {
        "type": "object",
        "properties": {"target": {"type": "string"}, "state": {"type": "string"}},
    }
    return {
        "post": {
            "operationId": operation,
            "summary": summary,
            "requestBody": request_body(target),
            "responses": responses(
                {ok: json_content(follow_state, "the follow")}, "400", "413", "415", "422"
            ),
        }
    }


def _paging() -> list[Doc]:
    """The followers list's page parameters, as Mastodon's API names them."""
    cursor = {"type": "integer", "minimum": 0}
    return [
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 40},
        },
        {
            "name": "max_id",
            "in": "query",
            "required": False,
            "schema": cursor,
            "description": "followers older than this one (from the next link)",
        },
        {
            "name": "min_id",
            "in": "query",
            "required": False,
            "schema": cursor,
            "description": "the followers immediately newer than this one (from the prev link)",
        },
    ]


def _followers() -> Doc:
    """Our followers, by state, newest first, a page at a time (Mastodon's ``max_id`` and
    ``min_id`` cursors, the pages either side in the ``Link`` header)."""
    follower = {
        "type": "object",
        "properties": {
            "actor": {"type": "string"},
            "state": {"enum": ["pending", "accepted"]},
            "since": {"type": "string"},
        },
    }
    page_link = {"type": ["string", "null"], "description": "the same URL as in the Link header"}
    page = {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": follower},
            "next": page_link | {"description": "older followers (rel=next); null at the end"},
            "prev": page_link | {"description": "newer followers (rel=prev); null at the start"},
        },
    }
    state = {
        "name": "state",
        "in": "query",
        "required": False,
        "schema": {"enum": ["pending", "accepted"]},
    }
    paging = _paging()
    ok = json_content(page, "followers, newest first")
    ok["headers"] = {
        "Link": {
            "description": 'the next and previous pages: <URL>; rel="next", <URL>; rel="prev"',
            "schema": {"type": "string"},
        }
    }
    return {
        "get": {
            "operationId": "listFollowers",
            "summary": "Your followers, newest first, a page at a time; state=pending lists "
            "those waiting for approval",
            "parameters": [state, *paging],
            "responses": responses({"200": ok}, "400", "422"),
        }
    }


def _following() -> Doc:
    """The actors we follow."""
    followed = {
        "type": "object",
        "properties": {"target": {"type": "string"}, "state": {"type": "string"}},
    }
    return {
        "get": {
            "operationId": "listFollowing",
            "summary": "Actors you follow (networks, calendars, relays' actors)",
            "responses": responses({"200": json_content(_page_of(followed), "following")}),
        }
    }


def fragment() -> ApiFragment:
    """The follows API's paths, in the document's order."""
    paths = {
        "/api/v1/followers": _followers(),
        "/api/v1/followers/approve": _decide("approveFollower", "Accept a pending follower"),
        "/api/v1/followers/reject": _decide("rejectFollower", "Refuse a pending follower"),
        "/api/v1/followers/remove": _decide(
            "removeFollower",
            "Remove a follower (sends Reject of their Follow; they stop following)",
        ),
        "/api/v1/following": _following(),
        "/api/v1/follow": _follow("follow", "Follow a remote actor (pending until Accept)", "202"),
        "/api/v1/unfollow": _follow("unfollow", "Stop following (sends Undo(Follow))", "200"),
    }
    return ApiFragment(paths)
