"""What a reading will roughly cost: prices in force, every zone meaning, rounding to kopecks,
and where the estimate shows (``kiosk submit``, the journey, the slip)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from devices.emulators import PrinterEmulator
from devices.escpos import printable
from devices.printer import ReceiptPrinter
from devices.slip import render_slip
from devices.profiles import PROFILES
from kiosk.config import Config
from kiosk.estimate import estimate, format_money
from kiosk.intake import Intake
from kiosk.slips import SlipDesk
from kiosk.store import Store
from sync.directory_file import DirectoryRow, read_directory
from sync.tariff_file import TariffPrice, read_tariffs
from sync.zones import ZoneMeaning
from tests.devices.conftest import wait_for
from tests.support import directory_text

ROOT = Path(__file__).resolve().parents[1]
D = Decimal
SINGLE, DAY, NIGHT, PEAK, SEMI = (ZoneMeaning.SINGLE, ZoneMeaning.DAY, ZoneMeaning.NIGHT, ZoneMeaning.PEAK,
                                  ZoneMeaning.SEMI_PEAK)
TARIFFS = """tariff;zone;price;valid_from
MSK-1;single;6,43;2026-01-01
MSK-1;single;7,0150;2026-07-01
MSK-2;day;7,0150;2026-07-01
MSK-2;night;2,15;2026-07-01
MSK-2;day;6,43;2026-01-01
MSK-2;night;2,00;2026-01-01
MSK-3;peak;8,1;2026-01-01
MSK-3;night;2,2;2026-01-01
MSK-3;semi_peak;6,5;2026-01-01
"""


def prices(text: str = TARIFFS) -> list[TariffPrice]:
    rows = list(read_tariffs(io.StringIO(text)))
    assert all(isinstance(row, TariffPrice) for row in rows), rows
    return rows  # type: ignore[return-value]


@pytest.mark.parametrize(("day", "price", "amount"), [
    (date(2026, 6, 30), D("6.43"), D("353.65")),  # the last day of the old price
    (date(2026, 7, 1), D("7.0150"), D("385.83")),  # the day the new price starts: 385.825 rounds up
    (date(2027, 3, 1), D("7.0150"), D("385.83")),
])
def test_the_price_in_force_on_the_readings_date(day: date, price: Decimal, amount: Decimal) -> None:
    found = estimate("MSK-1", [(SINGLE, 55)], day, prices())
    assert found is not None
    assert [(line.price, line.amount) for line in found.lines] == [(price, amount)]
    assert found.amount == amount and found.valid_from == (date(2026, 7, 1) if day >= date(2026, 7, 1)
                                                           else date(2026, 1, 1))


def test_no_price_in_force_yet_no_tariff_no_consumption_no_estimate() -> None:
    assert estimate("MSK-1", [(SINGLE, 55)], date(2025, 12, 31), prices()) is None
    assert estimate(None, [(SINGLE, 55)], date(2026, 8, 1), prices()) is None
    assert estimate("MSK-9", [(SINGLE, 55)], date(2026, 8, 1), prices()) is None
    assert estimate("MSK-1", [(SINGLE, None)], date(2026, 8, 1), prices()) is None  # a meter never read
    # a zone whose meaning the tariff does not price: no half estimate
    assert estimate("MSK-1", [(DAY, 5), (NIGHT, 5)], date(2026, 8, 1), prices()) is None


def test_every_zone_meaning() -> None:
    two = estimate("MSK-2", [(DAY, 100), (NIGHT, 40)], date(2026, 8, 1), prices())
    assert two is not None and two.as_dict() == {
        "tariff": "MSK-2", "valid_from": "2026-07-01",
        "lines": [{"zone": 1, "meaning": "day", "kwh": 100, "price": "7.0150", "amount": "701.50"},
                  {"zone": 2, "meaning": "night", "kwh": 40, "price": "2.15", "amount": "86.00"}],
        "amount": "787.50", "currency": "RUB"}
    three = estimate("MSK-3", [(PEAK, 10), (NIGHT, 20), (SEMI, 30)], date(2026, 8, 1), prices())
    assert three is not None
    assert [(line.zone, line.meaning, line.amount) for line in three.lines] == [
        (1, PEAK, D("81.00")), (2, NIGHT, D("44.00")), (3, SEMI, D("195.00"))]
    assert three.amount == D("320.00") and three.valid_from == date(2026, 1, 1)


def test_each_line_is_rounded_half_up_and_the_total_is_their_sum() -> None:
    odd = prices("tariff;zone;price;valid_from\nT;day;0,0050;2026-01-01\nT;night;0,0050;2026-01-01\n"
                 "U;single;0,0049;2026-01-01\n")
    found = estimate("T", [(DAY, 3), (NIGHT, 3)], date(2026, 2, 1), odd)
    assert found is not None
    assert [line.amount for line in found.lines] == [D("0.02"), D("0.02")]  # 0.015 each, half up
    assert found.amount == D("0.04")  # not 0.03, the rounded sum of 0.030
    assert estimate("U", [(SINGLE, 3)], date(2026, 2, 1), odd).amount == D("0.01")  # type: ignore[union-attr]
    assert estimate("U", [(SINGLE, 0)], date(2026, 2, 1), odd).amount == D("0.00")  # type: ignore[union-attr]


def test_money_in_words_in_both_languages() -> None:
    assert format_money(D("1250"), "ru") == "1\u00a0250,00\u00a0₽"
    assert format_money(D("412.5"), "en") == "412.50\u00a0RUB"
    found = estimate("MSK-2", [(DAY, 50), (NIGHT, 28)], date(2026, 7, 1), prices())
    assert found is not None and found.amount == D("410.95")
    assert found.words("ru") == "≈ 410,95\u00a0₽ по тарифу с 01.07.2026 (предварительно)"
    assert found.words("en") == "≈ 410.95\u00a0RUB by the tariff from 2026-07-01 (preliminary)"


@pytest.fixture
def priced_store(store: Store) -> Store:
    """The demo samples with tariffs on two of them, and the tariff file imported."""
    tariffs = {"2287008779": "MSK-2", "1000000037": "MSK-3"}
    year = "2025-12|150,62|138,58|121,50"
    rows = [row._replace(tariff=tariffs.get(row.account), history=year if row.account == "2287008779" else None)
            if isinstance(row, DirectoryRow) else row for row in read_directory(io.StringIO(directory_text(20)))]
    assert store.directory.import_rows(rows).imported == 20
    assert store.tariffs.import_rows(prices()).imported
    return store


def test_intake_gives_the_estimate_of_what_it_checked(priced_store: Store, kiosk_config: Config) -> None:
    intake = Intake(priced_store, kiosk_config)
    result = intake.submit("2287008779", None, ["12400", "6800"])
    assert result.ok and result.estimate is not None
    assert result.as_dict()["estimate"]["lines"][0]["kwh"] == 55
    assert result.estimate.lines[1].kwh == 11
    # a meter without a tariff: no estimate, no error
    plain = intake.submit("1000000011", None, ["5010"])
    assert plain.ok and plain.estimate is None and plain.as_dict()["estimate"] is None
    # a rejected reading has no estimate
    assert intake.submit("1000000037", None, ["1", "88050", "61300"]).estimate is None


def test_the_slip_prints_the_estimate_made_again_from_the_stored_row(priced_store: Store,
                                                                    kiosk_config: Config) -> None:
    result = Intake(priced_store, kiosk_config).submit("1000000037", None, ["104600", "88050", "61300"])
    assert result.ok and result.submission is not None and result.estimate is not None
    desk = SlipDesk(priced_store, kiosk_config, None)
    slip = desk.slip_for(result.submission, "ru")
    assert slip.estimate == result.estimate.words("ru")
    text = render_slip(slip, PROFILES["epson"]).bytes().decode("cp866", "replace")
    amount = format_money(result.estimate.amount, "ru").replace("\u00a0", " ").replace("₽", "руб.")
    assert printable(f"~ {amount} по тарифу с 01.01.2026") in text and "(предварительно)" in text
    assert "к оплате" not in text
    plain = Intake(priced_store, kiosk_config).submit("1000000011", None, ["5010"])
    assert desk.slip_for(plain.submission, "en").estimate is None  # type: ignore[arg-type]


def test_the_printer_gets_roubles_in_each_languages_words(priced_store: Store, kiosk_config: Config,
                                                         tmp_path: Path) -> None:
    """What reaches the printer (its code page, PC866, has no ₽): the Russian slip says «руб.»,
    the English one "RUB", never the other language's word."""
    result = Intake(priced_store, kiosk_config).submit("1000000037", None, ["104600", "88050", "61300"])
    assert result.ok and result.submission is not None and result.estimate is not None
    assert result.estimate.amount == D("1570.00")  # 100 × 8,10 + 50 × 2,20 + 100 × 6,50
    with PrinterEmulator("epson", out=tmp_path / "slips") as emulator:
        printer = ReceiptPrinter(str(emulator.link), "epson")
        try:
            desk = SlipDesk(priced_store, kiosk_config, printer)
            for language in ("en", "ru"):
                assert desk.print_slip(result.submission, language).printed
            assert wait_for(lambda: len(emulator.pages) == 2)
        finally:
            printer.close()
    english, russian = (" ".join(page["lines"]) for page in emulator.pages)
    assert all(page["codepages"] and not page["unknown_commands"] for page in emulator.pages)
    assert "~ 1,570.00 RUB by the tariff from 2026-01-01 (preliminary)" in english
    assert "руб." not in english
    assert "~ 1 570,00 руб. по тарифу с 01.01.2026 (предварительно)" in russian
    assert "RUB" not in russian


