"""Curation: what a network relays, hiding an item, blocking a domain, and the log of it all.

Rules are a network's own, set by its admins (``solnode network rules``, the API): which kinds,
tags and regions it relays (empty = all) and which domains it never takes items from. An item
outside the rules is still filed (state ``held``, with the reason) so admins can see what was
left out and why, and so it is never fetched twice. Every decision by a person goes to the
moderation log with the network's id, in the same transaction as the change.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, col, select

from node.activitypub import activities
from node.activitypub.vocab import PUBLIC
from node.db import now_utc
from node.features.networks.facts import ItemFacts
from node.federation import outbox as delivery
from node.federation.actors.documents import actor_id
from node.federation.context import NodeContext
from node.federation.policy import covering_entries, host_of, normalize_domain
from node.models import LocalActor, ModerationLog, OutboxActivity
from node.models.networks import NetworkItem, NetworkRules
from node.web.i18n import N_
from node.web.wording import Worded

KINDS = ("event", "news", "call", "note", "other")
RELAYED, HELD, HIDDEN, FOLLOWED = "relayed", "held", "hidden", "followed"
SHOWN_STATES = (RELAYED, FOLLOWED)
MAX_RULE_VALUES = 100


class RulesError(Worded):
    """A rule or curation command that cannot be applied; the message says why (English in
    ``str()``, the reader's language with ``in_language``)."""


@dataclass(frozen=True)
class Rules:
    """A network's rules; empty tuples mean "no restriction"."""

    kinds: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    blocked_domains: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, list[str]]:
        """The JSON shape (API, CLI)."""
        return {
            "kinds": list(self.kinds),
            "tags": list(self.tags),
            "regions": list(self.regions),
            "blockedDomains": list(self.blocked_domains),
        }


def blocked_by(rules: Rules, *urls: str) -> str | None:
    """The blocked domain covering any of ``urls`` (author, the network it came through)."""
    blocked = set(rules.blocked_domains)
    for url in urls:
        if not url:
            continue
        for entry in covering_entries(host_of(url)):
            if entry in blocked:
                return entry
    return None


def decide(
    rules: Rules, facts: ItemFacts, *, author: str, via: str, source: str
) -> tuple[str, str]:
    """(state, reason) for a new item: relayed or held; from a followed source, followed."""
    domain = blocked_by(rules, author, via)
    if domain is not None:
        return HELD, f"the domain {domain} is blocked by this network"
    if source == FOLLOWED:
        return FOLLOWED, "from a source the network follows: shown, not re-announced"
    if rules.kinds and facts.kind not in rules.kinds:
        return HELD, f"kind {facts.kind} is not relayed (rules: {', '.join(rules.kinds)})"
    if rules.tags and not set(facts.tags) & set(rules.tags):
        return HELD, f"none of the tags {', '.join(rules.tags)}"
    if rules.regions:
        places = {facts.region.lower(), facts.country.lower()} - {""}
        if not places & {r.lower() for r in rules.regions}:
            return HELD, f"not in the regions {', '.join(rules.regions)}"
    return RELAYED, ""


def load_rules(session: Session, network_id: int) -> Rules:
    """The rules of a network (no row: no restriction)."""
    row = session.exec(select(NetworkRules).where(NetworkRules.network_id == network_id)).first()
    if row is None:
        return Rules()
    return Rules(tuple(row.kinds), tuple(row.tags), tuple(row.regions), tuple(row.blocked_domains))


def _clean(values: Iterable[str], what: str) -> list[str]:
    out: list[str] = []
    for raw in values:
        value = raw.strip().lstrip("#").lower() if what == "tags" else raw.strip()
        if not value:
            continue
        if len(value) > 200:
            raise RulesError(
                N_("%(what)s: %(start)r… is longer than 200 characters"),
                what=what,
                start=value[:40],
            )
        if what == "kinds" and value not in KINDS:
            raise RulesError(
                N_("kinds: %(value)r is not one of %(kinds)s"), value=value, kinds=", ".join(KINDS)
            )
        if value not in out:
            out.append(value)
    if len(out) > MAX_RULE_VALUES:
        raise RulesError(N_("%(what)s: at most %(most)d values"), what=what, most=MAX_RULE_VALUES)
    return out


def log_decision(
    session: Session, network: LocalActor, who: str, action: str, target: str, reason: str = ""
) -> None:
    """One entry in the moderation log, marked as this network's decision."""
    session.add(
        ModerationLog(
            who=who[:2048],
            action=action[:32],
            target=target[:2048],
            reason=reason[:2000],
            network_id=network.id,
        )
    )


