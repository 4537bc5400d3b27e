"""The printer driver against the emulator over a real pty: slips, faults, unplugging."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from devices.emulators import PrinterEmulator
from devices.printer import ReceiptPrinter
from tests.devices.conftest import sample_slip, wait_for

DEADLINE = 1.2  # seconds: short, so the fault matrix stays quick
SLACK = 0.25  # thread start-up and scheduling on a busy 2-core machine


def _pages(emulator: PrinterEmulator) -> list[dict]:
    return [json.loads(Path(p["text_file"]).with_suffix(".json").read_text()) for p in emulator.pages]


@pytest.mark.parametrize("language, expected", [
    ("ru", ["ПОКАЗАНИЯ ПРИНЯТЫ", "Принято к передаче", "******8779", "********3456", "ноябрь 2025",
            "Горячая линия: 8 800 000-00-00", "20.11.2025 14:05", 'АО "Энергосбыт"', "T3 - полупик"]),
    ("en", ["READINGS RECEIVED", "Accepted for transfer", "******8779", "November 2025", "2025-11-20 14:05",
            "Hotline: 8 800 000-00-00", "T2 - night"]),
])
def test_a_slip_reads_right(printer: ReceiptPrinter, printer_emulator: PrinterEmulator, language: str,
                            expected: list[str]) -> None:
    outcome = printer.print_slip(sample_slip(language))
    assert outcome.printed and outcome.reason is None and outcome.status.ok
    assert wait_for(lambda: len(printer_emulator.pages) == 1)
    page = _pages(printer_emulator)[0]
    assert page["complete"] and page["codepages"] == [17]
    text = Path(page["text_file"]).read_text(encoding="utf-8")
    for fragment in expected:
        assert fragment in text, fragment
    assert page["qr"] == ["K017-20251120-000042"]
    assert "2287008779" not in text and "011075123456" not in text
    assert all(len(line) <= 42 for line in text.splitlines())


def test_a_reprint_says_copy(printer: ReceiptPrinter, printer_emulator: PrinterEmulator) -> None:
    assert printer.print_slip(sample_slip("ru", copy=True)).printed
    assert printer.print_slip(sample_slip("en", copy=True)).printed
    assert wait_for(lambda: len(printer_emulator.pages) == 2)
    ru, en = (Path(p["text_file"]).read_text(encoding="utf-8") for p in printer_emulator.pages)
    assert "*** КОПИЯ ***" in ru and "*** COPY ***" in en


@pytest.mark.parametrize("profile", ["custom-vkp80", "generic-58mm", "epson-48"])
def test_other_profiles_print(tmp_path: Path, profile: str) -> None:
    with PrinterEmulator(profile, out=tmp_path, take_after_s=0.2, idle_end_s=0.1) as emulator:
        with ReceiptPrinter(str(emulator.link), profile) as printer:
            outcome = printer.print_slip(sample_slip("ru"))
            assert outcome.printed, outcome.reason
            assert wait_for(lambda: len(emulator.pages) == 1)
            text = Path(emulator.pages[0]["text_file"]).read_text(encoding="utf-8")
            assert max(len(line) for line in text.splitlines()) == emulator.profile.columns
            if profile == "custom-vkp80":
                assert outcome.status.presenter == "slip_waiting"
                assert wait_for(lambda: printer.status().presenter == "empty")  # taken


def test_presenter_retracts_a_slip_nobody_takes(tmp_path: Path) -> None:
    with PrinterEmulator("custom-vkp80", out=tmp_path, take_after_s=None) as emulator:
        with ReceiptPrinter(str(emulator.link), "custom-vkp80", retract_after_s=1) as printer:
            assert printer.print_slip(sample_slip("ru")).printed
            assert wait_for(lambda: emulator.retracted == 1, timeout=3)


def test_test_page(printer: ReceiptPrinter, printer_emulator: PrinterEmulator) -> None:
    assert printer.print_test().printed
    assert wait_for(lambda: len(printer_emulator.pages) == 1)
    text = Path(printer_emulator.pages[0]["text_file"]).read_text(encoding="utf-8")
    assert "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ" in text and "абвгдеёжзийклмнопрстуфхцчшщъыьэюя" in text


# -- the fault matrix ----------------------------------------------------------------------

FAULT_REASONS = {
    "paper_out": "paper out",
    "cover_open": "cover open",
    "offline": "printer offline",
    "no_answer": "printer not answering",
    "garbage": "printer answers garbage",
    "slow": "printer not answering",
    "unplugged": "printer disconnected",
}
# The others print (or may) while the answers are missing, slow or unreadable: not confirmed.
STOPS_PRINTING = ("paper_out", "cover_open", "offline", "unplugged")


@pytest.mark.parametrize("fault", sorted(FAULT_REASONS))
@pytest.mark.parametrize("when", ["before", "during"])
def test_fault_gives_its_reason_within_the_bound(printer: ReceiptPrinter, printer_emulator: PrinterEmulator,
                                                 fault: str, when: str) -> None:
    printer_emulator.set_fault(fault, after_bytes=300 if when == "during" else None)
    outcome = printer.print_slip(sample_slip("ru"), deadline=DEADLINE)
    assert not outcome.printed
    assert outcome.reason == FAULT_REASONS[fault]
    assert outcome.duration_s <= DEADLINE + SLACK
    assert not outcome.status.ok
    if fault in STOPS_PRINTING:
        time.sleep(0.1)
        assert not any(page["complete"] for page in printer_emulator.pages), \
            "a slip reported as failed must not also come out whole"
    if when == "before" and fault not in ("slow", "no_answer"):
        assert outcome.bytes_sent == 0  # nothing sent to a printer that said it cannot print

    # The fault cleared, the next slip prints on the same driver: nothing is stuck.
    printer_emulator.clear_fault()
    assert wait_for(lambda: printer.status().ok, timeout=DEADLINE + 2)
    assert printer.print_slip(sample_slip("ru"), deadline=3).printed
    assert wait_for(lambda: printer_emulator.pages and printer_emulator.pages[-1]["complete"])


def test_paper_out_during_a_slip_leaves_an_incomplete_page(printer: ReceiptPrinter,
                                                           printer_emulator: PrinterEmulator) -> None:
    printer_emulator.set_fault("paper_out", after_bytes=400)
    assert printer.print_slip(sample_slip("ru"), deadline=DEADLINE).reason == "paper out"
    pages = _pages(printer_emulator)
    assert len(pages) == 1 and not pages[0]["complete"] and pages[0]["interrupted"] == "paper_out"


def test_paper_near_end_prints_and_says_so(printer: ReceiptPrinter, printer_emulator: PrinterEmulator) -> None:
    printer_emulator.set_fault("paper_near_end")
    outcome = printer.print_slip(sample_slip("ru"), deadline=DEADLINE)
    assert outcome.printed and outcome.status.notice == "paper near end"


def test_xoff_with_flow_control_stalls_the_write_not_the_caller(printer_emulator: PrinterEmulator) -> None:
    printer_emulator.slow_bytes_per_s = 60
    with ReceiptPrinter(str(printer_emulator.link), "epson", flow_control="xonxoff", write_timeout=0.3) as printer:
        assert printer.status().ok
        printer_emulator.set_fault("slow")
        outcome = printer.print_slip(sample_slip("ru"), deadline=DEADLINE)
        assert not outcome.printed and outcome.duration_s <= DEADLINE + SLACK
        assert outcome.reason in ("printer not taking data", "printer not answering")
        printer_emulator.clear_fault()
        # The cut-off job is ended with filler and an "interrupted" mark, then the slip prints.
        assert wait_for(lambda: printer.status().ok, timeout=4)
        assert printer.print_slip(sample_slip("ru"), deadline=4).printed
        if outcome.bytes_sent:
            # Bytes went out: either the job was cut and then closed off with the mark, or (on a
            # busy machine) every byte got through just after the deadline and the first slip
            # came out whole. Never a half slip without the mark.
            def settled() -> bool:
                pages = _pages(printer_emulator)
                marked = any(p["complete"] and "ПЕЧАТЬ ПРЕРВАНА - НЕ ЧЕК" in p["lines"] for p in pages)
                return marked or (len(pages) >= 2 and all(p["complete"] for p in pages))

            assert wait_for(settled, timeout=4), [
                (p["complete"], p["interrupted"], p["lines"][-3:]) for p in _pages(printer_emulator)]
        assert wait_for(lambda: _pages(printer_emulator)[-1]["qr"] == ["K017-20251120-000042"], timeout=4)


def test_status_is_unreachable_not_ok_without_answers(printer: ReceiptPrinter,
                                                      printer_emulator: PrinterEmulator) -> None:
    printer_emulator.set_fault("no_answer")
    started = time.monotonic()
    status = printer.status(timeout=0.3)
    assert status.state == "unreachable" and status.problem == "printer not answering"
    assert time.monotonic() - started < 0.3 + SLACK


def test_unplug_and_replug(printer: ReceiptPrinter, printer_emulator: PrinterEmulator) -> None:
    assert printer.status().ok
    printer_emulator.unplug()
    status = printer.status()
    assert status.state == "disconnected" and status.problem == "printer disconnected"
    outcome = printer.print_slip(sample_slip("ru"), deadline=DEADLINE)
    assert outcome.reason == "printer disconnected"
    printer_emulator.plug()  # a new pty behind the same port link
    assert printer.status().ok
    assert printer.print_slip(sample_slip("ru"), deadline=2).printed


def test_a_second_caller_waits_at_most_its_deadline(printer: ReceiptPrinter,
                                                    printer_emulator: PrinterEmulator) -> None:
    import threading

    printer_emulator.set_fault("no_answer", after_bytes=200)
    first = threading.Thread(target=printer.print_slip, args=(sample_slip("ru"),), kwargs={"deadline": 1.0})
    first.start()
    time.sleep(0.1)
    started = time.monotonic()
    status = printer.status(timeout=0.3)
    assert status.state == "busy" and time.monotonic() - started < 0.3 + SLACK
    first.join()
