"""The publishing API's part of the OpenAPI document: events, calls and news, the series of
events (node/features/publishing/api.py) and the C2S outbox (outbox_api.py)."""

from __future__ import annotations

from node.api.openapi import (
    LOCATION,
    PAGING,
    UID,
    WRITE_ERRORS,
    ApiFragment,
    Doc,
    json_content,
    request_body,
    responses,
)
from node.api.openapi_schemas import ref
from node.features.publishing.openapi_schemas import activity, item_schemas

KINDS = {
    "events": ("Event", "an event (a session with parent; a series with recurrence)"),
    "calls": ("Call", "a call for collaboration (offer or request)"),
    "news": ("News", "a news item (story, case study, tool, announcement)"),
}
_MERGE_PATCH = ("application/json", "application/merge-patch+json")


def _created(collection: str, what: str) -> Doc:
    """The answer to a POST: the item (an event with recurrence gives its series)."""
    if collection == "events":
        created = json_content(
            {"anyOf": [ref("Item"), ref("Series")]},
            "published; with recurrence, a Series (id and url are its first date's)",
        )
    else:
        created = json_content(
            ref("Item"), f"published: id is the ActivityPub id, url the page; {what}"
        )
    created["headers"] = LOCATION
    return created


def _collection(collection: str, name: str, what: str) -> Doc:
    return {
        "post": {
            "operationId": f"create{name}",
            "summary": f"Publish {what}",
            "requestBody": request_body(ref(f"{name}Input")),
            "responses": responses({"201": _created(collection, what)}, *WRITE_ERRORS),
        },
        "get": {
            "operationId": f"list{name}",
            "summary": f"Your {collection}, newest first",
            "parameters": PAGING,
            "responses": responses({"200": json_content(ref("ItemList"), "a page")}, "400"),
        },
    }


def _one(name: str) -> Doc:
    one = [UID]
    return {
        "get": {
            "operationId": f"get{name}",
            "parameters": one,
            "responses": responses({"200": json_content(ref("Item"), "the item")}, "404", "410"),
        },
        "patch": {
            "operationId": f"patch{name}",
            "summary": "Edit (an Update goes out; for events a status note when it matters)",
            "parameters": one,
            "requestBody": request_body(ref(f"{name}Patch"), *_MERGE_PATCH),
            "responses": responses(
                {"200": json_content(ref("Item"), "the edited item")},
                "404",
                "410",
                *WRITE_ERRORS,
            ),
        },
        "delete": {
            "operationId": f"delete{name}",
            "summary": "Delete (a Delete goes out; the id answers 410 from then on)",
            "parameters": one,
            "responses": responses({"204": {"description": "deleted"}}, "404", "410"),
        },
    }


def _series_paths() -> dict[str, Doc]:
    the_series = json_content(ref("Series"), "the series")
    return {
        "/api/v1/series": {
            "get": {
                "operationId": "listSeries",
                "parameters": PAGING,
                "responses": responses({"200": json_content(ref("SeriesList"), "a page")}, "400"),
            }
        },
        "/api/v1/series/{uid}": {
            "get": {
                "operationId": "getSeries",
                "parameters": [UID],
                "responses": responses({"200": the_series}, "404", "410"),
            },
            "patch": {
                "operationId": "patchSeries",
                "summary": "Edit the template: every date not over is updated",
                "parameters": [UID],
                "requestBody": request_body(ref("EventPatch"), "application/json"),
                "responses": responses({"200": the_series}, "404", "410", *WRITE_ERRORS),
            },
            "delete": {
                "operationId": "deleteSeries",
                "summary": "Stop the series; its dates not over are deleted",
                "parameters": [UID],
                "responses": responses({"204": {"description": "deleted"}}, "404", "410"),
            },
        },
    }


def items_fragment() -> ApiFragment:
    """Events, calls, news and series: the paths of node/features/publishing/api.py."""
    paths: dict[str, Doc] = {}
    for collection, (name, what) in KINDS.items():
        paths[f"/api/v1/{collection}"] = _collection(collection, name, what)
        paths[f"/api/v1/{collection}/{{uid}}"] = _one(name)
    return ApiFragment(paths | _series_paths(), item_schemas())


def outbox_fragment() -> ApiFragment:
    """``POST /actors/{slug}/outbox``: ActivityPub client-to-server (outbox_api.py)."""
    sent = {
        "description": "the activity sent",
        "headers": {"Location": {"schema": {"type": "string"}}},
        "content": {"application/activity+json": {"schema": {"type": "object"}}},
    }
    slug = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
    post = {
        "operationId": "postToOutbox",
        "summary": "ActivityPub C2S: Create, Update or Delete of your items",
        "parameters": [slug],
        "requestBody": request_body(
            ref("Activity"), "application/activity+json", "application/ld+json"
        ),
        "responses": responses({"201": sent}, "403", "404", "410", *WRITE_ERRORS),
    }
    return ApiFragment({"/actors/{slug}/outbox": {"post": post}}, {"Activity": activity()})
