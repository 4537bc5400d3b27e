"""The directory file format: good rows, and every bad row named by line and column."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.directory_file import REQUIRED_COLUMNS, DirectoryRow, RowError, _canonical_reader, read_directory
from sync.semicolon_file import cells
from sync.zones import ZoneMeaning

from tests.support import directory_text

HEADER = ";".join(REQUIRED_COLUMNS)
GOOD = "2287008779;CE-1;2;5;2026-10-25;12345;6789;;120;И***в И. И.;ул. Лени***, д. 1*;;"


def read(text: str) -> list[DirectoryRow | RowError]:
    return list(read_directory(io.StringIO(text)))


def test_a_good_row() -> None:
    [row] = read(f"{HEADER}\n{GOOD}\n")
    assert row == DirectoryRow(
        account="2287008779", meter="CE-1", zones=2, digits=5,
        meanings=(ZoneMeaning.DAY, ZoneMeaning.NIGHT), last_date=date(2026, 10, 25),
        last=(12345, 6789), avg_kwh=120, max_kwh=None, holder="И***в И. И.",
        address="ул. Лени***, д. 1*", window_start=None, window_end=None,
    )


def test_bom_extra_columns_column_order_and_optional_columns(tmp_path: Path) -> None:
    columns = ["extra", *reversed(REQUIRED_COLUMNS), "meanings", "max_kwh"]
    values = dict(zip(REQUIRED_COLUMNS, GOOD.split(";")))
    values.update(extra="ignored", meanings="night,day", max_kwh="900")
    path = tmp_path / "directory.csv"
    path.write_bytes(("\ufeff" + ";".join(columns) + "\n" + ";".join(values[c] for c in columns) + "\n").encode())
    [row] = list(read_directory(path))
    assert isinstance(row, DirectoryRow)
    assert row.meanings == (ZoneMeaning.NIGHT, ZoneMeaning.DAY)
    assert row.max_kwh == 900


def test_accounts_are_normalised_on_import() -> None:
    [row] = read(f"{HEADER}\n" + GOOD.replace("2287008779", "л/с 2287 008-779", 1) + "\n")
    assert isinstance(row, DirectoryRow) and row.account == "2287008779"


@pytest.mark.parametrize(
    ("change", "column", "words"),
    [
        (("2287008779", "12"), "account", "not an account number"),
        (("CE-1", ""), "meter", "meter serial"),
        ((";2;5;", ";4;5;"), "zones", "outside 1..3"),
        ((";2;5;", ";2;9;"), "digits", "outside 4..8"),
        ((";2;5;", ";two;5;"), "zones", "not a whole number"),
        (("2026-10-25", "25.10.2026"), "last_date", "not a date"),
        (("12345;6789;;", "123456;6789;;"), "last_t1", "outside 0..99999"),
        (("12345;6789;;", "12345;6789;5;"), "last_t3", "leave last_t3 empty"),
        (("12345;6789;;", "-5;6789;;"), "last_t1", "not a whole number"),
        (("2026-10-25;", ";"), "last_date", "without their date"),
        ((";120;", ";lots;"), "avg_kwh", "not a whole number"),
        ((";;\n", ";20;\n"), "window_end", "both"),
        ((";;\n", ";20;40\n"), "window_end", "outside 1..31"),
        (("И***в И. И.", "И\x07"), "holder", "control characters"),
    ],
)
def test_bad_rows_name_line_and_column(change: tuple[str, str], column: str, words: str) -> None:
    bad = (GOOD + "\n").replace(*change, 1)
    results = read(f"{HEADER}\n{GOOD}\n" + bad.replace("CE-1", "CE-2", 1))
    assert isinstance(results[0], DirectoryRow)
    error = results[1]
    assert isinstance(error, RowError), error
    assert (error.line, error.column) == (3, column)
    assert words in error.message
    assert str(error).startswith(f"line 3, column {column}: ")


def test_a_duplicate_meter_is_an_error() -> None:
    results = read(f"{HEADER}\n{GOOD}\n{GOOD}\n")
    assert isinstance(results[1], RowError) and "twice" in results[1].message


def test_wrong_column_count_and_missing_header() -> None:
    [error] = read(f"{HEADER}\n2287008779;CE-1;2\n")
    assert isinstance(error, RowError) and error.line == 2 and "3 columns" in error.message
    [error] = read("account;meter\n" + GOOD + "\n")
    assert isinstance(error, RowError) and error.line == 1 and "zones" in (error.column or "")
    [error] = read("")
    assert isinstance(error, RowError) and "empty" in error.message


def test_blank_lines_are_skipped_and_quoted_fields_read() -> None:
    quoted = GOOD.replace("ул. Лени***, д. 1*", '"ул. Лени***; д. 1*"')
    results = read(f"{HEADER}\n\n{quoted}\n\n")
    assert len(results) == 1 and isinstance(results[0], DirectoryRow)
    assert results[0].address == "ул. Лени***; д. 1*"


def test_not_utf8_is_reported_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "cp1251.csv"
    path.write_bytes((HEADER + "\n" + GOOD + "\n").encode("cp1251"))
    results = list(read_directory(path))
    assert any(isinstance(r, RowError) and "UTF-8" in r.message for r in results)


def test_the_demo_directory_reads_clean() -> None:
    results = read(directory_text(2000))
    assert len(results) == 2000
    assert all(isinstance(r, DirectoryRow) for r in results)
    rows = [r for r in results if isinstance(r, DirectoryRow)]
    assert {r.zones for r in rows} == {1, 2, 3}
    assert {r.digits for r in rows} == {5, 6, 7, 8}
    near_rollover = [r for r in rows if any(v is not None and v > 0.99 * 10**r.digits for v in r.last)]
    assert near_rollover, "some readings sit just below the register's rollover"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
                min_size=1, max_size=16))
def test_no_row_crashes_the_reader(cells: list[str]) -> None:
    text = HEADER + "\n" + ";".join(cells) + "\n"
    for result in read(text):
        assert isinstance(result, (DirectoryRow, RowError))


_cell = st.one_of(
    st.sampled_from(["", "1", "2", "3", "5", "8", "9", "12345", "99999", "123456789", "2026-10-25",
                     "2026-02-30", " 7 ", "И***в И. И.", "ул. Лени***, д. 1*", "CE-1", "x", "-1", "31", "32"]),
    st.text(alphabet="0123456789-. ИAz\t", max_size=12),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_cell, min_size=13, max_size=13), min_size=1, max_size=5))
def test_the_fast_road_and_the_general_reader_agree(rows: list[list[str]]) -> None:
    """Files in the documented order are read by a faster road; a file with the same content
    in another column order takes the general one. Both must give the same rows and errors."""
    order = list(range(13))[::-1]
    canonical = HEADER + "\n" + "".join(";".join(cells) + "\n" for cells in rows)
    reordered = ";".join(REQUIRED_COLUMNS[i] for i in order) + "\n" + "".join(
        ";".join(cells[i] for i in order) + "\n" for cells in rows)
    assert read(canonical) == read(reordered)


def test_the_fast_road_takes_ordinary_rows() -> None:
    reader = _canonical_reader(5, 12)
    assert reader(GOOD) == read(f"{HEADER}\n{GOOD}\n")[0]
    assert reader(GOOD.replace("12345", "123456")) is None  # in doubt: the general reader


# --- damaged files: every bad row is named, with the meter it stands for when that is certain ---

def damaged(rows: int, line: int, spoil) -> bytes:  # type: ignore[no-untyped-def]
    """The demo directory's text with data row ``line`` (1-based) passed through ``spoil``."""
    lines = directory_text(rows).encode().split(b"\n")
    lines[line] = spoil(lines[line])
    return b"\n".join(lines)


