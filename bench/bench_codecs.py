"""Benchmark (not a test): the RFC codecs on the hot paths, the libraries against our old code.

* RFC 9421 verification parses ``Signature-Input`` and ``Signature`` (and ``Content-Digest``)
  as RFC 8941 dictionaries and re-serialises the covered components (``@signature-params``);
* an eddsa-jcs-2022 proof hashes the JCS (RFC 8785) form of the proof options and the activity.

The old hand-written codecs are read from git (commit 79d7af4, the last to have them), so
this runs only in a checkout with history::

    .venv/bin/python bench/bench_codecs.py [seconds-per-case]
"""

from __future__ import annotations

import subprocess
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

from node.activitypub import jcs
from node.activitypub.signatures import rfc9421

OLD_COMMIT = "79d7af4"
ROOT = Path(__file__).resolve().parents[1]

SIGNATURE_INPUT = (
    'sig1=("@method" "@target-uri" "@authority" "host" "date" "content-digest")'
    ';alg="rsa-v1_5-sha256";keyid="https://fedify.example/users/bob#main-key";created=1750000000'
)
SIGNATURE = "sig1=:" + "A" * 342 + "==:"
CONTENT_DIGEST = "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
ACTIVITY: dict[str, Any] = {
    "@context": [
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/data-integrity/v1",
    ],
    "id": "https://solidarity.example/users/alice/activities/1f3c",
    "type": "Create",
    "actor": "https://solidarity.example/users/alice",
    "published": "2025-06-15T15:06:40Z",
    "to": ["https://www.w3.org/ns/activitystreams#Public"],
    "cc": ["https://solidarity.example/users/alice/followers"],
    "object": {
        "id": "https://solidarity.example/users/alice/items/42",
        "type": "Event",
        "name": "Assemblée générale de la coopérative",
        "content": "<p>Ordre du jour : bilan, budget, élection du conseil.</p>" * 4,
        "startTime": "2025-07-01T18:00:00+02:00",
        "location": {"type": "Place", "name": "Maison des associations", "latitude": 45.76},
        "tag": [{"type": "Hashtag", "name": f"#tag{i}"} for i in range(6)],
    },
}
PROOF_OPTIONS = {
    "@context": ACTIVITY["@context"],
    "type": "DataIntegrityProof",
    "cryptosuite": "eddsa-jcs-2022",
    "verificationMethod": "https://solidarity.example/users/alice#ed25519-key",
    "proofPurpose": "assertionMethod",
    "created": "2025-06-15T15:06:40Z",
}


def _old(path: str, name: str) -> types.ModuleType:
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{OLD_COMMIT}:{path}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    module = types.ModuleType(name)
    sys.modules[name] = module  # dataclasses and NamedTuples look their module up
    exec(compile(source, path, "exec"), module.__dict__)  # our own old code, from git
    return module


def rate(fn: Callable[[], object], seconds: float) -> float:
    """Calls per second of ``fn`` over about ``seconds``."""
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(200):
            fn()
        count += 200
    return count / elapsed


def main() -> None:
    """Print calls per second, old code against the library, for each hot-path step."""
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    old_sf = _old("node/activitypub/structured_fields.py", "old_structured_fields")
    old_jcs = _old("node/activitypub/jcs.py", "old_jcs")

    def old_parse() -> object:
        inner = old_sf._sf_dictionary(SIGNATURE_INPUT)["sig1"]
        return old_sf._sf_dictionary(SIGNATURE), old_sf._ser_inner_list(inner)

    def new_parse() -> object:
        inner = rfc9421.sf_dictionary(SIGNATURE_INPUT)["sig1"]  # type: ignore[index]
        return rfc9421.sf_dictionary(SIGNATURE), rfc9421.ser_inner_list(inner)  # type: ignore[arg-type]

    cases = [
        ("Signature-Input + Signature", old_parse, new_parse),
        (
            "Content-Digest",
            lambda: old_sf._sf_dictionary(CONTENT_DIGEST),
            lambda: rfc9421.sf_dictionary(CONTENT_DIGEST),
        ),
        (
            "JCS proof options + activity",
            lambda: (old_jcs.canonicalize(PROOF_OPTIONS), old_jcs.canonicalize(ACTIVITY)),
            lambda: (jcs.canonicalize(PROOF_OPTIONS), jcs.canonicalize(ACTIVITY)),
        ),
    ]
    for label, old, new in cases:
        assert old() == new(), label
        old_rate, new_rate = rate(old, seconds), rate(new, seconds)
        print(
            f"{label:30} old {old_rate:8.0f}/s  library {new_rate:8.0f}/s  "
            f"(library time = {old_rate / new_rate:.1f}x old)"
        )


if __name__ == "__main__":
    main()
