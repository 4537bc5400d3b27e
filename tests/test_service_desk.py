"""Service mode's core on a whole terminal of real parts: the emulated printer and scanner over
ptys, the real office over loopback (started and stopped as a test needs), real store files.

The issue's "done when": a terminal whose printer is out of paper and whose office cannot be
reached shows both on the overview, and the technician fixes and verifies both from here."""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.exc import SQLAlchemyError

from devices.emulators import PrinterEmulator, ScannerEmulator
from kiosk import config as config_module
from sync.directory_file import DirectoryRow, read_directory
from kiosk.service.health import GREEN, RED, SUBSYSTEMS, YELLOW, Health
from kiosk.service.access import ADMINISTRATOR, TECHNICIAN
from kiosk.masking import public_url, scrub
from kiosk.service.desk import ServiceDesk
from kiosk.service.view import ACTIONS, PAGES, Done, Page
from kiosk.store import Submission
from kiosk.wiring import Terminal, assemble
from sync.client import OfficeClient, OfficeSettings
from sync.directory_pull import DirectoryPuller
from sync.reference import reference
from sync.office.database import migrate, open_engine
from sync.office.directory import import_rows as office_import
from sync.office.local import LocalOffice
from sync.office.terminals import add_terminal
from tests.devices.conftest import wait_for
from tests.support import directory_text

TERMINAL_ID = "kiosk-7"
ACCOUNT = "2287008779"  # the first demo sample: two zones, last T1 12345, T2 6789
SERVICE_CODE = "900100200300"  # all digits: it would pass for a barcode account
BILL = ("ST00012|Name=АО Энергосбыт|PersonalAcc=40702810900000000001|BankName=ПАО Банк|BIC=044525225|"
        "CorrespAcc=30101810400000000225|PersAcc=2287008779|Sum=125000")


@dataclass
class Site:
    """A terminal in its office: the office runs only once ``start_office`` is called."""

    terminal: Terminal
    desk: ServiceDesk
    office: LocalOffice
    office_engine: Engine
    printer: PrinterEmulator
    scanner: ScannerEmulator
    stack: contextlib.ExitStack

    def start_office(self) -> None:
        self.stack.enter_context(self.office)

    def by_name(self, language: str = "en") -> dict[str, Health]:
        return {h.subsystem: h for h in self.desk.overview(language)}


def directory_rows(count: int) -> list[DirectoryRow]:
    return [row for row in read_directory(io.StringIO(directory_text(count))) if isinstance(row, DirectoryRow)]


@contextlib.contextmanager
def site(folder: Path, *, office_running: bool, pulled: bool, uploading: bool = True) -> Iterator[Site]:
    """``pulled``: the terminal took its directory from the office (else it holds the same rows,
    imported by hand, and so is behind the office's version). ``uploading``: the uploader's
    thread runs (else readings wait for "send now")."""
    engine = open_engine(f"sqlite:///{folder / 'office.sqlite3'}")
    migrate(engine)
    office_import(engine, directory_rows(40))
    secret = add_terminal(engine, TERMINAL_ID)
    office = LocalOffice(engine)  # its port is chosen now: the terminal knows where to call
    with (contextlib.ExitStack() as stack,
          PrinterEmulator("epson", out=folder / "slips", directory=folder / "printer") as printer,
          ScannerEmulator(folder / "scanner") as scanner):
        config = config_module.load(None, {
            "KIOSK_TERMINAL_DATA_DIR": str(folder / "kiosk"),
            "KIOSK_TERMINAL_ID": TERMINAL_ID,
            "KIOSK_PRINTER_PORT": str(printer.link),
            "KIOSK_SCANNER_PORT": str(scanner.link),
            "KIOSK_OFFICE_URL": office.url,
            "KIOSK_OFFICE_SECRET": secret,
            "KIOSK_SERVICE_SERVICE_CODE": SERVICE_CODE,
        })
        terminal = assemble(config)
        stack.callback(terminal.close)
        the_site = Site(terminal, ServiceDesk(terminal), office, engine, printer, scanner, stack)
        if office_running:
            the_site.start_office()
        if pulled:
            client = OfficeClient(OfficeSettings.from_config(config))
            assert DirectoryPuller(terminal.store.directory, client).pull().error is None
            client.close()
        else:
            terminal.store.directory.import_rows(directory_rows(40))
        if uploading:
            terminal.start()
        else:
            terminal.printer_watch.start()
            terminal.scanner.start()
        assert wait_for(lambda: terminal.printer_watch.refresh().ok, timeout=5)
        assert terminal.scanner.wait_connected(5)
        yield the_site
    engine.dispose()


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Site]:
    with site(tmp_path, office_running=True, pulled=True) as the_site:
        yield the_site


