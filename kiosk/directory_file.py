"""The account directory file: one row per meter, semicolon-separated UTF-8 with a header.

``account;meter;zones;digits;last_date;last_t1;last_t2;last_t3;avg_kwh;holder;address;window_start;window_end``

Extra columns are ignored, except an optional ``max_kwh`` (a per-meter ceiling for one
submission's consumption) and an optional ``meanings`` (e.g. ``day,night`` when a source
numbers its zones differently from the federal convention). Every row is checked here, the one
place both the terminal and the office read this format; a bad row yields a ``RowError`` that
names its line and column, and reading goes on so a person sees every problem at once.
"""

from __future__ import annotations

import functools
import csv
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Callable, Iterator, NamedTuple

from kiosk.accounts import normalise_account
from kiosk.meters import MAX_ZONES, STANDARD_MEANINGS, ZoneMeaning

REQUIRED_COLUMNS = (
    "account", "meter", "zones", "digits", "last_date", "last_t1", "last_t2", "last_t3",
    "avg_kwh", "holder", "address", "window_start", "window_end",
)
OPTIONAL_COLUMNS = ("max_kwh", "meanings")
MIN_DIGITS, MAX_DIGITS = 4, 8
MAX_SERIAL_LENGTH = 32
MAX_TEXT_LENGTH = 200
# Upper bounds for figures that no household meter reaches; they keep garbage out of the store.
MAX_MONTHLY_KWH = 1_000_000
NOT_UTF8 = "not UTF-8 text: save the file as UTF-8 and import it again"


class DirectoryRow(NamedTuple):
    """One meter of the directory. A NamedTuple: a million of them are made per import."""

    account: str
    meter: str
    zones: int
    digits: int
    meanings: tuple[ZoneMeaning, ...]
    last_date: date | None
    last: tuple[int | None, ...]
    avg_kwh: int | None
    max_kwh: int | None
    holder: str
    address: str
    window_start: int | None
    window_end: int | None


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


class _Bad(Exception):
    def __init__(self, column: str | None, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


def read_directory(
    source: str | Path | IO[str], *, min_digits: int = 5, max_digits: int = 12
) -> Iterator[DirectoryRow | RowError]:
    """Yield each data row as a DirectoryRow or a RowError, in file order.

    A path is opened as UTF-8 with an optional BOM; a text stream is read as it is (a leading
    BOM is dropped). A missing or incomplete header is a RowError on line 1 and ends reading.
    """
    if isinstance(source, (str, Path)):
        with open(source, encoding="utf-8-sig", newline="") as stream:
            yield from _read(stream, min_digits, max_digits)
    else:
        yield from _read(source, min_digits, max_digits)


def _read(stream: IO[str], min_digits: int, max_digits: int) -> Iterator[DirectoryRow | RowError]:
    records = _records(stream)
    try:
        first = next(records, None)
    except UnicodeDecodeError:
        yield RowError(1, None, NOT_UTF8)
        return
    if first is None:
        yield RowError(1, None, "the file is empty: a header row is required")
        return
    try:
        header = _cells(first[1].removeprefix("\ufeff"))
    except csv.Error as exc:
        yield RowError(1, None, f"the header cannot be read: {exc}")
        return
    names = [name.strip().lower() for name in header]
    missing = [column for column in REQUIRED_COLUMNS if column not in names]
    if missing:
        yield RowError(1, ", ".join(missing), "the header lacks these columns")
        return
    layout = tuple(names.index(name) if name in names else -1 for name in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS))
    # Files in the documented column order take a faster road; any doubt sends a row down the
    # general one, which gives the same rows and the precise errors.
    canonical = _canonical_reader(min_digits, max_digits) if tuple(names) == REQUIRED_COLUMNS else None
    seen: set[tuple[str, str]] = set()
    line = 1
    while True:
        try:
            record = next(records, None)
        except UnicodeDecodeError:
            yield RowError(line + 1, None, NOT_UTF8)
            return
        if record is None:
            return
        line, text = record
        row = canonical(text) if canonical is not None else None
        if row is None:
            try:
                cells = _cells(text)
            except csv.Error as exc:
                yield RowError(line, None, f"cannot be read as CSV: {exc}")
                continue
            if not any(cell.strip() for cell in cells):
                continue  # blank lines are harmless
            if len(cells) != len(names):
                yield RowError(line, None, f"{len(cells)} columns where the header has {len(names)}")
                continue
            try:
                row = _row(cells, layout, min_digits, max_digits)
            except _Bad as bad:
                yield RowError(line, bad.column, bad.message)
                continue
        key = (row.account, row.meter)
        if key in seen:
            yield RowError(line, "meter", f"meter {row.meter} of account {row.account} is listed twice")
            continue
        seen.add(key)
        yield row


