"""Bring filed documents up to the current cleaning rules, once, instead of on every read.

A row filed before migration 0019, or under older rules (``network_item.clean_rules`` below
``clean.RULES``), is cleaned again each time a feed, calendar or collection shows it, until its
member sends an Update. ``solnode network reclean`` files each such document again, the way
filing does (:func:`node.features.networks.filing.file_document`), a batch per transaction, in
primary-key order: it can run while the node serves, stopped and started again at will (rows
already done are not read twice), and says how far it got as it goes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from node.features.networks import clean, filing
from node.models.networks import NetworkItem

BATCH = 500  # rows per transaction


@dataclass(frozen=True)
class Progress:
    """How far a reclean got: rows brought up to the rules so far, of how many waiting."""

    done: int
    waiting: int


def waiting(engine: Engine) -> int:
    """How many filed rows are not under the current rules."""
    with Session(engine) as session:
        stale = select(func.count()).select_from(NetworkItem)
        return int(session.exec(stale.where(NetworkItem.clean_rules != clean.RULES)).one())


def reclean(engine: Engine, batch: int = BATCH) -> Iterator[Progress]:
    """File again every row not under the current rules; yield the progress after each batch."""
    total, done, last = waiting(engine), 0, 0
    while True:
        with Session(engine) as session, session.begin():
            rows = session.exec(
                select(NetworkItem)
                .where(NetworkItem.clean_rules != clean.RULES, col(NetworkItem.id) > last)
                .order_by(col(NetworkItem.id))
                .limit(batch)
            ).all()
            if not rows:
                return
            for row in rows:
                filing.file_document(row, row.document)
                session.add(row)
            last = rows[-1].id or last
            done += len(rows)
        yield Progress(done, max(total, done))


def reclean_all(engine: Engine, report: Callable[[Progress], None], batch: int = BATCH) -> int:
    """Run :func:`reclean` to the end, reporting each batch; the rows filed again."""
    done = 0
    for progress in reclean(engine, batch):
        report(progress)
        done = progress.done
    return done
