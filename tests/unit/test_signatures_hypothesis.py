"""Property tests: whatever a remote party puts in the signature headers, we answer with a reason.

Every header a sender controls (Signature, Signature-Input, Digest, Content-Digest, Date, and
the signed headers themselves) is fed arbitrary text and text built from structured-field
punctuation; nothing may raise. Round trips check that what we sign, we verify.
"""

from __future__ import annotations

from functools import lru_cache

from hypothesis import given, settings
from hypothesis import strategies as st

from node.activitypub import keys
from node.activitypub import signatures as sig
from node.activitypub import structured_fields as sf
from node.activitypub.signatures import (
    Failure,
    Rejected,
    RequestParts,
    SignatureInfo,
    Verified,
    check_request,
    http_date,
    parse_signature,
    sign_cavage,
    sign_rfc9421,
    verify,
)

NOW = 1_750_000_000.0
KEY_ID = "https://mastodon.example/users/bob#main-key"
PROPERTIES = settings(max_examples=250, deadline=None)

# Text made of the characters that steer the parsers, so that examples reach deep paths.
SF_PUNCTUATION = [*'sig1=()";:,?*-@ \t\\/+.09azAZ', "keyid", "created", "sha-256", "alg"]
sf_like = st.lists(st.sampled_from(SF_PUNCTUATION), max_size=60).map("".join)
cavage_like = st.lists(
    st.sampled_from(
        [
            *("keyId", "signature", "headers", "algorithm", "created", "=", '"', ",", " ", "\\"),
            *("hs2019", "rsa-sha256", "(request-target)", "AAAA", "date", "12", ":"),
        ]
    ),
    max_size=40,
).map("".join)
hostile = st.one_of(st.text(max_size=400), sf_like, cavage_like)


@lru_cache(maxsize=1)
def ed25519_pair() -> tuple[keys.PrivateKey, keys.PublicKey]:
    pair = keys.generate_ed25519()
    return keys.load_private_key(pair.private_pem), keys.load_public_key(pair.public_pem)


def inbox_request(headers: dict[str, str], body: bytes = b"{}") -> RequestParts:
    base = {"host": "solidarity.example", "date": http_date(NOW)}
    return RequestParts("POST", "/users/alice/inbox", {**base, **headers}, body)


@PROPERTIES
@given(signature=hostile)
def test_any_signature_header_gives_info_or_a_failure(signature: str) -> None:
    for specs in (("rfc9421", "draft-cavage"), ("draft-cavage",)):
        result = parse_signature(inbox_request({"signature": signature}), specs=specs)  # type: ignore[arg-type]
        assert isinstance(result, SignatureInfo | Failure)


@PROPERTIES
@given(signature_input=hostile, signature=hostile)
def test_any_signature_input_gives_info_or_a_failure(signature_input: str, signature: str) -> None:
    req = inbox_request({"signature-input": signature_input, "signature": signature})
    result = parse_signature(req)
    assert isinstance(result, SignatureInfo | Failure)
    if isinstance(result, SignatureInfo):
        assert result.spec == "rfc9421"
        assert verify(req, result, ed25519_pair()[1], now=NOW).__class__ in (Verified, Rejected)


@PROPERTIES
@given(digest=hostile, body=st.binary(max_size=64))
def test_any_digest_header_gives_a_reason(digest: str, body: bytes) -> None:
    info = SignatureInfo(
        spec="draft-cavage",
        key_id=KEY_ID,
        algorithm="rsa-sha256",
        components=("(request-target)", "host", "date", "digest"),
        created=None,
        expires=None,
        signature=b"\0" * 256,
    )
    result = check_request(inbox_request({"digest": digest}, body), info, now=NOW)
    assert result is None or isinstance(result, Rejected)


@PROPERTIES
@given(digest=hostile, body=st.binary(max_size=64))
def test_any_content_digest_header_gives_a_reason(digest: str, body: bytes) -> None:
    info = SignatureInfo(
        spec="rfc9421",
        key_id=KEY_ID,
        algorithm="ed25519",
        components=("@method", "@target-uri", "content-digest"),
        created=int(NOW),
        expires=None,
        signature=b"\0" * 64,
        label="sig1",
        signature_params='("@method" "@target-uri" "content-digest");created=1750000000',
    )
    result = check_request(inbox_request({"content-digest": digest}, body), info, now=NOW)
    assert result is None or isinstance(result, Rejected)


