"""The upload queue, as the uploader sees it (``sync.ports.OutboxPort``)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable, Protocol

from sqlalchemy import Engine, func, select

from kiosk.store.database import writing
from kiosk.store.schema import outbox, submissions
from kiosk.store.submissions import _submission

DELIVERED = ("accepted", "duplicate")
KEPT = ("rejected", "conflict")


class ItemResult(Protocol):
    txn_id: str
    status: str
    code: str | None
    message: str | None


class Outbox:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def pending(self, limit: int) -> list[dict[str, Any]]:
        """Upload payloads of the oldest queued submissions."""
        query = (
            select(submissions)
            .join(outbox, outbox.c.seq == submissions.c.seq)
            .order_by(submissions.c.seq)
            .limit(limit)
        )
        with self._engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [_submission(row).upload_payload() for row in rows]

    def record_results(self, results: Iterable[ItemResult]) -> None:
        """Apply the office's answer per item in one transaction. Delivered items leave the
        queue; rejected and conflicting ones leave it too but stay visible on the submission
        with the office's code and message, for a technician to look at."""
        now = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        updates = []
        for result in results:
            if result.status in DELIVERED:
                updates.append(("delivered", result.status, None, now, result.txn_id))
            elif result.status in KEPT:
                state = result.status
                updates.append((state, result.code, result.message, now, result.txn_id))
            else:
                raise ValueError(f"unknown upload result {result.status!r} for {result.txn_id}")
        if not updates:
            return
        with writing(self._engine) as connection:
            connection.exec_driver_sql(
                "UPDATE submissions SET sync_state = ?, sync_code = ?, sync_message = ?, synced_at = ? "
                "WHERE txn_id = ? AND sync_state = 'pending'",
                updates,
            )
            connection.exec_driver_sql(
                "DELETE FROM outbox WHERE seq IN (SELECT seq FROM submissions WHERE txn_id = ?)",
                [(update[-1],) for update in updates],
            )

    def note_failure(self, txn_ids: Iterable[str], error: str) -> None:
        """Count a failed attempt on these items (for the technician's view of the queue)."""
        with writing(self._engine) as connection:
            connection.exec_driver_sql(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ? "
                "WHERE seq IN (SELECT seq FROM submissions WHERE txn_id = ?)",
                [(error, txn_id) for txn_id in txn_ids],
            )

    def depth(self) -> int:
        with self._engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(outbox)).scalar_one()

    def oldest_pending_age(self) -> float | None:
        with self._engine.connect() as connection:
            oldest = connection.execute(select(func.min(outbox.c.enqueued_at))).scalar()
        if oldest is None:
            return None
        return max(0.0, (datetime.now(timezone.utc) - datetime.fromisoformat(oldest)).total_seconds())
