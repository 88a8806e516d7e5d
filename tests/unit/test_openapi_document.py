"""The OpenAPI document assembled from the features' fragments is the one served before the
split (tests/fixtures/openapi/document.json, generated from the kit that described every path
itself; its version is blanked)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from node import __version__
from node.api.openapi import ApiFragment, document
from node.wiring import api_document

EXPECTED = Path(__file__).parents[1] / "fixtures" / "openapi" / "document.json"


def _expected() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(EXPECTED.read_text())
    doc["info"]["version"] = __version__
    return doc


def test_the_assembled_document_is_the_snapshot() -> None:
    doc, expected = api_document("http://127.0.0.1:8000"), _expected()
    assert doc == expected
    # The order a reader sees: paths and everything inside them, and each schema, byte for byte.
    assert json.dumps(doc["paths"]) == json.dumps(expected["paths"])
    schemas = doc["components"]["schemas"]
    for name, schema in expected["components"]["schemas"].items():
        assert json.dumps(schemas[name]) == json.dumps(schema), name
    # The components map follows the fragments' order (shared first); only ProfilePatch moved,
    # next to Profile, when the profile's schemas went to their feature.
    assert list(schemas)[:2] == ["Error", "Image"]


def test_a_path_or_schema_given_twice_raises() -> None:
    one = ApiFragment({"/a": {"get": {}}}, {"A": {"type": "object"}})
    with pytest.raises(ValueError, match="paths given twice: /a"):
        document("http://x", [one, ApiFragment({"/a": {"post": {}}})])
    with pytest.raises(ValueError, match="schemas given twice: A"):
        document("http://x", [one, ApiFragment({"/b": {}}, {"A": {}})])
    with pytest.raises(ValueError, match="schemas given twice: Error"):
        document("http://x", [ApiFragment({}, {"Error": {}})])
