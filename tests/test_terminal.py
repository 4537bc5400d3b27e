"""A whole terminal on one machine, as `kiosk demo` runs it: the real store, drivers, uploader
and office, with only the hardware emulated. No screen: the journey's own tests cover that."""

from __future__ import annotations

import re
from pathlib import Path

import requests
from sqlalchemy import text

from kiosk.demo import demo_terminal
from tests.devices.conftest import wait_for

BILL = ("ST00012|Name=АО Энергосбыт|PersonalAcc=40702810900000000001|BankName=ПАО Банк|BIC=044525225|"
        "CorrespAcc=30101810400000000225|PersAcc=2287008779|Sum=125000")


def test_a_reading_is_printed_and_reaches_the_office(tmp_path: Path) -> None:
    with demo_terminal(tmp_path / "demo") as demo:
        terminal = demo.terminal
        assert terminal.store.directory.stats().meters == 1000  # pulled from the office
        result = terminal.intake.submit("2287008779", None, ["12400", "6800"])
        assert result.ok
        outcome = terminal.slips.print_slip(result.submission, "ru")
        assert outcome.printed, outcome
        assert wait_for(lambda: len(demo.printer.pages) == 1)
        summary = terminal.uploader.run_once()
        assert summary.pending == 0
        with demo.office.engine.connect() as connection:
            stored = connection.execute(text("SELECT count(*) FROM office_submissions")).scalar()
        assert stored == 1
        assert terminal.store.submissions.get(seq=result.submission.seq).sync_state == "delivered"
        # The slip's QR code opens the office's check page for this slip, and the operator the
        # guide names signs in to the office's pages.
        [url] = demo.printer.pages[0]["qr"]
        assert url == f"{demo.office.url}/r/{result.submission.txn_id}"
        page = requests.get(url, params={"lang": "en"}, timeout=10)
        assert page.status_code == 200 and "8779" in page.text
        browser = requests.Session()
        login = browser.get(f"{demo.office.url}/login", timeout=10).text
        csrf = re.search(r'name="csrf" value="([^"]+)"', login)
        assert csrf and demo.operator_password in demo.guide()
        signed_in = browser.post(f"{demo.office.url}/login", timeout=10, allow_redirects=False, data={
            "csrf": csrf.group(1), "name": "demo", "password": demo.operator_password, "next": "/fleet"})
        assert signed_in.status_code == 303
        assert 'data-terminal="demo-1"' in browser.get(f"{demo.office.url}/fleet", timeout=10).text


def test_a_bill_scan_reaches_the_screen_queue(tmp_path: Path) -> None:
    with demo_terminal(tmp_path / "demo") as demo:
        assert demo.terminal.scanner.wait_connected(5)
        demo.scanner.emit(BILL.encode("utf-8"))
        demo.scanner.emit(b"hello, not a bill")
        bill = demo.terminal.scans.get(timeout=5)
        assert (bill.kind, bill.account) == ("bill", "2287008779")
        other = demo.terminal.scans.get(timeout=5)
        assert (other.kind, other.account, other.raw) == ("not_a_bill", None, "hello, not a bill")


def test_the_printer_watch_sees_paper_out_and_its_fix(tmp_path: Path) -> None:
    with demo_terminal(tmp_path / "demo") as demo:
        watch = demo.terminal.printer_watch
        assert wait_for(lambda: watch.refresh().ok, timeout=5)
        demo.printer.set_fault("paper_out")
        assert watch.refresh().paper == "out" and not watch.ready()
        heartbeat = demo.terminal.heartbeat()
        assert heartbeat.printer.paper == "out" and heartbeat.printer.state != "ok"
        demo.printer.clear_fault()
        assert wait_for(lambda: watch.refresh().ok, timeout=5)
