"""Conflicting uploads: a txn_id the office holds, sent again with other content. Ingest never
overwrites the stored submission; a person compares the two and keeps one.

Keeping the incoming content replaces the stored submission and gives it a new export number, so
billing receives the txn_id once more, with the content now kept; and the incoming reading
becomes the meter's last reading in the directory as an accepted one would (``ingest.keep_instead``),
so the terminals show it as the previous reading. When the incoming content names another meter
than the stored one, the stored one's meter keeps the last reading it has until its next reading
or directory import.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine, select, update

from sync.office import audit
from sync.office.database import writing
from sync.office.export import take_export_numbers
from sync.office.ingest import keep_instead
from sync.office.schema import conflicts, submissions
from sync.office.terminals import utc_now
from sync.wire import Submission

KEEP = ("stored", "incoming")


class ConflictNotOpen(Exception):
    """No such conflict, or it was resolved already."""


@dataclass(frozen=True)
class ConflictPair:
    id: int
    txn_id: str
    terminal_id: str  # the terminal that sent the incoming content
    received_at: datetime
    stored: dict[str, Any] | None  # as held, with its received_at; None if the office no longer holds it
    incoming: dict[str, Any]
    differs: list[str]  # the fields whose values differ, in the submission's order
    resolved_at: datetime | None
    resolved_by: str | None
    kept: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "txn_id": self.txn_id, "terminal_id": self.terminal_id,
                "received_at": _iso(self.received_at), "differs": self.differs, "stored": self.stored,
                "incoming": self.incoming, "resolved_at": _iso(self.resolved_at), "resolved_by": self.resolved_by,
                "kept": self.kept}


def list_conflicts(engine: Engine, *, include_resolved: bool = False, limit: int = 1000) -> list[ConflictPair]:
    """Oldest first, each with the stored submission beside the incoming one."""
    query = (select(conflicts, submissions.c.payload.label("stored_payload"),
                    submissions.c.received_at.label("stored_received_at"))
             .select_from(conflicts.outerjoin(submissions, submissions.c.txn_id == conflicts.c.txn_id))
             .order_by(conflicts.c.id).limit(limit))
    if not include_resolved:
        query = query.where(conflicts.c.resolved_at.is_(None))
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    pairs = []
    for row in rows:
        incoming = json.loads(row.payload)
        stored = None
        if row.stored_payload is not None:
            stored = {**json.loads(row.stored_payload), "received_at": _iso(row.stored_received_at)}
        differs = [key for key in incoming if stored is None or stored.get(key) != incoming[key]]
        pairs.append(ConflictPair(row.id, row.txn_id, row.terminal_id, row.received_at, stored, incoming, differs,
                                  row.resolved_at, row.resolved_by, row.kept))
    return pairs


def resolve_conflict(engine: Engine, conflict_id: int, keep: str, operator: str, *,
                     now: datetime | None = None) -> ConflictPair:
    """Keep the stored or the incoming content and log the decision; ConflictNotOpen when there is
    no such open conflict, ValueError when the incoming content cannot be kept."""
    if keep not in KEEP:
        raise ValueError(f"keep one of: {', '.join(KEEP)}")
    now = now or utc_now()
    with writing(engine) as connection:
        row = connection.execute(select(conflicts).where(conflicts.c.id == conflict_id,
                                                         conflicts.c.resolved_at.is_(None))).first()
        if row is None:
            raise ConflictNotOpen(f"no open conflict {conflict_id} (see `kiosk office conflicts`)")
        if keep == "incoming":
            _replace(connection, row, now)
        connection.execute(update(conflicts).where(conflicts.c.id == conflict_id)
                           .values(resolved_at=now, resolved_by=operator, kept=keep))
        audit.record(connection, now, operator, "conflict.resolve", f"conflict:{conflict_id}",
                     f"txn {row.txn_id} from {row.terminal_id}: kept the {keep} content")
    [pair] = [pair for pair in list_conflicts(engine, include_resolved=True) if pair.id == conflict_id]
    return pair


def _replace(connection: Any, row: Any, now: datetime) -> None:
    try:
        incoming = Submission.model_validate_json(row.payload)
    except ValidationError:
        raise ValueError("the incoming content no longer passes this release's checks; keep the stored one") from None
    if incoming.terminal_id != row.terminal_id:
        raise ValueError(f"the incoming content names terminal {incoming.terminal_id}, but {row.terminal_id} sent "
                         "it; keep the stored one")
    held = connection.execute(select(submissions.c.payload).where(submissions.c.txn_id == row.txn_id)).scalar()
    if held is None:
        raise ValueError(f"the office no longer holds txn {row.txn_id}")
    try:
        replaced: Submission | None = Submission.model_validate_json(held)
    except ValidationError:  # stored by an older release: its reading is not the one to look for
        replaced = None
    keep_instead(connection, row.terminal_id, incoming, replaced)
    payload = incoming.model_dump_json()
    changed = connection.execute(update(submissions).where(submissions.c.txn_id == row.txn_id).values(
        terminal_id=incoming.terminal_id, seq=incoming.seq, account=incoming.account, meter=incoming.meter,
        taken_at=incoming.taken_at.isoformat(), period=incoming.period, payload=payload,
        content_hash=hashlib.sha256(payload.encode()).hexdigest(),
        export_seq=take_export_numbers(connection, 1))).rowcount
    if not changed:
        raise ValueError(f"the office no longer holds txn {row.txn_id}")


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") + "Z" if moment else None
