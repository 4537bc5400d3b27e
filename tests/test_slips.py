"""The slip of a committed submission, printed through the printer emulator over a real pty,
and its outcome recorded on the submission."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Iterator

import pytest
from PIL import Image

from devices.emulators import PrinterEmulator
from devices.printer import ReceiptPrinter
from kiosk import config as config_module
from kiosk.config import Config
from kiosk.intake import Intake
from devices.profiles import PROFILES
from devices.slip import QUIET_MODULES
from kiosk.slips import NO_PRINTER, SlipDesk
from kiosk.store import Store
from sync.reference import reference
from tests.devices.conftest import wait_for


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[PrinterEmulator]:
    with PrinterEmulator("epson", out=tmp_path / "slips", slow_bytes_per_s=2000) as running:
        yield running


@pytest.fixture
def desk(seeded_store: Store, kiosk_config: Config, emulator: PrinterEmulator) -> Iterator[SlipDesk]:
    printer = ReceiptPrinter(str(emulator.link), "epson")
    yield SlipDesk(seeded_store, kiosk_config, printer)
    printer.close()


def submit(store: Store, config: Config, account: str, values: list[str]):
    result = Intake(store, config).submit(account, None, values)
    assert result.ok, result.as_dict()
    return result.submission


def test_a_three_zone_slip_reads_right_in_russian(
        desk: SlipDesk, emulator: PrinterEmulator, seeded_store: Store, kiosk_config: Config) -> None:
    submission = submit(seeded_store, kiosk_config, "1000000037", ["104600", "88050", "61300"])
    outcome = desk.print_slip(submission, "ru")
    assert outcome.printed, outcome
    assert wait_for(lambda: len(emulator.pages) == 1)
    text = Path(emulator.pages[0]["text_file"]).read_text(encoding="utf-8")
    assert "1000000037" not in text and "******0037" in text  # the account is masked
    # PC866 has no em dash: the printer gets a hyphen
    for expected in ("T1 - пик", "T2 - ночь", "T3 - полупик", "104600", "88050", "61300", "250",
                     "Принято к передаче", submission.txn_id):
        assert expected in text, expected
    code = reference(submission.txn_id)
    assert code in text and "Код чека" in text and "8 800 000-00-00" in text
    assert emulator.pages[0]["qr"] == [code]  # no office page configured: the slip's code
    stored = seeded_store.submissions.get(seq=submission.seq)
    assert (stored.print_state, stored.print_count) == ("printed", 1)


def test_an_english_slip_and_a_copy(
        desk: SlipDesk, emulator: PrinterEmulator, seeded_store: Store, kiosk_config: Config) -> None:
    submission = submit(seeded_store, kiosk_config, "2287008779", ["12400", "6800"])
    assert desk.print_slip(submission, "en").printed
    outcome = desk.reprint(submission.seq, role="administrator", language="en")
    assert outcome is not None and outcome.printed
    assert wait_for(lambda: len(emulator.pages) == 2)
    first, copy = (Path(page["text_file"]).read_text(encoding="utf-8") for page in emulator.pages)
    assert "T1 - day" in first and "COPY" not in first
    assert "COPY" in copy
    assert seeded_store.submissions.get(seq=submission.seq).print_count == 2
    [event] = seeded_store.events.recent()
    assert (event.kind, event.role, event.detail["seq"]) == ("reprint", "administrator", submission.seq)


def test_paper_out_is_recorded_and_the_reading_kept(
        desk: SlipDesk, emulator: PrinterEmulator, seeded_store: Store, kiosk_config: Config) -> None:
    emulator.set_fault("paper_out")
    submission = submit(seeded_store, kiosk_config, "1000000011", ["5010"])
    outcome = desk.print_slip(submission, "ru")
    assert not outcome.printed and outcome.reason == "paper out"
    stored = seeded_store.submissions.get(seq=submission.seq)
    assert (stored.print_state, stored.print_reason, stored.sync_state) == ("failed", "paper out", "pending")
    assert seeded_store.outbox.depth() == 1


def test_without_a_printer_the_outcome_says_so(seeded_store: Store, kiosk_config: Config) -> None:
    submission = submit(seeded_store, kiosk_config, "1000000011", ["5010"])
    outcome = SlipDesk(seeded_store, kiosk_config, None).print_slip(submission, "ru")
    assert (outcome.printed, outcome.reason) == (False, NO_PRINTER)
    assert seeded_store.submissions.get(seq=submission.seq).print_state == "failed"


def read_qr(png: Path) -> str:
    """The QR code on a printed slip, read from the emulator's picture as a phone would."""
    if shutil.which("zbarimg") is None:
        pytest.skip("zbarimg is not installed (Debian: apt-get install zbar-tools)")
    done = subprocess.run(["zbarimg", "--raw", "-q", str(png)], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def qr_box(png: Path, module: int) -> tuple[int, int, int]:
    """(left, top, side) of the QR code in the picture: its first row of dots holds the two
    top finder patterns, each a run of 7 dark modules that no text or rule makes."""
    image = Image.open(png).convert("L")
    width, height = image.size
    pixels = image.load()
    finder = 7 * module
    for y in range(height):
        runs, start = [], None
        for x in range(width + 1):
            dark = x < width and pixels[x, y] < 128
            if dark and start is None:
                start = x
            elif not dark and start is not None:
                runs.append((start, x - start))
                start = None
        finders = [run for run in runs if abs(run[1] - finder) <= 1]
        if len(finders) >= 2:
            left = finders[0][0]
            return left, y, finders[-1][0] + finders[-1][1] - left
    raise AssertionError(f"no QR code in {png}")


def assert_quiet_zone(png: Path, module: int) -> None:
    image = Image.open(png).convert("L")
    left, top, side = qr_box(png, module)
    margin = QUIET_MODULES * module
    assert left >= margin and top >= margin
    assert left + side + margin <= image.width and top + side + margin <= image.height
    zone = image.crop((left - margin, top - margin, left + side + margin, top + side + margin))
    pixels = zone.load()
    size = side + 2 * margin
    for x in range(size):
        for y in range(size):
            inside = margin <= x < margin + side and margin <= y < margin + side
            if not inside:
                assert pixels[x, y] >= 128, f"dark dot at {x - margin}, {y - margin} around the QR code"


@pytest.mark.parametrize("verify_url", ["", "https://office.example.org/check/"])
def test_a_phone_reads_the_slips_qr_code_with_its_quiet_zone(
        seeded_store: Store, kiosk_config: Config, tmp_path: Path, verify_url: str) -> None:
    config = kiosk_config.model_copy(update={"slip": config_module.Slip(verify_url=verify_url)})
    with PrinterEmulator("epson", out=tmp_path / "printed") as emulator:
        printer = ReceiptPrinter(str(emulator.link), "epson")
        try:
            submission = submit(seeded_store, config, "2287008779", ["12400", "6800"])
            assert SlipDesk(seeded_store, config, printer).print_slip(submission, "ru").printed
            assert wait_for(lambda: len(emulator.pages) == 1)
        finally:
            printer.close()
        png = Path(emulator.pages[0]["png_file"])
    # The office's page for this submission when there is one, else the code for the hotline;
    # never the bare transaction id.
    expected = verify_url + submission.txn_id if verify_url else reference(submission.txn_id)
    assert read_qr(png) == expected
    assert_quiet_zone(png, PROFILES["epson"].qr_module_dots)
