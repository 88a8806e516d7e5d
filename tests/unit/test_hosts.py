"""The one canonical host form (node.activitypub.hosts), used by every policy decision."""

from __future__ import annotations

import pytest

from node.activitypub.addressing import embedded_object_origin_ok, origin
from node.activitypub.hosts import canonical_url, hostport_of, is_canonical_url
from node.federation.address_guard import allow_key, host_refusal, is_allowed
from node.federation.policy import covering_entries, normalize_domain

SPELLINGS_OF_LOOPBACK = [
    "http://\u00b9\u00b27.0.0.1:9101/users/x",  # superscript digits
    "http://127.000.0.1:9101/users/x",
    "http://2130706433:9101/users/x",
    "http://0x7f.1:9101/users/x",
    "http://[::ffff:127.0.0.1]:9101/users/x",
    "http://127.0.0.1.:9101/users/x",
]


@pytest.mark.parametrize("url", SPELLINGS_OF_LOOPBACK)
def test_every_spelling_of_one_host_has_one_canonical_form(url: str) -> None:
    assert hostport_of(url) == "127.0.0.1:9101"
    assert origin(url) == "http://127.0.0.1:9101"
    assert "127.0.0.1:9101" in covering_entries(hostport_of(url))
    assert not is_canonical_url(url)


def test_unicode_and_fullwidth_names_become_a_labels() -> None:
    fullwidth = "http://\uff45\uff56\uff49\uff4c.example/users/x"
    assert hostport_of(fullwidth) == "evil.example"
    assert not is_canonical_url(fullwidth)
    assert hostport_of("https://b\u00fccher.example/") == "xn--bcher-kva.example"
    assert normalize_domain("\uff45\uff56\uff49\uff4c.example") == "evil.example"
    assert normalize_domain("127.000.0.1:9101") == "127.0.0.1:9101"


@pytest.mark.parametrize(
    "url",
    [
        "https://social.example.org/users/a",
        "https://Social.Example.ORG/users/a",  # letter case is not a spelling trick
        "https://xn--bcher-kva.example/u",
        "http://127.0.0.1:8000/actors/coop",
        "http://[::1]:8000/x",
        "https://a_b.example/u",
    ],
)
def test_canonical_ids_are_accepted_as_written(url: str) -> None:
    assert is_canonical_url(url)


def test_default_ports_do_not_make_two_origins() -> None:
    assert origin("https://a.example:443/x") == origin("https://A.example/y")
    assert canonical_url("HTTPS://A.Example:443/Path") == "https://a.example/Path"


def test_an_activity_whose_ids_are_not_canonical_is_refused() -> None:
    actor = "http://\u00b9\u00b27.0.0.1:9101/users/x"
    doc = {"id": "http://127.0.0.1:9101/a/1", "type": "Follow", "actor": actor}
    assert "canonical" in (embedded_object_origin_ok(doc, actor) or "")
    doc = {"id": actor + "/a/1", "type": "Follow", "actor": "http://127.0.0.1:9101/users/x"}
    assert "canonical" in (embedded_object_origin_ok(doc, doc["actor"]) or "")


def test_the_own_host_exemption_can_be_bound_to_one_port() -> None:
    allow = frozenset({allow_key("127.0.0.1:8000"), allow_key("[::1]:8000")})
    assert is_allowed("127.0.0.1", 8000, allow)
    assert not is_allowed("127.0.0.1", 8001, allow)
    assert is_allowed("::1", 8000, allow)
    assert host_refusal("127.0.0.1", allow, 8000) is None
    assert host_refusal("127.0.0.1", allow, 8001) is not None
    # an entry without a port still exempts every port (SOLNODE_ALLOW_HOSTS as documented)
    assert is_allowed("127.0.0.1", 9999, frozenset({allow_key("127.0.0.1")}))
