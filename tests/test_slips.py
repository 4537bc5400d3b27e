"""The slip of a committed submission, printed through the printer emulator over a real pty,
and its outcome recorded on the submission."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from devices.emulators import PrinterEmulator
from devices.printer import ReceiptPrinter
from kiosk.config import Config
from kiosk.intake import Intake
from kiosk.slips import NO_PRINTER, SlipDesk
from kiosk.store import Store
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
                     "принято к передаче", submission.txn_id):
        assert expected in text, expected
    assert emulator.pages[0]["qr"] == [submission.txn_id]
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
