"""The account directory file: one row per meter, semicolon-separated UTF-8 with a header.

``account;meter;zones;digits;last_date;last_t1;last_t2;last_t3;avg_kwh;holder;address;window_start;window_end``

Extra columns are ignored, except an optional ``max_kwh`` (a per-meter ceiling for one
submission's consumption) and an optional ``meanings`` (e.g. ``day,night`` when a source
numbers its zones differently from the federal convention). Every row is checked here, the one
place both the terminal and the office read this format; a bad row yields a ``RowError`` that
names its line and column, and reading goes on so a person sees every problem at once.
"""

from __future__ import annotations

import codecs
import functools
import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Iterator, NamedTuple

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
    lines = _lines(stream)
    reader = csv.reader(lines, delimiter=";")
    try:
        header = next(reader)
    except StopIteration:
        yield RowError(1, None, "the file is empty: a header row is required")
        return
    except UnicodeDecodeError:
        yield RowError(1, None, NOT_UTF8)
        return
    except csv.Error as exc:
        yield RowError(1, None, f"the header cannot be read: {exc}")
        return
    names = [name.strip().lstrip("\ufeff").lower() for name in header]
    missing = [column for column in REQUIRED_COLUMNS if column not in names]
    if missing:
        yield RowError(1, ", ".join(missing), "the header lacks these columns")
        return
    layout = tuple(names.index(name) if name in names else -1 for name in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS))
    seen: set[tuple[str, str]] = set()
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError:
            yield RowError(reader.line_num + 1, None, NOT_UTF8)
            return
        except csv.Error as exc:
            yield RowError(reader.line_num, None, f"cannot be read as CSV: {exc}")
            continue
        line = reader.line_num
        if not cells or all(not cell.strip() for cell in cells):
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


def _lines(stream: IO[str]) -> Iterator[str]:
    first = True
    for line in stream:
        if first:
            line = line.removeprefix(codecs.BOM_UTF8.decode())
            first = False
        yield line


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


@functools.lru_cache(maxsize=4096)  # a directory holds few distinct dates and many rows
def _date(text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _Bad("last_date", f"{text!r} is not a date like 2026-10-25") from None


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