def submit(terminal: Terminal, values: tuple[str, str] = ("12400", "6800")) -> Submission:
    # A second slip the same day is meant here: the customer's question is answered yes.
    result = terminal.intake.submit(ACCOUNT, None, list(values), confirmed=("already_submitted_today",))
    assert result.ok and result.submission is not None, result.as_dict()
    return result.submission


def events(terminal: Terminal, limit: int = 50) -> list[tuple[str, str | None, dict]]:
    return [(e.kind, e.role, e.detail) for e in reversed(terminal.store.events.recent(limit))]


def page_text(page: Page) -> str:
    return "\n".join([page.title, page.reason, *(f"{label}: {value}" for label, value in page.rows),
                      *(action.caption for action in page.actions)])


# --- the "done when" -----------------------------------------------------------------

def test_paper_out_and_office_down_are_red_until_fixed_and_verified_here(tmp_path: Path) -> None:
    with site(tmp_path, office_running=False, pulled=False) as the_site:
        terminal, desk = the_site.terminal, the_site.desk
        technician = terminal.service.session(TECHNICIAN)
        submit(terminal)  # a reading that cannot reach the office
        the_site.printer.set_fault("paper_out")

        lines = the_site.by_name()
        assert [h.subsystem for h in desk.overview("ru")] == list(SUBSYSTEMS)
        assert (lines["printer"].level, lines["printer"].reason) == (RED, "paper out")
        assert lines["network"].level == RED
        assert lines["network"].reason == f"office unreachable: no connection to 127.0.0.1:{the_site.office.port}"
        russian = {h.subsystem: h.text("ru") for h in desk.overview("ru")}
        assert russian["printer"] == "нет бумаги"
        assert russian["network"] == f"офис недоступен: нет соединения с 127.0.0.1:{the_site.office.port}"

        printer_page = desk.page("printer", TECHNICIAN, "ru")
        assert (printer_page.level, printer_page.reason) == (RED, "нет бумаги")
        assert ("Бумага", "нет") in printer_page.rows
        assert ("Неисправности", "нет бумаги") in printer_page.rows  # never "none" under a red mark
        failed = desk.act("test_slip", technician, "ru")
        assert not failed.ok and "нет бумаги" in failed.message and "рулон" in failed.message
        refused = desk.act("send_now", technician, "en")
        assert not refused.ok and "office unreachable" in refused.message and "network page" in refused.message
        assert terminal.store.outbox.depth() == 1

        # The technician loads paper and gets the office line back.
        the_site.printer.clear_fault()
        the_site.start_office()
        printed = desk.act("test_slip", technician, "en")
        assert printed.ok, printed.message
        sent = desk.act("send_now", technician, "en")  # (the uploader's own retry may have been first)
        assert sent.ok and terminal.store.outbox.depth() == 0, sent.message
        lines = the_site.by_name()
        assert (lines["printer"].level, lines["network"].level) == (GREEN, GREEN)
        assert lines["directory"].level == YELLOW  # the office holds a newer version than the hand import
        assert desk.act("update_directory", technician, "en").ok
        assert {h.subsystem: h.level for h in desk.overview("en") if h.level != GREEN} == {}


# --- each action on real parts ------------------------------------------------------------

