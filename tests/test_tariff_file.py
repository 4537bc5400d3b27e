"""The tariff and history files: good rows, and every bad row named by line and column."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest

from sync.directory_file import REQUIRED_COLUMNS, DirectoryRow, read_directory
from sync.history_file import HistoryRow, read_history
from sync.semicolon_file import RowError
from sync.tariff_file import TariffPrice, read_tariffs
from sync.zones import ZoneMeaning

HEADER = "tariff;zone;price;valid_from"


def tariffs(text: str) -> list[TariffPrice | RowError]:
    return list(read_tariffs(io.StringIO(text)))


def test_prices_with_a_comma_or_a_dot_for_every_zone_meaning() -> None:
    rows = tariffs(f"\ufeff{HEADER}\nMSK-GAS-STOVE;single;6,43;2026-01-01\nMSK-GAS-STOVE;day;7.0150;2026-07-01\n"
                   "TWO;night;2,1;2026-01-01\nTHREE;peak;9;2026-01-01\nTHREE;SEMI_PEAK;8,5;2026-01-01\n")
    assert rows == [
        TariffPrice("MSK-GAS-STOVE", ZoneMeaning.SINGLE, Decimal("6.43"), date(2026, 1, 1)),
        TariffPrice("MSK-GAS-STOVE", ZoneMeaning.DAY, Decimal("7.0150"), date(2026, 7, 1)),
        TariffPrice("TWO", ZoneMeaning.NIGHT, Decimal("2.1"), date(2026, 1, 1)),
        TariffPrice("THREE", ZoneMeaning.PEAK, Decimal("9"), date(2026, 1, 1)),
        TariffPrice("THREE", ZoneMeaning.SEMI_PEAK, Decimal("8.5"), date(2026, 1, 1)),
    ]


def test_columns_in_any_order_and_extra_columns() -> None:
    [row] = tariffs("valid_from;note;price;zone;tariff\n2026-07-01;x;6,43;day;A\n")
    assert row == TariffPrice("A", ZoneMeaning.DAY, Decimal("6.43"), date(2026, 7, 1))


@pytest.mark.parametrize(
    ("line", "column", "words"),
    [
        ("A B;day;6,43;2026-01-01", "tariff", "not a tariff code"),
        ("A;noon;6,43;2026-01-01", "zone", "the zone is one of"),
        ("A;day;6,43123;2026-01-01", "price", "up to 4 decimals"),
        ("A;day;-1;2026-01-01", "price", "not a price"),
        ("A;day;0;2026-01-01", "price", "above 0"),
        ("A;day;1 000;2026-01-01", "price", "not a price"),
        ("A;day;6,43;01.07.2026", "valid_from", "not a date"),
        ("A;day;6,43", None, "3 columns where the header has 4"),
    ],
)
def test_a_bad_row_is_named_by_line_and_column(line: str, column: str | None, words: str) -> None:
    rows = tariffs(f"{HEADER}\nA;night;2;2026-01-01\n{line}\nA;day;5;2025-01-01\n")
    assert [type(row) for row in rows] == [TariffPrice, RowError, TariffPrice]  # the rows after it are read
    error = rows[1]
    assert isinstance(error, RowError) and error.line == 3 and error.column == column and words in error.message
    assert error.key == (("A",) if column != "tariff" else None)


def test_a_price_given_twice_and_an_undecodable_byte() -> None:
    rows = list(read_tariffs(io.BytesIO(
        f"{HEADER}\nA;day;6;2026-01-01\nA;day;7;2026-01-01\n".encode() + b"B;day;6;2026-\xff1-01\n")))
    assert isinstance(rows[1], RowError) and rows[1].line == 3 and "given twice" in rows[1].message
    assert isinstance(rows[2], RowError) and rows[2].line == 4 and rows[2].column == "valid_from"
    assert rows[2].key == ("B",)


def test_a_file_without_the_header_is_refused_whole() -> None:
    [error] = tariffs("tariff;zone;price\nA;day;6\n")
    assert isinstance(error, RowError) and error.ends_reading and error.column == "valid_from"


def test_history_rows_and_bad_ones() -> None:
    rows = list(read_history(io.StringIO(
        "account;meter;period;t1;t2;t3\n"
        "л/с 2287 008-779;CE-1;2026-10;120;80;\n"
        "2287008779;CE-1;2026-13;1;;\n"
        "2287008779;CE-1;2026-09;;5;\n"
        "2287008779;CE-1;2026-08;1;;4\n"
        "2287008779;CE-1;2026-07;1,5;;\n"
        "2287008779;CE-1;2026-10;1;;\n"
        "2287008779;CE-1;2026-06;1;2;3\n")))
    assert rows[0] == HistoryRow("2287008779", "CE-1", "2026-10", (120, 80))
    assert [(e.line, e.column) for e in rows[1:6] if isinstance(e, RowError)] == [
        (3, "period"), (4, "t1"), (5, "t2"), (6, "t1"), (7, "period")]
    assert all(isinstance(e, RowError) and e.key == ("2287008779", "CE-1") for e in rows[1:6])
    assert rows[6] == HistoryRow("2287008779", "CE-1", "2026-06", (1, 2, 3))


def test_the_directory_takes_an_optional_tariff_column() -> None:
    header = ";".join((*REQUIRED_COLUMNS, "tariff"))
    good = "2287008779;CE-1;2;5;2026-10-25;12345;6789;;120;И***в И. И.;ул. Лени***, д. 1*;;"
    rows = list(read_directory(io.StringIO(f"{header}\n{good};MSK-GAS-STOVE\n{good.replace('CE-1', 'CE-2')};\n"
                                           f"{good.replace('CE-1', 'CE-3')};no tariff\n")))
    assert isinstance(rows[0], DirectoryRow) and rows[0].tariff == "MSK-GAS-STOVE" and rows[0].history is None
    assert isinstance(rows[1], DirectoryRow) and rows[1].tariff is None
    assert isinstance(rows[2], RowError) and rows[2].column == "tariff" and rows[2].line == 4


def test_the_compact_history_goes_there_and_back() -> None:
    from sync.history_file import history_text, kept, periods_of

    periods = (("2026-01", (3, 4)), ("2025-11", (1, 2)), ("2025-12", (5, 6)), ("2026-03", (7,)))
    assert history_text(periods) == "2025-11|1,2|5,6|3,4||7"
    assert periods_of("2025-11|1,2|5,6|3,4||7") == tuple(sorted(periods))
    assert history_text(()) == "" and periods_of("") == () and periods_of(None) == ()
    year = [(f"2025-{month:02d}", (month,)) for month in range(1, 13)] + [("2026-01", (13,))]
    assert [period for period, _ in kept(year)] == [f"2025-{month:02d}" for month in range(2, 13)] + ["2026-01"]
    assert kept([("2020-01", (1,)), ("2026-01", (2,))]) == [("2026-01", (2,))]  # more than 36 months apart


def test_more_prices_than_a_terminal_takes_are_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from kiosk.store import Store
    from sync.tariff_file import MAX_PRICES

    store = Store.open(tmp_path / "kiosk.sqlite3")
    try:
        rows = "".join(f"T{n};single;1;2026-01-01\n" for n in range(MAX_PRICES + 1))
        result = store.tariffs.import_rows(read_tariffs(io.StringIO(HEADER + "\n" + rows)))
        assert not result.imported and result.problem and store.tariffs.counts()["prices"] == 0
        assert store.tariffs.import_rows(read_tariffs(io.StringIO(HEADER + "\nA;day;1;2026-01-01\n"))).imported
    finally:
        store.close()
