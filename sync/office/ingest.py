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
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

from sqlalchemy import Connection, Engine, bindparam, func, insert, select, text, update

from sync.office.database import writing
from sync.office.directory import take_change_numbers
from sync.office.export import take_export_numbers
from sync.office.schema import conflicts, meters, submissions
from sync.office.settings import DEFAULT_MAX_CLOCK_SKEW
from sync.office.terminals import utc_now
from sync.wire import ItemOutcome, Submission


@dataclass(frozen=True)
class _Item:
    submission: Submission
    txn_id: str
    payload: str
    content_hash: str


def store_batch(engine: Engine, terminal_id: str, batch: Iterable[Submission], *,
                max_clock_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW) -> list[ItemOutcome]:
    """One answer per item, in the order sent.

    An item is judged against what the office stores: a txn_id already held answers duplicate or
    conflict; otherwise the first item of the batch with that txn_id that passes the checks is
    stored, and later ones with the same txn_id are compared with it. A rejected item stores
    nothing, so it never makes a later item with its txn_id a conflict."""
    items = [_item(submission) for submission in batch]
    latest_allowed = datetime.now(timezone.utc) + max_clock_skew
    outcomes: list[ItemOutcome | None] = [None] * len(items)
    with writing(engine) as connection:
        now = utc_now()
        held = _held(connection, list(dict.fromkeys(item.txn_id for item in items)))
        directory = _meters_of(connection, [item for item in items if item.txn_id not in held])
        chosen: dict[str, int] = {}  # txn_id → index of the item to store under it
        for index, item in enumerate(items):
            if item.txn_id in held:
                outcomes[index] = _repeat(connection, item, held[item.txn_id], terminal_id, now)
            elif item.txn_id not in chosen:
                problem = _problem(item.submission, terminal_id, directory, latest_allowed)
                if problem is None:
                    chosen[item.txn_id] = index
                else:
                    code, message = problem
                    outcomes[index] = ItemOutcome(txn_id=item.txn_id, status="rejected", code=code, message=message)
        accepted = [items[index] for index in chosen.values()]
        inserted = _insert(connection, accepted, now)
        stored = {item.txn_id: item.content_hash for item in accepted if item.txn_id in inserted}
        # a concurrent request stored some of these txn_ids first: compare with what it stored
        stored.update(_held(connection, [item.txn_id for item in accepted if item.txn_id not in inserted]))
        _update_last_readings(connection, [item for item in accepted if item.txn_id in inserted], directory)
        for index, item in enumerate(items):
            if outcomes[index] is not None:
                continue
            if chosen[item.txn_id] == index and item.txn_id in inserted:
                outcomes[index] = ItemOutcome(txn_id=item.txn_id, status="accepted")
            else:
                outcomes[index] = _repeat(connection, item, stored[item.txn_id], terminal_id, now)
    return [outcome for outcome in outcomes if outcome is not None]


