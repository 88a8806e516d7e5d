"""JCS (RFC 8785) through the ``rfc8785`` library and our adapter (``node.activitypub.jcs``): the
examples of the RFC, vectors recorded from Fedify's JCS library, and properties that must hold
for any JSON."""

from __future__ import annotations

import json
import math
import random
import struct
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from node.activitypub.jcs import JcsError, canonicalize

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "fedify"


def number_to_string(number: int | float) -> str:
    """A number alone, canonicalised: how ECMAScript's Number.prototype.toString prints it."""
    return canonicalize(number).decode("ascii")


def test_rfc8785_section_3_2_2_sample_object() -> None:
    value = {
        "numbers": [333333333.33333329, 1e30, 4.50, 2e-3, 0.000000000000000000000000001],
        "string": "\u20ac$\u000f\u000aA'\u0042\u0022\u005c\\\"/",
        "literals": [None, True, False],
    }
    assert (
        canonicalize(value)
        == (
            '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
            '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
        ).encode()
    )


def test_rfc8785_section_3_2_3_sorts_by_utf16_code_units() -> None:
    # U+1F600 is a surrogate pair (D83D DE00) and sorts before U+FB33 in UTF-16, though not by
    # code point: Python's sorted() alone would get this wrong.
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    keys = list(json.loads(canonicalize(value)))
    assert keys == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


# IEEE-754 bit patterns and what ECMAScript prints (RFC 8785 appendix B; checked against Node 22).
NUMBERS = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


@pytest.mark.parametrize(("bits", "expected"), NUMBERS)
def test_numbers_print_as_ecmascript_does(bits: str, expected: str) -> None:
    value = struct.unpack(">d", bytes.fromhex(bits))[0]
    assert number_to_string(value) == expected
    assert rfc8785.dumps(value) == expected.encode()  # the library itself, without our adapter


def test_integers_are_read_as_doubles_like_a_javascript_peer_would() -> None:
    assert number_to_string(1) == "1"
    assert number_to_string(2**53 + 1) == "9007199254740992"
    assert number_to_string(10**21) == "1e+21"
    assert canonicalize(1.0) == b"1"


def test_matches_json_canon_the_jcs_fedify_signs_with() -> None:
    vectors = json.loads((FIXTURES / "jcs_vectors.json").read_text())["vectors"]
    assert len(vectors) > 100
    for vector in vectors:
        assert canonicalize(vector["input"]).decode("utf-8") == vector["jcs"], vector["input"]


@pytest.mark.parametrize(
    "value",
    [
        float("nan"),
        float("inf"),
        -float("inf"),
        {1: "non-string key"},
        {"lone": "\ud800"},
        {"\udfff": 1},
        {1, 2},
        b"bytes",
        10**400,
    ],
)
def test_rejects_what_is_not_i_json(value: Any) -> None:
    with pytest.raises(JcsError):
        canonicalize(value)


def test_bounds_nesting_instead_of_overflowing_the_stack() -> None:
    deep: Any = "leaf"
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(JcsError):
        canonicalize(deep)
    assert canonicalize([[["x"]]]) == b'[[["x"]]]'


# --- properties ------------------------------------------------------------------------------

finite_floats = st.floats(allow_nan=False, allow_infinity=False)
json_scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | finite_floats | st.text()
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5)
    ),
    max_leaves=30,
)


@given(json_values)
def test_canonical_form_is_a_fixed_point(value: Any) -> None:
    once = canonicalize(value)
    assert canonicalize(json.loads(once)) == once


@given(json_values)
def test_parses_back_to_the_same_value(value: Any) -> None:
    def same(a: Any, b: Any) -> bool:
        if isinstance(a, float) or isinstance(b, float):
            return float(a) == float(b)  # 1.0 is printed as 1, read back as int
        if isinstance(a, dict):
            return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
        if isinstance(a, list):
            return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
        return bool(a == b)

    assert same(json.loads(canonicalize(value)), value)


@given(st.dictionaries(st.text(), json_values, max_size=8), st.randoms())
def test_member_order_does_not_matter(value: dict[str, Any], rnd: random.Random) -> None:
    items = list(value.items())
    rnd.shuffle(items)
    assert canonicalize(dict(items)) == canonicalize(value)


ascii_keys = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=127), max_size=8)
simple_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(ascii_keys, children, max_size=4)
    ),
    max_leaves=20,
)


@given(st.dictionaries(ascii_keys, simple_values, max_size=8))
def test_equals_compact_sorted_json_dumps_for_ascii_keys_and_no_floats(
    value: dict[str, Any],
) -> None:
    # Without floats and with ASCII keys (code point order == UTF-16 order), JCS is exactly
    # Python's compact, sorted, non-ASCII-preserving json.dumps.
    expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert canonicalize(value) == expected.encode("utf-8")


@settings(max_examples=300)
@given(st.integers(0, 2**64 - 1))
def test_every_finite_double_round_trips(bits: int) -> None:
    value = struct.unpack("<d", struct.pack("<Q", bits))[0]
    if math.isnan(value) or math.isinf(value):
        with pytest.raises(JcsError):
            number_to_string(value)
        return
    text = number_to_string(value)
    assert float(text) == value
    assert text == "0" or not text.lstrip("-").startswith("0") or text.lstrip("-").startswith("0.")