def results_of(data: bytes) -> list[DirectoryRow | RowError]:
    return list(read_directory(io.BytesIO(data)))


def key_of(data: bytes, line: int) -> tuple[str, str]:
    account, meter = data.split(b"\n")[line - 1].split(b";")[:2]
    return account.decode(), meter.decode()


def test_a_stray_quote_inside_a_field_is_a_character_and_merges_nothing() -> None:
    data = damaged(300, 11, lambda line: line.replace("***".encode(), b'*"*', 1))
    results = results_of(data)
    assert len(results) == 300 and all(isinstance(r, DirectoryRow) for r in results)
    assert '"' in results[10].holder


def test_an_open_quote_spoils_its_row_only_and_names_its_meter() -> None:
    data = damaged(300, 11, lambda line: line.replace(";".encode() + "ул.".encode(), ';"ул.'.encode(), 1))
    results = results_of(data)
    errors = [r for r in results if isinstance(r, RowError)]
    assert len(results) == 300 and len(errors) == 1
    assert errors[0].line == 12 and "not closed" in errors[0].message
    assert errors[0].key == key_of(data, 12)


def test_a_windows_1251_byte_is_named_with_line_column_and_meter() -> None:
    data = damaged(300, 11, lambda line: line.replace("И***".encode(), "И".encode("cp1251") + "***".encode(), 1)
                   if "И***".encode() in line else line.replace("***".encode(), "Ж".encode("cp1251"), 1))
    [error] = [r for r in results_of(data) if isinstance(r, RowError)]
    assert (error.line, error.column) == (12, "holder")
    assert "not UTF-8" in error.message and "character" in error.message
    assert error.key == key_of(data, 12)


