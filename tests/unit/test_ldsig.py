"""RsaSignature2017 and FEP-8b32 eddsa-jcs-2022, told with real payloads.

Fixtures (tests/fixtures/fedify, re-recorded by record.py there): Create(Note)s exactly as a
Fedify 2.3.6 peer delivered them, with its actor document; and activities our code signed that
the same peer accepted. No peer is needed here.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyld import jsonld as pyld_jsonld
from pyld.documentloader.frozen import BUNDLED_CONTEXTS as PYLD_BUNDLED
from pyld.documentloader.frozen import FrozenDocumentLoader

from node.activitypub import jsonld, keys
from node.activitypub.ldsig import (
    create_proof_eddsa_jcs_2022,
    proof_verification_method,
    sign_rsa_signature_2017,
    signature_creator,
    verify_proof_eddsa_jcs_2022,
    verify_rsa_signature_2017,
)
from node.activitypub.signatures.results import Failure, Rejected, Verified

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "fedify"
CONTEXTS = Path(jsonld.__file__).parent / "contexts"
CREATED = datetime(2025, 11, 1, 12, 0, 0, tzinfo=UTC)  # record.py's OUR_CREATED
FEDIFY_CREATES = ["create_note.json", "create_note_unicode.json"]


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture(scope="module")
def alice() -> dict[str, Any]:
    actor: dict[str, Any] = load("alice_actor.json")
    return actor


@pytest.fixture(scope="module")
def alice_rsa(alice: dict[str, Any]) -> keys.PublicKey:
    return keys.load_public_key(alice["publicKey"]["publicKeyPem"])


def multikey(actor: dict[str, Any], key_id: str) -> keys.PublicKey:
    (method,) = [m for m in actor["assertionMethod"] if m["id"] == key_id]
    return keys.public_key_from_multibase(method["publicKeyMultibase"])


@pytest.fixture(scope="module")
def test_keys() -> tuple[rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey]:
    data = load("test_keys.json")
    rsa_key = keys.load_private_key(data["rsa_private_pem"])
    ed_key = keys.load_private_key(data["ed25519_private_pem"])
    assert isinstance(rsa_key, rsa.RSAPrivateKey)
    assert isinstance(ed_key, ed25519.Ed25519PrivateKey)
    return rsa_key, ed_key


def activity(**extra: Any) -> dict[str, Any]:
    return {
        "@context": [
            "https://www.w3.org/ns/activitystreams",
            "https://w3id.org/security/v1",
            "https://w3id.org/security/data-integrity/v1",
            {"Hashtag": "as:Hashtag", "sensitive": "as:sensitive"},
        ],
        "id": "https://coop.example/notes/1/activity",
        "type": "Create",
        "actor": "https://coop.example/org",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {
            "id": "https://coop.example/notes/1",
            "type": "Note",
            "attributedTo": "https://coop.example/org",
            "content": "<p>Open day at the food co-op, Saturday 10:00 🍅</p>",
            "tag": [{"type": "Hashtag", "name": "#coop", "href": "https://coop.example/tags/coop"}],
        },
        **extra,
    }


# --- Fedify's signatures, verified by us ------------------------------------------------------


@pytest.mark.parametrize("name", FEDIFY_CREATES)
def test_fedify_create_carries_a_valid_rsa_signature_2017(
    name: str, alice: dict[str, Any], alice_rsa: keys.PublicKey
) -> None:
    doc = load(name)
    assert signature_creator(doc) == alice["publicKey"]["id"]
    assert verify_rsa_signature_2017(doc, alice_rsa) == Verified(alice["publicKey"]["id"])


@pytest.mark.parametrize("name", FEDIFY_CREATES)
def test_fedify_create_carries_a_valid_eddsa_jcs_2022_proof(
    name: str, alice: dict[str, Any]
) -> None:
    doc = load(name)
    method = proof_verification_method(doc)
    assert method is not None and method.startswith(alice["id"])
    result = verify_proof_eddsa_jcs_2022(doc, multikey(alice, method))
    assert result == Verified(method)


def test_fedify_adds_the_proof_before_the_ld_signature(alice: dict[str, Any]) -> None:
    # So the LD signature covers the proof, and the proof only verifies without `signature`.
    doc = load("create_note.json")
    key = multikey(alice, doc["proof"]["verificationMethod"])
    assert isinstance(verify_proof_eddsa_jcs_2022(doc, key), Verified)
    without_proof = {k: v for k, v in doc.items() if k != "proof"}
    assert isinstance(
        verify_rsa_signature_2017(
            without_proof, keys.load_public_key(alice["publicKey"]["publicKeyPem"])
        ),
        Rejected,
    )


def tamper_content(doc: dict[str, Any]) -> None:
    doc["object"]["content"] += " (edited)"


def tamper_actor(doc: dict[str, Any]) -> None:
    doc["actor"] = "https://mallory.example/users/mallory"


def tamper_addressing(doc: dict[str, Any]) -> None:
    doc["to"] = [*doc["to"], "https://mallory.example/users/mallory"]


def tamper_new_field(doc: dict[str, Any]) -> None:
    doc["object"]["summary"] = "injected"


def tamper_published(doc: dict[str, Any]) -> None:
    doc["published"] = "2020-01-01T00:00:00Z"


TAMPERINGS = [tamper_content, tamper_actor, tamper_addressing, tamper_new_field, tamper_published]


@pytest.mark.parametrize("tamper", TAMPERINGS)
@pytest.mark.parametrize("name", FEDIFY_CREATES)
def test_tampering_with_one_field_breaks_both(
    name: str, tamper: Any, alice: dict[str, Any], alice_rsa: keys.PublicKey
) -> None:
    doc = load(name)
    tamper(doc)
    rsa_result = verify_rsa_signature_2017(doc, alice_rsa)
    proof_result = verify_proof_eddsa_jcs_2022(
        doc, multikey(alice, doc["proof"]["verificationMethod"])
    )
    assert isinstance(rsa_result, Rejected) and rsa_result.reason == "bad_signature"
    assert isinstance(proof_result, Rejected) and proof_result.reason == "bad_signature"


def test_tampering_with_the_signature_options_breaks_the_ld_signature(
    alice_rsa: keys.PublicKey,
) -> None:
    for field, value in [("created", "2020-01-01T00:00:00Z"), ("nonce", "x")]:
        doc = load("create_note.json")
        doc["signature"][field] = value
        result = verify_rsa_signature_2017(doc, alice_rsa)
        assert isinstance(result, Rejected) and result.reason == "bad_signature", field


def test_tampering_with_the_proof_options_breaks_the_proof(alice: dict[str, Any]) -> None:
    for field, value in [("created", "2020-01-01T00:00:00Z"), ("nonce", "x")]:
        doc = load("create_note.json")
        doc["proof"][field] = value
        key = multikey(alice, doc["proof"]["verificationMethod"])
        result = verify_proof_eddsa_jcs_2022(doc, key)
        assert isinstance(result, Rejected) and result.reason == "bad_signature", field


def test_rdf_signature_survives_reshaping_that_keeps_the_meaning_but_jcs_does_not(
    alice: dict[str, Any], alice_rsa: keys.PublicKey
) -> None:
    # `cc: "x"` and `cc: ["x"]` are the same RDF; JCS signs the JSON text as written.
    doc = load("create_note.json")
    doc["cc"] = [doc["cc"]]
    assert isinstance(verify_rsa_signature_2017(doc, alice_rsa), Verified)
    key = multikey(alice, doc["proof"]["verificationMethod"])
    assert verify_proof_eddsa_jcs_2022(doc, key) == Rejected(
        Failure.BAD_SIGNATURE,
        f"eddsa-jcs-2022 proof by {doc['proof']['verificationMethod']} does not match",
    )
    # ...while member order never matters to either
    reordered = dict(reversed(list(load("create_note.json").items())))
    assert isinstance(verify_rsa_signature_2017(reordered, alice_rsa), Verified)
    assert isinstance(verify_proof_eddsa_jcs_2022(reordered, key), Verified)


def test_someone_elses_key_does_not_verify(alice: dict[str, Any]) -> None:
    doc = load("create_note.json")
    other_rsa = keys.load_public_key(keys.generate_rsa().public_pem)
    other_ed = keys.load_public_key(keys.generate_ed25519().public_pem)
    assert verify_rsa_signature_2017(doc, other_rsa).reason == "bad_signature"  # type: ignore[union-attr]
    assert verify_proof_eddsa_jcs_2022(doc, other_ed).reason == "bad_signature"  # type: ignore[union-attr]
    # alice's RSA Multikey (#multikey-1) is not the proof's Ed25519 key
    rsa_multikey = multikey(alice, alice["assertionMethod"][0]["id"])
    assert verify_proof_eddsa_jcs_2022(doc, rsa_multikey).reason == "wrong_key_type"  # type: ignore[union-attr]
    assert verify_rsa_signature_2017(doc, other_ed).reason == "wrong_key_type"  # type: ignore[union-attr]


# --- our signatures, accepted by Fedify ------------------------------------------------------


def test_fedify_accepted_what_we_signed_and_we_still_sign_it_byte_for_byte(
    test_keys: tuple[rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey],
) -> None:
    rsa_key, ed_key = test_keys
    recorded = load("ours_verified_by_fedify.json")
    actor = recorded["stub_actor"]
    expected_by = {
        "rsa_signature_2017": "ld-signature",
        "eddsa_jcs_2022": "object-integrity-proof",
        "both": "ld-signature",
    }
    for result in recorded["results"]:
        assert result["status"] == 202, result["label"]
        assert result["fedify"]["verifiedBy"] == expected_by[result["label"]]
        signed = result["activity"]
        unsigned = {k: v for k, v in signed.items() if k not in ("signature", "proof")}
        again = unsigned
        if "proof" in signed:
            again = create_proof_eddsa_jcs_2022(
                again, ed_key, f"{actor['id']}#ed25519-key", CREATED
            )
        if "signature" in signed:
            again = sign_rsa_signature_2017(again, rsa_key, f"{actor['id']}#main-key", CREATED)
        assert again == signed, result["label"]


def test_we_verify_what_we_signed_for_fedify(
    test_keys: tuple[rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey],
) -> None:
    recorded = load("ours_verified_by_fedify.json")
    actor = recorded["stub_actor"]
    rsa_pub = keys.load_public_key(actor["publicKey"]["publicKeyPem"])
    ed_pub = multikey(actor, f"{actor['id']}#ed25519-key")
    assert rsa_pub.public_numbers() == test_keys[0].public_key().public_numbers()  # type: ignore[union-attr]
    for result in recorded["results"]:
        doc = result["activity"]
        if "signature" in doc:
            assert verify_rsa_signature_2017(doc, rsa_pub) == Verified(f"{actor['id']}#main-key")
        if "proof" in doc:
            assert verify_proof_eddsa_jcs_2022(doc, ed_pub) == Verified(
                f"{actor['id']}#ed25519-key"
            )


# --- round trips -----------------------------------------------------------------------------


def test_rsa_signature_2017_round_trip(
    test_keys: tuple[rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey],
) -> None:
    rsa_key, _ = test_keys
    doc = activity()
    signed = sign_rsa_signature_2017(doc, rsa_key, "https://coop.example/org#main-key", CREATED)
    assert doc == activity()  # the input is not modified
    assert signed["signature"]["type"] == "RsaSignature2017"
    assert signed["signature"]["created"] == "2025-11-01T12:00:00Z"
    assert verify_rsa_signature_2017(signed, rsa_key.public_key()) == Verified(
        "https://coop.example/org#main-key"
    )
    # re-signing replaces the signature rather than signing it
    later = sign_rsa_signature_2017(
        signed, rsa_key, "https://coop.example/org#main-key", CREATED + timedelta(hours=1)
    )
    assert later["signature"]["created"] == "2025-11-01T13:00:00Z"
    assert isinstance(verify_rsa_signature_2017(later, rsa_key.public_key()), Verified)


def test_eddsa_jcs_2022_round_trip(
    test_keys: tuple[rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey],
) -> None:
    _, ed_key = test_keys
    doc = activity()
    secured = create_proof_eddsa_jcs_2022(
        doc, ed_key, "https://coop.example/org#ed25519-key", CREATED
    )
    assert doc == activity()
    proof = secured["proof"]
    assert proof["type"] == "DataIntegrityProof" and proof["cryptosuite"] == "eddsa-jcs-2022"
    assert proof["@context"] == doc["@context"]  # what Mastodon needs to rebuild the config
    assert proof["proofValue"].startswith("z")
    assert proof_verification_method(secured) == "https://coop.example/org#ed25519-key"
    assert verify_proof_eddsa_jcs_2022(secured, ed_key.public_key()) == Verified(
        "https://coop.example/org#ed25519-key"
    )


@pytest.mark.parametrize("proof_first", [True, False])
def test_both_signatures_verify_whichever_came_first(
    proof_first: bool, test_keys: tuple[rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey]
) -> None:
    rsa_key, ed_key = test_keys
    doc = activity()
    if proof_first:
        doc = create_proof_eddsa_jcs_2022(doc, ed_key, "https://coop.example/org#ed", CREATED)
        doc = sign_rsa_signature_2017(doc, rsa_key, "https://coop.example/org#main-key", CREATED)
    else:
        doc = sign_rsa_signature_2017(doc, rsa_key, "https://coop.example/org#main-key", CREATED)
        doc = create_proof_eddsa_jcs_2022(doc, ed_key, "https://coop.example/org#ed", CREATED)
    assert isinstance(verify_rsa_signature_2017(doc, rsa_key.public_key()), Verified) is proof_first
    assert isinstance(verify_proof_eddsa_jcs_2022(doc, ed_key.public_key()), Verified)


def test_a_second_proof_makes_a_proof_set(
    test_keys: tuple[rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey],
) -> None:
    _, ed_key = test_keys
    other = ed25519.Ed25519PrivateKey.generate()
    doc = create_proof_eddsa_jcs_2022(activity(), ed_key, "https://coop.example/org#a", CREATED)
    doc = create_proof_eddsa_jcs_2022(doc, other, "https://network.example/g#b", CREATED)
    assert [p["verificationMethod"] for p in doc["proof"]] == [
        "https://coop.example/org#a",
        "https://network.example/g#b",
    ]
    assert verify_proof_eddsa_jcs_2022(doc, other.public_key()) == Verified(
        "https://network.example/g#b"
    )
    assert verify_proof_eddsa_jcs_2022(
        doc, ed_key.public_key(), verification_method="https://coop.example/org#a"
    ) == Verified("https://coop.example/org#a")
    missing = verify_proof_eddsa_jcs_2022(
        doc, ed_key.public_key(), verification_method="https://x.example#k"
    )
    assert isinstance(missing, Rejected) and missing.reason == "no_signature"


def test_created_must_be_timezone_aware_and_is_written_in_utc(
    test_keys: tuple[rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey],
) -> None:
    rsa_key, ed_key = test_keys
    with pytest.raises(ValueError):
        sign_rsa_signature_2017(activity(), rsa_key, "k", datetime(2025, 1, 1))
    with pytest.raises(ValueError):
        create_proof_eddsa_jcs_2022(activity(), ed_key, "k", datetime(2025, 1, 1))
    paris = timezone(timedelta(hours=1))
    signed = sign_rsa_signature_2017(
        activity(), rsa_key, "k", datetime(2025, 1, 1, 13, 30, 5, 999, tzinfo=paris)
    )
    assert signed["signature"]["created"] == "2025-01-01T12:30:05Z"


def test_signing_with_the_wrong_kind_of_key_is_a_programming_error(
    test_keys: tuple[rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey],
) -> None:
    rsa_key, ed_key = test_keys
    with pytest.raises(TypeError):
        sign_rsa_signature_2017(activity(), ed_key, "k", CREATED)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        create_proof_eddsa_jcs_2022(activity(), rsa_key, "k", CREATED)  # type: ignore[arg-type]


def test_signing_a_document_with_an_unbundled_context_fails_loudly(
    test_keys: tuple[rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey],
) -> None:
    # Mastodon would have to fetch such a context, and drops the activity when it cannot.
    doc = activity()
    doc["@context"].append("https://coop.example/ns")
    with pytest.raises(jsonld.UnknownContextError):
        sign_rsa_signature_2017(doc, test_keys[0], "k", CREATED)


# --- independent checks ----------------------------------------------------------------------


def independent_rsa_2017_verify(doc: dict[str, Any], public_key: rsa.RSAPublicKey) -> bool:
    """Mastodon's algorithm written out again on pyld's public normalize() and pyld's OWN
    bundled copies of the AS2 and security contexts (our files only where pyld has none)."""
    documents: dict[str, Any] = dict(PYLD_BUNDLED)
    documents["https://w3id.org/identity/v1"] = CONTEXTS / "identity-v1.json"
    documents["https://w3id.org/security/data-integrity/v1"] = (
        CONTEXTS / "security-data-integrity-v1.json"
    )
    options = {
        "algorithm": "URDNA2015",
        "format": "application/n-quads",
        "documentLoader": FrozenDocumentLoader(documents),
    }
    sig = doc["signature"]
    opts = {k: v for k, v in sig.items() if k not in ("type", "id", "signatureValue")}
    opts["@context"] = "https://w3id.org/identity/v1"
    body = {k: v for k, v in doc.items() if k != "signature"}
    message = (
        hashlib.sha256(pyld_jsonld.normalize(opts, options).encode()).hexdigest()
        + hashlib.sha256(pyld_jsonld.normalize(body, options).encode()).hexdigest()
    )
    try:
        public_key.verify(
            base64.b64decode(sig["signatureValue"]),
            message.encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except Exception:
        return False
    return True


def test_our_rsa_signature_2017_passes_an_independent_verifier(
    test_keys: tuple[rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey],
) -> None:
    rsa_key, _ = test_keys
    signed = sign_rsa_signature_2017(
        activity(), rsa_key, "https://coop.example/org#main-key", CREATED
    )
    assert independent_rsa_2017_verify(signed, rsa_key.public_key())
    tampered = copy.deepcopy(signed)
    tamper_content(tampered)
    assert not independent_rsa_2017_verify(tampered, rsa_key.public_key())


# W3C vc-di-eddsa test vector (TestVectors/eddsa-jcs-2022/signedJCS.json and keyPair.json in
# github.com/w3c/vc-di-eddsa): a credential, not an activity, but the same cryptosuite.
W3C_PUBLIC = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
W3C_PRIVATE = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"  # multicodec ed25519-priv
W3C_CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://www.w3.org/ns/credentials/examples/v2",
]
W3C_SIGNED = {
    "@context": W3C_CONTEXT,
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "description": "A minimum viable example of an Alumni Credential.",
    "issuer": "https://vc.example/issuers/5678",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
    "proof": {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "created": "2023-02-24T23:36:38Z",
        "verificationMethod": f"https://vc.example/issuers/5678#{W3C_PUBLIC}",
        "proofPurpose": "assertionMethod",
        "@context": W3C_CONTEXT,
        "proofValue": "z63t83Y53KfzJ5ZosfKTnqfMcKB2dmTrfjSaQjeNNjAD5srBowQfmWqeRb8rRjmeEuCBEsddF9LsVogtuTsijJKh4",
    },
}


def test_w3c_eddsa_jcs_2022_vector_verifies_and_is_reproduced_exactly() -> None:
    public = keys.public_key_from_multibase(W3C_PUBLIC)
    method = W3C_SIGNED["proof"]["verificationMethod"]  # type: ignore[index]
    assert verify_proof_eddsa_jcs_2022(W3C_SIGNED, public) == Verified(method)
    raw = keys.b58decode(W3C_PRIVATE[1:])
    assert raw[:2] == b"\x80\x26"
    private = ed25519.Ed25519PrivateKey.from_private_bytes(raw[2:])
    unsecured = {k: v for k, v in W3C_SIGNED.items() if k != "proof"}
    again = create_proof_eddsa_jcs_2022(
        unsecured, private, method, datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC)
    )
    assert again["proof"]["proofValue"] == W3C_SIGNED["proof"]["proofValue"]  # type: ignore[index]


# --- rejections with reasons -----------------------------------------------------------------


def reason(result: Verified | Rejected) -> str:
    assert isinstance(result, Rejected), result
    assert not result.detail.startswith("internal error"), result
    return result.reason


def test_rsa_rejections_say_why(alice_rsa: keys.PublicKey) -> None:
    base = load("create_note.json")
    assert (
        reason(
            verify_rsa_signature_2017(
                {k: v for k, v in base.items() if k != "signature"}, alice_rsa
            )
        )
        == "no_signature"
    )
    assert reason(verify_rsa_signature_2017([base], alice_rsa)) == "malformed"  # type: ignore[arg-type]
    assert reason(verify_rsa_signature_2017({**base, "signature": "x"}, alice_rsa)) == "malformed"
    other_type = {**base, "signature": {**base["signature"], "type": "Ed25519Signature2018"}}
    assert reason(verify_rsa_signature_2017(other_type, alice_rsa)) == "unsupported_type"
    no_creator = {
        **base,
        "signature": {k: v for k, v in base["signature"].items() if k != "creator"},
    }
    assert reason(verify_rsa_signature_2017(no_creator, alice_rsa)) == "malformed"
    not_b64 = {**base, "signature": {**base["signature"], "signatureValue": "!!!"}}
    assert reason(verify_rsa_signature_2017(not_b64, alice_rsa)) == "malformed"
    unknown = {**base, "@context": [*base["@context"], "https://unknown.example/ns"]}
    assert reason(verify_rsa_signature_2017(unknown, alice_rsa)) == "unknown_context"
    broken = {**base, "@context": {"@vocab": 7}}
    assert reason(verify_rsa_signature_2017(broken, alice_rsa)) == "canonicalization_failed"
    assert signature_creator(other_type) is None
    assert signature_creator("junk") is None


def test_lenient_base64_like_mastodon(alice_rsa: keys.PublicKey) -> None:
    doc = load("create_note.json")
    value = doc["signature"]["signatureValue"]
    doc["signature"]["signatureValue"] = "\n".join(
        value[i : i + 60] for i in range(0, len(value), 60)
    ).rstrip("=")
    assert isinstance(verify_rsa_signature_2017(doc, alice_rsa), Verified)


def test_proof_rejections_say_why(alice: dict[str, Any]) -> None:
    base = load("create_note.json")
    key = multikey(alice, base["proof"]["verificationMethod"])

    def with_proof(**changes: Any) -> dict[str, Any]:
        return {**base, "proof": {**base["proof"], **changes}}

    assert (
        reason(verify_proof_eddsa_jcs_2022({k: v for k, v in base.items() if k != "proof"}, key))
        == "no_signature"
    )
    assert (
        reason(verify_proof_eddsa_jcs_2022(with_proof(cryptosuite="eddsa-rdfc-2022"), key))
        == "unsupported_type"
    )
    assert reason(verify_proof_eddsa_jcs_2022({**base, "proof": 5}, key)) == "unsupported_type"
    assert (
        reason(verify_proof_eddsa_jcs_2022(with_proof(proofPurpose="authentication"), key))
        == "wrong_purpose"
    )
    assert reason(verify_proof_eddsa_jcs_2022(with_proof(proofValue="uMEUC"), key)) == "malformed"
    assert reason(verify_proof_eddsa_jcs_2022(with_proof(proofValue="z0OIl"), key)) == "malformed"
    assert reason(verify_proof_eddsa_jcs_2022(with_proof(proofValue="z2"), key)) == "malformed"
    assert reason(verify_proof_eddsa_jcs_2022(with_proof(created="yesterday"), key)) == "malformed"
    assert (
        reason(verify_proof_eddsa_jcs_2022(with_proof(verificationMethod=None), key)) == "malformed"
    )
    prefix = with_proof(**{"@context": ["https://www.w3.org/ns/activitystreams"]})
    assert reason(verify_proof_eddsa_jcs_2022(prefix, key)) == "malformed"
    nan = {**base, "object": {**base["object"], "votersCount": float("nan")}}
    assert reason(verify_proof_eddsa_jcs_2022(nan, key)) == "canonicalization_failed"
    assert proof_verification_method({"proof": {"type": "DataIntegrityProof"}}) is None
    assert proof_verification_method(None) is None


def test_oversized_documents_are_refused_before_any_canonicalisation(
    monkeypatch: pytest.MonkeyPatch, alice: dict[str, Any], alice_rsa: keys.PublicKey
) -> None:
    def boom(*args: Any, **kwargs: Any) -> str:
        raise AssertionError("canonicalised a document that is too complex")

    monkeypatch.setattr(jsonld, "canonize", boom)
    doc = load("create_note.json")
    deep: Any = "x"
    for _ in range(50):
        deep = {"a": deep}
    doc["object"]["attachment"] = deep
    assert reason(verify_rsa_signature_2017(doc, alice_rsa)) == "too_complex"
    key = multikey(alice, doc["proof"]["verificationMethod"])
    assert reason(verify_proof_eddsa_jcs_2022(doc, key)) == "too_complex"
    doc["object"]["attachment"] = ["x"] * 1000
    assert reason(verify_rsa_signature_2017(doc, alice_rsa)) == "too_complex"


# --- junk never raises -----------------------------------------------------------------------

junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=15,
)
contexts = (
    st.sampled_from(
        [
            "https://www.w3.org/ns/activitystreams",
            ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "https://unknown.example/ctx",
            {"@vocab": "http://example.org/"},
            {"@vocab": 3},
            None,
        ]
    )
    | junk
)
b64_values = st.binary(max_size=300).map(lambda b: base64.b64encode(b).decode())
b58_signatures = st.binary(min_size=64, max_size=64).map(lambda b: "z" + keys.b58encode(b))
# Mostly well-formed signatures and proofs (so that junk documents reach canonicalisation and
# the cryptographic check), plus loose ones with any field missing or of any type.
signatures = st.fixed_dictionaries(
    {
        "type": st.just("RsaSignature2017"),
        "creator": st.text(max_size=30),
        "signatureValue": b64_values,
    },
    optional={"created": st.just("2025-01-01T00:00:00Z") | junk, "id": junk},
) | st.fixed_dictionaries(
    {"type": st.sampled_from(["RsaSignature2017", "x"]) | junk},
    optional={"creator": junk, "created": junk, "signatureValue": st.text(max_size=40) | junk},
)
proofs = st.fixed_dictionaries(
    {
        "type": st.just("DataIntegrityProof"),
        "cryptosuite": st.just("eddsa-jcs-2022"),
        "verificationMethod": st.text(max_size=30),
        "proofPurpose": st.just("assertionMethod"),
        "proofValue": b58_signatures,
    },
    optional={"created": st.just("2025-01-01T00:00:00Z") | junk, "@context": contexts},
) | st.fixed_dictionaries(
    {"type": st.just("DataIntegrityProof") | junk, "cryptosuite": st.just("eddsa-jcs-2022") | junk},
    optional={
        "verificationMethod": junk,
        "proofPurpose": st.just("assertionMethod") | junk,
        "proofValue": st.text(alphabet="z123456789ABCDEFGHJKLMNPQRSTUVWXYZ", max_size=90) | junk,
        "created": junk,
        "@context": contexts,
    },
)
documents = (
    st.fixed_dictionaries(
        {"@context": contexts},
        optional={
            "signature": signatures | junk,
            "proof": proofs | st.lists(proofs, max_size=2) | junk,
            "id": junk,
            "type": junk,
            "object": junk,
        },
    )
    | junk
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_verifiers_never_raise_on_junk(doc: Any) -> None:
    rsa_pub = _JUNK_KEYS[0]
    ed_pub = _JUNK_KEYS[1]
    for result in (
        verify_rsa_signature_2017(doc, rsa_pub),
        verify_proof_eddsa_jcs_2022(doc, ed_pub),
        verify_proof_eddsa_jcs_2022(doc, ed_pub, verification_method="x"),
    ):
        reason(result)
    signature_creator(doc)
    proof_verification_method(doc)


_JUNK_KEYS = (
    rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key(),
    ed25519.Ed25519PrivateKey.generate().public_key(),
)