def _rules_row(session: Session, network: LocalActor) -> NetworkRules:
    assert network.id is not None
    row = session.exec(select(NetworkRules).where(NetworkRules.network_id == network.id)).first()
    return row or NetworkRules(network_id=network.id)


def set_rules(
    session: Session,
    network: LocalActor,
    who: str,
    *,
    kinds: Iterable[str] | None = None,
    tags: Iterable[str] | None = None,
    regions: Iterable[str] | None = None,
) -> Rules:
    """Replace the given parts of the rules (None leaves a part as it is); logged."""
    row = _rules_row(session, network)
    if kinds is not None:
        row.kinds = _clean(kinds, "kinds")
    if tags is not None:
        row.tags = _clean(tags, "tags")
    if regions is not None:
        row.regions = _clean(regions, "regions")
    row.updated_at = now_utc()
    session.add(row)
    session.flush()
    rules = load_rules(session, row.network_id)
    summary = "; ".join(f"{k}={','.join(v) or 'all'}" for k, v in rules.as_dict().items())
    log_decision(session, network, who, "network_rules", "", summary)
    return rules


def _undo_announce(
    session: Session, node: NodeContext, network: LocalActor, row: NetworkItem
) -> None:
    """Take back the network's Announce of an item: followers' servers drop the boost."""

    if not row.announce_id:
        return
    sent = session.exec(
        select(OutboxActivity.document).where(OutboxActivity.ap_id == row.announce_id)
    ).first()
    if sent is None:
        return
    ident = actor_id(node.urls, network)
    undo = activities.undo(node.urls.activity(uuid.uuid4().hex), ident, dict(sent), to=[PUBLIC]) | {
        "cc": [f"{ident}/followers"]
    }
    delivery.send(session, network, undo, delivery.Audience(followers=True))


def hide_item(
    session: Session,
    node: NodeContext,
    network: LocalActor,
    object_id: str,
    who: str,
    reason: str = "",
) -> NetworkItem:
    """Hide an item from the network's views and take back its Announce; logged."""
    row = session.exec(
        select(NetworkItem).where(
            NetworkItem.network_id == network.id, NetworkItem.object_id == object_id
        )
    ).first()
    if row is None:
        raise RulesError(N_("@%(slug)s has no item %(item)s"), slug=network.slug, item=object_id)
    if row.state != HIDDEN:
        if row.state == RELAYED:
            _undo_announce(session, node, network, row)
        row.state, row.reason, row.updated_at = HIDDEN, reason or "hidden by an admin", now_utc()
        session.add(row)
    log_decision(session, network, who, "network_hide", object_id, reason)
    return row


def block_domain(
    session: Session,
    node: NodeContext,
    network: LocalActor,
    domain: str,
    who: str,
    reason: str = "",
) -> int:
    """Never take items or members from ``domain`` (and its subdomains) again; items already
    filed from there are hidden. Returns how many were hidden. Logged."""
    name = normalize_domain(domain)
    row = _rules_row(session, network)
    if name not in row.blocked_domains:
        row.blocked_domains = [*row.blocked_domains, name]
        row.updated_at = now_utc()
        session.add(row)
    rules = Rules(blocked_domains=(name,))
    hidden = 0
    items = session.exec(
        select(NetworkItem).where(
            NetworkItem.network_id == network.id, col(NetworkItem.state).in_(SHOWN_STATES)
        )
    ).all()
    for item in items:
        if blocked_by(rules, item.author, item.via):
            if item.state == RELAYED:
                _undo_announce(session, node, network, item)
            item.state, item.reason = HIDDEN, f"the domain {name} is blocked by this network"
            session.add(item)
            hidden += 1
    log_decision(session, network, who, "network_block_domain", name, reason)
    return hidden


def unblock_domain(session: Session, network: LocalActor, domain: str, who: str) -> bool:
    """Lift a domain block of the network (hidden items stay hidden). Logged."""
    name = normalize_domain(domain)
    row = _rules_row(session, network)
    if name not in row.blocked_domains:
        return False
    row.blocked_domains = [d for d in row.blocked_domains if d != name]
    session.add(row)
    log_decision(session, network, who, "network_unblock_domain", name)
    return True


def log_entries(session: Session, network: LocalActor, limit: int = 50) -> list[ModerationLog]:
    """The network's decisions, newest first."""
    return list(
        session.exec(
            select(ModerationLog)
            .where(ModerationLog.network_id == network.id)
            .order_by(col(ModerationLog.id).desc())
            .limit(limit)
        )
    )
