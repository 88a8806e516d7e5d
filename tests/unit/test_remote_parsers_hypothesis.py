"""Property tests: every parser that reads what another server sent answers, or refuses with its
own error - it never raises anything else (a stray exception is a 500 in the inbox, or a crashed
job in the worker).

Covered here (signatures, the HTTP client, LD signatures and JCS have their own files):
WebFinger resources and JRDs, Accept / Content-Type negotiation, activity shape and the
embedded-object origin rule, the bounds walk, the reply HTML sanitizer, the ActivityPub media
type check of fetched documents, URL vetting and id checks, remote actor documents, and
Retry-After. Strategies mix arbitrary values with the punctuation that steers each parser, so
examples reach its deep paths.
"""

from __future__ import annotations

import json
import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from node.activitypub import addressing, bounds, keys, mediatypes, webfinger
from node.activitypub.mediatypes import AS_PROFILE
from node.content.remote_html import ALLOWED_ATTRIBUTES, ALLOWED_TAGS
from node.features.interactions.replies import sanitize_html
from node.federation.outbox.policy import parse_retry_after
from node.federation.remote import fetch
from node.federation.remote.actor_documents import actor_fields
from node.settings import load_settings

PROPERTIES = settings(max_examples=150, deadline=None)

# --- strategies ------------------------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=30,
)

URL_PIECES = [
    *("http://", "https://", "acct:", "file://", "javascript:", "mailto:", "//", "@", ":", "/"),
    *("[", "]", "::1", "%", "%40", "%2F", "#", "?", " ", "\x00", "example.org", "127.0.0.1"),
    *("xn--", "bücher.example", "user", "80", "99999", "..", "ALICE", "\t", "\n", "."),
]
url_like = st.lists(st.sampled_from(URL_PIECES), max_size=12).map("".join)
hostile_text = st.text(max_size=200) | url_like


