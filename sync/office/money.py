"""Tariffs and consumption history at the office: importing billing's files, serving the prices.

A tariff import replaces the prices of every tariff the file names, and removes the tariffs it
does not name, in one transaction; bad rows refuse it all unless ``skip_bad``, and then a
tariff named by a bad row keeps every price it had (half a tariff's periods would price some
days wrongly), while a bad row that names no tariff for certain holds back every removal.

A history import adds billed periods to the meters' history (a period given again replaces the
one held) and keeps the last twelve (``sync.history_file.kept``); a meter whose history changes takes a new change
number, so terminals that ask for money (``include=money``) get it with their next pull.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterable

from sqlalchemy import Connection, Engine, bindparam, delete, func, select, update

from sync.history_file import HistoryRow, history_text, kept, periods_of
from sync.office.bad_rows import Counted, ImportRefused, Removing, good_rows, refuse_bad_rows
from sync.office.database import writing
from sync.office.directory import chunks, current_version, take_change_numbers
from sync.office.schema import meters, tariff_prices
from sync.semicolon_file import RowError
from sync.tariff_file import MAX_PRICES, TariffPrice

__all__ = ["HistorySummary", "Refused", "TariffSummary", "import_history", "import_tariffs", "tariff_list"]


@dataclass
class TariffSummary(Removing):
    prices: int = 0
    tariffs: int = 0
    removed_tariffs: int = 0
    kept_tariffs: int = 0  # tariffs named by bad rows, left as they were
    bad_rows: int = 0
    removals_held_back_by: int = 0
    errors: list[RowError] = field(default_factory=list, repr=False)


@dataclass
class HistorySummary(Counted):
    rows: int = 0
    meters_changed: int = 0
    meters_unchanged: int = 0
    # Rows for meters the directory does not hold live: billing knows more meters than the
    # terminals serve, so they are counted, not refused.
    unknown_meter_rows: int = 0
    bad_rows: int = 0
    version: int = 0
    errors: list[RowError] = field(default_factory=list, repr=False)


class Refused(ImportRefused):
    """A tariff or history import was rolled back: nothing of it was written."""


def import_tariffs(engine: Engine, rows: Iterable[TariffPrice | RowError], *, skip_bad: bool = False) -> TariffSummary:
    summary = TariffSummary()
    named_by_bad: set[str] = set()
    good: list[TariffPrice] = list(good_rows(rows, summary, lambda key: named_by_bad.add(key[0])))
    refuse_bad_rows(summary, skip_bad, Refused)
    taken = [row for row in good if row.tariff not in named_by_bad]
    codes = {row.tariff for row in taken}
    with writing(engine) as connection:
        held = set(connection.execute(select(tariff_prices.c.tariff).distinct()).scalars())
        summary.kept_tariffs = len(held & named_by_bad)
        replaced = codes | (set() if summary.removals_held_back_by else held - named_by_bad)
        if replaced:
            connection.execute(delete(tariff_prices).where(tariff_prices.c.tariff.in_(sorted(replaced))))
        if taken:
            if len(taken) + _count(connection) > MAX_PRICES:
                raise Refused(f"more than {MAX_PRICES:,} prices in all: terminals take no more, so nothing "
                              "was imported", summary)
            connection.execute(tariff_prices.insert(), [
                {"tariff": row.tariff, "zone": row.zone.value, "valid_from": row.valid_from, "price": row.price}
                for row in taken
            ])
        summary.removed_tariffs = len(replaced - codes)
        summary.prices = len(taken)
        summary.tariffs = len(codes)
    return summary


def _count(connection: Connection) -> int:
    return connection.execute(select(func.count()).select_from(tariff_prices)).scalar_one()


def tariff_list(engine: Engine) -> bytes:
    """Every price, as the protocol's TariffList in JSON; its version is a digest of the prices,
    so it changes exactly when they do."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(tariff_prices.c.tariff, tariff_prices.c.zone, tariff_prices.c.price, tariff_prices.c.valid_from)
            .order_by(tariff_prices.c.tariff, tariff_prices.c.zone, tariff_prices.c.valid_from)
        ).all()
    prices = [{"tariff": row.tariff, "zone": row.zone, "price": _price_text(row.price),
               "valid_from": row.valid_from.isoformat()} for row in rows]
    body = json.dumps(prices, ensure_ascii=False, separators=(",", ":"))
    version = hashlib.sha256(body.encode()).hexdigest()[:16]
    return f'{{"version":"{version}","prices":{body}}}'.encode()


def _price_text(price: object) -> str:
    # SQLite hands a Numeric back through a float: four decimals is all a price has.
    return f"{Decimal(str(price)).quantize(Decimal('0.0001'))}"


def import_history(engine: Engine, rows: Iterable[HistoryRow | RowError], *, skip_bad: bool = False) -> HistorySummary:
    """Merge the billed periods into the meters' history, in one transaction; bad rows roll it
    all back (``ImportRefused``) unless ``skip_bad``. A file that could not be read always does."""
    summary = HistorySummary()
    with writing(engine) as connection:
        take_change_numbers(connection, 0)  # holds the counter: pages see this import whole or not at all
        # A meter's periods may lie in several chunks of the file: meters are counted once.
        changed: set[int] = set()
        unchanged: set[int] = set()
        for chunk in chunks(good_rows(rows, summary)):
            _merge_chunk(connection, chunk, summary, changed, unchanged)
        summary.meters_changed, summary.meters_unchanged = len(changed), len(unchanged - changed)
        refuse_bad_rows(summary, skip_bad, Refused)
        summary.version = current_version(connection)
    return summary


def _merge_chunk(connection: Connection, chunk: list[HistoryRow], summary: HistorySummary, changed: set[int],
                 unchanged: set[int]) -> None:
    summary.rows += len(chunk)
    by_meter: dict[tuple[str, str], dict[str, tuple[int, ...]]] = {}
    for row in chunk:
        by_meter.setdefault((row.account, row.meter), {})[row.period] = row.kwh
    held = {
        (row.account, row.serial): row
        for row in connection.execute(
            select(meters.c.id, meters.c.account, meters.c.serial, meters.c.history)
            .where(meters.c.account.in_(sorted({account for account, _ in by_meter})), meters.c.removed.is_(False))
        )
    }
    changes = []
    for key, periods in by_meter.items():
        old = held.get(key)
        if old is None:
            summary.unknown_meter_rows += len(periods)
            continue
        merged = dict(periods_of(old.history))
        merged.update(periods)
        text = history_text(kept(merged.items()))
        if text == old.history:
            unchanged.add(old.id)
        else:
            changes.append({"meter_id": old.id, "history": text})
            changed.add(old.id)
    if not changes:
        return
    first = take_change_numbers(connection, len(changes))
    for offset, values in enumerate(changes):
        values["change_seq"] = first + offset
    connection.execute(
        update(meters).where(meters.c.id == bindparam("meter_id"))
        .values(history=bindparam("history"), change_seq=bindparam("change_seq")),
        changes,
    )
