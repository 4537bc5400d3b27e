"""The audit log: every operator action, with who and when.

An action writes its entry with ``record`` in its own transaction, so an action that happened is
always logged and a logged action always happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, insert, select

from sync.office.schema import audit

ACTOR_MAX = 200
DETAIL_MAX = 2000


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime  # naive UTC
    actor: str  # the operator's name (the web's operators, or whoever ran the command line)
    action: str  # e.g. command.issue, staff_call.acknowledge, conflict.resolve, operator.add
    target: str  # what it acted on: "terminal:kiosk-1", "conflict:12", "operator:ivanova"
    detail: str


def record(connection: Connection, at: datetime, actor: str, action: str, target: str, detail: str = "") -> None:
    """Log an action inside the transaction that carries it out."""
    connection.execute(insert(audit).values(at=at, actor=actor[:ACTOR_MAX], action=action[:40],
                                            target=target[:200], detail=detail[:DETAIL_MAX]))


def entries(engine: Engine, *, target: str | None = None, limit: int = 100) -> list[AuditEntry]:
    """The newest entries first, all or those of one target."""
    query = select(audit).order_by(audit.c.at.desc(), audit.c.id.desc()).limit(limit)
    if target is not None:
        query = query.where(audit.c.target == target)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [AuditEntry(row.id, row.at, row.actor, row.action, row.target, row.detail) for row in rows]
