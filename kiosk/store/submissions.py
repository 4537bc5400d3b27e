"""Submissions: written durably with their outbox entry, then printed and delivered."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import Engine, RowMapping, select

from kiosk.meters import Meter
from kiosk.store.database import writing
from kiosk.store.schema import outbox, submissions

# The print reason of a slip the presenter pulled back because nobody took it.
SLIP_RETRACTED = "slip not taken, retracted"


class MeterChanged(Exception):
    """The meter's last reading changed (or the meter left the directory) between the check and
    the commit: check the readings again against the new figures."""


@dataclass(frozen=True, slots=True)
class NewSubmission:
    """Readings that passed the rules and that the customer confirmed, ready to be stored."""

    terminal_id: str
    meter: Meter  # as it was checked: its previous readings guard against a concurrent change
    values: tuple[int, ...]
    consumption: tuple[int | None, ...]
    total: int | None
    confirmed: tuple[str, ...]
    notices: tuple[str, ...]
    taken_at: datetime  # aware: local time with its offset
    period: date


@dataclass(frozen=True, slots=True)
class ZoneReading:
    zone: int
    meaning: str
    previous: int | None
    value: int
    consumption: int | None


@dataclass(frozen=True, slots=True)
class Submission:
    """A stored submission, as printed on the slip and sent to the office."""

    seq: int
    txn_id: str
    terminal_id: str
    account: str
    meter: str
    readings: tuple[ZoneReading, ...]
    total: int | None
    confirmed: tuple[str, ...]
    notices: tuple[str, ...]
    taken_at: str
    period: str
    print_state: str
    print_reason: str | None
    printed_at: str | None
    print_count: int
    slip_pickup: str | None  # presenter printers: "presented", "taken" or "retracted"
    sync_state: str
    sync_code: str | None
    sync_message: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "txn_id": self.txn_id,
            "terminal_id": self.terminal_id,
            "account": self.account,
            "meter": self.meter,
            "readings": [reading_dict(r) for r in self.readings],
            "total": self.total,
            "confirmed": list(self.confirmed),
            "notices": list(self.notices),
            "taken_at": self.taken_at,
            "period": self.period,
            "print": {"state": self.print_state, "reason": self.print_reason,
                      "printed_at": self.printed_at, "count": self.print_count, "pickup": self.slip_pickup},
            "sync": {"state": self.sync_state, "code": self.sync_code, "message": self.sync_message},
        }

    def upload_payload(self) -> dict[str, Any]:
        """The item of an upload batch (sync/PROTOCOL.md)."""
        return {
            "txn_id": self.txn_id,
            "seq": self.seq,
            "terminal_id": self.terminal_id,
            "account": self.account,
            "meter": self.meter,
            "taken_at": self.taken_at,
            "period": self.period,
            "readings": [
                {"zone": r.zone, "meaning": r.meaning, "value": r.value, "consumption": r.consumption}
                for r in self.readings
            ],
            "confirmed": list(self.confirmed),
        }


def reading_dict(reading: ZoneReading) -> dict[str, Any]:
    return {"zone": reading.zone, "meaning": reading.meaning, "previous": reading.previous,
            "value": reading.value, "consumption": reading.consumption}


def _padded(values: tuple[Any, ...]) -> tuple[Any, Any, Any]:
    first, second, third = (*values, None, None, None)[:3]
    return first, second, third


class Submissions:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def record(self, new: NewSubmission) -> Submission:
        """Store the submission, queue it for upload and make its readings the meter's last ones,
        all in one durable transaction."""
        meter = new.meter
        if len(new.values) != len(meter.zones):
            raise ValueError("one value per zone of the meter is required")
        previous = _padded(tuple(zone.previous for zone in meter.zones))
        values = _padded(new.values)
        consumption = _padded(new.consumption)
        txn_id = str(uuid.uuid4())
        taken_at = new.taken_at.isoformat(timespec="seconds")
        with writing(self._engine) as connection:
            # Only if the last reading is still the one the rules checked against ("IS" matches NULLs).
            updated = connection.exec_driver_sql(
                "UPDATE meters SET last_t1 = ?, last_t2 = ?, last_t3 = ?, last_date = ? "
                "WHERE account = ? AND serial = ? AND zones = ? "
                "AND last_t1 IS ? AND last_t2 IS ? AND last_t3 IS ?",
                (*values, new.taken_at.date().isoformat(), meter.account, meter.serial,
                 len(meter.zones), *previous),
            ).rowcount
            if updated != 1:
                raise MeterChanged(f"meter {meter.serial} changed since its readings were checked")
            seq = connection.execute(
                submissions.insert().values(
                    txn_id=txn_id,
                    terminal_id=new.terminal_id,
                    account=meter.account,
                    meter=meter.serial,
                    zones=len(meter.zones),
                    meanings=",".join(zone.meaning for zone in meter.zones),
                    value_t1=values[0], value_t2=values[1], value_t3=values[2],
                    previous_t1=previous[0], previous_t2=previous[1], previous_t3=previous[2],
                    consumption_t1=consumption[0], consumption_t2=consumption[1],
                    consumption_t3=consumption[2],
                    total=new.total,
                    confirmed=json.dumps(list(new.confirmed)),
                    notices=json.dumps(list(new.notices)),
                    taken_at=taken_at,
                    period=new.period.strftime("%Y-%m"),
                    print_state="pending",
                    sync_state="pending",
                )
            ).inserted_primary_key[0]
            connection.execute(outbox.insert().values(seq=seq, enqueued_at=_utc_now()))
            row = connection.execute(select(submissions).where(submissions.c.seq == seq)).mappings().one()
        return _submission(row)

    def record_print(self, seq: int, *, printed: bool, reason: str | None) -> None:
        """The printer's outcome for this submission's slip (first print or a reprint)."""
        with writing(self._engine) as connection:
            if printed:
                connection.exec_driver_sql(
                    "UPDATE submissions SET print_state = 'printed', print_reason = NULL, "
                    "printed_at = ?, print_count = print_count + 1 WHERE seq = ?",
                    (_utc_now(), seq),
                )
            else:
                # A failed reprint does not undo an earlier printed slip.
                connection.exec_driver_sql(
                    "UPDATE submissions SET print_reason = ?, print_state = CASE "
                    "WHEN print_state = 'printed' THEN 'printed' ELSE 'failed' END WHERE seq = ?",
                    (reason, seq),
                )

    def record_pickup(self, seq: int, pickup: str) -> None:
        """What became of a slip a presenter held out: "presented", "taken" or "retracted". A
        retracted slip is noted as the print's reason: the customer went without it."""
        with writing(self._engine) as connection:
            connection.exec_driver_sql(
                "UPDATE submissions SET slip_pickup = ?, "
                "print_reason = CASE WHEN ? = 'retracted' THEN ? ELSE print_reason END WHERE seq = ?",
                (pickup, pickup, SLIP_RETRACTED, seq),
            )

    def get(self, *, seq: int | None = None, txn_id: str | None = None) -> Submission | None:
        query = select(submissions)
        query = query.where(submissions.c.seq == seq) if seq is not None else query.where(
            submissions.c.txn_id == txn_id)
        with self._engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        return _submission(row) if row else None

    def with_txn_prefix(self, prefix: str, *, limit: int = 10) -> list[Submission]:
        """The submissions whose txn_id begins with these hex digits (a slip's reference, from
        ``sync.reference.txn_prefix``), newest first: a reference two submissions share lists both."""
        digits = prefix.lower()
        # The txn_id is stored as the UUID's text, with a hyphen after its eighth digit; a range
        # rather than LIKE, so the unique index on txn_id finds it in one step.
        start = digits if len(digits) <= 8 else f"{digits[:8]}-{digits[8:]}"
        query = (select(submissions).where(submissions.c.txn_id >= start, submissions.c.txn_id < start + "g")
                 .order_by(submissions.c.seq.desc()).limit(limit))
        with self._engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [_submission(row) for row in rows]

    def latest(self, *, limit: int = 50, pending_only: bool = False) -> list[Submission]:
        """Newest first; pending means not yet answered by the office."""
        query = select(submissions).order_by(submissions.c.seq.desc()).limit(limit)
        if pending_only:
            query = query.where(submissions.c.sync_state == "pending")
        with self._engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [_submission(row) for row in rows]


def _utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _submission(row: RowMapping) -> Submission:
    meanings = row["meanings"].split(",")
    readings = tuple(
        ZoneReading(
            zone=position,
            meaning=meanings[position - 1],
            previous=row[f"previous_t{position}"],
            value=row[f"value_t{position}"],
            consumption=row[f"consumption_t{position}"],
        )
        for position in range(1, row["zones"] + 1)
    )
    return Submission(
        seq=row["seq"],
        txn_id=row["txn_id"],
        terminal_id=row["terminal_id"],
        account=row["account"],
        meter=row["meter"],
        readings=readings,
        total=row["total"],
        confirmed=tuple(json.loads(row["confirmed"])),
        notices=tuple(json.loads(row["notices"])),
        taken_at=row["taken_at"],
        period=row["period"],
        print_state=row["print_state"],
        print_reason=row["print_reason"],
        printed_at=row["printed_at"],
        slip_pickup=row["slip_pickup"],
        print_count=row["print_count"],
        sync_state=row["sync_state"],
        sync_code=row["sync_code"],
        sync_message=row["sync_message"],
    )