def test_the_test_slip_reaches_the_printer(running: Site) -> None:
    done = running.desk.act("test_slip", running.terminal.service.session(TECHNICIAN), "ru")
    assert done == Done(True, "Тестовая квитанция напечатана: проверьте русские буквы, QR-код и отрез.")
    assert wait_for(lambda: len(running.printer.pages) == 1)
    text = Path(running.printer.pages[0]["text_file"]).read_text(encoding="utf-8")
    assert "ТЕСТ ПРИНТЕРА" in text and TERMINAL_ID in text and "АБВГДЕЁЖЗИЙ" in text


def test_reprint_is_refused_to_a_technician_and_printed_as_a_copy_for_an_administrator(running: Site) -> None:
    terminal, desk = running.terminal, running.desk
    submission = submit(terminal)
    assert terminal.slips.print_slip(submission, "ru").printed
    assert wait_for(lambda: len(running.printer.pages) == 1)

    assert [a.allowed for a in desk.page("printer", TECHNICIAN, "en").actions] == [True, False, True]
    refused = desk.act("reprint", terminal.service.session(TECHNICIAN), "en")
    assert refused == Done(False, "This needs an administrator: ask one to enter service mode with their own PIN.")
    assert events(terminal)[-1] == ("service_refused", TECHNICIAN, {"action": "reprint"})
    assert len(running.printer.pages) == 1

    assert all(a.allowed for a in desk.page("printer", ADMINISTRATOR, "en").actions)
    done = desk.act("reprint", terminal.service.session(ADMINISTRATOR), "en")
    assert done == Done(True, f"A copy of slip No. {submission.seq} was printed.")
    assert wait_for(lambda: len(running.printer.pages) == 2)
    copy = Path(running.printer.pages[1]["text_file"]).read_text(encoding="utf-8")
    assert "КОПИЯ" in copy and "******8779" in copy and ACCOUNT not in copy
    assert terminal.store.submissions.get(seq=submission.seq).print_count == 2
    assert events(terminal)[-1] == ("service_reprint", ADMINISTRATOR,
                                    {"ok": True, "seq": submission.seq, "printed": True})


def test_an_administrator_reprints_any_slip_by_its_number_or_its_reference(running: Site) -> None:
    desk, terminal = running.desk, running.terminal
    administrator = terminal.service.session(ADMINISTRATOR)
    first, second = submit(terminal), submit(terminal, ("12500", "6900"))
    done = desk.act("reprint", administrator, "en", slip=str(first.seq))
    assert done == Done(True, f"A copy of slip No. {first.seq} was printed.")
    typed = reference(second.txn_id).lower().replace("-", " ")  # as a person may type it
    assert desk.act("reprint", administrator, "en", slip=typed) == Done(
        True, f"A copy of slip No. {second.seq} was printed.")
    assert wait_for(lambda: len(running.printer.pages) == 2)
    copy = Path(running.printer.pages[1]["text_file"]).read_text(encoding="utf-8")
    assert "КОПИЯ" in copy
    assert [terminal.store.submissions.get(seq=s.seq).print_count for s in (first, second)] == [1, 1]
    assert events(terminal)[-1] == ("service_reprint", ADMINISTRATOR,
                                    {"ok": True, "seq": second.seq, "printed": True})

    unknown = desk.act("reprint", administrator, "en", slip="99")
    assert unknown == Done(False, "No slip has the number or reference 99: check it against the slip.")
    garbage = desk.act("reprint", administrator, "ru", slip="12;DROP")
    assert not garbage.ok and garbage.message.startswith("12;DROP — это не номер чека")
    assert len(running.printer.pages) == 2
    refused = desk.act("reprint", terminal.service.session(TECHNICIAN), "en", slip=str(first.seq))
    assert not refused.ok and len(running.printer.pages) == 2


def test_a_reference_two_slips_share_lists_both(running: Site) -> None:
    first, second = submit(running.terminal), submit(running.terminal, ("12500", "6900"))
    with running.terminal.store.engine.begin() as connection:  # a 1-in-a-million coincidence, made
        connection.exec_driver_sql("UPDATE submissions SET txn_id = ? WHERE seq = ?",
                                   (first.txn_id[:11] + second.txn_id[11:], second.seq))
    done = running.desk.act("reprint", running.terminal.service.session(ADMINISTRATOR), "en",
                            slip=reference(first.txn_id))
    assert done == Done(False, f"Slips No. {second.seq}, {first.seq} share the reference "
                               f"{reference(first.txn_id)}: type the number of the one to reprint.")


