"""The account directory file: one row per meter, semicolon-separated UTF-8 with a header.

``account;meter;zones;digits;last_date;last_t1;last_t2;last_t3;avg_kwh;holder;address;window_start;window_end``

Extra columns are ignored, except an optional ``max_kwh`` (a per-meter ceiling for one
submission's consumption), an optional ``meanings`` (e.g. ``day,night`` when a source
numbers its zones differently from the federal convention) and an optional ``tariff`` (the code
of the meter's prices in the tariff file, ``sync.tariff_file``; empty: no estimate). Every row
is checked here, the one place both the terminal and the office read this format; lines are
read by the reader every semicolon file goes through (``sync.semicolon_file``). A bad row yields a ``RowError`` that
names its line and column and, when they can be read, the account and meter it stands for
(``key``), so an import that replaces the directory keeps that meter as it was; reading goes on
so a person sees every problem at once.
"""

from __future__ import annotations

import functools
import re
from datetime import date
from typing import Callable, Iterator, NamedTuple

from sync.accounts import normalise_account
from sync.semicolon_file import BadCell, BadLine, Line, RowError, Source, cells, field_at, loose_cells, read_header, read_lines
from sync.tariff_file import TARIFF_CODE
from sync.zones import MAX_ZONES, STANDARD_MEANINGS, ZoneMeaning

__all__ = ["DirectoryRow", "OPTIONAL_COLUMNS", "REQUIRED_COLUMNS", "RowError", "read_directory"]

REQUIRED_COLUMNS = (
    "account", "meter", "zones", "digits", "last_date", "last_t1", "last_t2", "last_t3",
    "avg_kwh", "holder", "address", "window_start", "window_end",
)
OPTIONAL_COLUMNS = ("max_kwh", "meanings", "tariff")
MIN_DIGITS, MAX_DIGITS = 4, 8
MAX_SERIAL_LENGTH = 32
MAX_TEXT_LENGTH = 200
# Upper bounds for figures that no household meter reaches; they keep garbage out of the store.
MAX_MONTHLY_KWH = 1_000_000


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
    tariff: str | None = None
    # The office's last periods of billed consumption in their compact form
    # (sync.history_file.HISTORY_TEXT); None: not told (a file, or an office page without them),
    # so a store keeps what it had.
    history: str | None = None


def read_directory(source: Source, *, min_digits: int = 5, max_digits: int = 12) -> Iterator[DirectoryRow | RowError]:
    """Yield each data row as a DirectoryRow or a RowError, in file order.

    A path or a binary stream is read as UTF-8 with an optional BOM (``read_lines``). A file
    without a usable header is one RowError on line 1 that ends reading (``ends_reading``).
    """
    lines = read_lines(source)
    names = read_header(lines, REQUIRED_COLUMNS)
    if isinstance(names, RowError):
        yield names
        return
    yield from _rows(lines, names, min_digits, max_digits)


def _rows(lines: Iterator[Line | BadLine], names: list[str], min_digits: int,
          max_digits: int) -> Iterator[DirectoryRow | RowError]:
    layout = tuple(names.index(name) if name in names else -1 for name in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS))
    # Files in the documented column order take a faster road; any doubt sends a row down the
    # general one, which gives the same rows and the precise errors.
    canonical = _canonical_reader(min_digits, max_digits) if tuple(names) == REQUIRED_COLUMNS else None

    def named_meter(text: str, whole: bool) -> tuple[str, str] | None:
        return _named_meter(text, whole, layout[0], layout[1], min_digits, max_digits)

    seen: set[tuple[str, str]] = set()
    for line in lines:
        if type(line) is BadLine:
            field = field_at(line.text, line.position) if line.position is not None else len(names)
            column = names[field] if field < len(names) else None
            yield RowError(line.number, column, line.message, key=named_meter(line.text, line.ended and line.position is not None))
            continue
        number, text, ended = line
        row = canonical(text) if canonical is not None else None
        if row is None:
            try:
                found = cells(text)
            except ValueError as exc:
                yield RowError(number, None, f"cannot be read as CSV: {exc}", key=named_meter(text, ended))
                continue
            if not any(cell.strip() for cell in found):
                continue  # blank lines are harmless
            if len(found) != len(names):
                message = f"{len(found)} columns where the header has {len(names)}"
                if not ended:
                    message += ("; the file's last line has no line ending, so the file may be cut "
                                "short: take it again from its source")
                yield RowError(number, None, message, key=named_meter(text, ended))
                continue
            try:
                row = _row(found, layout, min_digits, max_digits)
            except BadCell as bad:
                yield RowError(number, bad.column, bad.message, key=named_meter(text, ended))
                continue
        key = (row.account, row.meter)
        if key in seen:
            yield RowError(number, "meter", f"meter {row.meter} of account {row.account} is listed twice", key=key)
            continue
        seen.add(key)
        yield row


