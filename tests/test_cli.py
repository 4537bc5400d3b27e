"""The `kiosk` command as a user runs it: a real process, real files, JSON on stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.store.database import head_revision
from tests.support import directory_text

ROOT = Path(__file__).resolve().parent.parent


class Kiosk:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.env = {**os.environ, "KIOSK_TERMINAL_DATA_DIR": str(data_dir), "KIOSK_TERMINAL_LANGUAGE": "en"}
        self.env.pop("KIOSK_CONFIG", None)

    def __call__(self, *args: str, code: int | None = 0) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([sys.executable, "-m", "kiosk", *args], env=self.env, cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
        if code is not None:
            assert done.returncode == code, (done.stdout, done.stderr)
        assert "Traceback" not in done.stderr, done.stderr
        return done

    def json(self, *args: str, code: int | None = 0) -> list[dict]:
        return [json.loads(line) for line in self(*args, code=code).stdout.splitlines()]


@pytest.fixture
def kiosk(tmp_path: Path) -> Kiosk:
    return Kiosk(tmp_path / "data")


@pytest.fixture
def loaded(kiosk: Kiosk, tmp_path: Path) -> Kiosk:
    path = tmp_path / "directory.csv"
    path.write_text(directory_text(200), encoding="utf-8")
    [summary] = kiosk.json("directory", "import", str(path))
    assert summary["ok"] and summary["imported"] == 200
    return kiosk


def test_db_upgrade_reports_revisions(kiosk: Kiosk) -> None:
    [first] = kiosk.json("db", "upgrade")
    assert first["from"] is None and first["to"] == head_revision()
    [second] = kiosk.json("db", "upgrade")
    assert second["from"] == second["to"] == head_revision()


def test_demo_data_writes_a_directory_that_imports(kiosk: Kiosk, tmp_path: Path) -> None:
    out = tmp_path / "demo.csv"
    [written] = kiosk.json("demo-data", "--accounts", "500", "--out", str(out))
    assert written["rows"] == 500 and out.read_text(encoding="utf-8").count("\n") == 501
    [summary] = kiosk.json("directory", "import", str(out))
    assert summary["imported"] == 500 and summary["directory"]["meters"] == 500


def test_lookup_normalises_and_shows_masked_data(loaded: Kiosk) -> None:
    [found] = loaded.json("directory", "lookup", "л/с 2287 008-779")
    assert found["account"] == "2287008779" and found["holder"] == "И***в И. И."
    assert found["meters"][0]["zones"][1] == {"zone": 2, "meaning": "night", "label": "T2 — night", "previous": 6789}
    [missing] = loaded.json("directory", "lookup", "9999999999", code=1)
    assert missing["found"] is False and missing["error"]["code"] == "account_not_found"
    [bad] = loaded.json("directory", "lookup", "hello", code=1)
    assert bad["error"]["code"] == "account_invalid"


def test_bad_import_names_line_and_column_and_changes_nothing(loaded: Kiosk, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(directory_text(20).replace(";2;5;", ";7;5;", 1), encoding="utf-8")
    done = loaded("directory", "import", str(path), code=1)
    assert "line 2, column zones" in done.stderr and "nothing was imported" in done.stderr
    assert json.loads(done.stdout)["directory"]["meters"] == 200
    [skipped] = loaded.json("directory", "import", str(path), "--skip-bad")
    assert skipped["imported"] == 19 and skipped["bad_rows"] == 1
    missing = loaded("directory", "import", str(tmp_path / "nowhere.csv"), code=1)
    assert "not found" in missing.stderr


def test_a_damaged_directory_file_names_its_true_line_and_skips_only_that_row(kiosk: Kiosk, tmp_path: Path) -> None:
    lines = directory_text(300).encode().split(b"\n")
    lines[11] = lines[11].replace("***".encode(), "Ж".encode("cp1251"), 1)  # data row 11
    lines[150] = lines[150].replace(b";", b';"', 1)  # a quote left open in data row 150
    path = tmp_path / "damaged.csv"
    path.write_bytes(b"\n".join(lines))
    done = kiosk("directory", "import", str(path), code=1)
    assert "line 12, column holder: byte 0xC6 at character" in done.stderr
    assert "line 151" in done.stderr and "not closed on this line" in done.stderr
    [summary] = kiosk.json("directory", "import", str(path), "--skip-bad")
    assert (summary["imported"], summary["bad_rows"]) == (298, 2)
    assert [e["line"] for e in summary["errors"]] == [12, 151]


def test_submit_from_csv_never_merges_a_row_with_a_stray_quote_into_the_next(loaded: Kiosk, tmp_path: Path) -> None:
    path = tmp_path / "readings.csv"
    path.write_text(
        "account;meter;t1;t2;t3\n"
        '2287008779;"CE-00012345;12400;6800;\n'
        "1000000011;;5010;;\n"
        "1000000045;NV-00000045;1234600;;\n",
        encoding="utf-8",
    )
    lines = loaded.json("submit", "--from-csv", str(path), code=4)
    assert [(line["line"], line["ok"]) for line in lines] == [(2, False), (3, True), (4, True)]
    assert "not closed" in lines[0]["errors"][0]["message"]
    path.write_bytes(b"1000000037;;104600;88050;61300\n1000000037;\xff;104700;;\n"
                     b"1000000029;ME-00000029;99960;;\n")
    lines = loaded.json("submit", "--from-csv", str(path), code=4)
    assert [(line["line"], line["ok"]) for line in lines] == [(1, True), (2, False), (3, True)]
    assert "not UTF-8" in lines[1]["errors"][0]["message"]


def test_submit_accepts_asks_and_rejects_with_exit_codes(loaded: Kiosk) -> None:
    [accepted] = loaded.json("submit", "--account", "2287008779", "--reading", "T1=12400", "--reading", "T2=6800")
    assert accepted["ok"] and accepted["seq"] == 1 and accepted["total"] == 66
    assert [r["consumption"] for r in accepted["readings"]] == [55, 11]
    [asks] = loaded.json("submit", "--account", "1000000029", "--reading", "T1=00030", code=3)
    assert not asks["ok"] and asks["needs_confirmation"] == ["possible_rollover"] and asks["txn_id"] is None
    [confirmed] = loaded.json("submit", "--account", "1000000029", "--reading", "T1=00030", "--confirm")
    assert confirmed["ok"] and confirmed["readings"][0]["consumption"] == 80
    [rejected] = loaded.json("submit", "--account", "1000000011", "--reading", "T1=4000", code=4)
    assert [e["code"] for e in rejected["errors"]] == ["below_previous"]
    assert rejected["errors"][0]["message"]
    [unknown] = loaded.json("submit", "--account", "1000000011", "--meter", "XX", "--reading", "T1=5100", code=4)
    assert unknown["errors"][0]["code"] == "meter_not_found"
    listed = loaded.json("submissions")
    assert [s["seq"] for s in listed] == [2, 1]
    assert all(s["sync"]["state"] == "pending" for s in loaded.json("submissions", "--pending"))


@pytest.mark.parametrize("reading", ["T1", "T4=5", "T2=100", "X=1"])
def test_malformed_reading_arguments_are_usage_errors(loaded: Kiosk, reading: str) -> None:
    done = loaded("submit", "--account", "1000000011", "--reading", reading, code=2)
    assert "T1=12345" in done.stderr or "without gaps" in done.stderr


def test_submit_from_csv_streams_one_line_per_row(loaded: Kiosk, tmp_path: Path) -> None:
    path = tmp_path / "readings.csv"
    path.write_text(
        "account;meter;t1;t2;t3\n"
        "2287008779;CE-00012345;12400;6800;\n"
        "1000000011;;5010,7;;\n"
        "1000000029;ME-00000029;00030;;\n"
        "nonsense\n"
        "1000000011;;abc;;\n",
        encoding="utf-8",
    )
    lines = loaded.json("submit", "--from-csv", str(path), code=4)
    assert [line["ok"] for line in lines] == [True, True, False, False, False]
    assert lines[1]["notices"][0]["code"] == "fraction_dropped" or "fraction_dropped" in [
        n["code"] for n in lines[1]["notices"]]
    assert lines[2]["needs_confirmation"] == ["possible_rollover"]
    assert lines[3]["errors"][0]["code"] == "bad_row" and lines[3]["line"] == 5
    assert lines[4]["errors"][0]["code"] == "not_a_number"
    assert len(loaded.json("submissions")) == 2


def test_a_bad_configuration_stops_with_the_key_named(kiosk: Kiosk, tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text("[printer]\nbaud = 1234\n", encoding="utf-8")
    done = kiosk("--config", str(config), "db", "upgrade", code=1)
    assert "[printer] baud" in done.stderr
    done = kiosk("--config", str(tmp_path / "none.toml"), "db", "upgrade", code=1)
    assert "none.toml" in done.stderr


def test_a_damaged_database_is_reported_not_raised(kiosk: Kiosk) -> None:
    kiosk.data_dir.mkdir(parents=True)
    (kiosk.data_dir / "kiosk.sqlite3").write_bytes(b"garbage" * 1000)
    done = kiosk("submissions", code=1)
    assert done.stderr.startswith("kiosk: submissions: ") and "database damaged" in done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_a_file_without_a_header_is_refused_even_with_skip_bad(loaded: Kiosk, tmp_path: Path) -> None:
    path = tmp_path / "headless.csv"
    path.write_text("\n".join(directory_text(20).splitlines()[1:]) + "\n", encoding="utf-8")
    done = loaded("directory", "import", str(path), "--skip-bad", code=1)
    assert "line 1" in done.stderr and "cannot be read as a directory file" in done.stderr
    assert json.loads(done.stdout)["imported"] == 0
