"""The append-only event log: what happened on this terminal, and who did it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine, select

from kiosk.masking import scrub
from kiosk.store.database import writing
from kiosk.store.schema import events


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    at: str
    kind: str
    role: str | None
    detail: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at, "kind": self.kind, "role": self.role, "detail": self.detail}


class EventLog:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def append(self, kind: str, *, role: str | None = None, **detail: Any) -> int:
        """Log an event; free text in ``detail`` (a reason, an error) is stored masked: the log
        is shown on the service screens and travels to the office with the heartbeat."""
        detail = {key: scrub(value) if isinstance(value, str) else value for key, value in detail.items()}
        with writing(self._engine) as connection:
            return connection.execute(
                events.insert().values(
                    at=datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                    kind=kind,
                    role=role,
                    detail=json.dumps(detail, ensure_ascii=False, default=str),
                )
            ).inserted_primary_key[0]

    def recent(self, limit: int = 50) -> list[Event]:
        query = select(events).order_by(events.c.id.desc()).limit(limit)
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        return [Event(r.id, r.at, r.kind, r.role, json.loads(r.detail)) for r in rows]
