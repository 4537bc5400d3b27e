"""The scanner driver against the emulator over a real pty: scans, noise, cable pulled."""

from __future__ import annotations

import logging
import threading

import pytest

from devices.emulators import ScannerEmulator
from devices.scanner import MAX_LINE, BillScanner
from kiosk.billcode import ScanResult, parse_scan
from tests.devices.conftest import wait_for


class Collector:
    def __init__(self) -> None:
        self.results: list[ScanResult] = []
        self.threads: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, line: bytes) -> None:
        with self._lock:
            self.results.append(parse_scan(line))
            self.threads.add(threading.current_thread().name)


@pytest.fixture
def collector() -> Collector:
    return Collector()


@pytest.fixture
def scanner(scanner_emulator: ScannerEmulator, collector: Collector):
    driver = BillScanner(str(scanner_emulator.link), on_scan=collector, retry_initial_s=0.05, retry_max_s=0.2)
    driver.start()
    assert driver.wait_connected(2)
    yield driver
    driver.stop()


def test_scans_arrive_parsed_on_the_reader_thread(scanner: BillScanner, scanner_emulator: ScannerEmulator,
                                                  collector: Collector) -> None:
    scanner_emulator.emit("ST00011|Name=АО Энергосбыт|PersAcc=2287008779".encode("cp1251"))
    scanner_emulator.emit(b"2287008779")
    scanner_emulator.emit(b"\xff\xfe garbage")
    assert wait_for(lambda: len(collector.results) == 3)
    bill, barcode, noise = collector.results
    assert bill.kind == "bill" and bill.account == "2287008779"
    assert barcode.kind == "barcode" and barcode.account == "2287008779"
    assert noise.kind == "not_a_bill" and noise.reason
    assert threading.main_thread().name not in collector.threads


def test_a_flood_without_terminator_is_dropped_and_reading_goes_on(scanner: BillScanner,
                                                                    scanner_emulator: ScannerEmulator,
                                                                    collector: Collector) -> None:
    scanner_emulator.send(b"7" * (MAX_LINE + 100))
    scanner_emulator.emit(b"\r12345678")  # the stray terminator ends the noise
    assert wait_for(lambda: any(r.account == "12345678" for r in collector.results))
    assert all(r.account != "7" * (MAX_LINE + 100) for r in collector.results)


def test_a_crlf_scanner_on_a_cr_setting(scanner: BillScanner, scanner_emulator: ScannerEmulator,
                                        collector: Collector) -> None:
    scanner_emulator.terminator = b"\r\n"
    scanner_emulator.emit(b"2287008779")
    scanner_emulator.emit(b"1234567")
    assert wait_for(lambda: [r.account for r in collector.results] == ["2287008779", "1234567"])


def test_unplug_and_replug_reconnects_and_logs_the_outage_once(scanner: BillScanner,
                                                               scanner_emulator: ScannerEmulator,
                                                               collector: Collector,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="devices.scanner")
    scanner_emulator.unplug()
    assert wait_for(lambda: not scanner.connected)
    assert wait_for(lambda: sum("unavailable" in r.message for r in caplog.records) >= 1)
    threading.Event().wait(0.6)  # several retries happen while it is out
    unavailable = [r for r in caplog.records if "unavailable" in r.message]
    assert len([r for r in unavailable if r.levelno >= logging.WARNING]) == 1
    assert len(unavailable) >= 2  # the retries were logged at debug level only
    scanner_emulator.plug()
    assert scanner.wait_connected(2)
    scanner_emulator.emit(b"2287008779")
    assert wait_for(lambda: collector.results and collector.results[-1].account == "2287008779")


def test_a_port_that_is_not_there_yet(tmp_path, collector: Collector) -> None:
    emulator = ScannerEmulator(tmp_path / "later")
    scanner = BillScanner(str(emulator.link), on_scan=collector, retry_initial_s=0.05, retry_max_s=0.1)
    scanner.start()
    try:
        assert not scanner.wait_connected(0.2)
        with emulator:
            assert scanner.wait_connected(2)
            emulator.emit(b"55555")
            assert wait_for(lambda: [r.account for r in collector.results] == ["55555"])
    finally:
        scanner.stop()


def test_a_faulty_callback_does_not_stop_the_reader(scanner_emulator: ScannerEmulator) -> None:
    seen: list[ScanResult] = []

    def on_scan(line: bytes) -> None:
        seen.append(parse_scan(line))
        raise RuntimeError("boom")

    driver = BillScanner(str(scanner_emulator.link), on_scan=on_scan, retry_initial_s=0.05)
    driver.start()
    try:
        assert driver.wait_connected(2)
        scanner_emulator.emit(b"11111")
        scanner_emulator.emit(b"22222")
        assert wait_for(lambda: len(seen) == 2)
        assert driver.connected
    finally:
        driver.stop()
