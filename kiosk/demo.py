"""A whole terminal on one machine: emulated printer and scanner, a local office, demo data.

The terminal itself is the real one (``kiosk.wiring.assemble``) with the real drivers talking to
the emulators over pseudo-terminals and the real uploader talking to the office over loopback
HTTP; only the hardware and the central office are stand-ins. Every start is fresh: the folder's
databases are replaced, so the sample accounts always read the same.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from sqlalchemy import Engine

from devices.emulators import PrinterEmulator, ScannerEmulator
from kiosk import config as config_module
from kiosk import demo_data
from kiosk.service import pins
from sync.directory_file import DirectoryRow, read_directory
from kiosk.wiring import Terminal, assemble
from sync.client import OfficeClient, OfficeSettings
from sync.directory_pull import DirectoryPuller
from sync.office.database import migrate, open_engine
from sync.office.directory import import_rows as office_import
from sync.office.money import import_history, import_tariffs
from sync.office.local import LocalOffice
from sync.office import operators
from sync.office.operators import Role
from sync.office.terminals import add_terminal

TERMINAL_ID = "demo-1"
DIRECTORY_ROWS = 1000
# Service mode in the demo: PINs anyone may read here, and a service card to scan.
TECHNICIAN_PIN = "1234"
ADMINISTRATOR_PIN = "9876"
SERVICE_CARD = "DEMO-SERVICE-CARD"
DEMO_OPERATOR = "demo"


@dataclass
class DemoTerminal:
    folder: Path
    terminal: Terminal
    office: LocalOffice
    printer: PrinterEmulator
    scanner: ScannerEmulator
    operator_password: str

    def guide(self, window: tuple[int, int] | None = None) -> str:
        """What a person can do from a second shell while the demo runs; ``window``: the touch
        screen's window size, when it opens."""
        bill = "ST00012|Name=АО Энергосбыт|PersonalAcc=40702810900000000001|BankName=ПАО Банк|" \
               "BIC=044525225|CorrespAcc=30101810400000000225|PersAcc=2287008779|Sum=125000"
        return "\n".join([
            f"Demo terminal {TERMINAL_ID} in {self.folder}",
            f"  printed slips:  {self.printer.out}/ (text, JSON and PNG per slip)",
            f"  office:         {self.office.url} (database {self.folder / 'office.sqlite3'})",
            f"  office pages:   {self.office.url}/fleet (sign in as {DEMO_OPERATOR}, password "
            f"{self.operator_password}); the slip's QR code opens its check page there",
            *([f"  touch screen:   a {window[0]}x{window[1]} window (another size: kiosk demo --size WxH)"]
              if window else []),
            "  sample accounts: " + ", ".join(f"{s.account} ({s.what})" for s in demo_data.SAMPLES),
            "From a second terminal:",
            f"  scan a bill:     .venv/bin/kiosk scanner emit {self.scanner.control_path} '{bill}'",
            f"  printer fault:   .venv/bin/kiosk emulate fault {self.printer.control_path} paper_out",
            "                   (also near_end, cover_open, offline, no_answer, garbage, slow, unplug)",
            f"  printer fixed:   .venv/bin/kiosk emulate fault {self.printer.control_path} ok",
            f"  office's view:   .venv/bin/kiosk office stats --db sqlite:///{self.folder / 'office.sqlite3'}",
            "Service mode: hold the screen's top-left corner for 5 s on the start screen, or scan the card",
            f"  .venv/bin/kiosk scanner emit {self.scanner.control_path} {SERVICE_CARD}",
            f"  then PIN {TECHNICIAN_PIN} (technician) or {ADMINISTRATOR_PIN} (administrator, may reprint slips)",
        ])


def demo_office(folder: Path, rows: int = DIRECTORY_ROWS, terminal_id: str = TERMINAL_ID) -> tuple[Engine, str]:
    """The office's database in ``folder`` holding a demo directory of ``rows`` meters, with the
    terminal provisioned: its engine and the terminal's secret."""
    directory_file = folder / "directory.csv"
    with open(directory_file, "w", encoding="utf-8", newline="") as stream:
        demo_data.write_csv(stream, rows)
    engine = open_engine(f"sqlite:///{folder / 'office.sqlite3'}")
    migrate(engine)
    office_import(engine, (row for row in demo_data.with_money(read_directory(directory_file))
                           if isinstance(row, DirectoryRow)))
    import_tariffs(engine, demo_data.tariffs())
    import_history(engine, demo_data.history())
    return engine, add_terminal(engine, terminal_id)


@contextlib.contextmanager
def demo_terminal(folder: Path, *, language: str = "ru") -> Iterator[DemoTerminal]:
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    for old in [*folder.glob("kiosk.sqlite3*"), *folder.glob("office.sqlite3*")]:
        old.unlink()
    engine, secret = demo_office(folder)
    # An administrator for the office's pages, with a new password at every start: the demo's
    # office listens on loopback only, and its guide shows the password.
    operator_password = operators.add_operator(engine, DEMO_OPERATOR, Role.ADMIN, actor="demo")
    with (LocalOffice(engine) as office,
          PrinterEmulator("epson", out=folder / "slips", directory=folder / "printer") as printer,
          ScannerEmulator(folder / "scanner") as scanner):
        config = config_module.load(None, {
            "KIOSK_TERMINAL_DATA_DIR": str(folder),
            "KIOSK_TERMINAL_ID": TERMINAL_ID,
            "KIOSK_TERMINAL_LANGUAGE": language,
            "KIOSK_TERMINAL_ADDRESS": "г. Москва, ул. Демонстрационная, д. 1",
            "KIOSK_PRINTER_PORT": str(printer.link),
            "KIOSK_SCANNER_PORT": str(scanner.link),
            "KIOSK_OFFICE_URL": office.url,
            "KIOSK_OFFICE_SECRET": secret,
            "KIOSK_SLIP_VERIFY_URL": f"{office.url}/r/",
            "KIOSK_SERVICE_TECHNICIAN_PIN_HASH": pins.hash_pin(TECHNICIAN_PIN),
            "KIOSK_SERVICE_ADMINISTRATOR_PIN_HASH": pins.hash_pin(ADMINISTRATOR_PIN),
            "KIOSK_SERVICE_SERVICE_CODE": SERVICE_CARD,
        })
        terminal = assemble(config)
        try:
            # The terminal learns its directory the way a real one does: from the office.
            client = OfficeClient(OfficeSettings.from_config(config))
            DirectoryPuller(terminal.store.directory, client).pull()
            client.close()
            terminal.start()
            yield DemoTerminal(folder, terminal, office, printer, scanner, operator_password)
        finally:
            terminal.close()
    engine.dispose()