def test_kiosk_submit_prints_the_estimate_and_a_bad_tariff_file_is_refused(tmp_path: Path) -> None:
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "KIOSK_TERMINAL_DATA_DIR": str(tmp_path / "data"),
           "KIOSK_TERMINAL_TIMEZONE": "Europe/Moscow"}

    def kiosk(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "kiosk", *argv], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=120)

    header, *rows = directory_text(5).splitlines()
    (tmp_path / "directory.csv").write_text("\n".join([f"{header};tariff", *(
        f"{row};MSK-2" if row.startswith("2287008779;") else f"{row};" for row in rows)]) + "\n")
    assert kiosk("directory", "import", "directory.csv").returncode == 0
    (tmp_path / "tariffs.csv").write_text(TARIFFS + "MSK-2;day;6,4;2026-13-01\n")
    refused = kiosk("tariffs", "import", "tariffs.csv")
    assert refused.returncode == 1 and "line 11, column valid_from" in refused.stderr
    assert json.loads(refused.stdout)["held"]["prices"] == 0
    taken = kiosk("tariffs", "import", "tariffs.csv", "--skip-bad")
    assert taken.returncode == 0 and json.loads(taken.stdout)["prices"] == 9
    done = kiosk("submit", "--account", "2287008779", "--reading", "T1=12400", "--reading", "T2=6800")
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)["estimate"]
    today = datetime.now(ZoneInfo("Europe/Moscow")).date()
    day, night = ("7.0150", "2.15") if today >= date(2026, 7, 1) else ("6.43", "2.00")
    assert [(line["meaning"], line["kwh"], line["price"]) for line in found["lines"]] == [
        ("day", 55, day), ("night", 11, night)]
    assert found["currency"] == "RUB" and Decimal(found["amount"]) == sum(
        Decimal(line["amount"]) for line in found["lines"])
    plain = kiosk("submit", "--account", "1000000011", "--reading", "T1=5010")
    assert plain.returncode == 0 and json.loads(plain.stdout)["estimate"] is None