def _records(stream: IO[str]) -> Iterator[tuple[int, str]]:
    """(first line number, text) of each record; a quoted field may span lines."""
    number = 0
    pending: list[str] = []
    start = 0
    for line in stream:
        number += 1
        if not pending and ('"' not in line or line.count('"') % 2 == 0):
            yield number, line
            continue
        if not pending:
            start = number
        pending.append(line)
        if "".join(pending).count('"') % 2 == 0:
            yield start, "".join(pending)
            pending = []
    if pending:
        yield start, "".join(pending)  # an unclosed quote: csv reports it


def _cells(text: str) -> list[str]:
    text = text.rstrip("\r\n")
    if '"' not in text:
        return text.split(";")
    return next(csv.reader([text], delimiter=";", strict=True), [])


@functools.lru_cache(maxsize=8)
def _canonical_reader(min_digits: int, max_digits: int) -> Callable[[str], DirectoryRow | None]:
    """A reader for one unquoted line in the documented column order; None when in any doubt."""
    text = r'([^;"]*)'

    def number(width: int) -> str:
        return rf"([0-9]{{1,{width}}})?"

    pattern = re.compile(
        rf"([0-9]{{{min_digits},{max_digits}}});"  # an account already in canonical form
        rf'([^;"\s](?:[^;"]{{0,{MAX_SERIAL_LENGTH - 2}}}[^;"\s])?);'  # the meter serial
        r"([1-3]);([4-8]);([0-9]{4}-[0-9]{2}-[0-9]{2})?;"
        + ";".join([number(MAX_DIGITS)] * MAX_ZONES)
        + f";{number(7)};{text};{text};{number(2)};{number(2)}" + r"\r?\n?"
    )
    match = pattern.fullmatch

    def read(line: str) -> DirectoryRow | None:
        # Written out by hand, without generators: this runs once per meter of the directory.
        found = match(line)
        if found is None:
            return None
        account, meter, zones_text, digits_text, date_text, t1, t2, t3, avg, holder, address, start, end = (
            found.groups())
        zones = int(zones_text)
        if (zones < 3 and t3 is not None) or (zones < 2 and t2 is not None):
            return None
        top = 10 ** int(digits_text)
        v1 = int(t1) if t1 is not None else None
        v2 = int(t2) if t2 is not None else None
        v3 = int(t3) if t3 is not None else None
        if (v1 is not None and v1 >= top) or (v2 is not None and v2 >= top) or (v3 is not None and v3 >= top):
            return None
        if date_text is not None:
            last_date = _date_or_none(date_text)
            if last_date is None:
                return None
        elif v1 is not None or v2 is not None or v3 is not None:
            return None
        else:
            last_date = None
        avg_kwh = int(avg) if avg is not None else None
        if avg_kwh is not None and avg_kwh > MAX_MONTHLY_KWH:
            return None
        if start is not None:
            if end is None:
                return None
            window_start, window_end = int(start), int(end)
            if not (1 <= window_start <= 31 and 1 <= window_end <= 31):
                return None
        elif end is not None:
            return None
        else:
            window_start = window_end = None
        holder, address = holder.strip(), address.strip()
        if (len(holder) > MAX_TEXT_LENGTH or len(address) > MAX_TEXT_LENGTH or not meter.isprintable()
                or not holder.isprintable() or not address.isprintable()):
            return None
        last = (v1,) if zones == 1 else (v1, v2) if zones == 2 else (v1, v2, v3)
        return DirectoryRow(account, meter, zones, int(digits_text), STANDARD_MEANINGS[zones], last_date,
                            last, avg_kwh, None, holder, address, window_start, window_end)

    return read


