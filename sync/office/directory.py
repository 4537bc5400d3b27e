"""The office's account directory: loading the billing system's file, and serving changes.

Each change to a meter takes the next change number (``take_change_numbers``); a terminal asks
for the changes after the number it holds. An import replaces the whole directory: rows that are
new or differ get a number, rows absent from the file become removals, unchanged rows keep their
number, so a nightly import of the same file sends terminals nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from sqlalchemy import Connection, Engine, bindparam, func, select, update

from kiosk.directory_file import DirectoryRow
from sync.office.database import writing
from sync.office.schema import meters, state

# Rows are compared and written in chunks: big enough to amortise a statement, small enough to
# keep a million-row import's memory flat.
CHUNK = 5_000

_FIELDS = ("zones", "digits", "meanings", "last_date", "last_t1", "last_t2", "last_t3", "avg_kwh",
           "max_kwh", "holder", "address", "window_start", "window_end")


@dataclass
class ImportSummary:
    rows: int = 0
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    version: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def take_change_numbers(connection: Connection, count: int) -> int:
    """Reserve ``count`` change numbers and return the first. The counter row stays locked until
    the transaction ends, so change numbers commit in order (see schema.state)."""
    top = connection.execute(
        update(state).where(state.c.id == 1).values(change_seq=state.c.change_seq + count)
        .returning(state.c.change_seq)
    ).scalar_one()
    return top - count + 1


def current_version(connection: Connection) -> int:
    return connection.execute(select(state.c.change_seq).where(state.c.id == 1)).scalar_one()


def import_rows(engine: Engine, rows: Iterable[DirectoryRow]) -> ImportSummary:
    """Replace the directory by these rows, in one transaction."""
    summary = ImportSummary()
    with writing(engine) as connection:
        before = take_change_numbers(connection, 0) - 1  # locks the counter for the whole import
        kept: set[int] = set()
        for chunk in _chunks(rows):
            summary.rows += len(chunk)
            _import_chunk(connection, chunk, kept, summary)
        summary.removed = _remove_absent(connection, before, kept)
        summary.version = current_version(connection)
    return summary


def _chunks(rows: Iterable[DirectoryRow]) -> Iterator[list[DirectoryRow]]:
    chunk: list[DirectoryRow] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _import_chunk(connection: Connection, chunk: list[DirectoryRow], kept: set[int], summary: ImportSummary) -> None:
    existing = {
        (row.account, row.serial): row
        for row in connection.execute(
            select(meters).where(meters.c.account.in_(sorted({row.account for row in chunk})))
        )
    }
    inserts, updates = [], []
    for row in chunk:
        old = existing.get((row.account, row.meter))
        values = _merged(row, old)
        if old is None:
            inserts.append({"account": row.account, "serial": row.meter, **values})
        elif old.removed or any(getattr(old, name) != values[name] for name in _FIELDS):
            updates.append({"meter_id": old.id, **values})
        else:
            kept.add(old.id)
    if not inserts and not updates:
        summary.unchanged += len(chunk)
        return
    first = take_change_numbers(connection, len(inserts) + len(updates))
    for offset, values in enumerate(inserts + updates):
        values["change_seq"] = first + offset
    if inserts:
        connection.execute(meters.insert(), [{**values, "removed": False} for values in inserts])
    if updates:
        connection.execute(
            update(meters).where(meters.c.id == bindparam("meter_id"))
            .values(removed=False, change_seq=bindparam("change_seq"),
                    **{name: bindparam(name) for name in _FIELDS}),
            updates,
        )
    summary.added += len(inserts)
    summary.changed += len(updates)
    summary.unchanged += len(chunk) - len(inserts) - len(updates)


def _merged(row: DirectoryRow, old: Any) -> dict[str, Any]:
    """The meter as the file describes it, except that the office keeps its own last reading when
    it is later than the file's: a reading accepted today must not be undone by last night's
    billing export."""
    last = (*row.last, None, None, None)[:3]
    values = {
        "zones": row.zones, "digits": row.digits, "meanings": ",".join(row.meanings),
        "last_date": row.last_date, "last_t1": last[0], "last_t2": last[1], "last_t3": last[2],
        "avg_kwh": row.avg_kwh, "max_kwh": row.max_kwh, "holder": row.holder, "address": row.address,
        "window_start": row.window_start, "window_end": row.window_end,
    }
    if (old is not None and old.zones == row.zones and old.last_date is not None
            and (row.last_date is None or old.last_date > row.last_date)):
        values.update(last_date=old.last_date, last_t1=old.last_t1, last_t2=old.last_t2, last_t3=old.last_t3)
    return values


def _remove_absent(connection: Connection, before: int, kept: set[int]) -> int:
    """Mark removed every live meter the import neither kept nor wrote."""
    absent = [
        meter_id for meter_id in connection.execute(
            select(meters.c.id).where(meters.c.removed.is_(False), meters.c.change_seq <= before)
        ).scalars()
        if meter_id not in kept
    ]
    if not absent:
        return 0
    first = take_change_numbers(connection, len(absent))
    connection.execute(
        update(meters).where(meters.c.id == bindparam("meter_id"))
        .values(removed=True, change_seq=bindparam("change_seq")),
        [{"meter_id": meter_id, "change_seq": first + offset} for offset, meter_id in enumerate(absent)],
    )
    return len(absent)


def changes_page(engine: Engine, since: int, limit: int) -> dict[str, Any]:
    """The changes after ``since``, oldest first, as the protocol's DirectoryPage (a plain dict:
    a page is built for speed, a million meters on a terminal's first pull)."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(meters).where(meters.c.change_seq > since).order_by(meters.c.change_seq).limit(limit)
        ).all()
        if not rows:
            return {"version": current_version(connection), "more": False, "upserts": [],
                    "removed_meters": [], "removed_accounts": []}
        removed = [row for row in rows if row.removed]
        emptied: list[str] = []
        if removed:
            accounts = sorted({row.account for row in removed})
            alive = set(connection.execute(
                select(meters.c.account).where(meters.c.account.in_(accounts), meters.c.removed.is_(False))
                .distinct()
            ).scalars())
            emptied = [account for account in accounts if account not in alive]
    return {
        "version": rows[-1].change_seq,
        "more": len(rows) == limit,
        "upserts": [_entry(row) for row in rows if not row.removed],
        "removed_meters": [{"account": row.account, "meter": row.serial} for row in removed],
        "removed_accounts": emptied,
    }


def _entry(row: Any) -> dict[str, Any]:
    return {
        "account": row.account, "meter": row.serial, "zones": row.zones, "digits": row.digits,
        "meanings": row.meanings.split(","),
        "last_date": row.last_date.isoformat() if row.last_date else None,
        "last": [row.last_t1, row.last_t2, row.last_t3][: row.zones],
        "avg_kwh": row.avg_kwh, "max_kwh": row.max_kwh, "holder": row.holder, "address": row.address,
        "window_start": row.window_start, "window_end": row.window_end,
    }


def page_json(page: dict[str, Any]) -> bytes:
    return json.dumps(page, ensure_ascii=False, separators=(",", ":")).encode()


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        live = meters.c.removed.is_(False)
        return {
            "version": current_version(connection),
            "meters": connection.execute(select(func.count()).select_from(meters).where(live)).scalar_one(),
            "accounts": connection.execute(
                select(func.count(func.distinct(meters.c.account))).where(live)).scalar_one(),
        }