@PROPERTIES
@given(
    name=st.sampled_from(["host", "date", "digest", "content-type", "content-digest", "accept"]),
    value=st.text(max_size=120),
    spec=st.sampled_from(["cavage", "rfc9421"]),
)
def test_a_signed_request_with_any_header_replaced_never_raises(
    name: str, value: str, spec: str
) -> None:
    private, public = ed25519_pair()
    sign = sign_cavage if spec == "cavage" else sign_rfc9421
    headers = sign(
        "POST",
        "https://solidarity.example/users/alice/inbox",
        {"Content-Type": "application/activity+json"},
        b'{"type":"Follow"}',
        key_id=KEY_ID,
        private_key=private,
        now=NOW,
    )
    headers = {k.lower(): v for k, v in headers.items()}
    headers[name] = value
    req = RequestParts("POST", "/users/alice/inbox", headers, b'{"type":"Follow"}')
    info = parse_signature(req)
    assert isinstance(info, SignatureInfo)
    assert isinstance(verify(req, info, public, now=NOW), Verified | Rejected)


@PROPERTIES
@given(value=st.text(max_size=80))
def test_any_date_parses_or_is_refused(value: str) -> None:
    parsed = sig._parse_http_date(value)
    assert parsed is None or isinstance(parsed, float)


# --- structured fields -------------------------------------------------------------------------

component = st.sampled_from(
    ["@method", "@target-uri", "@authority", "@path", "@query", "host", "date", "x-custom"]
)
sf_string = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


@st.composite
def signature_inputs(draw: st.DrawFn) -> tuple[str, str, tuple[str, ...]]:
    """A Signature-Input member: (canonical text, the same with optional whitespace, names)."""
    names = tuple(draw(st.lists(component, unique=True, max_size=6)))
    key_id = draw(sf_string)
    created = draw(st.integers(min_value=0, max_value=10**12))
    nonce = draw(st.none() | sf_string)
    quoted = [f'"{n}"' for n in names]
    pieces = [f'keyid="{_escape(key_id)}"', f"created={created}"]
    if nonce is not None:
        pieces.append(f'nonce="{_escape(nonce)}"')
    canonical = "sig1=(" + " ".join(quoted) + ")" + "".join(";" + p for p in pieces)
    pad = draw(st.sampled_from(["", " ", "  "]))
    spaced = (
        "sig1=(" + pad + (" " + pad).join(quoted) + pad + ")" + "".join("; " + p for p in pieces)
    )
    return canonical, spaced, names


@PROPERTIES
@given(member=signature_inputs())
def test_signature_params_reserialise_canonically(member: tuple[str, str, tuple[str, ...]]) -> None:
    canonical, spaced, names = member
    parsed = sf._sf_dictionary(canonical)
    reparsed = sf._sf_dictionary(spaced)
    assert parsed is not None and reparsed is not None
    # The canonical form takes the fast path, the spaced one the general parser: same result.
    assert parsed == reparsed
    inner = parsed["sig1"]
    assert isinstance(inner, sf._InnerList)
    assert tuple(item.value for item in inner.items) == names
    assert "sig1=" + sf._ser_inner_list(inner) == canonical


@PROPERTIES
@given(text=sf_like)
def test_structured_dictionaries_round_trip_when_they_parse(text: str) -> None:
    parsed = sf._sf_dictionary(text)
    if parsed is None:
        return
    for member in parsed.values():
        if isinstance(member, sf._InnerList):
            again = sf._sf_dictionary("k=" + sf._ser_inner_list(member))
            assert again == {"k": member}


# --- round trips ---------------------------------------------------------------------------------

path_text = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyz0123456789-._~%/", min_size=0, max_size=40
).map(lambda p: "/" + p.lstrip("/"))
query_text = st.none() | st.text(alphabet="abcxyz0123456789=&%-._~+", max_size=30)


@PROPERTIES
@given(
    path=path_text,
    query=query_text,
    body=st.none() | st.binary(max_size=200),
    spec=st.sampled_from(["cavage", "rfc9421"]),
    skew=st.floats(min_value=-3800, max_value=3500),
)
def test_what_we_sign_we_verify(
    path: str, query: str | None, body: bytes | None, spec: str, skew: float
) -> None:
    private, public = ed25519_pair()
    url = "https://solidarity.example" + path + (f"?{query}" if query else "")
    method = "GET" if body is None else "POST"
    sign = sign_cavage if spec == "cavage" else sign_rfc9421
    headers = sign(method, url, None, body, key_id=KEY_ID, private_key=private, now=NOW + skew)
    req = RequestParts.from_url(method, url, headers, body)
    info = parse_signature(req)
    assert isinstance(info, SignatureInfo)
    assert isinstance(verify(req, info, public, now=NOW), Verified)
    if body:
        flipped = bytes([body[0] ^ 1]) + body[1:]
        tampered = RequestParts.from_url(method, url, headers, flipped)
        result = verify(tampered, info, public, now=NOW)
        assert isinstance(result, Rejected) and result.reason is Failure.DIGEST_MISMATCH
