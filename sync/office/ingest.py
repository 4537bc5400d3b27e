"""Storing a batch of submissions: idempotent by txn_id, checked against the office's directory.

A txn_id already held answers ``duplicate`` when the content is the same and ``conflict`` when
it is not (the stored one stays; the newcomer is kept aside for a person). A new item whose meter
the office does not know, or whose zones or digits do not fit the meter, is ``rejected``. Each
accepted reading becomes its meter's last reading, with a new change number, so the other
terminals learn it with their next directory pull.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import Connection, Engine, bindparam, insert, select, text, update

from sync.office.database import writing
from sync.office.directory import take_change_numbers
from sync.office.schema import conflicts, meters, submissions
from sync.office.terminals import utc_now
from sync.wire import ItemOutcome, Submission


@dataclass(frozen=True)
class _Item:
    submission: Submission
    txn_id: str
    payload: str
    content_hash: str


def store_batch(engine: Engine, terminal_id: str, batch: Iterable[Submission]) -> list[ItemOutcome]:
    """One answer per item, in the order sent."""
    items = [_item(submission) for submission in batch]
    outcomes: dict[str, ItemOutcome] = {}  # by txn_id, for the first item with it
    firsts: dict[str, _Item] = {}
    with writing(engine) as connection:
        now = utc_now()
        held = _held(connection, [item.txn_id for item in items])
        for item in items:
            if item.txn_id in firsts:
                continue
            firsts[item.txn_id] = item
            if item.txn_id in held:
                outcomes[item.txn_id] = _repeat(connection, item, held[item.txn_id], terminal_id, now)
        fresh = [item for item in firsts.values() if item.txn_id not in outcomes]
        directory = _meters_of(connection, fresh)
        accepted: list[_Item] = []
        for item in fresh:
            problem = _problem(item.submission, terminal_id, directory)
            if problem is None:
                accepted.append(item)
            else:
                code, message = problem
                outcomes[item.txn_id] = ItemOutcome(txn_id=item.txn_id, status="rejected", code=code, message=message)
        inserted = _insert(connection, accepted, now)
        raced = [item for item in accepted if item.txn_id not in inserted]
        if raced:  # a concurrent request stored the same txn_id first
            held = _held(connection, [item.txn_id for item in raced])
            for item in raced:
                outcomes[item.txn_id] = _repeat(connection, item, held[item.txn_id], terminal_id, now)
        stored = [item for item in accepted if item.txn_id in inserted]
        _update_last_readings(connection, stored, directory)
        for item in stored:
            outcomes[item.txn_id] = ItemOutcome(txn_id=item.txn_id, status="accepted")
        answers = []
        for item in items:
            first = firsts[item.txn_id]
            outcome = outcomes[item.txn_id]
            if item is not first:  # the same txn_id again inside this batch
                if item.content_hash != first.content_hash:
                    outcome = _repeat(connection, item, first.content_hash, terminal_id, now)
                elif outcome.status == "accepted":
                    outcome = ItemOutcome(txn_id=item.txn_id, status="duplicate")
            answers.append(outcome)
    return answers


def _item(submission: Submission) -> _Item:
    payload = submission.model_dump_json()
    return _Item(submission, str(submission.txn_id), payload, hashlib.sha256(payload.encode()).hexdigest())


# On PostgreSQL a batch travels as one array per column (``= ANY``, ``unnest``): one short
# statement whatever the batch size, which psycopg converts once and the server plans once. The
# multi-row VALUES SQLAlchemy builds otherwise has thousands of placeholders, and re-parsing that
# text on every request cost more than the database's work.
_PG_HELD = text("SELECT txn_id, content_hash FROM office_submissions WHERE txn_id = ANY(CAST(:ids AS text[]))")
_PG_METERS = text(
    "SELECT id, account, serial, zones, digits, meanings, last_date FROM office_meters "
    "WHERE account = ANY(CAST(:accounts AS text[])) AND NOT removed"
)
_PG_INSERT = text(
    "INSERT INTO office_submissions (txn_id, terminal_id, seq, account, meter, taken_at, period, payload, "
    "content_hash, received_at) "
    "SELECT txn_id, terminal_id, seq, account, meter, taken_at, period, payload, content_hash, :received_at "
    "FROM unnest(CAST(:txn_id AS text[]), CAST(:terminal_id AS text[]), CAST(:seq AS bigint[]), "
    "CAST(:account AS text[]), CAST(:meter AS text[]), CAST(:taken_at AS text[]), CAST(:period AS text[]), "
    "CAST(:payload AS text[]), CAST(:content_hash AS text[])) "
    "AS batch (txn_id, terminal_id, seq, account, meter, taken_at, period, payload, content_hash) "
    "ON CONFLICT (txn_id) DO NOTHING RETURNING txn_id"
)
_PG_LAST_READINGS = text(
    "UPDATE office_meters SET last_date = batch.new_date, last_t1 = batch.t1, last_t2 = batch.t2, "
    "last_t3 = batch.t3, change_seq = batch.seq "
    "FROM unnest(CAST(:meter_id AS integer[]), CAST(:new_date AS date[]), CAST(:seq AS bigint[]), "
    "CAST(:t1 AS bigint[]), CAST(:t2 AS bigint[]), CAST(:t3 AS bigint[])) "
    "AS batch (meter_id, new_date, seq, t1, t2, t3) "
    "WHERE office_meters.id = batch.meter_id "
    "AND (office_meters.last_date IS NULL OR office_meters.last_date <= batch.new_date)"
)


def _is_postgresql(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"


def _columns(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Rows (all with the same keys) as one list per key: the parameters of an ``unnest``."""
    return {key: [row[key] for row in rows] for key in rows[0]}