def test_the_details_agree_with_the_marks(tmp_path: Path) -> None:
    with site(tmp_path, office_running=True, pulled=True, uploading=False) as the_site:
        desk = the_site.desk
        assert the_site.by_name()["upload"].reason == "nothing to send yet"
        assert dict(desk.page("upload", TECHNICIAN, "en").rows)["Last delivery"] == "never"
        network = desk.page("network", TECHNICIAN, "en")
        assert network.level == GREEN and network.attention == frozenset({"Encryption (TLS)"})
        assert network.reason.endswith("ms, on this machine over plain http")


def test_send_now_drains_the_outbox_to_the_office(tmp_path: Path) -> None:
    with site(tmp_path, office_running=True, pulled=True, uploading=False) as running:
        terminal = running.terminal
        submissions = [submit(terminal), submit(terminal, ("12500", "6900"))]
        upload = running.desk.page("upload", TECHNICIAN, "en")
        assert dict(upload.rows)["Waiting to be sent"] == "2" and upload.reason == "sending 2 readings"
        done = running.desk.act("send_now", terminal.service.session(TECHNICIAN), "en")
        assert done == Done(True, "Sent 2: 2 accepted, 0 already at the office, 0 refused.")
        assert terminal.store.outbox.depth() == 0
        assert all(terminal.store.submissions.get(seq=s.seq).sync_state == "delivered" for s in submissions)
        _check_nothing_waits(running)


def _check_nothing_waits(running: Site) -> None:
    terminal = running.terminal
    nothing = running.desk.act("send_now", terminal.service.session(TECHNICIAN), "en")
    assert nothing == Done(True, "Nothing was waiting: every reading is at the office.")
    upload = running.desk.page("upload", TECHNICIAN, "en")
    assert upload.level == GREEN and dict(upload.rows)["Waiting to be sent"] == "0"


def test_update_directory_pulls_what_the_office_has(running: Site) -> None:
    terminal, desk = running.terminal, running.desk
    technician = terminal.service.session(TECHNICIAN)
    assert desk.act("update_directory", technician, "en").message.startswith("The directory is up to date")
    before = terminal.store.directory.stats()
    office_import(running.office_engine, directory_rows(60))  # the office learns 20 more meters
    assert desk.page("directory", TECHNICIAN, "en").level == YELLOW
    done = desk.act("update_directory", technician, "ru")
    after = terminal.store.directory.stats()
    assert done.ok and after.version > before.version and after.meters > before.meters
    assert done.message == (f"Справочник обновлён до версии {after.version}: лицевых счетов: {after.accounts}, "
                            f"счётчиков: {after.meters}.")
    page = desk.page("directory", TECHNICIAN, "en")
    assert page.level == GREEN and dict(page.rows)["Version"] == str(after.version)


def test_check_integrity_and_check_network_on_a_healthy_terminal(running: Site) -> None:
    desk, technician = running.desk, running.terminal.service.session(TECHNICIAN)
    assert dict(desk.page("storage", TECHNICIAN, "en").rows)["Last full check"] == "not since the log began"
    assert desk.act("check_integrity", technician, "en") == Done(True, "The database is intact.")
    assert dict(desk.page("storage", TECHNICIAN, "en").rows)["Last full check"].endswith(": intact")
    network = desk.act("check_network", technician, "en")
    assert network.ok and network.message.startswith("office reachable in")
    rows = dict(desk.page("network", TECHNICIAN, "en").rows)
    assert rows["Reachable"] == "yes" and rows["Encryption (TLS)"] == "not used (plain http)"
    assert "secret" not in page_text(desk.page("system", ADMINISTRATOR, "en")).lower()


