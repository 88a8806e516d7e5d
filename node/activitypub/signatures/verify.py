"""Verifying a signed HTTP request, in two steps so the caller can resolve the key between them::

    req = RequestParts.from_url("POST", url, headers, body)
    info = parse_signature(req)              # SignatureInfo, or a Failure: which key signed it?
    ...resolve info.key_id to a keys.PublicKey...
    result = verify(req, info, public_key, now=clock())   # Verified, or Rejected(reason, detail)

``check_request`` runs every check that needs no key (covered components, clock, digests), so an
inbox can refuse a request before it fetches anything; ``verify`` runs it again, it is cheap.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from node.activitypub import keys
from node.activitypub.signatures import cavage, rfc9421
from node.activitypub.signatures.algorithms import verify_bytes
from node.activitypub.signatures.dates import epoch, parse_http_date, span
from node.activitypub.signatures.digests import check_content_digest, check_digest
from node.activitypub.signatures.request import (
    DEFAULT_WINDOW,
    ClockWindow,
    RequestParts,
    SignatureInfo,
)
from node.activitypub.signatures.results import Failure, Rejected, Spec, Verified

__all__ = ["check_request", "parse_signature", "verify"]


def parse_signature(
    req: RequestParts, *, specs: Collection[Spec] = ("rfc9421", "draft-cavage")
) -> SignatureInfo | Failure:
    """Find and parse the request's signature, without checking it.

    RFC 9421 when both ``Signature-Input`` and ``Signature`` are present, draft-cavage from
    ``Signature`` (or ``Authorization: Signature ...``) otherwise. ``specs`` limits what is
    accepted; a cavage-only parse of an RFC 9421 request is a MALFORMED_SIGNATURE.
    """
    headers = req.headers
    signature = headers.get("signature")
    signature_input = headers.get("signature-input")
    if signature_input is not None and "rfc9421" in specs:
        if signature is None:
            return Failure.MALFORMED_SIGNATURE
        return rfc9421.parse_rfc9421(signature_input, signature)
    if "draft-cavage" not in specs:
        return Failure.NO_SIGNATURE
    if signature is None:
        # httpsig and old node-http-signature put it in Authorization, as the draft also allows.
        authorization = headers.get("authorization", "")
        if authorization[:10].lower() == "signature ":
            signature = authorization[10:]
    if signature is None:
        return Failure.NO_SIGNATURE
    parsed = cavage.parse_cavage(signature)
    if (
        parsed is Failure.MALFORMED_SIGNATURE
        and signature_input is None
        and "rfc9421" in specs
        and rfc9421.looks_like_rfc9421(signature)
    ):
        return Failure.SIGNATURE_INPUT_MISSING
    return parsed


def check_request(
    req: RequestParts,
    info: SignatureInfo,
    *,
    now: float | datetime,
    window: ClockWindow = DEFAULT_WINDOW,
) -> Rejected | None:
    """Everything but the cryptography: covered components, clock window, body digest.

    Returns None when the request passes. Cheap; lets an inbox refuse a request before it
    resolves (and perhaps fetches) the key.
    """
    instant = epoch(now)
    covered = frozenset(info.components)
    if info.spec == "draft-cavage":
        missing = cavage.missing_components(req, covered)
    else:
        missing = rfc9421.missing_components(req, info, covered)
    if missing:
        return Rejected(
            Failure.MISSING_SIGNED_HEADER,
            f"the signature must cover {', '.join(missing)}; "
            f"it covers: {' '.join(info.components)[:300]}",
        )
    rejected = _check_times(req, info, covered, instant, window)
    if rejected is not None:
        return rejected
    if info.spec == "draft-cavage":
        if "digest" in covered:
            return check_digest(req.headers.get("digest"), req.body or b"")
    elif "content-digest" in covered:
        return check_content_digest(req.headers.get("content-digest"), req.body or b"")
    return None


def _check_times(
    req: RequestParts,
    info: SignatureInfo,
    covered: frozenset[str],
    now: float,
    window: ClockWindow,
) -> Rejected | None:
    if info.spec == "draft-cavage":
        for pseudo, stamp in (("(created)", info.created), ("(expires)", info.expires)):
            if pseudo in covered and stamp is None:
                return Rejected(
                    Failure.MALFORMED_SIGNATURE,
                    f"{pseudo} is signed but the {pseudo[1:-1]} parameter is missing",
                )
    # An explicit expiry is the more precise reason, so it is checked first.
    if info.expires is not None and now > info.expires + window.future:
        return Rejected(Failure.EXPIRED, f"the signature expired {span(now - info.expires)} ago")
    if info.created is not None:
        rejected = _check_instant("the created parameter", info.created, now, window)
        if rejected is not None:
            return rejected
    if "date" in covered:
        date = req.headers.get("date")
        if date is None:
            return Rejected(Failure.MISSING_HEADER, "date is signed but there is no Date header")
        sent = parse_http_date(date)
        if sent is None:
            return Rejected(Failure.MALFORMED_DATE, f"Date {date[:64]!r} is not an HTTP date")
        return _check_instant(f"Date {date}", sent, now, window)
    return None


def _check_instant(what: str, when: float, now: float, window: ClockWindow) -> Rejected | None:
    if when > now + window.future:
        return Rejected(
            Failure.CLOCK_SKEW,
            f"{what} is {span(when - now)} ahead of our clock "
            f"(at most {span(window.future)} accepted)",
        )
    if when < now - window.past:
        return Rejected(
            Failure.CLOCK_SKEW,
            f"{what} is {span(now - when)} old (at most {span(window.past)} accepted)",
        )
    return None


def verify(
    req: RequestParts,
    info: SignatureInfo,
    public_key: keys.PublicKey,
    *,
    now: float | datetime,
    window: ClockWindow = DEFAULT_WINDOW,
) -> Verified | Rejected:
    """Check a parsed signature against the signer's public key (from keys.load_public_key).

    Runs ``check_request`` first, then the cryptography. A BAD_SIGNATURE may mean the signer
    rotated its key: refetch the key once and call again, as Mastodon does.
    """
    rejected = check_request(req, info, now=now, window=window)
    if rejected is not None:
        return rejected
    if info.spec == "draft-cavage":
        algorithms = cavage.algorithms_for(info.algorithm, public_key)
        messages = cavage.signing_strings(req, info)
    else:
        algorithms = rfc9421.algorithms_for(info.algorithm, public_key)
        base = rfc9421.signature_base(req, info.components, info.signature_params)
        messages = base if isinstance(base, Rejected) else [base]
    if isinstance(algorithms, Rejected):
        return algorithms
    if isinstance(messages, Rejected):
        return messages
    for message in messages:
        for algorithm in algorithms:
            if verify_bytes(algorithm, public_key, info.signature, message):
                return Verified(key_id=info.key_id, spec=info.spec, algorithm=algorithm)
    return Rejected(
        Failure.BAD_SIGNATURE,
        f"the {info.spec} signature does not verify with {info.key_id[:200]}",
    )
