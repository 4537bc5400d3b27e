"""The tariff file: the prices per kWh billing charges, by tariff, zone and the day they start.

``tariff;zone;price;valid_from``, semicolon-separated UTF-8 with a header, e.g.
``MSK-GAS-STOVE;day;7,0150;2026-07-01``. ``zone`` is a meaning (``single``, ``day``, ``night``,
``peak``, ``semi_peak``); ``price`` roubles per kWh with a comma or a dot and up to 4 decimals;
``valid_from`` an ISO date. Regulated prices change once or twice a year, so a file holds several
periods of several tariffs: the price in force on a reading's date is the one with the latest
``valid_from`` not after it. Read by the one reader of every semicolon file; a bad row names its
line and column and, when it can be read, its tariff (``key``), so an import keeps that tariff as
it was.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Iterator, NamedTuple

from sync.semicolon_file import BadCell, BadLine, RowError, Source, cells, field_at, loose_cells, read_header, read_lines
from sync.zones import ZoneMeaning

__all__ = ["COLUMNS", "MAX_PRICES", "TARIFF_CODE", "TariffPrice", "read_tariffs"]

COLUMNS = ("tariff", "zone", "price", "valid_from")
# Codes are identifiers billing gives its tariffs, e.g. MSK-GAS-STOVE.
TARIFF_CODE = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"
_CODE = re.compile(TARIFF_CODE)
_PRICE = re.compile(r"^([0-9]{1,4})(?:[.,]([0-9]{1,4}))?$")
# No household price comes near it; a figure above is a column mixed up.
MAX_PRICE = Decimal("1000")
# Prices one set may hold (every period of every tariff): a terminal takes no more from the
# office, so neither end imports more. A supplier has dozens.
MAX_PRICES = 10_000


class TariffPrice(NamedTuple):
    tariff: str
    zone: ZoneMeaning
    price: Decimal  # roubles per kWh, up to 4 decimals
    valid_from: date


def read_tariffs(source: Source) -> Iterator[TariffPrice | RowError]:
    """Each data row as a TariffPrice or a RowError, in file order; a file without a usable
    header is one RowError that ends reading."""
    lines = read_lines(source)
    names = read_header(lines, COLUMNS)
    if isinstance(names, RowError):
        yield names
        return
    layout = [names.index(column) for column in COLUMNS]
    seen: set[tuple[str, ZoneMeaning, date]] = set()
    for line in lines:
        if isinstance(line, BadLine):
            field = field_at(line.text, line.position) if line.position is not None else len(names)
            yield RowError(line.number, names[field] if field < len(names) else None, line.message,
                           key=_named_tariff(line.text, layout[0], line.ended and line.position is not None))
            continue
        number, text, ended = line
        try:
            found = cells(text)
        except ValueError as exc:
            yield RowError(number, None, f"cannot be read as CSV: {exc}", key=_named_tariff(text, layout[0], ended))
            continue
        if not any(cell.strip() for cell in found):
            continue
        if len(found) != len(names):
            message = f"{len(found)} columns where the header has {len(names)}"
            if not ended:
                message += "; the file's last line has no line ending, so the file may be cut short"
            yield RowError(number, None, message, key=_named_tariff(text, layout[0], ended))
            continue
        try:
            row = _row([found[i].strip() for i in layout])
        except BadCell as bad:
            yield RowError(number, bad.column, bad.message, key=_named_tariff(text, layout[0], ended))
            continue
        key = (row.tariff, row.zone, row.valid_from)
        if key in seen:
            yield RowError(number, "valid_from", f"tariff {row.tariff}, zone {row.zone.value}: the price from "
                           f"{row.valid_from.isoformat()} is given twice", key=(row.tariff,))
            continue
        seen.add(key)
        yield row


def _named_tariff(text: str, at: int, whole: bool) -> tuple[str] | None:
    found = loose_cells(text)
    if at >= len(found) - (0 if whole else 1):
        return None
    code = found[at].strip()
    return (code,) if _CODE.match(code) else None


def _row(values: list[str]) -> TariffPrice:
    code, zone_text, price_text, date_text = values
    if not _CODE.match(code):
        raise BadCell("tariff", f"{code!r} is not a tariff code: 1 to 40 Latin letters, digits, '.', '_' or '-'")
    try:
        zone = ZoneMeaning(zone_text.lower())
    except ValueError:
        allowed = ", ".join(meaning.value for meaning in ZoneMeaning)
        raise BadCell("zone", f"{zone_text!r}: the zone is one of {allowed}") from None
    return TariffPrice(code, zone, parse_price(price_text), _date(date_text))


def parse_price(text: str) -> Decimal:
    matched = _PRICE.match(text)
    if matched is None:
        raise BadCell("price", f"{text!r} is not a price like 6,43 or 7.0150 (roubles per kWh, up to 4 decimals)")
    price = Decimal(f"{matched.group(1)}.{matched.group(2) or '0'}")
    if not 0 < price < MAX_PRICE:
        raise BadCell("price", f"{text!r}: a price per kWh is above 0 and below {MAX_PRICE}")
    return price


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadCell("valid_from", f"{text!r} is not a date like 2026-07-01") from None