@functools.lru_cache(maxsize=4096)  # a directory holds few distinct dates and many rows
def _date_or_none(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _row(cells: list[str], layout: tuple[int, ...], min_digits: int, max_digits: int) -> DirectoryRow:
    # Called a million times for a utility's directory: cells are taken in one pass by position.
    (raw_account, meter, zones_text, digits_text, date_text, *last_texts, avg_text, holder, address,
     start_text, end_text, max_text, meanings_text) = [cells[i].strip() if i >= 0 else "" for i in layout]

    if raw_account.isdigit() and raw_account.isascii() and min_digits <= len(raw_account) <= max_digits:
        account: str | None = raw_account  # already canonical: the common case
    else:
        account = normalise_account(raw_account, min_digits=min_digits, max_digits=max_digits)
        if account is None:
            raise _Bad("account", f"{raw_account!r} is not an account number")
    if not meter or len(meter) > MAX_SERIAL_LENGTH or not meter.isprintable():
        raise _Bad("meter", f"a meter serial of 1 to {MAX_SERIAL_LENGTH} printable characters is required")
    zones = _integer(zones_text, "zones", 1, MAX_ZONES)
    digits = _integer(digits_text, "digits", MIN_DIGITS, MAX_DIGITS)
    last_date = _date(date_text)
    last: list[int | None] = []
    for position, text in enumerate(last_texts, 1):
        if position > zones:
            if text:
                column = f"last_t{position}"
                raise _Bad(column, f"the meter has {zones} zone(s): leave {column} empty")
            continue
        last.append(_integer(text, f"last_t{position}", 0, 10**digits - 1, optional=True) if text else None)
    if last_date is None and any(value is not None for value in last):
        raise _Bad("last_date", "last readings are given without their date")
    window_start = _integer(start_text, "window_start", 1, 31, optional=True)
    window_end = _integer(end_text, "window_end", 1, 31, optional=True)
    if (window_start is None) != (window_end is None):
        raise _Bad("window_start" if window_start is None else "window_end",
                   "give both window_start and window_end, or neither")
    return DirectoryRow(
        account,
        meter,
        zones,
        digits,
        _meanings(meanings_text, zones),
        last_date,
        tuple(last),
        _integer(avg_text, "avg_kwh", 0, MAX_MONTHLY_KWH, optional=True),
        _integer(max_text, "max_kwh", 1, MAX_MONTHLY_KWH, optional=True),
        _text(holder, "holder"),
        _text(address, "address"),
        window_start,
        window_end,
    )


def _integer(text: str, column: str, low: int, high: int, *, optional: bool = False) -> int | None:
    if not text:
        if optional:
            return None
        raise _Bad(column, "a value is required")
    if not (text.isascii() and text.isdigit()):
        raise _Bad(column, f"{text!r} is not a whole number")
    value = int(text)
    if not low <= value <= high:
        raise _Bad(column, f"{value} is outside {low}..{high}")
    return value


def _date(text: str) -> date | None:
    if not text:
        return None
    found = _date_or_none(text)
    if found is None:
        raise _Bad("last_date", f"{text!r} is not a date like 2026-10-25")
    return found


def _text(text: str, column: str) -> str:
    if len(text) > MAX_TEXT_LENGTH:
        raise _Bad(column, f"longer than {MAX_TEXT_LENGTH} characters")
    if not text.isprintable():
        raise _Bad(column, "contains control characters")
    return text


def _meanings(text: str, zones: int) -> tuple[ZoneMeaning, ...]:
    if not text:
        return STANDARD_MEANINGS[zones]
    try:
        meanings = tuple(ZoneMeaning(part.strip()) for part in text.split(","))
    except ValueError:
        allowed = ", ".join(meaning.value for meaning in ZoneMeaning)
        raise _Bad("meanings", f"{text!r}: each meaning is one of {allowed}") from None
    if len(meanings) != zones:
        raise _Bad("meanings", f"{len(meanings)} meanings for {zones} zone(s)")
    return meanings