def test_the_switch_takes_customers_off_and_back(running: Site) -> None:
    desk, terminal = running.desk, running.terminal
    technician = terminal.service.session(TECHNICIAN)
    assert [a.name for a in desk.page("system", TECHNICIAN, "en").actions] == ["out_of_service"]
    assert desk.act("out_of_service", technician, "en").ok
    state = desk.out_of_service()
    assert state is not None and state.by == TECHNICIAN
    system = desk.page("system", TECHNICIAN, "ru")
    assert [a.name for a in system.actions] == ["in_service"]
    assert "не обслуживаются" in dict(system.rows)["Клиенты"]
    assert desk.act("in_service", technician, "en") == Done(True, "Customers are served again.")
    assert desk.out_of_service() is None


# --- the scanner and the service card -----------------------------------------------------

def test_a_service_card_is_recognised_and_never_passes_for_an_account(running: Site) -> None:
    terminal, desk = running.terminal, running.desk
    desk.page("scanner", TECHNICIAN, "en")  # the live test is open
    running.scanner.emit(SERVICE_CODE.encode())
    card = terminal.scans.get(timeout=5)
    assert terminal.service.is_service_code(card.raw)
    assert (card.kind, card.account, card.fields) == ("not_a_bill", None, {})
    assert SERVICE_CODE not in repr(card) and SERVICE_CODE not in json.dumps(card.as_dict())
    desk.scan_seen(card)
    rows = dict(desk.page("scanner", TECHNICIAN, "en").rows)
    assert rows["Read as"] == "service card" and rows["Account"] == "—" and rows["Length"] == "12 characters"
    assert SERVICE_CODE not in page_text(desk.page("scanner", TECHNICIAN, "en"))

    running.scanner.emit(BILL.encode("utf-8"))
    bill = terminal.scans.get(timeout=5)
    assert (bill.kind, bill.account) == ("bill", ACCOUNT) and not terminal.service.is_service_code(bill.raw)
    desk.scan_seen(bill)
    rows = dict(desk.page("scanner", TECHNICIAN, "ru").rows)
    assert (rows["Распознано как"], rows["Лицевой счёт"]) == ("QR-код квитанции", "******8779")
    tests_logged = [(role, detail) for kind, role, detail in events(terminal) if kind == "service_scan_test"]
    assert tests_logged == [(TECHNICIAN, {"read_as": "service", "length": 12}),
                            (TECHNICIAN, {"read_as": "bill", "length": len(BILL)})]


# --- what every page and action owes the technician ---------------------------------------

def test_every_action_lands_in_the_event_log_with_the_role(running: Site) -> None:
    terminal, desk = running.terminal, running.desk
    submission = submit(terminal)
    terminal.slips.print_slip(submission, "ru")
    logged_before = len(events(terminal, 200))
    for action in ACTIONS:
        session = terminal.service.session(ADMINISTRATOR)
        assert isinstance(desk.act(action, session, "en"), Done)
    kinds = [(kind, role) for kind, role, _ in events(terminal, 200)[logged_before:]]
    expected = [(f"service_{a}", ADMINISTRATOR) for a in ACTIONS if a not in ("out_of_service", "in_service")]
    assert [k for k in kinds if k[0].startswith("service_")] == expected
    assert ("out_of_service", ADMINISTRATOR) in kinds and ("in_service", ADMINISTRATOR) in kinds
    # ... and they travel to the office with the heartbeat, role first.
    beat = terminal.heartbeat()
    assert any(e.kind == "service_reprint" and e.message.startswith(f"{ADMINISTRATOR}:") for e in beat.events)
    client = OfficeClient(OfficeSettings.from_config(terminal.config))
    try:
        assert client.heartbeat(beat)
    finally:
        client.close()


@pytest.mark.parametrize("language", ["ru", "en"])
def test_pages_show_no_customer_number_and_no_secret(running: Site, language: str) -> None:
    terminal, desk = running.terminal, running.desk
    submission = submit(terminal)
    terminal.slips.print_slip(submission, "ru")
    running.scanner.emit(BILL.encode())
    desk.scan_seen(terminal.scans.get(timeout=5))
    for name in ("overview", *PAGES):
        page = desk.page(name, ADMINISTRATOR, language)
        text = page_text(page)
        assert page.level in (GREEN, YELLOW, RED) and page.rows, name
        assert ACCOUNT not in text and terminal.config.office.secret not in text, name


