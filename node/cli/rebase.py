"""``solnode rebase NEW_BASE_URL``: move a node that never federated to another address.

Every stored id starts with the base URL the data was created with, so a changed base URL is
refused at start (cli_kit.check_base_url). A node nobody else knows yet (the demo, a trial
install) can move instead: every text and JSON column of every table has the old base URL
rewritten (as a prefix ``OLD/…``, a whole value, or a JSON string), and the record updated.
Bare host names (``slug@host`` in text, circuit-breaker rows) are not rewritten.
"""

from __future__ import annotations

import argparse
import re
from typing import TYPE_CHECKING, Any

from node.cli_kit import BASE_URL_KEY, CliContext, CliError, Subcommands, add_command
from node.settings import validate_base_url

if TYPE_CHECKING:
    from sqlalchemy import Column, Engine
    from sqlalchemy.engine import Connection

AS_NAMESPACE = "https://www.w3.org/ns/activitystreams"
URL_RE = re.compile(r"https?://[^\s\"'<>]+")


def outside_contacts(conn: Connection, old: str) -> list[str]:
    """What shows this node has dealt with another server: an empty list means it never did."""
    from sqlalchemy import func, select  # lazy: start-up
    from sqlmodel import col  # lazy: start-up

    from node.models import Follower, Following, InboxActivity, Job, RemoteActor  # lazy: start-up

    under = old + "/%"
    found = []
    for what, column in (
        ("remote followers", col(Follower.remote_id)),
        ("follows of remote actors", col(Following.target_id)),
        ("activities received from other servers", col(InboxActivity.actor)),
        ("remote actors fetched", col(RemoteActor.ap_id)),
    ):
        count = conn.execute(select(func.count()).where(~column.like(under))).scalar_one()
        if count:
            found.append(f"{count} {what}")
    payloads = conn.execute(
        select(col(Job.payload)).where(col(Job.kind).in_(("deliver", "fanout")))
    ).all()
    away = {
        url
        for (payload,) in payloads
        for url in URL_RE.findall(str(payload))
        if not url.startswith((old + "/", AS_NAMESPACE)) and url != old
    }
    if away:
        found.append(f"deliveries to {len(away)} other address(es)")
    return found


def _text_columns(engine: Engine) -> list[tuple[str, Column[object]]]:
    from sqlalchemy import JSON, String, Text  # lazy: start-up
    from sqlmodel import SQLModel  # lazy: start-up

    import node.models  # lazy: start-up (registers every table)  # noqa: F401

    return [
        (table.name, column)
        for table in SQLModel.metadata.sorted_tables
        if table.name != "node_meta"
        for column in table.columns
        if isinstance(getattr(column.type, "impl", column.type), (String, Text, JSON))
        and not column.primary_key
    ]


def rewrite(conn: Connection, engine: Engine, old: str, new: str) -> dict[str, int]:
    """Rewrite ``old`` to ``new`` in every text and JSON column; rows changed by table."""
    from sqlalchemy import JSON, Text, case, cast, func, type_coerce, update  # lazy: start-up

    changed: dict[str, int] = {}
    sqlite = engine.dialect.name == "sqlite"
    for table_name, column in _text_columns(engine):
        as_json = isinstance(column.type, JSON) and not sqlite  # SQLite keeps JSON as text
        is_json = isinstance(column.type, JSON)
        text = cast(column, Text) if as_json else type_coerce(column, Text) if is_json else column
        value: Any = func.replace(func.replace(text, old + "/", new + "/"), f'"{old}"', f'"{new}"')
        if as_json:
            value = cast(value, column.type)
        elif not is_json:
            value = case((column == old, new), else_=value)
        result = conn.execute(
            update(column.table).where(text.like(f"%{old}%")).values({column.name: value})
        )
        if result.rowcount:
            changed[table_name] = changed.get(table_name, 0) + result.rowcount
    return changed


def cmd_rebase(ctx: CliContext, args: argparse.Namespace) -> int:
    """Move a node that never federated to NEW_BASE_URL."""
    from sqlalchemy import delete, insert  # lazy: start-up

    from node.db import write_connection  # lazy: start-up
    from node.models import NodeMeta  # lazy: start-up

    new = validate_base_url(args.new_base_url.rstrip("/"))
    ctx.check_base_url = False
    engine = ctx.engine
    with write_connection(engine) as conn:
        row = conn.execute(NodeMeta.__table__.select()).mappings().all()  # type: ignore[attr-defined]
        stored = {r["key"]: r["value"] for r in row}.get(BASE_URL_KEY, ctx.settings.base_url)
        if stored == new:
            print(f"This node's base URL is already {new}; nothing to do.")
            return 0
        contacts = outside_contacts(conn, stored)
        if contacts:
            raise CliError(
                f"this node has federated ({', '.join(contacts)}): its ids under {stored} are "
                "known elsewhere and cannot move; keep SOLNODE_BASE_URL=" + stored
            )
        changed = rewrite(conn, engine, stored, new)
        conn.execute(delete(NodeMeta).where(NodeMeta.key == BASE_URL_KEY))  # type: ignore[arg-type]
        conn.execute(insert(NodeMeta).values(key=BASE_URL_KEY, value=new))
    summary = ", ".join(f"{t} {n}" for t, n in sorted(changed.items())) or "no rows"
    print(f"Moved the node from {stored} to {new}; rows rewritten: {summary}.")
    print(f"Serve it with SOLNODE_BASE_URL={new} from now on.")
    return 0


def add_commands(sub: Subcommands[argparse.ArgumentParser]) -> None:
    """``solnode rebase``."""
    p = add_command(
        sub,
        "rebase",
        cmd_rebase,
        "move a node that never federated to another base URL (rewrites its stored ids)",
    )
    p.add_argument("new_base_url", metavar="NEW_BASE_URL", help="e.g. http://127.0.0.1:8123")
