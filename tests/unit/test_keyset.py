"""The cursor token of the section pages and the outbox: what it makes it reads back, the
outbox's links made before it still read, and anything else is no cursor (None), never an
exception."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from node import keyset
from node.features.profiles import outbox_pages

AT = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)


def test_a_token_reads_back_as_its_key_in_utc() -> None:
    token = keyset.token("o", AT.astimezone(timezone(timedelta(hours=-5))), 8812)
    assert token == "o~20260501T120000.123456Z~8812"
    assert keyset.parse(token, str, datetime, int) == ("o", AT, 8812)
    assert keyset.parse("t~77", str, int) == ("t", 77)


def test_the_outbox_links_made_before_keep_their_shape() -> None:
    assert outbox_pages.cursor_token(AT, 88121) == "20260501T120000.123456Z~88121"
    assert outbox_pages.parse_cursor("20260501T120000.123456Z~88121") == (AT, 88121)


def test_anything_else_is_no_cursor() -> None:
    for raw in (
        None,
        "",
        "o~20260501T120000.123456Z",  # a part short
        "o~20260501T120000.123456Z~1~2",  # a part too many
        "O~20260501T120000.123456Z~1",  # not a letter we write
        "o~20261301T120000.123456Z~1",  # no 13th month
        "o~20260501T120000Z~1",
        f"o~20260501T120000.123456Z~{10**18}",  # beyond 18 digits
        "o~20260501T120000.123456Z~-1",
        "o~" * 60,
    ):
        assert keyset.parse(raw, str, datetime, int) is None, raw
