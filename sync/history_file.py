"""The consumption history file: what billing billed each meter, per period and zone.

``account;meter;period;t1;t2;t3``, semicolon-separated UTF-8 with a header: kWh per zone for a
billing period ``YYYY-MM`` as billed (``t2`` and ``t3`` empty beyond the meter's zones). The
office keeps the last ``PERIODS_KEPT`` periods per meter and sends them with the directory.
Read by the one reader of every semicolon file; a bad row names its line and column and, when
they can be read, its account and meter (``key``).
"""

from __future__ import annotations

import re
from typing import Iterable, Iterator, NamedTuple

from sync.accounts import normalise_account
from sync.semicolon_file import BadCell, BadLine, RowError, Source, cells, field_at, loose_cells, read_header, read_lines
from sync.zones import MAX_ZONES

__all__ = ["COLUMNS", "HISTORY_TEXT", "HistoryPeriod", "HistoryRow", "PERIODS_KEPT", "history_text", "kept",
           "periods_of", "read_history"]

COLUMNS = ("account", "meter", "period", "t1", "t2", "t3")
PERIODS_KEPT = 12
PERIOD = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
_PERIOD = re.compile(PERIOD)
MAX_SERIAL_LENGTH = 32
# A month of a household's consumption stays far below this; above it is a column mixed up.
MAX_MONTHLY_KWH = 1_000_000


# One billed period of a meter: ("2026-10", (kWh T1, kWh T2, ...)).
HistoryPeriod = tuple[str, tuple[int, ...]]
# The kept periods span at most this many months: older ones go even when fewer than twelve.
MAX_MONTHS = 36
# A meter's history as it is stored and sent, compact: its first period, then each month's kWh
# per zone up to the last, a month without a bill left empty: "2025-12|150,62|138,58||121,50".
# A year takes a few bytes a month, and checking it is one match, not a dozen objects.
HISTORY_TEXT = (r"^[0-9]{4}-(0[1-9]|1[0-2])(\|([0-9]{1,9}(,[0-9]{1,9}){0,2})?){1,%d}$" % MAX_MONTHS)


def history_text(periods: Iterable[HistoryPeriod]) -> str:
    """The compact form (HISTORY_TEXT) of these periods; "" for none."""
    ordered = sorted(periods)
    if not ordered:
        return ""
    first = _month(ordered[0][0])
    values = {_month(period) - first: kwh for period, kwh in ordered}
    return "|".join([ordered[0][0], *(",".join(map(str, values[index])) if index in values else ""
                                      for index in range(max(values) + 1))])


def periods_of(text: str | None) -> tuple[HistoryPeriod, ...]:
    """The periods of a compact history, oldest first; ValueError when it is not one."""
    if not text:
        return ()
    first, *months = text.split("|")
    start = _month(first)
    return tuple((f"{(start + index) // 12:04d}-{(start + index) % 12 + 1:02d}",
                  tuple(int(value) for value in kwh.split(",")))
                 for index, kwh in enumerate(months) if kwh)


def kept(periods: Iterable[HistoryPeriod]) -> list[HistoryPeriod]:
    """What is kept of a meter's periods: the last PERIODS_KEPT, within MAX_MONTHS of the last."""
    latest = sorted(periods)[-PERIODS_KEPT:]
    if not latest:
        return []
    end = _month(latest[-1][0])
    return [(period, kwh) for period, kwh in latest if end - _month(period) < MAX_MONTHS]


def _month(period: str) -> int:
    year, month = period.split("-")
    return int(year) * 12 + int(month) - 1


class HistoryRow(NamedTuple):
    account: str
    meter: str
    period: str  # "2026-10"
    kwh: tuple[int, ...]  # one per zone given, T1 first


def read_history(source: Source, *, min_digits: int = 5, max_digits: int = 12) -> Iterator[HistoryRow | RowError]:
    """Each data row as a HistoryRow or a RowError, in file order; a file without a usable
    header is one RowError that ends reading."""
    lines = read_lines(source)
    names = read_header(lines, COLUMNS)
    if isinstance(names, RowError):
        yield names
        return
    layout = [names.index(column) for column in COLUMNS]

    def named(text: str, whole: bool) -> tuple[str, str] | None:
        found = loose_cells(text)
        if max(layout[0], layout[1]) >= len(found) - (0 if whole else 1):
            return None
        account = normalise_account(found[layout[0]].strip(), min_digits=min_digits, max_digits=max_digits)
        meter = found[layout[1]].strip()
        if account is None or not meter or len(meter) > MAX_SERIAL_LENGTH or not meter.isprintable():
            return None
        return account, meter

    seen: set[tuple[str, str, str]] = set()
    for line in lines:
        if isinstance(line, BadLine):
            field = field_at(line.text, line.position) if line.position is not None else len(names)
            yield RowError(line.number, names[field] if field < len(names) else None, line.message,
                           key=named(line.text, line.ended and line.position is not None))
            continue
        number, text, ended = line
        try:
            found = cells(text)
        except ValueError as exc:
            yield RowError(number, None, f"cannot be read as CSV: {exc}", key=named(text, ended))
            continue
        if not any(cell.strip() for cell in found):
            continue
        if len(found) != len(names):
            message = f"{len(found)} columns where the header has {len(names)}"
            if not ended:
                message += "; the file's last line has no line ending, so the file may be cut short"
            yield RowError(number, None, message, key=named(text, ended))
            continue
        try:
            row = _row([found[i].strip() for i in layout], min_digits, max_digits)
        except BadCell as bad:
            yield RowError(number, bad.column, bad.message, key=named(text, ended))
            continue
        key = (row.account, row.meter, row.period)
        if key in seen:
            yield RowError(number, "period", f"meter {row.meter} of account {row.account}: period {row.period} "
                           "is given twice", key=key[:2])
            continue
        seen.add(key)
        yield row


def _row(values: list[str], min_digits: int, max_digits: int) -> HistoryRow:
    raw_account, meter, period, *zones = values
    account = normalise_account(raw_account, min_digits=min_digits, max_digits=max_digits)
    if account is None:
        raise BadCell("account", f"{raw_account!r} is not an account number")
    if not meter or len(meter) > MAX_SERIAL_LENGTH or not meter.isprintable():
        raise BadCell("meter", f"a meter serial of 1 to {MAX_SERIAL_LENGTH} printable characters is required")
    if not _PERIOD.match(period):
        raise BadCell("period", f"{period!r} is not a billing period like 2026-10")
    kwh: list[int] = []
    for position, text in enumerate(zones[:MAX_ZONES], 1):
        column = f"t{position}"
        if not text:
            if position == 1:
                raise BadCell(column, "the consumption of T1 is required")
            if any(zones[position:]):
                raise BadCell(column, f"{column} is empty while a later zone is given")
            break
        if not (text.isascii() and text.isdigit()):
            raise BadCell(column, f"{text!r} is not a whole number of kWh")
        value = int(text)
        if value > MAX_MONTHLY_KWH:
            raise BadCell(column, f"{value} kWh in a month is above {MAX_MONTHLY_KWH}")
        kwh.append(value)
    return HistoryRow(account, meter, period, tuple(kwh))