def ref(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A reference as servers send one: a string, an object with an id, or a list of them."""
    return values | st.fixed_dictionaries({"id": values}) | st.lists(values, max_size=3)


# --- WebFinger --------------------------------------------------------------------------------


@PROPERTIES
@given(resource=hostile_text)
@example(resource="acct:%40@%40")
@example(resource="http://[::1")
def test_parse_resource_returns_an_acct_or_a_url_or_a_webfinger_error(resource: str) -> None:
    try:
        result = webfinger.parse_resource(resource)
    except webfinger.WebFingerError:
        return
    if isinstance(result, webfinger.Acct):
        assert result.user and result.host
        assert "@" not in result.user and "/" not in result.host and " " not in result.host
        assert result.user == result.user.lower() and result.host == result.host.lower()
    else:
        assert result.startswith(("http://", "https://"))


@PROPERTIES
@given(handle=hostile_text)
def test_parse_handle_returns_an_acct_or_a_webfinger_error(handle: str) -> None:
    try:
        acct = webfinger.parse_handle(handle)
    except webfinger.WebFingerError:
        return
    assert webfinger.parse_handle(str(acct)) == acct  # what we print, we read back


jrd_links = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "rel": st.sampled_from(["self", "http://webfinger.net/rel/profile-page"]) | json_values,
            "type": st.sampled_from(["application/activity+json", "text/html"]) | json_values,
            "href": url_like | json_values,
        },
    )
    | json_values,
    max_size=5,
)


@PROPERTIES
@given(doc=st.fixed_dictionaries({}, optional={"links": jrd_links | json_values}) | json_values)
def test_self_link_of_any_jrd_is_a_string_or_none(doc: Any) -> None:
    link = webfinger.self_link(doc)
    assert link is None or isinstance(link, str)


@PROPERTIES
@given(actor_id=url_like, subject=url_like)
def test_the_self_link_of_a_jrd_we_build_is_the_actor_id(actor_id: str, subject: str) -> None:
    assert webfinger.self_link(webfinger.jrd(subject, actor_id)) == actor_id


# --- content negotiation ------------------------------------------------------------------------

MEDIA_PIECES = [
    *("application/activity+json", "application/ld+json", "text/html", "application/json"),
    *("*/*", ";", ",", " ", "q=", "0", "1", "0.5", "nan", "inf", "-1", "1e999", "=", '"'),
    *('profile="https://www.w3.org/ns/activitystreams"', "profile", "charset=utf-8", "Q=0"),
]
media_like = st.lists(st.sampled_from(MEDIA_PIECES), max_size=16).map("".join) | st.text()


@PROPERTIES
@given(accept=st.none() | media_like)
@example(accept="application/activity+json;q=nan, text/html;q=nan")
@example(accept="application/activity+json;q=1e999")
def test_wants_activity_json_is_total(accept: str | None) -> None:
    assert isinstance(mediatypes.wants_activity_json(accept), bool)
    assert isinstance(mediatypes.is_ap_content_type(accept), bool)


@PROPERTIES
@given(extra=st.lists(st.sampled_from(["text/html;q=0.9", "*/*;q=0.1", "image/png"]), max_size=3))
def test_activity_json_first_is_wanted(extra: list[str]) -> None:
    assert mediatypes.wants_activity_json(", ".join(["application/activity+json", *extra]))
    assert not mediatypes.wants_activity_json(", ".join(["text/html", *extra]))


@PROPERTIES
@given(content_type=st.none() | media_like)
def test_fetched_document_media_type_check_is_total_and_strict(content_type: str | None) -> None:
    accepted = fetch.is_activitypub_media_type(content_type)
    assert isinstance(accepted, bool)
    if accepted:
        assert content_type is not None
        media = content_type.split(";")[0].strip().lower()
        assert media == "application/activity+json" or (
            media == "application/ld+json" and AS_PROFILE in content_type
        )


# --- activity shape and origins -----------------------------------------------------------------

ORIGINS = ["https://a.example", "https://b.example", "http://127.0.0.1:8001", "https://A.example"]
ids = st.builds(lambda o, p: o + p, st.sampled_from(ORIGINS), url_like) | url_like | json_values
activities = st.fixed_dictionaries(
    {},
    optional={
        "id": ids,
        "type": st.sampled_from(["Create", "Update", "Like", "Follow"])
        | st.lists(st.sampled_from(["Create", "Note", "Person"]) | json_values, max_size=3)
        | json_values,
        "actor": ref(ids),
        "object": st.fixed_dictionaries(
            {},
            optional={
                "id": ids,
                "type": st.sampled_from(["Note", "Person"])
                | st.lists(st.sampled_from(["Note", "Person"]) | json_values, max_size=3)
                | json_values,
                "attributedTo": ref(ids),
            },
        )
        | ids,
    },
)


@PROPERTIES
@given(doc=activities | json_values)
@example(doc={"id": "http://[::1/a", "type": "Like", "actor": "http://[::1/b"})
@example(doc={"id": "https://a.example/1", "type": ["Create"], "actor": "https://a.example/u"})
def test_activity_shape_gives_id_type_actor_or_a_shape_error(doc: Any) -> None:
    try:
        ident, kind, actor = addressing.activity_shape(doc)
    except addressing.ShapeError:
        return
    assert addressing.is_http_url(ident) and addressing.is_http_url(actor)
    assert isinstance(kind, str) and 0 < len(kind) <= 64
    assert addressing.origin(ident) == addressing.origin(actor)


@PROPERTIES
@given(doc=activities, actor=ids)
@example(
    doc={
        "type": ["Create"],
        "object": {"id": "https://a.example/n", "type": ["Note"], "attributedTo": "https://x/"},
    },
    actor="https://a.example/u",
)
def test_embedded_object_origin_check_never_raises(doc: dict[str, Any], actor: Any) -> None:
    assume(isinstance(actor, str))
    problem = addressing.embedded_object_origin_ok(doc, actor)
    assert problem is None or isinstance(problem, str)


@PROPERTIES
@given(value=url_like | json_values)
@example(value="http://[::1")
@example(value="http://[zz]/")
def test_url_checks_are_total(value: Any) -> None:
    assert isinstance(addressing.is_http_url(value), bool)
    if isinstance(value, str):
        assert isinstance(addressing.origin(value), str)
        assert isinstance(fetch.http_url(value), str)
        try:
            fetch.require_url(value)
        except fetch.RemoteActorError as exc:
            assert exc.reason == "bad_url"


@PROPERTIES
@given(a=url_like, b=url_like)
def test_unparseable_urls_share_no_origin_with_others(a: str, b: str) -> None:
    if a != b and addressing.origin(a).startswith("invalid:"):
        assert addressing.origin(a) != addressing.origin(b)


fetched_urls = st.builds(
    lambda o, p: f"{o}/{p}", st.sampled_from(ORIGINS), st.text(alphabet="ab/._-?=#", max_size=8)
)


@PROPERTIES
@given(
    document=st.dictionaries(st.sampled_from(["id", "type"]), ids | fetched_urls),
    url=fetched_urls,
    final=fetched_urls,
)
def test_id_check_of_a_fetched_document_refuses_with_its_own_error(
    document: dict[str, Any], url: str, final: str
) -> None:
    # The URLs were fetched (so vetted by the client); the document is the remote's word.
    try:
        assert fetch.check_id(document, url, final) in (url, final)
    except fetch.RemoteActorError as exc:
        assert exc.reason == "id_mismatch"


# --- the bounds walk --------------------------------------------------------------------------


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            stack.extend(
                (child, depth + 1) for child in (item.values() if isinstance(item, dict) else item)
            )
    return deepest


@PROPERTIES
@given(doc=activities | json_values)
def test_bounds_judge_any_document_and_the_size_shortcut_changes_nothing(doc: Any) -> None:
    small = bounds.Bounds(max_depth=4, max_values=40, max_list=4, max_string=20, max_content=10)
    verdict = bounds.check(doc, small)
    assert verdict is None or isinstance(verdict, bounds.Violation)
    # The hot path skips checks that a body of that length cannot fail: same verdict.
    assert bounds.check(doc, small, size=len(json.dumps(doc))) == verdict
    if verdict is None:
        assert _depth(doc) <= small.max_depth


@settings(max_examples=20, deadline=None)
@given(depth=st.integers(min_value=33, max_value=5000), kind=st.sampled_from(["list", "dict"]))
def test_any_depth_is_refused_without_recursion(depth: int, kind: str) -> None:
    doc: Any = []
    for _ in range(depth - 1):
        doc = [doc] if kind == "list" else {"a": doc}
    verdict = bounds.check({"object": doc})
    assert verdict is not None and verdict.reason == "too_deep"


# --- the reply HTML sanitizer --------------------------------------------------------------------

HTML_PIECES = [
    *("<", ">", "</", "/>", "=", '"', "'", " ", "\n", "&", "&#", "x", ";", "-->", "<!--"),
    *("script", "style", "iframe", "img", "svg", "a", "p", "math", "object", "form", "base"),
    *("href", "src", "onerror", "onload", "ONCLICK", "style", "srcdoc", "xlink:href"),
    *("javascript:", "JaVaScRiPt:", "java\tscript:", "jav&#x09;ascript:", "data:text/html,"),
    *("vbscript:", "alert(1)", "http://x.example/", "<![CDATA[", "]]>", "&lt;", "\x00"),
]
html_like = st.lists(st.sampled_from(HTML_PIECES), max_size=40).map("".join) | st.text()


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


SAFE_SCHEMES = re.compile(r"^(https?:|mailto:|[^:]*$)", re.IGNORECASE)


@PROPERTIES
@given(value=html_like | json_values)
@example(value='<a href="jav&#x09;ascript:alert(1)">x</a>')
@example(value="<svg><a xlink:href='javascript:alert(1)'>x</a></svg>")
@example(value="<scr<script>ipt>alert(1)</script>")
def test_sanitized_html_keeps_only_allowed_tags_attributes_and_schemes(value: Any) -> None:
    clean = sanitize_html(value)
    assert isinstance(clean, str)
    parser = _Elements()
    parser.feed(clean)
    parser.close()
    for tag, attrs in parser.tags:
        assert tag in ALLOWED_TAGS, (tag, clean)
        for name, attr_value in attrs:
            assert name in ALLOWED_ATTRIBUTES.get(tag, set()) | {"rel"}, (tag, name, clean)
            if name == "href":
                compact = re.sub(r"[\x00-\x20]", "", attr_value or "")
                assert SAFE_SCHEMES.match(compact), (attr_value, clean)
    assert "<script" not in clean.lower()


@PROPERTIES
@given(value=html_like)
def test_sanitizing_twice_changes_nothing(value: str) -> None:
    once = sanitize_html(value)
    assert sanitize_html(once) == once


# --- remote actor documents ----------------------------------------------------------------------

HOST = "https://a.example"
ACTOR = f"{HOST}/users/alice"


@cache
def _pem() -> str:
    pem_path = Path(__file__).resolve().parents[1] / "fixtures" / "fedify" / "test_keys.json"
    private = json.loads(pem_path.read_text())["rsa_private_pem"]
    return keys.public_pem_of(keys.load_private_key(private))


def _key_entries() -> st.SearchStrategy[Any]:
    return (
        st.fixed_dictionaries(
            {},
            optional={
                "id": st.sampled_from([f"{ACTOR}#main-key", "https://b.example/k"]) | ids,
                "owner": ref(st.sampled_from([ACTOR, "https://b.example/x"]) | ids),
                "publicKeyPem": st.builds(_pem) | hostile_text | json_values,
            },
        )
        | json_values
    )


actor_documents = st.fixed_dictionaries(
    {"id": st.just(ACTOR)},
    optional={
        "type": st.sampled_from(["Person", "Service", "Tombstone", "Note"])
        | st.lists(st.sampled_from(["Person", "Tombstone"]) | json_values, max_size=3)
        | json_values,
        "inbox": st.sampled_from([f"{ACTOR}/inbox", "http://169.254.169.254/"]) | ids,
        "endpoints": st.fixed_dictionaries({}, optional={"sharedInbox": ids}) | json_values,
        "publicKey": _key_entries() | st.lists(_key_entries(), max_size=3),
        "assertionMethod": st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "type": st.just("Multikey") | json_values,
                    "id": ids,
                    "controller": ref(ids),
                    "publicKeyMultibase": st.just("z6Mk") | hostile_text | json_values,
                },
            )
            | json_values,
            max_size=3,
        )
        | json_values,
        "name": json_values,
        "preferredUsername": json_values,
        "url": ref(ids) | st.lists(st.fixed_dictionaries({"href": ids}), max_size=2),
        "followers": ref(ids),
    },
)


@PROPERTIES
@given(document=actor_documents)
def test_a_remote_actor_document_becomes_columns_or_a_remote_actor_error(
    document: dict[str, Any],
) -> None:
    settings_ = load_settings(env={}, secret_key="x")
    try:
        fields = actor_fields(document, settings_)
    except fetch.RemoteActorError as exc:
        assert exc.reason in {"gone", "not_an_actor", "bad_document", "bad_url"}
        return
    assert fields["ap_id"] == ACTOR
    assert fetch.url_host(fields["inbox"]) == "a.example"  # never another host's inbox
    for url in (fields["shared_inbox"], fields["url"], fields["followers_url"]):
        assert url == "" or url.startswith(("http://", "https://"))
    if fields["public_key_id"]:
        assert fetch.url_host(fields["public_key_id"]) == "a.example"
    assert "\x00" not in fields["name"] + fields["preferred_username"]


# --- Retry-After -----------------------------------------------------------------------------------

RETRY_PIECES = [
    "0",
    "1",
    "120",
    "²",
    "٣",
    " ",
    "-",
    "Wed, 21 Oct 2015 07:28:00 GMT",
    "GMT",
    "+0000",
]


@PROPERTIES
@given(value=st.lists(st.sampled_from(RETRY_PIECES), max_size=6).map("".join) | st.text())
@example(value="²")
@example(value="Wed, 21 Oct 99999 07:28:00 GMT")
def test_retry_after_is_seconds_or_none(value: str) -> None:
    seconds = parse_retry_after({"Retry-After": value}, 1_750_000_000.0)
    assert seconds is None or (isinstance(seconds, float) and seconds >= 0)