def test_act_never_raises(tmp_path: Path) -> None:
    # No printer, no office, no scanner: every action still answers, saying what to set up.
    config = config_module.load(None, {"KIOSK_TERMINAL_DATA_DIR": str(tmp_path / "data")})
    terminal = assemble(config)
    try:
        desk = ServiceDesk(terminal)
        session = terminal.service.session(ADMINISTRATOR)
        answers = {action: desk.act(action, session, "en") for action in ACTIONS}
        assert answers["test_slip"] == Done(False, "No printer is configured: set [printer] port.")
        assert answers["send_now"] == Done(False, "No office is configured: set [office] url and secret.")
        assert answers["reprint"] == Done(False, "No slip has been printed yet: there is nothing to reprint.")
        assert answers["update_directory"] == answers["check_network"] == answers["send_now"]
        assert answers["check_integrity"].ok
        assert desk.act("format_disk", session, "en") == Done(False, "Unknown action: format_disk")
        for name in ("overview", *PAGES):
            assert desk.page(name, ADMINISTRATOR, "ru").title
    finally:
        terminal.close()


def test_office_words_are_scrubbed_of_customer_numbers() -> None:
    assert scrub("account 2287008779 has no meter 011075123456") == "account ******8779 has no meter ********3456"
    assert scrub("77АВ123456 unknown") == "******3456 unknown"
    assert scrub("no connection to 127.0.0.1:51397 (port=51397)") == "no connection to 127.0.0.1:51397 (port=51397)"
    assert public_url("https://user:pw@office.example:8443/kiosk?token=abc#x") == "https://office.example:8443/kiosk"


def test_a_damaged_database_is_reported_with_what_to_do(tmp_path: Path) -> None:
    config = config_module.load(None, {"KIOSK_TERMINAL_DATA_DIR": str(tmp_path / "data")})
    terminal = assemble(config)
    terminal.store.directory.import_rows(directory_rows(2000))  # meters fill most of the file: its middle is theirs
    terminal.close()  # checkpointed: every page is in the main file now
    path = config.database_path
    with path.open("r+b") as database:
        # The directory's last pages, written after every table's first page: the terminal still
        # opens (it reads those at start), as with damage in the middle of a large directory.
        database.seek(path.stat().st_size - 4 * 4096)
        database.write(b"\xde\xad\xbe\xef" * 4096)
    terminal = assemble(config)
    try:
        desk = ServiceDesk(terminal)
        done = desk.act("check_integrity", terminal.service.session(TECHNICIAN), "ru")
        assert not done.ok and done.message.startswith("База данных повреждена (")
        assert "восстановите последнюю резервную копию" in done.message
        storage = desk.page("storage", TECHNICIAN, "en")
        assert storage.level == RED and storage.reason.startswith("database damaged: readings cannot be stored")
        assert dict(storage.rows)["Last full check"].endswith(": damaged")
    finally:
        terminal.close()


def test_a_database_that_refuses_writes_shows_red_storage(tmp_path: Path) -> None:
    # It still reads as intact; only the failed reading, known in memory, says otherwise.
    config = config_module.load(None, {"KIOSK_TERMINAL_DATA_DIR": str(tmp_path / "data")})
    terminal = assemble(config)
    try:
        event.listen(terminal.store.engine, "connect",
                     lambda dbapi_connection, _record: dbapi_connection.execute("PRAGMA query_only = ON"))
        terminal.store.engine.dispose()
        desk = ServiceDesk(terminal)
        assert desk.page("storage", TECHNICIAN, "en").level == GREEN
        with pytest.raises(SQLAlchemyError) as failed:
            terminal.store.events.append("probe")
        terminal.service.storage_failed(failed.value)
        expected = (RED, "cannot store readings: attempt to write a readonly database")
        storage = desk.page("storage", TECHNICIAN, "en")
        assert (storage.level, storage.reason) == expected
        line = {h.subsystem: h for h in desk.overview("en")}["storage"]
        assert (line.level, line.reason) == expected
    finally:
        terminal.close()
