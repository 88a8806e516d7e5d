"""The RFCs' own examples, run through the libraries we use for them.

RFC 8941 (structured fields, via ``http_sf`` and the adapter in ``signatures.rfc9421``),
RFC 9421 (the signature base of section 2.5 and the Signature-Input of appendix B.2.1),
RFC 9530 (the Content-Digest of its examples) and RFC 8785 (JCS, via ``rfc8785``).
"""

from __future__ import annotations

from decimal import Decimal

import http_sf
import pytest
import rfc8785

from node.activitypub.jcs import canonicalize
from node.activitypub.signatures.digests import check_content_digest
from node.activitypub.signatures.request import RequestParts
from node.activitypub.signatures.rfc9421 import (
    InnerList,
    Item,
    ser_inner_list,
    sf_dictionary,
    signature_base,
)
from node.activitypub.signatures.verify import check_request, parse_signature

# --- RFC 8941 --------------------------------------------------------------------------------


def test_rfc8941_dictionary_of_strings_and_byte_sequences() -> None:
    # Section 3.2.
    parsed = sf_dictionary('en="Applepie", da=:w4ZibGV0w6ZydGU=:')
    assert parsed == {
        "en": Item("Applepie", {}),
        "da": Item("Æbletærte".encode(), {}),
    }


def test_rfc8941_dictionary_booleans_and_parameters() -> None:
    # Section 3.2: a member without a value is true; parameters follow it.
    parsed = sf_dictionary("a=?0, b, c; foo=bar")
    assert parsed == {
        "a": Item(False, {}),
        "b": Item(True, {}),
        "c": Item(True, {"foo": http_sf.Token("bar")}),
    }


def test_rfc8941_dictionary_with_a_decimal_and_an_inner_list() -> None:
    # Section 3.2.
    parsed = sf_dictionary("rating=1.5, feelings=(joy sadness)")
    assert parsed == {
        "rating": Item(Decimal("1.5"), {}),
        "feelings": InnerList(
            (Item(http_sf.Token("joy"), {}), Item(http_sf.Token("sadness"), {})), {}
        ),
    }


@pytest.mark.parametrize(
    "text",
    [
        "a=1,",
        "a=(1 2",
        'a="unterminated',
        "A=1",
        "a=:not base64!:",
        "a=1 b=2",
        "a=12345678901234567",
    ],
)
def test_rfc8941_malformed_dictionaries_are_refused(text: str) -> None:
    assert sf_dictionary(text) is None


def test_rfc8941_inner_list_serialises_canonically() -> None:
    # Section 4.1: one space between items, parameters without spaces, strings quoted.
    parsed = sf_dictionary('k=(  "a"   "b";x=?1 );y=1.50;z="q\\"t"')
    assert parsed is not None
    inner = parsed["k"]
    assert isinstance(inner, InnerList)
    assert ser_inner_list(inner) == '("a" "b";x);y=1.5;z="q\\"t"'


# --- RFC 9421 and RFC 9530 -------------------------------------------------------------------

BODY = b'{"hello": "world"}'
# The test request of RFC 9421 section 2.5 (and appendix B.2).
REQUEST = RequestParts(
    "POST",
    "/foo?param=Value&Pet=dog",
    {
        "Host": "example.com",
        "Date": "Tue, 20 Apr 2021 02:07:55 GMT",
        "Content-Type": "application/json",
        "Content-Digest": "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7"
        "BNNyealdVLvRwEmTHWXvJwew==:",
        "Content-Length": "18",
    },
    BODY,
)


def test_rfc9530_content_digest_of_the_example_body() -> None:
    assert check_content_digest(REQUEST.headers["content-digest"], BODY) is None
    assert (
        check_content_digest("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", BODY) is None
    )


def test_rfc9421_section_2_5_signature_base() -> None:
    signature_input = (
        'sig1=("@method" "@authority" "@path" "content-digest" "content-length" "content-type")'
        ';created=1618884473;keyid="test-key-rsa-pss"'
    )
    headers = {**REQUEST.headers, "signature-input": signature_input, "signature": "sig1=:AAAA:"}
    info = parse_signature(RequestParts("POST", REQUEST.path, headers, BODY))
    assert not isinstance(info, str)
    assert info.key_id == "test-key-rsa-pss" and info.created == 1618884473
    assert info.signature_params == signature_input.removeprefix("sig1=")
    base = signature_base(REQUEST, info.components, info.signature_params)
    assert base == (
        b'"@method": POST\n'
        b'"@authority": example.com\n'
        b'"@path": /foo\n'
        b'"content-digest": sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7'
        b"BNNyealdVLvRwEmTHWXvJwew==:\n"
        b'"content-length": 18\n'
        b'"content-type": application/json\n'
        b'"@signature-params": ("@method" "@authority" "@path" "content-digest" "content-length"'
        b' "content-type");created=1618884473;keyid="test-key-rsa-pss"'
    )


def test_rfc9421_b_2_1_minimal_signature_covers_too_little_for_an_inbox() -> None:
    # Appendix B.2.1: an empty inner list with parameters is well-formed; we still refuse it.
    signature_input = (
        'sig-b21=();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd"'
    )
    parsed = sf_dictionary(signature_input)
    assert parsed is not None and parsed["sig-b21"] == InnerList(
        (), {"created": 1618884473, "keyid": "test-key-rsa-pss", "nonce": "b3k2pp5k7z-50gnwp.yemd"}
    )
    headers = {**REQUEST.headers, "signature-input": signature_input, "signature": "sig-b21=:AAAA:"}
    req = RequestParts("POST", REQUEST.path, headers, BODY)
    info = parse_signature(req)
    assert not isinstance(info, str) and info.components == ()
    rejected = check_request(req, info, now=1618884473)
    assert rejected is not None and rejected.reason == "missing_signed_header"


# --- RFC 8785 --------------------------------------------------------------------------------


def test_rfc8785_section_3_2_2_sample_through_the_library() -> None:
    value = {
        "numbers": [333333333.33333329, 1e30, 4.50, 2e-3, 0.000000000000000000000000001],
        "string": "\u20ac$\u000f\u000aA'\u0042\u0022\u005c\\\"/",
        "literals": [None, True, False],
    }
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    ).encode()
    assert rfc8785.dumps(value) == expected == canonicalize(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (0.0, "0"),
        (-0.0, "0"),
        (1e21, "1e+21"),
        (1e-7, "1e-7"),
        (0.000001, "0.000001"),
        (4.5, "4.5"),
        (1.0, "1"),
        (9007199254740991, "9007199254740991"),
        (1e23, "1e+23"),
    ],
)
def test_rfc8785_number_serialisation(number: float, text: str) -> None:
    assert canonicalize(number) == text.encode()
