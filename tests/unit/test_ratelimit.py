"""Token buckets (node/ratelimit.py) with a hand-driven clock, and their settings."""

from __future__ import annotations

import orjson
import pytest

from node.limits import Limit, LimitError, parse_limit
from node.ratelimit import RateLimiter
from node.settings import ConfigError, load_settings
from node.web.render import too_many_requests


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_the_sustained_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(Limit(count=3, per_seconds=60), clock=clock)
    assert [limiter.take("mastodon.example") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.take("mastodon.example")
    assert wait == pytest.approx(20.0)  # one token every 60/3 s
    assert limiter.take("other.example") == 0.0  # buckets are per key
    clock.now += 19.0
    assert limiter.take("mastodon.example") == pytest.approx(1.0)
    clock.now += 1.0
    assert limiter.take("mastodon.example") == 0.0
    assert limiter.take("mastodon.example") > 0


def test_peek_does_not_spend() -> None:
    clock = Clock()
    limiter = RateLimiter(Limit(count=1, per_seconds=10), clock=clock)
    assert limiter.peek("a") == 0.0
    assert limiter.peek("a") == 0.0
    assert limiter.take("a") == 0.0
    assert limiter.peek("a") == pytest.approx(10.0)


def test_refused_requests_do_not_dig_the_hole_deeper() -> None:
    clock = Clock()
    limiter = RateLimiter(Limit(count=1, per_seconds=10), clock=clock)
    limiter.take("a")
    for _ in range(100):
        limiter.take("a")
    clock.now += 10.0
    assert limiter.take("a") == 0.0


def test_many_keys_are_bounded_and_idle_ones_go_first() -> None:
    clock = Clock()
    limiter = RateLimiter(Limit(count=2, per_seconds=1), max_keys=10, clock=clock)
    limiter.take("busy")
    limiter.take("busy")
    for i in range(9):
        limiter.take(f"ip{i}")
    clock.now += 5  # everyone refilled except what we spend next
    limiter.take("busy")
    limiter.take("busy")
    limiter.take("new")  # over max_keys: the full (idle) buckets are dropped
    assert len(limiter._buckets) <= 10
    assert limiter.take("busy") > 0  # the busy sender kept its empty bucket


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("300/60", Limit(300, 60.0)),
        ("5/0.5", Limit(5, 0.5)),
        ("10", Limit(10, 1.0)),
        ("off", None),
        ("0", None),
        ("", None),
    ],
)
def test_parse_limit(text: str, expected: Limit | None) -> None:
    assert parse_limit(text) == expected


@pytest.mark.parametrize("text", ["many", "0/60", "10/0", "10/-1", "10/nan", "x/y"])
def test_bad_limits_say_how_to_write_one(text: str) -> None:
    with pytest.raises(LimitError, match="N"):
        parse_limit(text)


def test_settings_read_and_check_the_limits() -> None:
    settings = load_settings(env={"SOLNODE_RATE_LIMIT_INBOX_HOST": "50/10"}, secret_key="x")
    assert settings.rate_limit_inbox_host == Limit(50, 10.0)
    assert settings.rate_limit_inbox_ip == Limit(1200, 60.0)
    assert str(settings.rate_limit_inbox_host) == "50/10"
    with pytest.raises(ConfigError, match="SOLNODE_RATE_LIMIT_SIGNIN"):
        load_settings(env={"SOLNODE_RATE_LIMIT_SIGNIN": "lots"}, secret_key="x")
    with pytest.raises(ConfigError, match="SOLNODE_FEDERATION_MODE"):
        load_settings(env={"SOLNODE_FEDERATION_MODE": "closed"}, secret_key="x")


def test_429_carries_retry_after_and_a_json_error() -> None:
    response = too_many_requests(2.2, "too many sign-in attempts")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"
    body = orjson.loads(response.body)
    assert body == {
        "error": "too many sign-in attempts",
        "reason": "rate_limited",
        "retry_after": 3,
    }


def test_the_answer_form_limit_is_a_setting_like_the_registration_one() -> None:
    assert load_settings(env={}, secret_key="x").rate_limit_answer == Limit(5, 3600.0)
    settings = load_settings(env={"SOLNODE_RATE_LIMIT_ANSWER": "off"}, secret_key="x")
    assert settings.rate_limit_answer is None
    with pytest.raises(ConfigError, match="SOLNODE_RATE_LIMIT_ANSWER"):
        load_settings(env={"SOLNODE_RATE_LIMIT_ANSWER": "plenty"}, secret_key="x")
