"""Tariffs and history at the office, and on their way to the terminal with the directory."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from sqlalchemy import Engine

from kiosk.store import Store
from sync.directory_pull import DirectoryPuller
from sync.history_file import periods_of, read_history
from sync.ports import DirectoryChanges
from sync.office.money import Refused, import_history, import_tariffs, tariff_list
from sync.tariff_file import TariffPrice, read_tariffs
from sync.wire import API_PREFIX, DirectoryPage
from sync.zones import ZoneMeaning
from tests.sync.support import OfficeServer, client, load_office_directory, meter_rows

TARIFFS = ("tariff;zone;price;valid_from\n"
           "MSK-1;single;6,43;2026-01-01\nMSK-1;single;7,0150;2026-07-01\n"
           "MSK-2;day;8,00;2026-01-01\nMSK-2;night;3,25;2026-01-01\n")


def tariff_rows(text: str) -> list:
    return list(read_tariffs(io.StringIO(text)))


def history_rows(lines: list[str]) -> list:
    return list(read_history(io.StringIO("account;meter;period;t1;t2;t3\n" + "".join(f"{line}\n" for line in lines))))


def prices(engine: Engine) -> list[tuple[str, str, str, str]]:
    return [(p["tariff"], p["zone"], p["price"], p["valid_from"]) for p in json.loads(tariff_list(engine))["prices"]]


def test_tariffs_replace_whole_and_bad_rows_refuse_or_keep_their_tariff(office_engine: Engine) -> None:
    import_tariffs(office_engine, tariff_rows(TARIFFS))
    assert prices(office_engine)[:2] == [("MSK-1", "single", "6.4300", "2026-01-01"),
                                         ("MSK-1", "single", "7.0150", "2026-07-01")]
    version = json.loads(tariff_list(office_engine))["version"]
    # a bad row refuses it all
    with pytest.raises(Refused) as refused:
        import_tariffs(office_engine, tariff_rows("tariff;zone;price;valid_from\nMSK-1;single;9;2027-01-01\n"
                                                  "MSK-2;day;x;2027-01-01\n"))
    assert [(e.line, e.column) for e in refused.value.summary.errors] == [(3, "price")]
    assert json.loads(tariff_list(office_engine))["version"] == version
    # with --skip-bad the bad row's tariff keeps every price it had; one the file leaves out goes
    summary = import_tariffs(office_engine, tariff_rows("tariff;zone;price;valid_from\nMSK-3;single;5;2027-01-01\n"
                                                        "MSK-2;day;x;2027-01-01\n"), skip_bad=True)
    assert (summary.tariffs, summary.kept_tariffs, summary.removed_tariffs) == (1, 1, 1)
    assert {p[0] for p in prices(office_engine)} == {"MSK-2", "MSK-3"}
    # a bad row that names no tariff holds back every removal
    import_tariffs(office_engine, tariff_rows("tariff;zone;price;valid_from\nMSK-3;single;5,5;2027-01-01\n"
                                              "bad code;day;1;2027-01-01\n"), skip_bad=True)
    assert {p[:3] for p in prices(office_engine)} >= {("MSK-3", "single", "5.5000"), ("MSK-2", "night", "3.2500")}


def test_history_keeps_the_last_twelve_periods_and_sends_a_meter_again(office_engine: Engine) -> None:
    load_office_directory(office_engine, meter_rows(2))
    from sync.office.directory import changes_page

    before = json.loads(changes_page(office_engine, 0, 100))["version"]
    lines = [f"2200000001;SN-0000001;2025-{month:02d};{100 + month};{50 + month};" for month in range(1, 13)]
    summary = import_history(office_engine, history_rows([*lines, "2299999999;SN-X;2026-01;5;;"]))
    assert (summary.meters_changed, summary.unknown_meter_rows) == (1, 1)
    summary = import_history(office_engine, history_rows(["2200000001;SN-0000001;2026-01;140;70;",
                                                          "2200000001;SN-0000001;2025-12;120;60;"]))
    page = json.loads(changes_page(office_engine, before, 100, money=True))
    [entry] = page["upserts"]
    assert entry["meter"] == "SN-0000001" and entry["tariff"] is None
    assert entry["history"] == "2025-02|" + "|".join(f"{100 + m},{50 + m}" for m in range(2, 12)) + "|120,60|140,70"
    periods = periods_of(DirectoryPage.model_validate(page).upserts[0].to_row().history)
    assert [period for period, _ in periods] == [f"2025-{m:02d}" for m in range(2, 13)] + ["2026-01"]
    assert periods[-2:] == (("2025-12", (120, 60)), ("2026-01", (140, 70)))
    # the same file again changes nothing and sends nothing
    again = import_history(office_engine, history_rows(["2200000001;SN-0000001;2026-01;140;70;"]))
    assert (again.meters_changed, again.meters_unchanged) == (0, 1)
    # a page asked for without money is the page an older terminal always had
    plain = json.loads(changes_page(office_engine, 0, 100))
    assert all(set(entry) == set(plain["upserts"][0]) and "history" not in entry for entry in plain["upserts"])
    with pytest.raises(Refused):
        import_history(office_engine, history_rows(["2200000001;SN-0000001;2026-02;1;;", "x;y;2026-02;1;;"]))
    assert json.loads(changes_page(office_engine, 0, 100))["version"] == again.version


def test_the_terminal_pulls_tariffs_and_history_with_the_directory(office_engine: Engine, kiosk_store: Store) -> None:
    rows = [row._replace(tariff="MSK-2" if row.zones == 2 else None) for row in meter_rows(4)]
    load_office_directory(office_engine, rows)
    import_tariffs(office_engine, tariff_rows(TARIFFS))
    import_history(office_engine, history_rows(["2200000001;SN-0000001;2026-10;120;60;"]))
    with OfficeServer(office_engine) as office:
        secret = office.terminal()
        office_client = client(office.url, "kiosk-1", secret)
        summary = DirectoryPuller(kiosk_store.directory, office_client).pull()
        assert summary.error is None and summary.tariff_prices == 4
        meter = kiosk_store.directory.find_account("2200000001").meters[0]  # type: ignore[union-attr]
        assert meter.tariff == "MSK-2" and meter.history == (("2026-10", (120, 60)),)
        assert kiosk_store.tariffs.prices("MSK-1")[1] == TariffPrice("MSK-1", ZoneMeaning.SINGLE, Decimal("7.0150"),
                                                                     date(2026, 7, 1))
        # nothing new: nothing stored again
        assert DirectoryPuller(kiosk_store.directory, office_client).pull().tariff_prices is None
        # an older terminal asks without include=money and gets the page it always had
        plain = office.signed_session("kiosk-1", secret).get(f"{office.url}{API_PREFIX}/directory?since=0")
        assert "tariff" not in plain.json()["upserts"][0]
        refused = office.signed_session("kiosk-1", secret).get(f"{office.url}{API_PREFIX}/directory?include=all")
        assert refused.status_code == 422
        assert requests.get(f"{office.url}{API_PREFIX}/tariffs").status_code == 401


def test_a_directory_file_imported_on_a_terminal_keeps_the_office_history(kiosk_store: Store) -> None:
    row = meter_rows(1)[0]._replace(history="2026-10|5")
    kiosk_store.directory.apply_directory_page(DirectoryChanges(1, [row], [], []))
    kiosk_store.directory.import_rows([row._replace(history=None, tariff="MSK-1")])
    meter = kiosk_store.directory.find_account(row.account).meters[0]  # type: ignore[union-attr]
    assert meter.history == (("2026-10", (5,)),) and meter.tariff == "MSK-1"


def test_office_commands_import_tariffs_and_history(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.sync.test_commands import ROOT

    db = f"sqlite:///{tmp_path / 'office.sqlite3'}"

    def kiosk(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "kiosk", "office", *argv, "--db", db], cwd="/",
                              env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, capture_output=True,
                              text=True, timeout=120)

    assert kiosk("migrate").returncode == 0
    (tmp_path / "tariffs.csv").write_text(TARIFFS + "MSK-3;dusk;1;2026-01-01\n")
    bad = kiosk("tariffs", "import", str(tmp_path / "tariffs.csv"))
    assert bad.returncode == 1 and "line 6, column zone" in bad.stderr and "nothing was imported" in bad.stderr
    good = kiosk("tariffs", "import", str(tmp_path / "tariffs.csv"), "--skip-bad")
    assert good.returncode == 0 and json.loads(good.stdout)["prices"] == 4
    (tmp_path / "history.csv").write_text("account;meter;period;t1;t2;t3\n2287008779;CE-1;2026-10;120;;\n")
    done = kiosk("history", "import", str(tmp_path / "history.csv"))
    assert done.returncode == 0 and json.loads(done.stdout)["unknown_meter_rows"] == 1


def test_a_terminal_upgraded_to_money_pulls_its_directory_again(office_engine: Engine, ram_folder: Path) -> None:
    from alembic import command
    from alembic.config import Config as AlembicConfig
    from sqlalchemy import create_engine

    from kiosk.store.database import MIGRATIONS

    load_office_directory(office_engine, [row._replace(tariff="MSK-2") for row in meter_rows(3)])
    import_tariffs(office_engine, tariff_rows(TARIFFS))
    path = ram_folder / "old-terminal.sqlite3"
    old = create_engine(f"sqlite:///{path}")
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    with old.begin() as connection:  # a terminal of the release before, which pulled without money
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
        connection.exec_driver_sql("INSERT INTO directory_state (id, version, updated_at) VALUES (1, 3, NULL)")
    old.dispose()
    store = Store.open(path)  # the upgrade
    try:
        with OfficeServer(office_engine) as office:
            summary = DirectoryPuller(store.directory, client(office.url, "kiosk-1", office.terminal())).pull()
        assert summary.upserts == 3 and summary.tariff_prices == 4
        assert store.directory.find_account("2200000001").meters[0].tariff == "MSK-2"  # type: ignore[union-attr]
    finally:
        store.close()


def test_the_office_takes_no_more_prices_than_a_terminal(office_engine: Engine) -> None:
    from sync.tariff_file import MAX_PRICES

    rows = "".join(f"T{n};single;1;2026-01-01\n" for n in range(MAX_PRICES + 1))
    with pytest.raises(Refused, match="10,000"):
        import_tariffs(office_engine, tariff_rows("tariff;zone;price;valid_from\n" + rows))
    assert json.loads(tariff_list(office_engine))["prices"] == []
