"""The policy snapshot belongs to its engine: one cache whatever handle reads it, a change made
through the engine applies at once, one written behind its back within the TTL."""

from __future__ import annotations

from sqlalchemy import Engine, text
from sqlmodel import Session

from node.features.moderation import actions
from node.federation.policy import is_blocked_domain, policy_cache


def test_the_engine_its_sessions_and_connections_share_one_cache(engine: Engine) -> None:
    cache = policy_cache(engine)
    with Session(engine) as session, engine.connect() as conn:
        assert policy_cache(session) is cache
        assert policy_cache(conn) is cache


def test_a_change_through_the_engine_applies_at_once_and_one_elsewhere_after_the_ttl(
    engine: Engine,
) -> None:
    assert not is_blocked_domain(engine, "spam.example")
    actions.block_domain(engine, "spam.example", "reject", who="cli:test")
    assert is_blocked_domain(engine, "spam.example")
    # Another process (the solnode command) writes the table directly: not seen until the TTL.
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM domain_block"))
    assert is_blocked_domain(engine, "spam.example")
    policy_cache(engine).ttl = 0.0
    assert not is_blocked_domain(engine, "spam.example")
