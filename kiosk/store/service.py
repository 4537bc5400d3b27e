"""What service mode keeps in the database: the PIN lock and the out-of-service switch (one row,
so both survive a restart and `kiosk status` in another process sees them), and the counts the
diagnostics read about slips and uploads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, func, select

from kiosk.store.database import current_revision, writing
from kiosk.store.outbox import KEPT
from kiosk.store.schema import service_state, submissions


@dataclass(frozen=True)
class EntryLock:
    failed_pins: int  # wrong PINs in a row since the last entry or lock
    locked_until: datetime | None


@dataclass(frozen=True)
class OutOfService:
    since: datetime
    by: str  # technician, administrator, shell, or system
    reason: str


@dataclass(frozen=True)
class SlipCounts:
    printed: int
    failed: int
    pending: int
    retracted: int = 0  # printed, but not taken: the presenter pulled them back


@dataclass(frozen=True)
class DeliveryFacts:
    last_delivery: str | None  # ISO time the office last took a reading
    rejected: int  # readings the office refused, kept for a technician to look at
    conflict: int


@dataclass(frozen=True)
class PrintedSlip:
    seq: int
    printed_at: str  # ISO time


@dataclass(frozen=True)
class Refused:
    """A reading the office refused or holds in conflict, kept here for a technician."""

    seq: int
    state: str  # rejected or conflict
    code: str | None
    message: str | None


class ServiceState:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # --- the PIN lock --------------------------------------------------------------------

    def entry_lock(self) -> EntryLock:
        with self._engine.connect() as connection:
            row = connection.execute(select(service_state)).first()
        return _lock(row)

    def count_wrong_pin(self, *, max_attempts: int, lockout: timedelta, now: datetime) -> EntryLock:
        """One more wrong PIN; the max_attempts-th locks entry until now + lockout and starts
        the count again. Read and written in one write transaction, so two keypads (or a
        keypad and a restart) never lose a count."""
        with writing(self._engine) as connection:
            current = _lock(connection.execute(select(service_state)).first())
            failed, until = current.failed_pins + 1, current.locked_until
            if failed >= max_attempts:
                failed, until = 0, now + lockout
            _update(connection, failed_pins=failed, locked_until=until.isoformat() if until else None)
        return EntryLock(failed, until)

    def clear_wrong_pins(self) -> None:
        with writing(self._engine) as connection:
            _update(connection, failed_pins=0, locked_until=None)

    # --- out of service ------------------------------------------------------------------

    def out_of_service(self) -> OutOfService | None:
        with self._engine.connect() as connection:
            row = connection.execute(select(service_state)).first()
        if row is None or row.out_of_service_since is None:
            return None
        return OutOfService(datetime.fromisoformat(row.out_of_service_since), row.out_of_service_by,
                            row.out_of_service_reason or "")

    def set_out_of_service(self, *, by: str, reason: str, now: datetime) -> OutOfService:
        with writing(self._engine) as connection:
            _update(connection, out_of_service_since=now.isoformat(), out_of_service_by=by,
                    out_of_service_reason=reason)
        return OutOfService(now, by, reason)

    def set_in_service(self) -> None:
        with writing(self._engine) as connection:
            _update(connection, out_of_service_since=None, out_of_service_by=None, out_of_service_reason=None)

    # --- facts for the diagnostics -------------------------------------------------------

    def slip_counts(self) -> SlipCounts:
        counts = self._count_by(submissions.c.print_state)
        pickups = self._count_by(submissions.c.slip_pickup)
        return SlipCounts(counts.get("printed", 0), counts.get("failed", 0), counts.get("pending", 0),
                          pickups.get("retracted", 0))

    def delivery_facts(self) -> DeliveryFacts:
        counts = self._count_by(submissions.c.sync_state)
        query = select(func.max(submissions.c.synced_at)).where(submissions.c.sync_state == "delivered")
        with self._engine.connect() as connection:
            last = connection.execute(query).scalar()
        return DeliveryFacts(last, counts.get("rejected", 0), counts.get("conflict", 0))

    def last_printed(self) -> PrintedSlip | None:
        query = (select(submissions.c.seq, submissions.c.printed_at)
                 .where(submissions.c.print_state == "printed")
                 .order_by(submissions.c.seq.desc()).limit(1))
        with self._engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else PrintedSlip(row.seq, row.printed_at)

    def refused(self, limit: int) -> list[Refused]:
        """The newest readings the office did not take, newest first."""
        query = (select(submissions.c.seq, submissions.c.sync_state, submissions.c.sync_code,
                        submissions.c.sync_message)
                 .where(submissions.c.sync_state.in_(KEPT))
                 .order_by(submissions.c.seq.desc()).limit(limit))
        with self._engine.connect() as connection:
            return [Refused(row.seq, row.sync_state, row.sync_code, row.sync_message)
                    for row in connection.execute(query).all()]

    def integrity_check(self) -> list[str]:
        """SQLite's thorough check of the whole file: ``["ok"]``, or what is damaged. Reads every
        page: seconds on a large database."""
        with self._engine.connect() as connection:
            return [str(row[0]) for row in connection.exec_driver_sql("PRAGMA integrity_check").all()]

    def schema_revision(self) -> str | None:
        """The migration the database is at (Alembic's version table)."""
        with self._engine.connect() as connection:
            return current_revision(connection)

    def _count_by(self, column) -> dict[str, int]:
        query = select(column, func.count()).group_by(column)
        with self._engine.connect() as connection:
            return {state: count for state, count in connection.execute(query).all()}


def _lock(row) -> EntryLock:
    if row is None:
        return EntryLock(0, None)
    until = datetime.fromisoformat(row.locked_until) if row.locked_until else None
    return EntryLock(row.failed_pins, until)


def _update(connection: Connection, **values: object) -> None:
    """Write into the single row, creating it on first use."""
    connection.execute(
        service_state.insert().prefix_with("OR IGNORE").values(id=1, failed_pins=0)
    )
    connection.execute(service_state.update().where(service_state.c.id == 1).values(**values))
