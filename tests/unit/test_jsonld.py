"""JSON-LD with bundled contexts only: what resolves, what is refused (never fetched), the limits
that keep hostile documents cheap, and that canonicalisation is the reference URDNA2015."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from pyld import jsonld as pyld_jsonld

from node.activitypub import jsonld
from node.activitypub.jsonld import (
    BUNDLED_CONTEXTS,
    CanonicalizationBudgetExceeded,
    DocumentTooComplex,
    JsonLdError,
    Limits,
    UnknownContextError,
    bundled_context,
    canonize,
    check_complexity,
    expand,
    is_bundled_context,
    offline_document_loader,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "fedify"
CONTEXTS = Path(jsonld.__file__).parent / "contexts"
AS = "https://www.w3.org/ns/activitystreams#"


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a connection fails the test loudly (not as a JSON-LD error)."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def fedify_create() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((FIXTURES / "create_note.json").read_text())
    return doc


def note(**extra: Any) -> dict[str, Any]:
    return {
        "@context": [
            "https://www.w3.org/ns/activitystreams",
            "https://w3id.org/security/v1",
            {"Hashtag": "as:Hashtag", "sensitive": "as:sensitive"},
        ],
        "id": "https://coop.example/notes/1",
        "type": "Note",
        "attributedTo": "https://coop.example/org",
        "content": "<p>Assemblée générale 🌱</p>",
        "sensitive": False,
        "tag": [
            {"type": "Hashtag", "name": "#coop", "href": "https://coop.example/tags/coop"},
            {"type": "Mention", "name": "@ana@b.example", "href": "https://b.example/ana"},
        ],
        **extra,
    }


# --- the bundle ------------------------------------------------------------------------------


def test_every_bundled_context_is_a_context_document() -> None:
    for url in BUNDLED_CONTEXTS:
        document = bundled_context(url)
        assert isinstance(document.get("@context"), dict | list), url


def test_every_file_in_the_folder_is_served_and_documented() -> None:
    files = {p.name for p in CONTEXTS.glob("*.json")}
    served = set(BUNDLED_CONTEXTS.values()) | {"litepub-0.1.json"}
    assert files == served
    readme = (CONTEXTS / "README.md").read_text()
    assert all(f"`{name}`" in readme for name in files)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.w3.org/ns/activitystreams",
        "http://www.w3.org/ns/activitystreams",
        "https://www.w3.org/ns/activitystreams/",
        "https://www.w3.org/ns/activitystreams.jsonld",
        "HTTPS://WWW.W3.ORG/ns/activitystreams",
        "https://w3id.org/security/v1",
        "http://w3id.org/security/v1/",
        "https://w3id.org/security/v1.jsonld",
        "https://w3id.org/security/data-integrity/v1",
        "https://w3id.org/security/data-integrity/v2",
        "https://w3id.org/identity/v1",
        "https://w3id.org/security/multikey/v1",
        "https://schema.org",
        "http://schema.org/",
        "https://gotosocial.org/ns",
        "https://pleroma.example/schemas/litepub-0.1.jsonld",
        "https://akkoma.example:8443/schemas/litepub-0.1.jsonld",
    ],
)
def test_url_variants_resolve(url: str) -> None:
    assert is_bundled_context(url)
    remote = offline_document_loader(url, {})
    assert remote["document"]["@context"]


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/my-context.jsonld",
        "https://www.w3.org/ns/activitystreams?x=1",
        "https://www.w3.org/ns/activitystreams#frag",
        "ftp://www.w3.org/ns/activitystreams",
        "file:///etc/passwd",
        "https://www.w3.org/ns/credentials/examples/v2",
        "https://evil.example/schemas/litepub-0.1.jsonld/extra",
        "not a url",
        "",
    ],
)
def test_unknown_context_urls_are_refused_with_the_url(url: str) -> None:
    assert not is_bundled_context(url)
    with pytest.raises(UnknownContextError) as caught:
        offline_document_loader(url, {})
    assert caught.value.url == url
    assert isinstance(caught.value, JsonLdError)


def test_expanding_a_document_with_an_unknown_context_raises_instead_of_fetching() -> None:
    doc = note()
    doc["@context"].append("https://unknown.example/ns")
    with pytest.raises(UnknownContextError) as caught:
        expand(doc)
    assert caught.value.url == "https://unknown.example/ns"
    assert "https://unknown.example/ns" in str(caught.value)
    with pytest.raises(UnknownContextError):
        canonize(doc)


def test_an_unknown_context_inside_a_scoped_context_is_refused_too() -> None:
    doc = note()
    doc["@context"][2]["tag"] = {"@id": "as:tag", "@context": "https://unknown.example/scoped"}
    with pytest.raises(UnknownContextError):
        expand(doc)


def test_loader_hands_out_copies_so_pyld_cannot_corrupt_the_bundle() -> None:
    first = offline_document_loader("https://www.w3.org/ns/activitystreams", {})
    first["document"]["@context"]["@vocab"] = "https://evil.example/"
    again = offline_document_loader("https://www.w3.org/ns/activitystreams", {})
    assert again["document"]["@context"]["@vocab"] == "_:"


# --- expansion and canonicalisation ----------------------------------------------------------


def test_expands_a_recorded_fedify_create_offline() -> None:
    (create,) = expand(fedify_create())
    assert create["@type"] == [AS + "Create"]
    (obj,) = create[AS + "object"]
    assert obj["@type"] == [AS + "Note"]
    assert obj[AS + "sensitive"] == [{"@value": False}]


def test_expands_pleroma_litepub_terms() -> None:
    doc = {
        "@context": [
            "https://www.w3.org/ns/activitystreams",
            "https://pleroma.example/schemas/litepub-0.1.jsonld",
            {"@language": "und"},
        ],
        "id": "https://pleroma.example/objects/1",
        "type": "Note",
        "sensitive": True,
        "conversation": "https://pleroma.example/contexts/1",
    }
    (node,) = expand(doc)
    assert node[AS + "sensitive"] == [{"@value": True}]
    assert node["http://ostatus.org#conversation"] == [
        {"@id": "https://pleroma.example/contexts/1"}
    ]


def test_canonize_is_the_reference_urdna2015() -> None:
    for doc in (note(), fedify_create()):
        reference = pyld_jsonld.normalize(
            doc,
            {
                "algorithm": "URDNA2015",
                "format": "application/n-quads",
                "documentLoader": offline_document_loader,
            },
        )
        assert canonize(doc) == reference


def test_canonical_form_ignores_json_order_and_array_order() -> None:
    doc = note()
    shuffled = dict(reversed(list(note().items())))
    shuffled["tag"] = list(reversed(shuffled["tag"]))
    assert canonize(shuffled) == canonize(doc)
    assert "_:c14n0" in canonize(doc)  # the tags are blank nodes, named canonically


def test_canonical_form_changes_when_the_content_does() -> None:
    assert canonize(note()) != canonize(note(content="<p>Assemblée générale 🌻</p>"))


def test_canonize_is_safe_from_several_threads() -> None:
    expected = canonize(fedify_create())
    results: list[str] = []

    def work() -> None:
        for _ in range(5):
            results.append(canonize(fedify_create()))

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected] * 30


def test_pyld_errors_on_malformed_input_come_out_as_json_ld_errors() -> None:
    with pytest.raises(JsonLdError):
        canonize({"@context": {"@vocab": 5}, "a": 1})
    with pytest.raises(JsonLdError):
        expand({"@context": "https://www.w3.org/ns/activitystreams", "@id": {"x": 1}})


# --- limits ----------------------------------------------------------------------------------


def nested(depth: int) -> dict[str, Any]:
    doc: dict[str, Any] = {"name": "leaf"}
    for _ in range(depth - 1):
        doc = {"object": doc}
    return doc


def test_limits_accept_real_activities() -> None:
    check_complexity(fedify_create())
    check_complexity(json.loads((FIXTURES / "alice_actor.json").read_text()))


@pytest.mark.parametrize(
    ("doc", "limits"),
    [
        (nested(40), Limits()),
        (nested(5), Limits(max_depth=4)),
        ({"items": list(range(600))}, Limits()),  # one array longer than 512
        ({"a": list(range(300)), "b": list(range(300)), "c": list(range(300))}, Limits()),
        ({"s": "x" * 200}, Limits(max_chars=100)),
        ({"x" * 200: 1}, Limits(max_chars=100)),
        ({f"k{i}": i for i in range(6000)}, Limits()),
    ],
)
def test_limits_refuse_documents_before_pyld_sees_them(doc: Any, limits: Limits) -> None:
    with pytest.raises(DocumentTooComplex):
        check_complexity(doc, limits)
    with pytest.raises(DocumentTooComplex):
        canonize(doc, limits)


def test_a_hostile_depth_cannot_overflow_the_stack() -> None:
    doc: Any = {}
    for _ in range(100_000):
        doc = {"a": doc}
    with pytest.raises(DocumentTooComplex):
        expand(doc)


def test_look_alike_blank_nodes_cannot_make_canonicalisation_run_for_hours() -> None:
    # Two identical blank nodes, each with eight identical blank children: unbounded URDNA2015
    # would try 8! orderings for each, recursively.
    poison = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://evil.example/1",
        "type": "Note",
        "tag": [{"type": "Note", "tag": [{"type": "Note"} for _ in range(8)]} for _ in range(2)],
    }
    started = time.monotonic()
    with pytest.raises(CanonicalizationBudgetExceeded):
        canonize(poison)
    assert time.monotonic() - started < 5