def _run_jobs(journey) -> None:  # type: ignore[no-untyped-def]
    while (job := journey.take_job()) is not None:
        job.deliver(job.run())


def test_the_journey_shows_the_estimate_on_the_review_and_the_result(priced_store: Store,
                                                                     kiosk_config: Config) -> None:
    from kiosk.journey import Journey, NotPrinted, Step

    journey = Journey(Intake(priced_store, kiosk_config), lambda submission, language: NotPrinted("no paper"))
    journey.start()
    journey.type_account("2287008779")
    journey.submit_account()
    journey.choose_meter("CE-00012345")
    assert journey.estimate is None
    for value in ("12400", "06800"):
        journey.type_digit(value)
        journey.next_zone()
    assert journey.step is Step.REVIEW and journey.estimate is not None
    on_review = journey.estimate
    assert [line.kwh for line in on_review.lines] == [55, 11]
    journey.confirm_review()
    _run_jobs(journey)
    assert journey.step is Step.RESULT and journey.estimate == on_review
    journey.finish()
    assert journey.estimate is None and journey.session is None
    # a meter without a tariff goes the same way, without an estimate
    journey = Journey(Intake(priced_store, kiosk_config), None)
    journey.start()
    journey.type_account("1000000011")
    journey.submit_account()
    journey.choose_meter("ME-00000011")
    journey.type_digit("05010")
    journey.next_zone()
    assert journey.step is Step.REVIEW and journey.estimate is None
