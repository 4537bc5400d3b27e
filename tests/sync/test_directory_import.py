"""The office's directory import against damaged files: it removes only meters absent from a file
read to its end, never the meter of a bad row, and never more than it is allowed to.

Each damaged file here once removed meters it had not read (a stray quote in row 11 of 300
removed 290 of them, a windows-1251 byte all 300), on SQLite and on PostgreSQL."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Callable

import pytest
from sqlalchemy import Engine, select

from sync.directory_file import read_directory
from sync.office.directory import ImportRefused, MassRemoval, RemovalLimit, counts, import_rows
from sync.office.schema import meters
from tests.sync.support import directory_csv, meter_rows
from tests.sync.test_commands import run

ROWS = 300


def file_with(spoil: Callable[[bytes], bytes], row: int = 11, rows: int = ROWS) -> bytes:
    """The directory of ``rows`` meters as a file, data row ``row`` (1-based) spoiled."""
    lines = directory_csv(meter_rows(rows)).encode().split(b"\n")
    lines[row] = spoil(lines[row])
    return b"\n".join(lines)


def state(engine: Engine) -> dict[tuple[str, str], tuple[bool, int]]:
    with engine.connect() as connection:
        return {(r.account, r.serial): (r.removed, r.change_seq)
                for r in connection.execute(select(meters.c.account, meters.c.serial, meters.c.removed,
                                                   meters.c.change_seq))}


def load(engine: Engine, data: bytes, **options: object):  # type: ignore[no-untyped-def]
    return import_rows(engine, read_directory(io.BytesIO(data)), **options)  # type: ignore[arg-type]


@pytest.fixture
def loaded(office_engine: Engine) -> Engine:
    load(office_engine, directory_csv(meter_rows(ROWS)).encode())
    return office_engine


DAMAGE = {
    "open quote": lambda line: line.replace(";И".encode(), ';"И'.encode(), 1),
    "windows-1251 byte": lambda line: line.replace("И***".encode(), "И".encode("cp1251") + b"***", 1),
    "NUL": lambda line: line.replace(b"***", b"*\x00*", 1),
    "20 MB line": lambda line: line + b"x" * (20 * 2**20),
    "wrong column count": lambda line: line + b";extra",
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_bad_row_with_skip_bad_keeps_its_meter_and_removes_nothing(loaded: Engine, damage: str) -> None:
    before = state(loaded)
    summary = load(loaded, file_with(DAMAGE[damage]), skip_bad=True)
    assert (summary.bad_rows, summary.kept, summary.removed, summary.changed) == (1, 1, 0, 0)
    assert summary.errors[0].line == 12
    assert state(loaded) == before


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_without_skip_bad_a_bad_row_changes_nothing(loaded: Engine, damage: str) -> None:
    before = state(loaded)
    with pytest.raises(ImportRefused) as refused:
        load(loaded, file_with(DAMAGE[damage]).replace(b"SN-0000003", b"SN-9000003"))
    assert refused.value.summary.bad_rows == 1
    assert state(loaded) == before


def test_a_stray_quote_inside_a_field_is_read_as_a_character(loaded: Engine) -> None:
    summary = load(loaded, file_with(lambda line: line.replace(b"***", b'*"*', 1)), skip_bad=True)
    assert (summary.bad_rows, summary.changed, summary.removed) == (0, 1, 0)


def test_a_bad_row_that_names_no_meter_holds_back_every_removal(loaded: Engine) -> None:
    spoiled = file_with(lambda line: b"\xff" + line)  # the account itself cannot be read
    shorter = b"\n".join(spoiled.split(b"\n")[:-5]) + b"\n"  # and the last four meters are gone
    summary = load(loaded, shorter, skip_bad=True)
    assert (summary.bad_rows, summary.removals_held_back_by, summary.removed) == (1, 1, 0)
    assert counts(loaded)["meters"] == ROWS


def test_a_truncated_last_line_removes_nothing(loaded: Engine) -> None:
    text = directory_csv(meter_rows(ROWS)).encode()
    cut = text[:text.rindex(b"\n", 0, len(text) - 1) + 1 + 13]  # the last row cut inside its meter
    summary = load(loaded, cut, skip_bad=True)
    assert (summary.bad_rows, summary.removed) == (1, 0) and "cut short" in summary.errors[0].message
    assert counts(loaded)["meters"] == ROWS


def test_a_file_that_cannot_be_read_is_refused_even_with_skip_bad(loaded: Engine) -> None:
    before = state(loaded)
    for data in (b"", "account;meter;zones\n".encode() + b"1;2;3\n", "account;meter\n".encode("utf-16")):
        with pytest.raises(ImportRefused, match="could not be read"):
            load(loaded, data, skip_bad=True)
    assert state(loaded) == before


def test_the_guard_refuses_a_mass_removal_and_says_how_many(loaded: Engine) -> None:
    before = state(loaded)
    fewer = directory_csv(meter_rows(250)).encode()
    with pytest.raises(MassRemoval) as refused:
        load(loaded, fewer, max_removed=RemovalLimit(percent=5))
    assert (refused.value.would_remove, refused.value.live) == (50, ROWS)
    assert "remove 50 of 300 live meters, more than the 15 allowed (5%)" in str(refused.value)
    assert state(loaded) == before
    with pytest.raises(MassRemoval):
        load(loaded, fewer, max_removed=RemovalLimit(count=49))
    assert load(loaded, fewer, max_removed=RemovalLimit(count=50)).removed == 50
    assert counts(loaded)["meters"] == 250


def test_removal_limits_read_as_counts_or_percentages() -> None:
    assert RemovalLimit.parse("120").of(10_000) == 120
    assert RemovalLimit.parse("5%").of(10_000) == 500 and str(RemovalLimit.parse("5%")) == "5%"
    assert RemovalLimit.parse("0.5%").of(999) == 4
    for bad in ("-1", "lots", "101%", "nan%"):
        with pytest.raises(ValueError):
            RemovalLimit.parse(bad)


def test_the_office_command_reports_holds_back_and_guards(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = ["--db", str(tmp_path / "office.sqlite3")]
    good, damaged, fewer = tmp_path / "good.csv", tmp_path / "damaged.csv", tmp_path / "fewer.csv"
    good.write_bytes(directory_csv(meter_rows(ROWS)).encode())
    damaged.write_bytes(file_with(DAMAGE["windows-1251 byte"]))
    fewer.write_bytes(directory_csv(meter_rows(250)).encode())
    assert run(["office", "migrate", *db], capsys)[0] == 0
    assert run(["office", "directory", "import", str(good), *db], capsys)[0] == 0

    code, out, err = run(["office", "directory", "import", str(damaged), *db], capsys)
    assert code == 1 and "line 12, column holder: byte 0xC8" in err and "nothing was imported" in err
    code, out, err = run(["office", "directory", "import", str(damaged), "--skip-bad", *db], capsys)
    summary = json.loads(out)
    assert code == 0 and (summary["bad_rows"], summary["kept"], summary["removed"]) == (1, 1, 0)

    code, out, err = run(["office", "directory", "import", str(fewer), *db], capsys)
    assert code == 1 and json.loads(out)["would_remove"] == 50
    assert "would remove 50 of 300 live meters" in err and "--allow-mass-removal" in err
    with pytest.raises(SystemExit):
        run(["office", "directory", "import", str(fewer), "--max-removed", "x", *db], capsys)
    assert "a percentage of the live meters (5%)" in capsys.readouterr().err
    code, out, _ = run(["office", "directory", "import", str(fewer), "--max-removed", "50", *db], capsys)
    assert code == 0 and json.loads(out)["removed"] == 50
    code, out, _ = run(["office", "directory", "import", str(good), "--allow-mass-removal", *db], capsys)
    assert code == 0 and json.loads(out)["changed"] == 50
