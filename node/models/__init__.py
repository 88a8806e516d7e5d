"""SQLModel tables, split by area; this package only gathers them, so ``from node.models
import X`` works and ``import node.models`` registers every table (Alembic relies on it).

Times are UTC; job times are epoch seconds (compared in SQL on both dialects). Schema changes go
through Alembic migrations in node/migrations; a test checks that the migrations and these
models agree on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from node.models.accounts import ApiToken, UserAccount
from node.models.actors import LocalActor, RemoteActor
from node.models.answers import CallAnswer
from node.models.content import Interaction, Item, ItemTag, Participant, Series, Tombstone
from node.models.federation import HostState, InboxActivity, Job, OutboxActivity
from node.models.follows import Follower, Following
from node.models.insight import EventFeedback, FollowerCount
from node.models.media import Media
from node.models.meta import NodeMeta
from node.models.moderation import ActorBlock, DomainAllow, DomainBlock, ModerationLog, Report
from node.models.networks import (
    CalendarStamp,
    Membership,
    NetworkItem,
    NetworkRules,
    OutgoingMembership,
    Relay,
)
from node.models.workspace import AccountLink, Draft, StaffRole, WebSession

__all__ = [
    "AccountLink",
    "ActorBlock",
    "ApiToken",
    "CalendarStamp",
    "CallAnswer",
    "DomainAllow",
    "DomainBlock",
    "Draft",
    "EventFeedback",
    "Follower",
    "FollowerCount",
    "Following",
    "HostState",
    "InboxActivity",
    "Interaction",
    "Item",
    "ItemTag",
    "Job",
    "LocalActor",
    "Media",
    "Membership",
    "ModerationLog",
    "NetworkItem",
    "NetworkRules",
    "NodeMeta",
    "OutboxActivity",
    "OutgoingMembership",
    "Participant",
    "Relay",
    "RemoteActor",
    "Report",
    "Series",
    "StaffRole",
    "Tombstone",
    "UserAccount",
    "WebSession",
]
