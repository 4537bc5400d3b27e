"""The office's account directory: loading the billing system's file, and serving changes.

Each change to a meter takes the next change number (``take_change_numbers``); a terminal asks
for the changes after the number it holds. An import replaces the whole directory: rows that are
new or differ get a number, rows absent from the file become removals, unchanged rows keep their
number, so a nightly import of the same file sends terminals nothing.

A removal is the one change a damaged file must never cause, so a meter is removed only when the
file was read to its end and did not name it: a bad row's meter stays as it was (its account and
meter are read from the bad row when they can be), a bad row that names no meter for certain
holds back every removal of that import, and a guard refuses an import that would remove more
than a set share of the live meters.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from sqlalchemy import Connection, Engine, Text, bindparam, case, cast, func, literal_column, select, update

from sync.directory_file import DirectoryRow
from sync.office.bad_rows import ImportRefused, Removing, Row, good_rows, refuse_bad_rows
from sync.office.database import writing
from sync.office.schema import meters, state
from sync.semicolon_file import RowError

# Rows are compared and written in chunks: big enough to amortise a statement, small enough to
# keep a million-row import's memory flat.
CHUNK = 5_000

_FIELDS = ("zones", "digits", "meanings", "last_date", "last_t1", "last_t2", "last_t3", "avg_kwh",
           "max_kwh", "holder", "address", "window_start", "window_end", "tariff")


@dataclass
class ImportSummary(Removing):
    rows: int = 0
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    version: int = 0
    bad_rows: int = 0
    kept: int = 0  # live meters on bad rows, left as they were
    # Bad rows whose meter could not be told: while there are any, nothing is removed.
    removals_held_back_by: int = 0
    errors: list[RowError] = field(default_factory=list, repr=False)


@dataclass(frozen=True)
class RemovalLimit:
    """How many live meters one import may remove: a count, or a percentage of the live meters."""

    count: int | None = None
    percent: float | None = None

    @classmethod
    def parse(cls, text: str) -> "RemovalLimit":
        """``120`` or ``5%``; ValueError otherwise."""
        text = text.strip()
        if text.endswith("%"):
            percent = float(text[:-1])
            if not (math.isfinite(percent) and 0 <= percent <= 100):
                raise ValueError(f"{text!r}: a percentage from 0% to 100%")
            return cls(percent=percent)
        count = int(text)
        if count < 0:
            raise ValueError(f"{text!r}: a count of meters cannot be negative")
        return cls(count=count)

    def of(self, live: int) -> int:
        if self.count is not None:
            return self.count
        return math.floor(live * (self.percent or 0.0) / 100)

    def __str__(self) -> str:
        return f"{self.count}" if self.count is not None else f"{self.percent:g}%"


DEFAULT_REMOVAL_LIMIT = RemovalLimit(percent=5.0)


class MassRemoval(ImportRefused):
    def __init__(self, would_remove: int, live: int, limit: RemovalLimit, summary: ImportSummary) -> None:
        super().__init__(f"the file would remove {would_remove} of {live} live meters, more than the "
                         f"{limit.of(live)} allowed ({limit})", summary)
        self.would_remove = would_remove
        self.live = live


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


def import_rows(engine: Engine, rows: Iterable[DirectoryRow | RowError], *, skip_bad: bool = False,
                max_removed: RemovalLimit | None = None) -> ImportSummary:
    """Replace the directory by these rows, in one transaction.

    Bad rows (``RowError``) roll it all back (``ImportRefused``) unless ``skip_bad``; a file that
    could not be read always does. ``max_removed`` (None: no limit) refuses an import that would
    remove more live meters (``MassRemoval``)."""
    summary = ImportSummary()
    named: set[tuple[str, str]] = set()
    good: Iterator[DirectoryRow] = good_rows(rows, summary, lambda key: named.add((key[0], key[1])))
    with writing(engine) as connection:
        before = take_change_numbers(connection, 0) - 1  # locks the counter for the whole import
        live = _live_count(connection)
        kept: set[int] = set()
        for chunk in chunks(good):
            summary.rows += len(chunk)
            _import_chunk(connection, chunk, kept, summary)
        refuse_bad_rows(summary, skip_bad)
        summary.kept = _keep_named(connection, named, before, kept)
        if not summary.removals_held_back_by:
            absent = _absent(connection, before, kept)
            if max_removed is not None and len(absent) > max_removed.of(live):
                raise MassRemoval(len(absent), live, max_removed, summary)
            summary.removed = _remove(connection, absent)
        summary.version = current_version(connection)
    return summary


def _live_count(connection: Connection) -> int:
    return connection.execute(select(func.count()).select_from(meters).where(meters.c.removed.is_(False))).scalar_one()


def chunks(rows: Iterable[Row]) -> Iterator[list[Row]]:
    """The rows in lists of ``CHUNK``, as they are read."""
    chunk: list[Row] = []
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
        "window_start": row.window_start, "window_end": row.window_end, "tariff": row.tariff,
    }
    if (old is not None and old.zones == row.zones and old.last_date is not None
            and (row.last_date is None or old.last_date > row.last_date)):
        values.update(last_date=old.last_date, last_t1=old.last_t1, last_t2=old.last_t2, last_t3=old.last_t3)
    return values


def _keep_named(connection: Connection, named: set[tuple[str, str]], before: int, kept: set[int]) -> int:
    """Keep, as they were, the live meters that bad rows name; how many there were."""
    count = 0
    ordered = sorted(named)
    for start in range(0, len(ordered), CHUNK):
        part = ordered[start:start + CHUNK]
        wanted = set(part)
        for meter_id, account, serial in connection.execute(
            select(meters.c.id, meters.c.account, meters.c.serial)
            .where(meters.c.account.in_(sorted({account for account, _ in part})), meters.c.removed.is_(False),
                   meters.c.change_seq <= before)
        ):
            if (account, serial) in wanted and meter_id not in kept:
                kept.add(meter_id)
                count += 1
    return count


def _absent(connection: Connection, before: int, kept: set[int]) -> list[int]:
    """Every live meter the import neither kept nor wrote."""
    return [
        meter_id for meter_id in connection.execute(
            select(meters.c.id).where(meters.c.removed.is_(False), meters.c.change_seq <= before)
        ).scalars()
        if meter_id not in kept
    ]


def _remove(connection: Connection, absent: list[int]) -> int:
    if not absent:
        return 0
    first = take_change_numbers(connection, len(absent))
    connection.execute(
        update(meters).where(meters.c.id == bindparam("meter_id"))
        .values(removed=True, change_seq=bindparam("change_seq")),
        [{"meter_id": meter_id, "change_seq": first + offset} for offset, meter_id in enumerate(absent)],
    )
    return len(absent)


def changes_page(engine: Engine, since: int, limit: int, *, money: bool = False) -> bytes:
    """The changes after ``since``, oldest first, as the protocol's DirectoryPage in JSON; with
    ``money`` each entry also carries its tariff and history (``include=money``).

    A terminal's first pull reads a million meters: the database writes each entry's JSON itself
    (``_entry_json``), so the office's Python only joins the page's entries and never builds an
    object per meter."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(meters.c.change_seq, meters.c.removed, meters.c.account, meters.c.serial,
                   _entry_json(connection.dialect.name, money).label("entry"))
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


def _entry_json(dialect: str, money: bool = False) -> Any:
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
    if money:
        fields["tariff"] = m.tariff
        fields["history"] = m.history
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