def _held(connection: Connection, txn_ids: list[str]) -> dict[str, str]:
    if not txn_ids:
        return {}
    if _is_postgresql(connection):
        rows = connection.execute(_PG_HELD, {"ids": txn_ids})
    else:
        rows = connection.execute(
            select(submissions.c.txn_id, submissions.c.content_hash).where(submissions.c.txn_id.in_(txn_ids))
        )
    return {row.txn_id: row.content_hash for row in rows}


def _repeat(connection: Connection, item: _Item, held_hash: str, terminal_id: str, now: Any) -> ItemOutcome:
    if held_hash == item.content_hash:
        return ItemOutcome(txn_id=item.txn_id, status="duplicate")
    connection.execute(insert(conflicts).values(txn_id=item.txn_id, terminal_id=terminal_id,
                                                payload=item.payload, received_at=now))
    return ItemOutcome(txn_id=item.txn_id, status="conflict", code="txn_id_reused",
                       message="the office holds other content under this txn_id")


def _meters_of(connection: Connection, items: Iterable[_Item]) -> dict[tuple[str, str], Any]:
    accounts = {item.submission.account for item in items}
    if not accounts:
        return {}
    if _is_postgresql(connection):
        rows = connection.execute(_PG_METERS, {"accounts": sorted(accounts)})
    else:
        rows = connection.execute(
            select(meters.c.id, meters.c.account, meters.c.serial, meters.c.zones, meters.c.digits,
                   meters.c.meanings, meters.c.last_date)
            .where(meters.c.account.in_(sorted(accounts)), meters.c.removed.is_(False))
        )
    return {(row.account, row.serial): row for row in rows}


def _problem(submission: Submission, terminal_id: str, directory: dict[tuple[str, str], Any]) -> tuple[str, str] | None:
    if submission.terminal_id != terminal_id:
        return "terminal_mismatch", f"signed by {terminal_id}, but the item names {submission.terminal_id}"
    meter = directory.get((submission.account, submission.meter))
    if meter is None:
        return "meter_not_found", "the office's directory has no such meter on this account"
    if len(submission.readings) != meter.zones:
        return "wrong_zone_count", f"the meter has {meter.zones} zone(s)"
    meanings = meter.meanings.split(",")
    for reading in submission.readings:
        if reading.meaning != meanings[reading.zone - 1]:
            return "wrong_zone_meaning", f"T{reading.zone} of this meter is {meanings[reading.zone - 1]}"
        if reading.value >= 10**meter.digits:
            return "too_many_digits", f"the register has {meter.digits} digits"
    return None


def _insert(connection: Connection, items: list[_Item], now: Any) -> set[str]:
    if not items:
        return set()
    rows = [
        {
            "txn_id": item.txn_id, "terminal_id": item.submission.terminal_id, "seq": item.submission.seq,
            "account": item.submission.account, "meter": item.submission.meter,
            "taken_at": item.submission.taken_at.isoformat(), "period": item.submission.period,
            "payload": item.payload, "content_hash": item.content_hash,
        }
        for item in items
    ]
    if _is_postgresql(connection):
        result = connection.execute(_PG_INSERT, {**_columns(rows), "received_at": now})
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(submissions).on_conflict_do_nothing(index_elements=["txn_id"])
        result = connection.execute(statement.returning(submissions.c.txn_id),
                                    [{**row, "received_at": now} for row in rows])
    return set(result.scalars().all())


def _update_last_readings(connection: Connection, items: list[_Item], directory: dict[tuple[str, str], Any]) -> None:
    """Make each accepted reading its meter's last one, unless the office knows a later one."""
    latest: dict[int, Submission] = {}
    for item in items:
        meter_id = directory[(item.submission.account, item.submission.meter)].id
        current = latest.get(meter_id)
        if current is None or item.submission.taken_at > current.taken_at:
            latest[meter_id] = item.submission
    if not latest:
        return
    first = take_change_numbers(connection, len(latest))
    params = []
    for offset, (meter_id, submission) in enumerate(sorted(latest.items())):
        values = [reading.value for reading in submission.readings] + [None, None, None]
        params.append({
            "meter_id": meter_id, "new_date": submission.taken_at.date(), "seq": first + offset,
            "t1": values[0], "t2": values[1], "t3": values[2],
        })
    if _is_postgresql(connection):
        connection.execute(_PG_LAST_READINGS, _columns(params))
        return
    connection.execute(
        update(meters)
        .where(meters.c.id == bindparam("meter_id"),
               (meters.c.last_date.is_(None)) | (meters.c.last_date <= bindparam("new_date")))
        .values(last_date=bindparam("new_date"), last_t1=bindparam("t1"), last_t2=bindparam("t2"),
                last_t3=bindparam("t3"), change_seq=bindparam("seq")),
        params,
    )
