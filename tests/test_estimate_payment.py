"""The slip's payment code: printed through the printer emulator, read back from the slip's
picture with zbar, and parsed by our own bill-code parser as a bank app would read it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

from devices.emulators import PrinterEmulator
from devices.printer import ReceiptPrinter
from kiosk import config as config_module
from kiosk.billcode import parse_scan
from kiosk.config import Config, ConfigError
from kiosk.intake import Intake
from kiosk.slips import SlipDesk
from kiosk.store import Store
from sync.reference import reference
from tests.devices.conftest import wait_for
from tests.test_estimate import priced_store  # noqa: F401  (the fixture)

PAYEE = {
    "KIOSK_PAYMENT_NAME": "АО «Энергосбыт»", "KIOSK_PAYMENT_BANK_ACCOUNT": "40702810900000000001",
    "KIOSK_PAYMENT_BANK": "ПАО Банк", "KIOSK_PAYMENT_BIC": "044525225",
    "KIOSK_PAYMENT_CORRESPONDENT_ACCOUNT": "30101810400000000225", "KIOSK_PAYMENT_INN": "7701234567",
    "KIOSK_PAYMENT_KPP": "770101001",
}


def configured(tmp_path: Path, **more: str) -> Config:
    return config_module.load(None, {"KIOSK_TERMINAL_DATA_DIR": str(tmp_path / "data"),
                                     "KIOSK_TERMINAL_TIMEZONE": "Europe/Moscow", **PAYEE, **more})


def zbar(png: Path) -> list[bytes]:
    """Every QR code in a picture, one a line as zbar prints them (a code's UTF-8 as UTF-8)."""
    if shutil.which("zbarimg") is None:
        pytest.skip("zbarimg is not installed: apt-get install -y zbar-tools")
    done = subprocess.run(["zbarimg", "--quiet", "--raw", str(png)], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return [code for code in done.stdout.split(b"\n") if code]


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[PrinterEmulator]:
    with PrinterEmulator("epson", out=tmp_path / "slips") as running:
        yield running


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_payment_code_is_printed_and_reads_back_as_a_bill(
        tmp_path: Path, priced_store: Store, emulator: PrinterEmulator, language: str) -> None:  # noqa: F811
    config = configured(tmp_path, KIOSK_PAYMENT_QR="estimate")
    result = Intake(priced_store, config).submit("2287008779", None, ["12400", "6800"])
    assert result.ok and result.estimate is not None and result.submission is not None
    printer = ReceiptPrinter(str(emulator.link), "epson")
    try:
        assert SlipDesk(priced_store, config, printer).print_slip(result.submission, language).printed
    finally:
        printer.close()
    assert wait_for(lambda: len(emulator.pages) == 1)
    page = emulator.pages[0]
    text = Path(page["text_file"]).read_text(encoding="utf-8")
    label = "Оплатить в приложении банка" if language == "ru" else "Pay in your bank's app"
    assert label in text
    # the slip's own code first (no [slip] verify_url here: its reference), then the payment code
    assert len(page["qr"]) == 2 and page["qr"][0] == reference(result.submission.txn_id)
    [code] = [code for code in zbar(Path(page["png_file"])) if code.startswith(b"ST0001")]
    bill = parse_scan(code)
    assert bill.kind == "bill" and bill.account == "2287008779" and bill.encoding == "utf-8"
    fields = bill.fields
    assert fields["Sum"] == str(result.estimate.kopecks) and int(fields["Sum"]) > 0
    assert (fields["Name"], fields["PersonalAcc"], fields["BankName"], fields["BIC"], fields["CorrespAcc"],
            fields["PayeeINN"], fields["KPP"], fields["TechCode"]) == (
        "АО «Энергосбыт»", "40702810900000000001", "ПАО Банк", "044525225", "30101810400000000225",
        "7701234567", "770101001", "02")
    year, month = result.submission.period.split("-")
    assert fields["PaymPeriod"] == f"{month}{year}"
    months = ("январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь",
              "ноябрь", "декабрь")
    assert fields["Purpose"] == f"Оплата электроэнергии за {months[int(month) - 1]} {year}, л/с 2287008779"


def test_off_by_default_and_none_without_an_estimate(tmp_path: Path, priced_store: Store) -> None:  # noqa: F811
    default = configured(tmp_path)
    assert default.payment.qr == "off"
    result = Intake(priced_store, default).submit("2287008779", None, ["12400", "6800"])
    assert SlipDesk(priced_store, default, None).slip_for(result.submission, "ru").payment_code is None  # type: ignore[arg-type]
    on = configured(tmp_path, KIOSK_PAYMENT_QR="estimate")
    plain = Intake(priced_store, on).submit("1000000011", None, ["5010"])  # no tariff, no estimate
    assert SlipDesk(priced_store, on, None).slip_for(plain.submission, "ru").payment_code is None  # type: ignore[arg-type]


@pytest.mark.parametrize(("variable", "value", "words"), [
    ("KIOSK_PAYMENT_BIC", "", "needs the payee's bic"),
    ("KIOSK_PAYMENT_BANK_ACCOUNT", "4070281090000000000X", "should match pattern"),
    ("KIOSK_PAYMENT_NAME", "АО|Энергосбыт", "must not contain '|'"),
    ("KIOSK_PAYMENT_PURPOSE", "за {month}", "only the placeholders"),
])
def test_a_payee_that_cannot_make_a_code_stops_the_start(tmp_path: Path, variable: str, value: str,
                                                         words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        configured(tmp_path, KIOSK_PAYMENT_QR="estimate", **{variable: value})
