"""Live cross-checks with the Fedify peer: it accepts what our ldsig module signs, and we verify
what it signs (the recorded fixtures in tests/fixtures/fedify tell the same story offline).

Fresh keys each run, a stub actor on a loopback port serving them, and the peer's inbox POSTs
HTTP-signed by the peer's own alice: the stub actor can only be authenticated by the LD
signature or the integrity proof in the body.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from node.activitypub import keys
from node.activitypub.ldsig import (
    proof_verification_method,
    signature_creator,
    verify_proof_eddsa_jcs_2022,
    verify_rsa_signature_2017,
)
from node.activitypub.signatures.results import Verified
from tests.fixtures.fedify import record
from tests.harness.peer import FedifyPeer

pytestmark = pytest.mark.peer


def fresh_keys() -> tuple[rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey]:
    rsa_key = keys.load_private_key(keys.generate_rsa().private_pem)
    ed_key = keys.load_private_key(keys.generate_ed25519().private_pem)
    assert isinstance(rsa_key, rsa.RSAPrivateKey)
    assert isinstance(ed_key, ed25519.Ed25519PrivateKey)
    return rsa_key, ed_key


def deliver(peer: FedifyPeer, doc: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """POST ``doc`` to alice's inbox; (HTTP status, the peer's inbox log entry)."""
    since = max([0, *(e["seq"] for e in peer.inbox())])
    answer = peer.post_raw(peer.inbox_url(), json.dumps(doc))
    entries = [e for e in peer.wait_for_inbox(since=since) if e.get("id") == doc["id"]]
    assert entries, f"{doc['id']} not in the peer's inbox log"
    return int(answer["status"]), entries[-1]


def test_fedify_accepts_our_ld_signature_and_integrity_proof(fedify_peer: FedifyPeer) -> None:
    rsa_key, ed_key = fresh_keys()
    with record.StubServer(lambda base: record.stub_actor_document(base, rsa_key, ed_key)) as stub:
        expected = {
            "rsa_signature_2017": "ld-signature",
            "eddsa_jcs_2022": "object-integrity-proof",
            "both": "ld-signature",
        }
        activities = record.our_signed_activities(
            stub.base, fedify_peer.actor_id(), rsa_key, ed_key
        )
        for label, doc in activities:
            status, entry = deliver(fedify_peer, doc)
            assert status == 202, (label, entry)
            assert entry["fedify"]["verifiedBy"] == expected[label], (label, entry["fedify"])

        # the same activities with the content changed after signing: nothing authenticates
        # the stub actor any more, and the HTTP signer (alice) is not the actor
        for label, doc in activities:
            forged = json.loads(json.dumps(doc))
            forged["id"] += "-forged"
            forged["object"]["content"] = "<p>forged</p>"
            status, entry = deliver(fedify_peer, forged)
            assert status == 401, (label, entry)


def test_we_verify_what_fedify_signs(fedify_peer: FedifyPeer) -> None:
    rsa_key, ed_key = fresh_keys()
    with record.StubServer(lambda base: record.stub_actor_document(base, rsa_key, ed_key)) as stub:
        fedify_peer.note("<p>Café coöp 🌱 — live</p>", to=[stub.actor["id"]], summary="CW")
        (body,) = stub.wait_for(1)
    doc = json.loads(body)
    alice = record.http("GET", fedify_peer.actor_id(), accept=record.AP_JSON)

    assert signature_creator(doc) == alice["publicKey"]["id"]
    rsa_pub = keys.load_public_key(alice["publicKey"]["publicKeyPem"])
    assert verify_rsa_signature_2017(doc, rsa_pub) == Verified(alice["publicKey"]["id"])

    method = proof_verification_method(doc)
    (multikey,) = [m for m in alice["assertionMethod"] if m["id"] == method]
    ed_pub = keys.public_key_from_multibase(multikey["publicKeyMultibase"])
    assert verify_proof_eddsa_jcs_2022(doc, ed_pub) == Verified(str(method))
