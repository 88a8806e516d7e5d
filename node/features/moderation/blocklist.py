"""Shared blocklists: Mastodon's domain-block CSV, read from a file or a URL, kept in sync.

The format is what Mastodon's admin export writes and what community lists publish::

    #domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate
    spam.example,suspend,true,true,Spam factory,false
    rude.example,silence,false,false,,false

``suspend`` becomes a reject block, ``silence`` a limit, ``noop`` is ignored; a row without a
severity is a reject (a list that only names domains means them blocked). Obfuscated names
(``exa*ple.com``) cannot be matched and are skipped. Importing a list again is a
subscription: entries the list dropped are unblocked, entries an admin made by hand are never
touched. URLs are fetched through ``node/federation/http.py``, so the SSRF guard, size cap and timeouts
apply.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from anyio import to_thread
from sqlalchemy import Engine
from sqlmodel import select

from node.db import session_scope
from node.features.moderation.actions import log, sever
from node.federation.context import NodeContext
from node.federation.http import FetchError
from node.federation.policy import LIMIT, REJECT, DomainError, forget_policy, normalize_domain
from node.models import DomainBlock

__all__ = [
    "BlocklistEntry",
    "BlocklistError",
    "ImportResult",
    "ParsedBlocklist",
    "import_blocklist",
    "parse_mastodon_csv",
    "read_blocklist",
]

SEVERITY_MAP = {"suspend": REJECT, "silence": LIMIT, "": REJECT}
IGNORED_SEVERITIES = frozenset({"noop"})


class BlocklistError(ValueError):
    """A blocklist could not be read; the message says why."""


@dataclass(frozen=True)
class BlocklistEntry:
    """One usable row: a normalised domain, our severity, the list's public comment."""

    domain: str
    severity: str
    reason: str


@dataclass
class ParsedBlocklist:
    """The usable entries, and the rows skipped with why (line number, text)."""

    entries: list[BlocklistEntry] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)


def _column(header: list[str], name: str) -> int | None:
    cleaned = [h.strip().lstrip("#").strip().lower() for h in header]
    return cleaned.index(name) if name in cleaned else None


def parse_mastodon_csv(text: str) -> ParsedBlocklist:
    """Parse a Mastodon domain-block CSV (header with or without ``#``; a list without a
    header is read as domain, severity, ... columns). Pure; never raises on bad rows."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    result = ParsedBlocklist()
    if not rows:
        return result
    header = rows[0]
    domain_col = _column(header, "domain")
    severity_col: int | None
    comment_col: int | None
    if domain_col is None:
        domain_col, severity_col, comment_col, start = 0, 1, 4, 0
    else:
        severity_col = _column(header, "severity")
        comment_col = _column(header, "public_comment")
        start = 1
    seen: set[str] = set()
    for number, row in enumerate(rows[start:], start=start + 1):
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue

        def cell(index: int | None, row: list[str] = row) -> str:
            return row[index].strip() if index is not None and index < len(row) else ""

        raw_domain, severity = cell(domain_col), cell(severity_col).lower()
        if severity in IGNORED_SEVERITIES:
            continue
        if severity not in SEVERITY_MAP:
            result.skipped.append((number, f"unknown severity {severity[:40]!r}"))
            continue
        try:
            domain = normalize_domain(raw_domain)
        except DomainError as exc:
            result.skipped.append((number, str(exc)))
            continue
        if domain in seen:
            continue
        seen.add(domain)
        result.entries.append(BlocklistEntry(domain, SEVERITY_MAP[severity], cell(comment_col)))
    return result


async def read_blocklist(node: NodeContext, url_or_file: str) -> tuple[str, str]:
    """(text, source) of a blocklist: an http(s) URL through the node's client, else a file.

    The source is what the blocks will record: the URL, or the file's ``file://`` URL.
    """
    if url_or_file.startswith(("http://", "https://")):
        try:
            response = await node.open_http().get(
                url_or_file, headers={"Accept": "text/csv, text/plain;q=0.9, */*;q=0.1"}
            )
        except FetchError as exc:
            raise BlocklistError(f"could not fetch the blocklist: {exc}") from exc
        if response.status != 200:
            raise BlocklistError(f"{url_or_file} answered {response.status}, not the blocklist")
        return response.body.decode("utf-8", errors="replace"), url_or_file
    return await to_thread.run_sync(read_blocklist_file, url_or_file)


def read_blocklist_file(name: str) -> tuple[str, str]:
    """(text, ``file://`` URL) of a blocklist file."""
    path = Path(name).expanduser()
    try:
        return path.read_text(encoding="utf-8", errors="replace"), path.resolve().as_uri()
    except OSError as exc:
        raise BlocklistError(f"cannot read {name}: {exc.strerror or exc}") from exc


@dataclass(frozen=True)
class ImportResult:
    """What an import changed."""

    added: list[str]
    updated: list[str]
    removed: list[str]
    kept: list[str]  # blocked already by hand or by another list: left alone
    unchanged: int
    severed_followers: int


def import_blocklist(
    engine: Engine, entries: list[BlocklistEntry], source: str, *, who: str
) -> ImportResult:
    """Apply a parsed list from ``source`` in one transaction, logging every change."""
    wanted = {entry.domain: entry for entry in entries}
    added: list[str] = []
    updated: list[str] = []
    removed: list[str] = []
    kept: list[str] = []
    unchanged = severed = 0
    why = f"blocklist {source[:300]}"
    with session_scope(engine) as session:
        existing = {row.domain: row for row in session.exec(select(DomainBlock))}
        for domain, row in existing.items():
            if row.source == source and domain not in wanted:
                session.delete(row)
                removed.append(domain)
                log(session, who, "unblock_domain", domain, f"{why}: no longer listed")
        for domain, entry in wanted.items():
            row_or_none = existing.get(domain)
            if row_or_none is not None and row_or_none.source != source:
                kept.append(domain)
                continue
            if row_or_none is not None and (row_or_none.severity, row_or_none.reason) == (
                entry.severity,
                entry.reason[:1000],
            ):
                unchanged += 1
                continue
            row = row_or_none or DomainBlock(domain=domain, severity=entry.severity)
            (updated if row_or_none is not None else added).append(domain)
            row.severity, row.reason, row.source = entry.severity, entry.reason[:1000], source
            session.add(row)
            if entry.severity == REJECT:
                severed += sever(session, domain).followers
            log(session, who, "block_domain", domain, f"{entry.severity}: {why}: {entry.reason}")
        log(
            session,
            who,
            "blocklist_import",
            source,
            f"{len(added)} added, {len(updated)} updated, {len(removed)} removed, "
            f"{len(kept)} kept as they were, {unchanged} unchanged",
        )
    forget_policy(engine)
    return ImportResult(added, updated, removed, kept, unchanged, severed)
