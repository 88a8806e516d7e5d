"""The OpenAPI 3.1 document of the JSON API, served at ``/api/openapi.json``.

Written as data, path by path, next to the routes it describes (schemas in openapi_schemas.py);
a schemathesis test runs generated requests from it against the running API.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from node import __version__
from node.api.openapi_schemas import SCHEMAS, ref
from node.web.render import ctx, json_response

Doc = dict[str, Any]

_ERRORS = {
    "400": "unreadable input: bad JSON, or a bad query parameter (field names it)",
    "401": "missing, malformed or unknown bearer token",
    "403": "the token belongs to another actor",
    "404": "no such thing of yours",
    "409": "the current state forbids it (the event is full…)",
    "410": "it was deleted",
    "413": "the body is larger than 1 MB",
    "415": "the body is not JSON (Content-Type)",
    "422": "valid JSON that fails validation; field names the path",
    "429": "too many requests from this address; Retry-After says when to try again",
}
KINDS = {
    "events": ("Event", "an event (a session with parent; a series with recurrence)"),
    "calls": ("Call", "a call for collaboration (offer or request)"),
    "news": ("News", "a news item (story, case study, tool, announcement)"),
}


def _json(schema: Doc, description: str) -> Doc:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _responses(ok: dict[str, Doc], *errors: str) -> Doc:
    answers: Doc = dict(ok)
    for code in ("401", "429", *errors):
        answers[code] = _json(ref("Error"), _ERRORS[code])
    return answers


def _body(schema: Doc, *types: str) -> Doc:
    return {
        "required": True,
        "content": {t: {"schema": schema} for t in (types or ("application/json",))},
    }


_UID = {"name": "uid", "in": "path", "required": True, "schema": {"type": "string"}}
_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0}}
_PAGING = [
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
    {"name": "cursor", "in": "query", "schema": {"type": "string"}, "description": "from next"},
]
_LOCATION = {
    "Location": {"description": "where to GET, PATCH or DELETE it", "schema": {"type": "string"}}
}
_WRITE_ERRORS = ("400", "413", "415", "422")


def _item_paths(collection: str, name: str, what: str) -> dict[str, Doc]:
    created = _json(ref("Item"), f"published: id is the ActivityPub id, url the page; {what}")
    created["headers"] = _LOCATION
    if collection == "events":
        created = _json(
            {"anyOf": [ref("Item"), ref("Series")]},
            "published; with recurrence, a Series (id and url are its first date's)",
        )
        created["headers"] = _LOCATION
    one = [_UID]
    return {
        f"/api/v1/{collection}": {
            "post": {
                "operationId": f"create{name}",
                "summary": f"Publish {what}",
                "requestBody": _body(ref(f"{name}Input")),
                "responses": _responses({"201": created}, *_WRITE_ERRORS),
            },
            "get": {
                "operationId": f"list{name}",
                "summary": f"Your {collection}, newest first",
                "parameters": _PAGING,
                "responses": _responses({"200": _json(ref("ItemList"), "a page")}, "400"),
            },
        },
        f"/api/v1/{collection}/{{uid}}": {
            "get": {
                "operationId": f"get{name}",
                "parameters": one,
                "responses": _responses({"200": _json(ref("Item"), "the item")}, "404", "410"),
            },
            "patch": {
                "operationId": f"patch{name}",
                "summary": "Edit (an Update goes out; for events a status note when it matters)",
                "parameters": one,
                "requestBody": _body(
                    ref(f"{name}Patch"), "application/json", "application/merge-patch+json"
                ),
                "responses": _responses(
                    {"200": _json(ref("Item"), "the edited item")},
                    "404",
                    "410",
                    *_WRITE_ERRORS,
                ),
            },
            "delete": {
                "operationId": f"delete{name}",
                "summary": "Delete (a Delete goes out; the id answers 410 from then on)",
                "parameters": one,
                "responses": _responses({"204": {"description": "deleted"}}, "404", "410"),
            },
        },
    }


def _other_paths() -> dict[str, Doc]:
    participants = "/api/v1/events/{uid}/participants"
    decision = _responses(
        {"200": _json(ref("Participant"), "the participant")}, "404", "409", "410"
    )
    moderated = _responses({"200": _json(ref("Reply"), "the reply")}, "404")
    state = {
        "name": "state",
        "in": "query",
        "schema": {"type": "string", "enum": ["pending", "approved", "hidden"]},
    }
    return {
        "/api/v1/series": {
            "get": {
                "operationId": "listSeries",
                "parameters": _PAGING,
                "responses": _responses({"200": _json(ref("SeriesList"), "a page")}, "400"),
            }
        },
        "/api/v1/series/{uid}": {
            "get": {
                "operationId": "getSeries",
                "parameters": [_UID],
                "responses": _responses({"200": _json(ref("Series"), "the series")}, "404", "410"),
            },
            "patch": {
                "operationId": "patchSeries",
                "summary": "Edit the template: every date not over is updated",
                "parameters": [_UID],
                "requestBody": _body(ref("EventPatch"), "application/json"),
                "responses": _responses(
                    {"200": _json(ref("Series"), "the series")}, "404", "410", *_WRITE_ERRORS
                ),
            },
            "delete": {
                "operationId": "deleteSeries",
                "summary": "Stop the series; its dates not over are deleted",
                "parameters": [_UID],
                "responses": _responses({"204": {"description": "deleted"}}, "404", "410"),
            },
        },
        participants: {
            "get": {
                "operationId": "listParticipants",
                "parameters": [
                    _UID,
                    *_PAGING,
                    {
                        "name": "state",
                        "in": "query",
                        "schema": {
                            "type": "string",
                            "enum": ["pending", "accepted", "rejected", "left"],
                        },
                    },
                ],
                "responses": _responses(
                    {"200": _json(ref("ParticipantList"), "a page")}, "400", "404", "410"
                ),
            }
        },
        participants + "/{id}/approve": {
            "post": {
                "operationId": "approveParticipant",
                "summary": "Accept a pending participant (an Accept goes to its actor)",
                "parameters": [_UID, _ID],
                "responses": decision,
            }
        },
        participants + "/{id}/reject": {
            "post": {
                "operationId": "rejectParticipant",
                "summary": "Decline or remove a participant (a Reject goes to its actor)",
                "parameters": [_UID, _ID],
                "responses": decision,
            }
        },
        "/api/v1/replies": {
            "get": {
                "operationId": "listReplies",
                "summary": "Replies from the fediverse to your items",
                "parameters": [*_PAGING, state],
                "responses": _responses({"200": _json(ref("ReplyList"), "a page")}, "400"),
            }
        },
        "/api/v1/replies/{id}/approve": {
            "post": {"operationId": "approveReply", "parameters": [_ID], "responses": moderated}
        },
        "/api/v1/replies/{id}/hide": {
            "post": {"operationId": "hideReply", "parameters": [_ID], "responses": moderated}
        },
        "/api/v1/profile": {
            "get": {
                "operationId": "getProfile",
                "responses": _responses({"200": _json(ref("Profile"), "your profile")}),
            },
            "patch": {
                "operationId": "patchProfile",
                "summary": "Edit your profile (an actor Update goes to your followers)",
                "requestBody": _body(
                    ref("ProfilePatch"), "application/json", "application/merge-patch+json"
                ),
                "responses": _responses(
                    {"200": _json(ref("Profile"), "the edited profile")}, *_WRITE_ERRORS
                ),
            },
        },
        "/actors/{slug}/outbox": {
            "post": {
                "operationId": "postToOutbox",
                "summary": "ActivityPub C2S: Create, Update or Delete of your items",
                "parameters": [
                    {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "requestBody": _body(
                    ref("Activity"), "application/activity+json", "application/ld+json"
                ),
                "responses": _responses(
                    {
                        "201": {
                            "description": "the activity sent",
                            "headers": {"Location": {"schema": {"type": "string"}}},
                            "content": {
                                "application/activity+json": {"schema": {"type": "object"}}
                            },
                        }
                    },
                    "403",
                    "404",
                    "410",
                    *_WRITE_ERRORS,
                ),
            }
        },
    }


def _follow_paths() -> Doc:
    target = {
        "type": "object",
        "required": ["target"],
        "properties": {"target": {"type": "string", "description": "user@host or actor URL"}},
    }
    actor = {
        "type": "object",
        "required": ["actor"],
        "properties": {"actor": {"type": "string", "description": "the follower's actor URL"}},
    }
    followers = {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "actor": {"type": "string"},
                        "state": {"enum": ["pending", "accepted"]},
                        "since": {"type": "string"},
                    },
                },
            }
        },
    }
    decision = {
        "type": "object",
        "properties": {"actor": {"type": "string"}, "state": {"enum": ["accepted", "refused"]}},
    }
    following = {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"target": {"type": "string"}, "state": {"type": "string"}},
                },
            }
        },
    }
    follow_state = {
        "type": "object",
        "properties": {"target": {"type": "string"}, "state": {"type": "string"}},
    }
    state = {
        "name": "state",
        "in": "query",
        "required": False,
        "schema": {"enum": ["pending", "accepted"]},
    }

    def decide(op: str, summary: str) -> Doc:
        return {
            "post": {
                "operationId": op,
                "summary": summary,
                "requestBody": _body(actor),
                "responses": _responses(
                    {"200": _json(decision, "the decision")}, "400", "409", "413", "415", "422"
                ),
            }
        }

    def follow(op: str, summary: str, ok: str) -> Doc:
        return {
            "post": {
                "operationId": op,
                "summary": summary,
                "requestBody": _body(target),
                "responses": _responses(
                    {ok: _json(follow_state, "the follow")}, "400", "413", "415", "422"
                ),
            }
        }

    return {
        "/api/v1/followers": {
            "get": {
                "operationId": "listFollowers",
                "summary": "Your followers; state=pending lists those waiting for approval",
                "parameters": [state],
                "responses": _responses({"200": _json(followers, "followers")}, "422"),
            }
        },
        "/api/v1/followers/approve": decide("approveFollower", "Accept a pending follower"),
        "/api/v1/followers/reject": decide("rejectFollower", "Refuse a pending follower"),
        "/api/v1/following": {
            "get": {
                "operationId": "listFollowing",
                "summary": "Actors you follow (networks, calendars, relays' actors)",
                "responses": _responses({"200": _json(following, "following")}),
            }
        },
        "/api/v1/follow": follow("follow", "Follow a remote actor (pending until Accept)", "202"),
        "/api/v1/unfollow": follow("unfollow", "Stop following (sends Undo(Follow))", "200"),
    }


def document(base_url: str) -> Doc:
    """The whole OpenAPI document for a node at ``base_url``."""
    paths: dict[str, Doc] = {}
    for collection, (name, what) in KINDS.items():
        paths |= _item_paths(collection, name, what)
    paths |= _other_paths()
    paths |= _follow_paths()
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Solidarity Node API",
            "version": __version__,
            "description": (
                "Publish events, calls for collaboration and news to the fediverse as an "
                "organization. Authenticate with a bearer token from `solnode token create SLUG`."
            ),
        },
        "servers": [{"url": base_url}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": SCHEMAS,
        },
    }


def openapi_route(request: Request) -> Response:
    """``GET /api/openapi.json`` (no token needed)."""
    return json_response(document(ctx(request).settings.base_url))
