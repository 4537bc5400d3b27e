"""Billing's hand-off: the readings after a cursor, and the cursor to ask from next time.

Every stored submission takes the next number of a counter (``office_state.export_seq``) in the
transaction that stores it, and that transaction holds the counter's row locked until it
commits: numbers become visible in order. So a page read in one statement is a consistent
snapshot, and a billing system that stores the rows of a page together with its ``cursor`` and
asks again from there gets every submission once, without gaps or repeats; asking twice from one
cursor gives the same rows (followed by any stored since, when the first page was not full).

A conflict resolved for the incoming content (``resolve_conflict``) gives the submission a new
number: billing receives that txn_id once more, and the later row replaces the earlier.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from sync.office.database import writing
from sync.office.schema import state, submissions

DEFAULT_PAGE = 1000
MAX_PAGE = 10_000


@dataclass(frozen=True)
class ExportPage:
    after: int
    cursor: int  # ask from here next time; equal to ``after`` when there was nothing new
    more: bool  # the page is full: ask again at once
    submissions: list[dict[str, Any]]  # as uploaded, with ``received_at`` (UTC) and ``export_seq``

    def as_dict(self) -> dict[str, Any]:
        return {"after": self.after, "cursor": self.cursor, "more": self.more, "submissions": self.submissions}


def take_export_numbers(connection: Connection, count: int) -> int:
    """The first of ``count`` new export numbers; the counter's row stays locked until commit."""
    top = connection.execute(
        update(state).where(state.c.id == 1).values(export_seq=state.c.export_seq + count)
        .returning(state.c.export_seq)
    ).scalar_one()
    return int(top) - count + 1


def export_after(engine: Engine, after: int, limit: int = DEFAULT_PAGE, *, acknowledge: bool = False) -> ExportPage:
    """The submissions numbered after ``after``, oldest first, at most ``limit``.

    ``acknowledge``: the caller is billing, and asking from ``after`` says it holds everything up
    to it; the office remembers the highest such cursor (``exported_through``)."""
    if after < 0:
        raise ValueError("the cursor is a whole number, 0 at first")
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"a page holds 1 to {MAX_PAGE} submissions")
    with engine.connect() as connection:
        rows = connection.execute(
            select(submissions.c.export_seq, submissions.c.payload, submissions.c.received_at)
            .where(submissions.c.export_seq > after).order_by(submissions.c.export_seq).limit(limit)
        ).all()
    if acknowledge and after > 0:
        with writing(engine) as connection:
            connection.execute(update(state).where(state.c.id == 1, state.c.billing_cursor < after)
                               .values(billing_cursor=after))
    items = []
    for row in rows:
        item = json.loads(row.payload)
        item["received_at"] = row.received_at.isoformat(timespec="seconds") + "Z"
        item["export_seq"] = row.export_seq
        items.append(item)
    return ExportPage(after, rows[-1].export_seq if rows else after, len(rows) == limit, items)


def exported_through(engine: Engine) -> int:
    """The highest cursor billing has asked to export after: every submission numbered up to it
    has reached billing."""
    with engine.connect() as connection:
        return int(connection.execute(select(state.c.billing_cursor).where(state.c.id == 1)).scalar_one())