def test_a_nul_is_reported_with_its_meter() -> None:
    data = damaged(300, 11, lambda line: line.replace("***".encode(), b"*\x00*", 1))
    [error] = [r for r in results_of(data) if isinstance(r, RowError)]
    assert error.line == 12 and "control characters" in error.message and error.key == key_of(data, 12)


def test_a_20_mb_line_is_reported_and_the_rows_after_it_read() -> None:
    data = damaged(300, 11, lambda line: line + b"x" * (20 * 2**20))
    results = results_of(data)
    [error] = [r for r in results if isinstance(r, RowError)]
    assert error.line == 12 and "bytes long" in error.message and error.key == key_of(data, 12)
    assert len(results) == 300


def test_a_truncated_last_line_is_reported_and_names_no_meter_it_may_have_cut() -> None:
    text = directory_text(300).encode()
    cut = text[:text.rindex(b"\n", 0, len(text) - 1) + 1 + 14]  # the last row cut inside its meter
    results = results_of(cut)
    error = results[-1]
    assert isinstance(error, RowError) and error.line == 301 and "cut short" in error.message
    assert error.key is None
    assert len(results) == 300


def test_a_file_without_a_usable_header_ends_reading_and_says_so() -> None:
    for data in (b"", b"account;meter\n" + GOOD.encode(), b"\xff\xfe;header\n" + GOOD.encode(), b'"account;meter\n'):
        [error] = results_of(data)
        assert error.line == 1 and error.ends_reading


_damage = st.one_of(
    st.binary(max_size=60).map(lambda b: b.replace(b"\n", b"")),
    st.sampled_from([b'"', b"\xff", b"\x00", b";", b"\r", "Ш".encode("cp1251")]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 90), _damage), min_size=1, max_size=12))
def test_every_row_of_a_damaged_file_is_imported_or_reported(spoils: list[tuple[bool, int, bytes]]) -> None:
    """Whatever is done to some lines, each non-blank line gives exactly one row or one error,
    in order, and an untouched row is read as it was."""
    clean = directory_text(12).encode().split(b"\n")[:13]
    lines = list(clean)
    for index, (replace_all, at, junk) in enumerate(spoils):
        number = 1 + index % 12
        lines[number] = junk if replace_all else lines[number][:at] + junk + lines[number][at:]
    results = results_of(b"\n".join(lines) + b"\n")
    told = [number for number, raw in enumerate(lines[1:], 2) if not _blank(raw)]
    assert len(results) == len(told)
    clean_rows = results_of(b"\n".join(clean) + b"\n")
    for number, result in zip(told, results):
        if isinstance(result, RowError):
            assert result.line == number and result.message
        if lines[number - 1] == clean[number - 1]:
            assert result == clean_rows[number - 2]


def _blank(raw: bytes) -> bool:
    """A line the reader passes over: it decodes, splits, and holds nothing but blanks."""
    try:
        found = cells(raw.removesuffix(b"\r").decode())
    except ValueError:
        return False
    return not any(cell.strip() for cell in found)
