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

from sqlalchemy import Connection, Engine, Text, bindparam, case, cast, func, literal_column, select, update

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


def changes_page(engine: Engine, since: int, limit: int) -> bytes:
    """The changes after ``since``, oldest first, as the protocol's DirectoryPage in JSON.

    A terminal's first pull reads a million meters: the database writes each entry's JSON itself
    (``_entry_json``), so the office's Python only joins the page's entries and never builds an
    object per meter."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(meters.c.change_seq, meters.c.removed, meters.c.account, meters.c.serial,
                   _entry_json(connection.dialect.name).label("entry"))
            .where(meters.c.change_seq > since).order_by(meters.c.change_seq).limit(limit)
        ).all()
        if not rows:
            return _page_json(current_version(connection), False, [], [], [])
        removed = [row for row in rows if row.removed]
        emptied: list[str] = []
        if removed:
            accounts = sorted({row.account for row in removed})
            alive = set(connection.execute(
                select(meters.c.account).where(meters.c.account.in_(accounts), meters.c.removed.is_(False))
                .distinct()
            ).scalars())
            emptied = [account for account in accounts if account not in alive]
    return _page_json(
        rows[-1].change_seq, len(rows) == limit, [row.entry for row in rows if not row.removed],
        [{"account": row.account, "meter": row.serial} for row in removed], emptied,
    )


def _entry_json(dialect: str) -> Any:
    """A live meter as a DirectoryEntry object, in JSON text made by the database.

    Keys are inlined (PostgreSQL cannot type a bound key); ``last`` holds one value per zone. The
    whole object is cast to text, so psycopg hands over the text rather than parse it."""
    m = meters.c
    if dialect == "postgresql":
        build, array = func.json_build_object, func.json_build_array
        meanings = func.to_json(func.string_to_array(m.meanings, literal_column("','")))
    else:
        build, array = func.json_object, func.json_array
        # SQLite's json() marks text as JSON, so json_object embeds it rather than quote it
        quoted = func.replace(m.meanings, literal_column("','"), literal_column("'\",\"'"))
        meanings = func.json(literal_column("'[\"'").op("||")(quoted).op("||")(literal_column("'\"]'")))
    last = case((m.zones == 1, array(m.last_t1)), (m.zones == 2, array(m.last_t1, m.last_t2)),
                else_=array(m.last_t1, m.last_t2, m.last_t3))
    if dialect != "postgresql":
        last = func.json(last)  # a CASE result loses SQLite's JSON mark; json() restores it
    fields = {
        "account": m.account, "meter": m.serial, "zones": m.zones, "digits": m.digits, "meanings": meanings,
        # ISO 8601 on both: SQLAlchemy stores a Date so in SQLite, and PostgreSQL's JSON of a date
        # is ISO whatever its DateStyle says
        "last_date": m.last_date, "last": last, "avg_kwh": m.avg_kwh, "max_kwh": m.max_kwh, "holder": m.holder,
        "address": m.address, "window_start": m.window_start, "window_end": m.window_end,
    }
    return cast(build(*(part for key, value in fields.items() for part in (literal_column(f"'{key}'"), value))),
                Text)


def _page_json(version: int, more: bool, upserts: list[str], removed_meters: list[dict[str, str]],
               removed_accounts: list[str]) -> bytes:
    def encode(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    return (f'{{"version":{version},"more":{encode(more)},"upserts":[{",".join(upserts)}],'
            f'"removed_meters":{encode(removed_meters)},"removed_accounts":{encode(removed_accounts)}}}').encode()


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        live = meters.c.removed.is_(False)
        return {
            "version": current_version(connection),
            "meters": connection.execute(select(func.count()).select_from(meters).where(live)).scalar_one(),
            "accounts": connection.execute(
                select(func.count(func.distinct(meters.c.account))).where(live)).scalar_one(),
        }

