"""The JSON-LD work budget: the context rules, the deadline, the per-origin work meter and the
key refetch interval (issue #15 items 2 and 14; over HTTP in tests/integration/test_ld_budget_http.py)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from node.activitypub import jsonld
from node.activitypub.ldbudget import context_problem
from node.federation.context import NodeContext
from node.federation.inbox.forwarded import INBOX_LD_LIMITS
from node.federation.inbox.ldwork import WorkMeter
from node.federation.remote.keys import may_refetch
from node.limits import Limit
from node.settings import load_settings

AS = "https://www.w3.org/ns/activitystreams"
SEC = "https://w3id.org/security/v1"
FEDIFY = Path(__file__).resolve().parents[1] / "fixtures" / "fedify" / "create_note.json"


def _note(**extra: Any) -> dict[str, Any]:
    return {
        "@context": [AS, SEC, {"toot": "http://joinmastodon.org/ns#", "Emoji": "toot:Emoji"}],
        "type": "Create",
        "actor": "https://a.example/users/ana",
        "object": {"type": "Note", "content": "hi", **extra},
    }


def test_real_activities_pass_the_context_rules() -> None:
    assert context_problem(_note(), 8) is None
    # Fedify repeats the document's @context in its integrity proof
    fedify = json.loads(FEDIFY.read_text())
    assert "@context" in fedify["proof"]
    assert context_problem(fedify, 8) is None
    jsonld.check_complexity(fedify, INBOX_LD_LIMITS)


@pytest.mark.parametrize(
    ("doc", "why"),
    [
        (_note(**{"@context": AS}), "nested"),
        ({**_note(), "@context": [AS, AS]}, "more than once"),
        ({**_note(), "@context": [AS] * 9}, "more than 8"),
        (
            {**_note(), "@context": [AS, {"x": {"@id": "as:x", "@context": {"y": "as:y"}}}]},
            "scoped",
        ),
        ({**_note(), "@context": [AS, 3]}, "URLs or objects"),
        ({**_note(), "tag": [{"@context": AS, "type": "Hashtag"}]}, "nested"),
        ({**_note(), "proof": {"@context": SEC, "type": "DataIntegrityProof"}}, "nested"),
        ({**_note(), "signature": {"nonce": {"@context": AS, "type": "Note"}}}, "nested"),
    ],
    ids=[
        "embedded",
        "repeated",
        "too-many",
        "scoped",
        "not-a-context",
        "in-a-list",
        "proof-other",
        "in-signature-options",
    ],
)
def test_nested_repeated_and_scoped_contexts_are_refused(doc: dict[str, Any], why: str) -> None:
    problem = context_problem(doc, 8)
    assert problem is not None and why in problem
    with pytest.raises(jsonld.DocumentTooComplex):
        jsonld.check_complexity(doc, INBOX_LD_LIMITS)
    jsonld.check_complexity(doc)  # the default limits have no context rules


def test_canonicalisation_stops_at_its_deadline() -> None:
    doc = copy.deepcopy(_note())
    assert jsonld.canonize(doc)
    with pytest.raises(jsonld.CanonicalizationBudgetExceeded, match="longer than"):
        jsonld.canonize(doc, jsonld.Limits(max_seconds=0.0))
    with pytest.raises(jsonld.CanonicalizationBudgetExceeded):
        jsonld.expand(doc, jsonld.Limits(max_seconds=0.0))


def test_the_work_meter_lets_a_check_start_and_charges_what_it_cost() -> None:
    now = [0.0]
    meter = WorkMeter(Limit(100, 10.0), clock=lambda: now[0])  # 100 ms per 10 s
    assert meter.wait("https://a.example") == 0.0
    meter.charge("https://a.example", 250.0)  # one slow check runs into debt
    assert meter.wait("https://a.example") > 0
    assert meter.wait("https://b.example") == 0.0  # per origin
    now[0] = 14.9  # 10 ms a second: 149 ms back, still in debt (-150 + 149)
    assert meter.wait("https://a.example") > 0
    now[0] = 15.1
    assert meter.wait("https://a.example") == 0.0


def test_a_key_owner_is_refetched_at_most_once_per_interval(tmp_path: Path) -> None:
    settings = load_settings(
        env={"SOLNODE_KEY_REFETCH_INTERVAL": "60"},
        secret_key="t",
        database_url=f"sqlite:///{tmp_path / 'x.db'}",
    )
    assert settings.key_refetch_interval == 60
    node = NodeContext.build(settings, engine=None)  # type: ignore[arg-type]
    ana, bea = "https://a.example/users/ana", "https://a.example/users/bea"
    assert may_refetch(node, ana, now=1000.0)
    assert not may_refetch(node, ana, now=1059.0)
    assert may_refetch(node, bea, now=1059.0)
    assert may_refetch(node, ana, now=1060.0)
    other = NodeContext.build(settings, engine=None)  # type: ignore[arg-type]
    assert may_refetch(other, ana, now=1060.0)  # per node context
