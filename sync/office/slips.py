"""A submission as its slip names it: by the reference printed on it (the operators' search) or by
its txn_id (the slip's QR). Both are one lookup on the primary key's index.

A reference is the txn_id's first ten hex digits (sync/reference.py), so the submissions it
stands for are the txn_ids in one range of the primary key: ``lower <= txn_id < upper``. Every
stored txn_id has the canonical form (lower-case, hyphens at fixed places), so that range is the
same in any collation.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from sync.office.schema import state, submissions
from sync.reference import DIGITS, reference, txn_prefix

MAX_MATCHES = 20  # 40 bits: two slips share a reference about once in a million


@dataclass(frozen=True)
class FoundSubmission:
    txn_id: str
    reference: str
    submission: dict[str, Any]  # as the terminal uploaded it (sync/PROTOCOL.md), unmasked
    received_at: datetime  # naive UTC
    exported: bool  # billing has taken it (see sync.office.export)

    def as_dict(self) -> dict[str, Any]:
        return {"txn_id": self.txn_id, "reference": self.reference,
                "received_at": self.received_at.isoformat(timespec="seconds") + "Z", "exported": self.exported,
                "submission": self.submission}


def by_reference(engine: Engine, typed: str) -> list[FoundSubmission]:
    """Every submission the typed reference stands for (usually one); ValueError when what was
    typed is not a reference."""
    prefix = txn_prefix(typed)
    if prefix is None:
        raise ValueError(f"{typed!r} is not a slip's reference: ten characters 0-9 and A-F, like 3F2A9-1C0B7")
    lower = _as_txn_id(prefix)
    following = int(prefix, 16) + 1
    query = _query().where(submissions.c.txn_id >= lower)
    if following < 16**DIGITS:
        query = query.where(submissions.c.txn_id < _as_txn_id(f"{following:0{DIGITS}x}"))
    return _found(engine, query.order_by(submissions.c.txn_id).limit(MAX_MATCHES))


def by_txn_id(engine: Engine, txn_id: str) -> FoundSubmission | None:
    """The submission stored under this txn_id; None for an unknown or malformed one alike."""
    try:
        canonical = str(uuid.UUID(txn_id))
    except (ValueError, TypeError, AttributeError):
        return None
    if canonical != txn_id.strip().lower():  # braces, urn: prefixes and such are not ids we made
        return None
    found = _found(engine, _query().where(submissions.c.txn_id == canonical))
    return found[0] if found else None


def _as_txn_id(hex_digits: str) -> str:
    """Ten hex digits where they stand in a txn_id: eight, a hyphen, then two."""
    return f"{hex_digits[:8]}-{hex_digits[8:]}"


def _query() -> Any:
    billing_cursor = select(state.c.billing_cursor).where(state.c.id == 1).scalar_subquery()
    return select(submissions.c.txn_id, submissions.c.payload, submissions.c.received_at, submissions.c.export_seq,
                  billing_cursor.label("billing_cursor"))


def _found(engine: Engine, query: Any) -> list[FoundSubmission]:
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [FoundSubmission(row.txn_id, reference(row.txn_id), json.loads(row.payload), row.received_at,
                            row.export_seq <= row.billing_cursor) for row in rows]