def keep_instead(connection: Connection, terminal_id: str, incoming: Submission, replaced: Submission | None) -> None:
    """A person keeps ``incoming`` in place of ``replaced`` (one txn_id, a conflict resolved): it is
    judged as a new item is (ValueError with the reason it would be rejected), and becomes its
    meter's last reading exactly as an accepted one does. The replaced reading, when the meter's
    last reading is still that one, no longer counts: the kept one takes its place even at the same
    time and number, or earlier."""
    item = _item(incoming)
    directory = _meters_of(connection, [item])
    problem = _problem(incoming, terminal_id, directory, datetime.now(timezone.utc) + DEFAULT_MAX_CLOCK_SKEW)
    if problem is not None:
        raise ValueError(f"the office would reject the incoming content now ({problem[1]}); keep the stored one")
    meter = directory[(incoming.account, incoming.meter)]
    if replaced is not None and (replaced.account, replaced.meter) == (incoming.account, incoming.meter):
        m = meters.c
        # Its date goes too: it is the replaced reading's own, the directory file's was overwritten by it.
        connection.execute(update(meters).where(m.id == meter.id, m.last_taken_at == _utc(replaced.taken_at),
                                                func.coalesce(m.last_seq, 0) == replaced.seq)
                           .values(last_date=None, last_taken_at=None, last_seq=None))
    _update_last_readings(connection, [item], directory)


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
    "content_hash, export_seq, received_at) "
    "SELECT txn_id, terminal_id, seq, account, meter, taken_at, period, payload, content_hash, export_seq, "
    ":received_at "
    "FROM unnest(CAST(:txn_id AS text[]), CAST(:terminal_id AS text[]), CAST(:seq AS bigint[]), "
    "CAST(:account AS text[]), CAST(:meter AS text[]), CAST(:taken_at AS text[]), CAST(:period AS text[]), "
    "CAST(:payload AS text[]), CAST(:content_hash AS text[]), CAST(:export_seq AS bigint[])) "
    "AS batch (txn_id, terminal_id, seq, account, meter, taken_at, period, payload, content_hash, export_seq) "
    "ON CONFLICT (txn_id) DO NOTHING RETURNING txn_id"
)
_PG_LAST_READINGS = text(
    "UPDATE office_meters SET last_date = batch.new_date, last_t1 = batch.t1, last_t2 = batch.t2, "
    "last_t3 = batch.t3, last_taken_at = batch.taken_at, last_seq = batch.reading_seq, change_seq = batch.seq "
    "FROM unnest(CAST(:meter_id AS integer[]), CAST(:new_date AS date[]), CAST(:taken_at AS timestamp[]), "
    "CAST(:reading_seq AS bigint[]), CAST(:seq AS bigint[]), "
    "CAST(:t1 AS bigint[]), CAST(:t2 AS bigint[]), CAST(:t3 AS bigint[])) "
    "AS batch (meter_id, new_date, taken_at, reading_seq, seq, t1, t2, t3) "
    "WHERE office_meters.id = batch.meter_id "
    "AND (office_meters.last_date IS NULL OR office_meters.last_date <= batch.new_date) "
    "AND (office_meters.last_taken_at IS NULL "
    "OR (office_meters.last_taken_at, COALESCE(office_meters.last_seq, 0)) < (batch.taken_at, batch.reading_seq))"
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


def _problem(submission: Submission, terminal_id: str, directory: dict[tuple[str, str], Any],
             latest_allowed: datetime) -> tuple[str, str] | None:
    if submission.terminal_id != terminal_id:
        return "terminal_mismatch", f"signed by {terminal_id}, but the item names {submission.terminal_id}"
    if submission.taken_at > latest_allowed:
        return "taken_at_in_future", "taken_at is ahead of the office's clock by more than it allows: check the terminal's clock"
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
    # Numbers for billing's cursor, one per item; an item a concurrent request stored first
    # leaves its number unused, which a cursor does not mind.
    first = take_export_numbers(connection, len(items))
    rows = [
        {
            "txn_id": item.txn_id, "terminal_id": item.submission.terminal_id, "seq": item.submission.seq,
            "account": item.submission.account, "meter": item.submission.meter,
            "taken_at": item.submission.taken_at.isoformat(), "period": item.submission.period,
            "payload": item.payload, "content_hash": item.content_hash, "export_seq": first + offset,
        }
        for offset, item in enumerate(items)
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
    """Make each accepted reading its meter's last one, unless the office holds a later one: later
    by its full time (a 09:00 reading sent after a 15:00 one of the same day does not replace
    it), then by the terminal's sequence number, and never earlier than the directory file's date."""
    latest: dict[int, Submission] = {}
    for item in items:
        meter_id = directory[(item.submission.account, item.submission.meter)].id
        current = latest.get(meter_id)
        if current is None or _order(item.submission) > _order(current):
            latest[meter_id] = item.submission
    if not latest:
        return
    first = take_change_numbers(connection, len(latest))
    params = []
    for offset, (meter_id, submission) in enumerate(sorted(latest.items())):
        values = [reading.value for reading in submission.readings] + [None, None, None]
        params.append({
            "meter_id": meter_id, "new_date": submission.taken_at.date(), "taken_at": _utc(submission.taken_at),
            "reading_seq": submission.seq, "seq": first + offset, "t1": values[0], "t2": values[1], "t3": values[2],
        })
    if _is_postgresql(connection):
        connection.execute(_PG_LAST_READINGS, _columns(params))
        return
    m = meters.c
    taken_at, reading_seq = bindparam("taken_at", type_=m.last_taken_at.type), bindparam("reading_seq")
    connection.execute(
        update(meters)
        .where(m.id == bindparam("meter_id"),
               m.last_date.is_(None) | (m.last_date <= bindparam("new_date")),
               m.last_taken_at.is_(None) | (m.last_taken_at < taken_at)
               | ((m.last_taken_at == taken_at) & (func.coalesce(m.last_seq, 0) < reading_seq)))
        .values(last_date=bindparam("new_date"), last_t1=bindparam("t1"), last_t2=bindparam("t2"),
                last_t3=bindparam("t3"), last_taken_at=taken_at, last_seq=reading_seq,
                change_seq=bindparam("seq")),
        params,
    )


def _order(submission: Submission) -> tuple[datetime, int]:
    return submission.taken_at, submission.seq


def _utc(moment: datetime) -> datetime:
    """Naive UTC, as every DateTime column holds it."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None)