def _named_meter(text: str, whole: bool, account_at: int, meter_at: int, min_digits: int,
                 max_digits: int) -> tuple[str, str] | None:
    """The account and meter a bad line stands for, when both can be read for certain. Of a line
    that may be cut short (``whole`` false: the file's last line without an ending, or the start
    of an overlong line) only fields with another after them count: its last may be cut too."""
    found = loose_cells(text)
    if max(account_at, meter_at) >= len(found) - (0 if whole else 1):
        return None
    account = normalise_account(found[account_at].strip(), min_digits=min_digits, max_digits=max_digits)
    meter = found[meter_at].strip()
    if (account is None or not meter or len(meter) > MAX_SERIAL_LENGTH or not meter.isprintable()
            or "\ufffd" in meter):
        return None
    return account, meter


@functools.lru_cache(maxsize=8)
def _canonical_reader(min_digits: int, max_digits: int) -> Callable[[str], DirectoryRow | None]:
    """A reader for one unquoted line (without its ending) in the documented column order; None
    when in any doubt."""
    text = r'([^;"]*)'

    def number(width: int) -> str:
        return rf"([0-9]{{1,{width}}})?"

    pattern = re.compile(
        rf"([0-9]{{{min_digits},{max_digits}}});"  # an account already in canonical form
        rf'([^;"\s](?:[^;"]{{0,{MAX_SERIAL_LENGTH - 2}}}[^;"\s])?);'  # the meter serial
        r"([1-3]);([4-8]);([0-9]{4}-[0-9]{2}-[0-9]{2})?;"
        + ";".join([number(MAX_DIGITS)] * MAX_ZONES)
        + f";{number(7)};{text};{text};{number(2)};{number(2)}"
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
     start_text, end_text, max_text, meanings_text, tariff_text) = [cells[i].strip() if i >= 0 else "" for i in layout]

    if raw_account.isdigit() and raw_account.isascii() and min_digits <= len(raw_account) <= max_digits:
        account: str | None = raw_account  # already canonical: the common case
    else:
        account = normalise_account(raw_account, min_digits=min_digits, max_digits=max_digits)
        if account is None:
            raise BadCell("account", f"{raw_account!r} is not an account number")
    if not meter or len(meter) > MAX_SERIAL_LENGTH or not meter.isprintable():
        raise BadCell("meter", f"a meter serial of 1 to {MAX_SERIAL_LENGTH} printable characters is required")
    zones = _integer(zones_text, "zones", 1, MAX_ZONES)
    digits = _integer(digits_text, "digits", MIN_DIGITS, MAX_DIGITS)
    last_date = _date(date_text)
    last: list[int | None] = []
    for position, text in enumerate(last_texts, 1):
        if position > zones:
            if text:
                column = f"last_t{position}"
                raise BadCell(column, f"the meter has {zones} zone(s): leave {column} empty")
            continue
        last.append(_integer(text, f"last_t{position}", 0, 10**digits - 1, optional=True) if text else None)
    if last_date is None and any(value is not None for value in last):
        raise BadCell("last_date", "last readings are given without their date")
    window_start = _integer(start_text, "window_start", 1, 31, optional=True)
    window_end = _integer(end_text, "window_end", 1, 31, optional=True)
    if (window_start is None) != (window_end is None):
        raise BadCell("window_start" if window_start is None else "window_end",
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
        _tariff(tariff_text),
    )


def _tariff(text: str) -> str | None:
    if not text:
        return None
    if not re.match(TARIFF_CODE, text):
        raise BadCell("tariff", f"{text!r} is not a tariff code: 1 to 40 Latin letters, digits, '.', '_' or '-'")
    return text


def _integer(text: str, column: str, low: int, high: int, *, optional: bool = False) -> int | None:
    if not text:
        if optional:
            return None
        raise BadCell(column, "a value is required")
    if not (text.isascii() and text.isdigit()):
        raise BadCell(column, f"{text!r} is not a whole number")
    value = int(text)
    if not low <= value <= high:
        raise BadCell(column, f"{value} is outside {low}..{high}")
    return value


def _date(text: str) -> date | None:
    if not text:
        return None
    found = _date_or_none(text)
    if found is None:
        raise BadCell("last_date", f"{text!r} is not a date like 2026-10-25")
    return found


def _text(text: str, column: str) -> str:
    if len(text) > MAX_TEXT_LENGTH:
        raise BadCell(column, f"longer than {MAX_TEXT_LENGTH} characters")
    if not text.isprintable():
        raise BadCell(column, "contains control characters")
    return text


def _meanings(text: str, zones: int) -> tuple[ZoneMeaning, ...]:
    if not text:
        return STANDARD_MEANINGS[zones]
    try:
        meanings = tuple(ZoneMeaning(part.strip()) for part in text.split(","))
    except ValueError:
        allowed = ", ".join(meaning.value for meaning in ZoneMeaning)
        raise BadCell("meanings", f"{text!r}: each meaning is one of {allowed}") from None
    if len(meanings) != zones:
        raise BadCell("meanings", f"{len(meanings)} meanings for {zones} zone(s)")
    return meanings
