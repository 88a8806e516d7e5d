"""Our public activities carry an LD signature and an integrity proof that verify the way
Mastodon and Fedify verify them (node/federation/outbox/signing.py)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from node.activitypub import activities, keys
from node.activitypub.ldsig import (
    verify_proof_eddsa_jcs_2022,
    verify_rsa_signature_2017,
)
from node.activitypub.signatures.results import Verified
from node.activitypub.vocab import DATA_INTEGRITY_CONTEXT, PUBLIC, SECURITY_CONTEXT
from node.federation.outbox.signing import sign_public_activity, signing_context
from node.models import LocalActor
from node.urls import Urls

URLS = Urls("https://node.example")
WHEN = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)
ACTOR_ID = "https://node.example/actors/coop"


@pytest.fixture(scope="module")
def coop() -> LocalActor:
    rsa_pair, ed_pair = keys.generate_rsa(), keys.generate_ed25519()
    return LocalActor(
        slug="coop",
        kind="organization",
        name="Riverside Co-op",
        rsa_private_pem=rsa_pair.private_pem,
        rsa_public_pem=rsa_pair.public_pem,
        ed_private_pem=ed_pair.private_pem,
        ed_public_pem=ed_pair.public_pem,
    )


def event_create() -> dict[str, Any]:
    event = {
        "@context": [
            "https://www.w3.org/ns/activitystreams",
            {"schema": "http://schema.org#", "timezone": "schema:timezone"},
        ],
        "id": "https://node.example/items/e1",
        "type": "Event",
        "attributedTo": ACTOR_ID,
        "name": "Repair café",
        "summary": "<p>Saturday 10:00 CET, Main Street 5: bring what is broken.</p>",
        "startTime": "2026-12-05T10:00:00+01:00",
        "timezone": "Europe/Berlin",
        "to": [PUBLIC],
        "cc": [f"{ACTOR_ID}/followers"],
    }
    create = activities.create("https://node.example/activities/a1", ACTOR_ID, event, WHEN)
    create["@context"] = event["@context"]
    return create


def test_signed_activity_verifies_with_both_schemes(coop: LocalActor) -> None:
    signed = sign_public_activity(coop, URLS, event_create(), now=WHEN)
    rsa_pub = keys.load_public_key(coop.rsa_public_pem)
    ed_pub = keys.load_public_key(coop.ed_public_pem)
    assert verify_rsa_signature_2017(signed, rsa_pub) == Verified(f"{ACTOR_ID}#main-key")
    assert verify_proof_eddsa_jcs_2022(signed, ed_pub) == Verified(f"{ACTOR_ID}#ed25519-key")
    assert signed["signature"]["created"] == "2026-11-22T12:00:00Z"


def test_contexts_interop_rules(coop: LocalActor) -> None:
    signed = sign_public_activity(coop, URLS, event_create(), now=WHEN)
    context = signed["@context"]
    # security/v1 and data-integrity/v1 after ActivityStreams, inline terms still last
    assert context[:3] == [
        "https://www.w3.org/ns/activitystreams",
        SECURITY_CONTEXT,
        DATA_INTEGRITY_CONTEXT,
    ]
    assert isinstance(context[-1], dict)
    # Mastodon hashes the proof options as written: they repeat the document's @context
    assert signed["proof"]["@context"] == context
    assert signed["proof"]["proofPurpose"] == "assertionMethod"


def test_tampering_breaks_both(coop: LocalActor) -> None:
    signed = sign_public_activity(coop, URLS, event_create(), now=WHEN)
    forged = copy.deepcopy(signed)
    forged["object"]["summary"] = "<p>Cancelled.</p>"
    assert not isinstance(
        verify_rsa_signature_2017(forged, keys.load_public_key(coop.rsa_public_pem)), Verified
    )
    assert not isinstance(
        verify_proof_eddsa_jcs_2022(forged, keys.load_public_key(coop.ed_public_pem)), Verified
    )


def test_signing_again_replaces_the_signatures(coop: LocalActor) -> None:
    once = sign_public_activity(coop, URLS, event_create(), now=WHEN)
    twice = sign_public_activity(coop, URLS, once, now=WHEN)
    assert twice == once  # deterministic, and not a growing proof set


def test_only_the_actor_signs_its_activities(coop: LocalActor) -> None:
    other = {**event_create(), "actor": "https://node.example/actors/someone-else"}
    with pytest.raises(ValueError, match="own activities"):
        sign_public_activity(coop, URLS, other)


def test_an_unbundled_context_still_goes_out_with_the_proof(coop: LocalActor) -> None:
    create = event_create()
    create["@context"].append("https://unknown.example/ns")
    signed = sign_public_activity(coop, URLS, create, now=WHEN)
    assert "signature" not in signed
    ed_pub = keys.load_public_key(coop.ed_public_pem)
    assert isinstance(verify_proof_eddsa_jcs_2022(signed, ed_pub), Verified)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            "https://www.w3.org/ns/activitystreams",
            [
                "https://www.w3.org/ns/activitystreams",
                SECURITY_CONTEXT,
                DATA_INTEGRITY_CONTEXT,
            ],
        ),
        (None, ["https://www.w3.org/ns/activitystreams", SECURITY_CONTEXT, DATA_INTEGRITY_CONTEXT]),
        (
            ["https://www.w3.org/ns/activitystreams", SECURITY_CONTEXT],
            [
                "https://www.w3.org/ns/activitystreams",
                SECURITY_CONTEXT,
                DATA_INTEGRITY_CONTEXT,
            ],
        ),
    ],
)
def test_signing_context(given: Any, expected: list[Any]) -> None:
    assert signing_context(given) == expected
