"""Benchmark (not a test): inbox signature verifications per second, ours against httpsig.

Each iteration is what an inbox does per POST once the key is known: build the request parts,
parse the signature, check clock and digest, verify RSA-2048. The baseline is httpsig's
HeaderVerifier on the same draft-cavage request (it parses the PEM on every call, having no
way to take a parsed key; the bare cryptography verify is printed as the ceiling).

    .venv/bin/python bench/bench_signatures.py [seconds-per-case]
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable

import httpsig
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from node.activitypub import keys
from node.activitypub.signatures.cavage import sign_cavage
from node.activitypub.signatures.request import RequestParts, SignatureInfo
from node.activitypub.signatures.results import Verified
from node.activitypub.signatures.rfc9421 import sign_rfc9421
from node.activitypub.signatures.verify import parse_signature
from node.activitypub.signatures.verify import verify as verify_signature

NOW = 1_750_000_000.0
INBOX = "https://solidarity.example/users/alice/inbox"
KEY_ID = "https://mastodon.example/users/bob#main-key"
BODY = json.dumps(
    {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://mastodon.example/users/bob#follows/4711",
        "type": "Follow",
        "actor": "https://mastodon.example/users/bob",
        "object": "https://solidarity.example/users/alice",
    }
).encode()


def rate(fn: Callable[[], object], seconds: float) -> float:
    """Calls per CPU-second (process time, so other load on the machine matters less)."""
    fn()
    calls, start = 0, time.process_time()
    while (elapsed := time.process_time() - start) < seconds:
        for _ in range(50):
            fn()
        calls += 50
    return calls / elapsed


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    pair = keys.generate_rsa()
    private, public = keys.load_private_key(pair.private_pem), keys.load_public_key(pair.public_pem)
    headers = {"Content-Type": "application/activity+json"}
    cavage = sign_cavage("POST", INBOX, headers, BODY, key_id=KEY_ID, private_key=private, now=NOW)
    rfc9421 = sign_rfc9421(
        "POST", INBOX, headers, BODY, key_id=KEY_ID, private_key=private, now=NOW
    )

    def ours(signed: dict[str, str]) -> Callable[[], object]:
        def run() -> object:
            req = RequestParts.from_url("POST", INBOX, signed, BODY)
            info = parse_signature(req)
            assert isinstance(info, SignatureInfo)
            result = verify_signature(req, info, public, now=NOW)
            assert isinstance(result, Verified)
            return result

        return run

    def with_httpsig() -> object:
        verifier = httpsig.HeaderVerifier(
            cavage,
            pair.public_pem,
            required_headers=["(request-target)", "host", "date", "digest"],
            method="POST",
            path="/users/alice/inbox",
            sign_header="signature",
        )
        ok = verifier.verify()
        assert ok
        return ok

    assert isinstance(private, rsa.RSAPrivateKey) and isinstance(public, rsa.RSAPublicKey)
    message = b"x" * 300
    raw_signature = private.sign(message, padding.PKCS1v15(), hashes.SHA256())

    def bare() -> None:
        public.verify(raw_signature, message, padding.PKCS1v15(), hashes.SHA256())

    figures = {
        "ours, draft-cavage POST": rate(ours(cavage), seconds),
        "ours, RFC 9421 POST": rate(ours(rfc9421), seconds),
        "httpsig HeaderVerifier, draft-cavage POST": rate(with_httpsig, seconds),
        "bare cryptography RSA-2048 verify (ceiling)": rate(bare, seconds),
    }
    for name, value in figures.items():
        print(f"{name:46s} {value:9.0f} /s per core")
    baseline = figures["httpsig HeaderVerifier, draft-cavage POST"]
    ceiling = figures["bare cryptography RSA-2048 verify (ceiling)"]
    for name in ("ours, draft-cavage POST", "ours, RFC 9421 POST"):
        print(
            f"{name}: {figures[name] / baseline:.1f}x httpsig, "
            f"{figures[name] / ceiling:.0%} of the bare verify"
        )


if __name__ == "__main__":
    main()
