"""API tokens: the last use is written at most once a minute; revoked and expired are refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from node.api.tokens import TokenRefused, actor_for_token, create_token, list_tokens, revoke_token
from node.db import as_utc, now_utc, session_scope
from node.federation.actors.local import create_actor
from node.models import ApiToken


def _last_use(engine: Engine) -> object:
    with session_scope(engine) as session:
        row = session.exec(select(ApiToken)).one()
        return as_utc(row.last_used_at) if row.last_used_at else None


def test_the_last_use_is_written_at_most_once_a_minute(engine: Engine) -> None:
    with session_scope(engine) as session:
        create_actor(session, "coop", kind="organization", name="Co-op")
        token = create_token(session, "coop")
    with session_scope(engine) as session:
        assert actor_for_token(session, token) is not None
    first = _last_use(engine)
    assert first is not None
    with session_scope(engine) as session:
        assert actor_for_token(session, token) is not None
    assert _last_use(engine) == first  # a second request within the minute: no write
    with session_scope(engine) as session:
        row = session.exec(select(ApiToken)).one()
        row.last_used_at = now_utc() - timedelta(minutes=2)
        session.add(row)
    with session_scope(engine) as session:
        actor_for_token(session, token)
    assert _last_use(engine) != first


def test_revoked_and_expired_tokens_are_refused_and_listed_as_such(engine: Engine) -> None:
    with session_scope(engine) as session:
        create_actor(session, "coop", kind="organization", name="Co-op")
        kept = create_token(session, "coop", expires_in_days=1)
        gone = create_token(session, "coop")
        with pytest.raises(ValueError):
            create_token(session, "coop", expires_in_days=0)
    with session_scope(engine) as session:
        [first, second] = list_tokens(session, "coop")
        assert revoke_token(session, second.id) and not revoke_token(session, 10**12)
    with session_scope(engine) as session:
        with pytest.raises(TokenRefused, match="revoked"):
            actor_for_token(session, gone)
        row = session.get(ApiToken, first.id)
        assert row is not None
        row.expires_at = now_utc() - timedelta(seconds=1)
        session.add(row)
    with session_scope(engine) as session:
        with pytest.raises(TokenRefused, match="expired"):
            actor_for_token(session, kept)
        assert [t.status for t in list_tokens(session)] == ["expired", "revoked"]
