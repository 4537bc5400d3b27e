"""What the office hands on: accepted readings for billing (CSV) and its own state (stats)."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import Engine, func, select

from sync.office import directory
from sync.office.schema import conflicts, submissions, terminals
from sync.office.terminals import heartbeat_of

EXPORT_COLUMNS = ("txn_id", "terminal_id", "seq", "account", "meter", "taken_at", "period", "zone",
                  "meaning", "value", "consumption", "confirmed", "received_at")


def export_csv(engine: Engine, out: TextIO, since: datetime | None = None) -> int:
    """One line per zone reading of every submission received at or after ``since`` (UTC),
    oldest first; returns the number of submissions."""
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    query = select(submissions.c.payload, submissions.c.received_at).order_by(
        submissions.c.received_at, submissions.c.terminal_id, submissions.c.seq)
    if since is not None:
        query = query.where(submissions.c.received_at >= since)
    count = 0
    with engine.connect() as connection:
        for row in connection.execution_options(yield_per=2000).execute(query):
            item = json.loads(row.payload)
            received = row.received_at.isoformat(timespec="seconds") + "Z"
            for reading in item["readings"]:
                writer.writerow((
                    item["txn_id"], item["terminal_id"], item["seq"], item["account"], item["meter"],
                    item["taken_at"], item["period"], reading["zone"], reading["meaning"], reading["value"],
                    "" if reading["consumption"] is None else reading["consumption"],
                    ",".join(item["confirmed"]), received,
                ))
            count += 1
    return count


def stats(engine: Engine) -> dict[str, Any]:
    with engine.connect() as connection:
        per_terminal: dict[str, int] = dict(connection.execute(
            select(submissions.c.terminal_id, func.count()).group_by(submissions.c.terminal_id)).all())
        terminal_rows = connection.execute(select(terminals).order_by(terminals.c.id)).all()
        total = connection.execute(select(func.count()).select_from(submissions)).scalar_one()
        conflict_count = connection.execute(select(func.count()).select_from(conflicts)).scalar_one()
    return {
        "submissions": total,
        "conflicts": conflict_count,
        "directory": directory.counts(engine),
        "terminals": [
            {
                "id": row.id,
                "created_at": _iso(row.created_at),
                "last_seen_at": _iso(row.last_seen_at),
                "enabled": bool(row.enabled),
                "submissions": per_terminal.get(row.id, 0),
                "last_heartbeat_at": _iso(row.heartbeat_at),
                "last_heartbeat": heartbeat_of(row.heartbeat),
            }
            for row in terminal_rows
        ],
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") + "Z" if moment else None
