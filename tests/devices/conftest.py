"""Shared pieces for the device tests: sample slips and emulators on real pseudo-terminals."""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path
from typing import Callable, Iterator
from zoneinfo import ZoneInfo

import pytest

from devices.emulators import PrinterEmulator, ScannerEmulator
from devices.printer import ReceiptPrinter
from devices.slip import SlipData, SlipZone
from kiosk.slip_words import format_period, format_taken_at, slip_words


def sample_slip(language: str = "ru", copy: bool = False, zones: int = 3) -> SlipData:
    labels = {
        "ru": ["T1 — пик", "T2 — ночь", "T3 — полупик"],
        "en": ["T1 — peak", "T2 — night", "T3 — semi-peak"],
    }[language]
    readings = [(12345, 12400, 55), (6789, 6800, 11), (3456, 3490, 34)][:zones]
    return SlipData(
        supplier="АО «Энергосбыт»" if language == "ru" else "Energosbyt JSC",
        terminal_id="kiosk-017",
        office_address="г. Москва, ул. Вавилова, д. 9" if language == "ru" else "9 Vavilova St, Moscow",
        hotline="8 800 000-00-00",
        taken_at=format_taken_at(datetime(2025, 11, 20, 14, 5, tzinfo=ZoneInfo("Europe/Moscow")), language),
        account="******8779",  # masked by the core before it reaches the slip
        meter_serial="********3456",
        zones=[SlipZone(label, *values) for label, values in zip(labels, readings)],
        total=sum(r[2] for r in readings),
        period=format_period(date(2025, 11, 1), language),
        txn_id="K017-20251120-000042",
        seq=42,
        reference="3F2A9-1C0B7",
        qr="K017-20251120-000042",
        words=slip_words(language),
        copy=copy,
    )


def wait_for(condition: Callable[[], bool], timeout: float = 2.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@pytest.fixture
def printer_emulator(tmp_path: Path) -> Iterator[PrinterEmulator]:
    emulator = PrinterEmulator("epson", out=tmp_path, slow_bytes_per_s=300)
    with emulator:
        yield emulator


@pytest.fixture
def printer(printer_emulator: PrinterEmulator) -> Iterator[ReceiptPrinter]:
    driver = ReceiptPrinter(str(printer_emulator.link), "epson")
    yield driver
    driver.close()


@pytest.fixture
def scanner_emulator(tmp_path: Path) -> Iterator[ScannerEmulator]:
    with ScannerEmulator(tmp_path) as emulator:
        yield emulator
