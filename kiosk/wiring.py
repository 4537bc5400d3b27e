"""The composition root: one terminal's parts, built from its configuration and started.

Devices and the office are optional: an empty ``[printer] port`` means no printer (the customer
is shown the slip's number and QR code instead), an empty ``[office] url`` means readings stay
queued on the terminal. Everything that talks to a device or the network runs on threads of its
own; the UI only ever reads cached facts from here.
"""

from __future__ import annotations

import queue
import time
from dataclasses import dataclass, field
from typing import Callable

from devices.printer import ReceiptPrinter
from devices.scanner import BillScanner
from devices.status import PrinterStatus
from kiosk import fleet
from kiosk.billcode import NOT_A_BILL, ScanResult, parse_scan
from kiosk.config import Config
from kiosk.intake import Intake
from kiosk.periodic import Periodic
from kiosk.service.access import ServiceAccess
from kiosk.slips import SlipDesk
from kiosk.store import Store
from sync.client import OfficeClient, OfficeSettings
from sync.uploader import Uploader
from sync.wire import Heartbeat


# How often an idle printer is asked for its status: often enough that the attract screen's
# "slips cannot be printed" follows a technician's fix within a few seconds.
PRINTER_POLL_S = 5.0
# The office counts a terminal silent after three missed heartbeats: a few minutes is soon
# enough for a technician, and 2,000 terminals make about 30 requests a second.
HEARTBEAT_INTERVAL_S = 60.0


class PrinterWatch:
    """The printer's last known status, refreshed on a thread of its own."""

    def __init__(self, printer: ReceiptPrinter | None, interval: float = PRINTER_POLL_S) -> None:
        self._printer = printer
        self._job = Periodic("printer-watch", interval, self.refresh)
        self.status: PrinterStatus = PrinterStatus.disconnected("no printer configured") if printer is None \
            else PrinterStatus.unreachable("not asked yet")

    def ready(self) -> bool:
        return self._printer is not None and self.status.ok

    def refresh(self) -> PrinterStatus:
        if self._printer is not None:
            status = self._printer.status()
            if status.state != "busy":  # printing a slip right now: the last answer still stands
                self.status = status
        return self.status

    def start(self) -> None:
        if self._printer is not None:
            self._job.start()

    def stop(self) -> None:
        self._job.stop()


@dataclass
class Terminal:
    config: Config
    store: Store
    intake: Intake
    slips: SlipDesk
    printer: ReceiptPrinter | None
    printer_watch: PrinterWatch
    scanner: BillScanner | None
    uploader: Uploader | None
    service: ServiceAccess
    # Every scan as parsed, bills and anything else; the UI drains it. A service card arrives as
    # "not a bill" with its payload in ``raw`` only, so no screen can take it for an account.
    scans: "queue.Queue[ScanResult]" = field(default_factory=queue.Queue)
    started_at: float = field(default_factory=time.monotonic)  # for the uptime
    health_lines: fleet.HealthLines = field(default_factory=fleet.HealthLines)
    # The touch screen's way to end the app, so systemd starts it again (the office's "restart").
    restart: Callable[[], None] | None = None
    log_tail: fleet.LogTail = field(default_factory=fleet.LogTail)

    def start(self) -> None:
        self.started_at = time.monotonic()
        self.log_tail.attach()
        self.printer_watch.start()
        if self.scanner is not None:
            self.scanner.start()
        if self.uploader is not None:
            self.uploader.start()

    def close(self) -> None:
        if self.uploader is not None:
            self.uploader.stop(timeout=5)
        if self.scanner is not None:
            self.scanner.stop()
        self.printer_watch.stop()
        self.log_tail.detach()
        self.slips.stop()
        if self.printer is not None:
            self.printer.close()
        self.store.close()

    def heartbeat(self) -> Heartbeat:
        """What the office learns of this terminal with every heartbeat."""
        switched = self.service.out_of_service()
        return fleet.heartbeat(
            self.config, self.store,
            printer=fleet.printer_state(self.printer_watch.status if self.printer else None),
            subsystems=self.health_lines(self),
            out_of_service=None if switched is None else (switched.since, switched.reason),
            last_error=self.uploader.last_error if self.uploader else None,
            interval_s=self.uploader.heartbeat_interval if self.uploader else None,
        )

    def call_staff(self) -> str:
        """A customer asks for help; the reference to show them."""
        return fleet.call_staff(self.store, self.uploader)

    def office_commands(self, uploader: Uploader) -> fleet.CommandDesk:
        """The office's commands, carried out on the uploader's thread; a restart only once the
        touch screen said how to end the app."""
        return fleet.CommandDesk(self.store, fleet.handlers(
            self.store, self.service, uploader, log_tail=self.log_tail, restart=lambda: self.restart))


def assemble(config: Config) -> Terminal:
    """Every part of the terminal, not yet started."""
    store = Store.open(config.database_path)
    printer = None
    if config.printer.port:
        printer = ReceiptPrinter(config.printer.port, config.printer.profile, config.printer.baud,
                                 config.printer.flow_control, retract_after_s=config.printer.retract_after_s)
    terminal = Terminal(
        config=config,
        store=store,
        intake=Intake(store, config),
        slips=SlipDesk(store, config, printer),
        printer=printer,
        printer_watch=PrinterWatch(printer),
        scanner=None,
        uploader=None,
        service=ServiceAccess(store, config.service),
    )
    if config.scanner.port:
        terminal.scanner = BillScanner(config.scanner.port, config.scanner.baud,
                                       on_scan=lambda line: _deliver_scan(terminal, parse_scan(line)))
    if config.office.url:
        client = OfficeClient(OfficeSettings.from_config(config))
        terminal.uploader = Uploader(store.outbox, client, batch_size=config.office.batch_size,
                                     heartbeat=terminal.heartbeat, heartbeat_interval=HEARTBEAT_INTERVAL_S)
        terminal.uploader.on_answer = terminal.office_commands(terminal.uploader).answered
    return terminal


def _deliver_scan(terminal: Terminal, result: ScanResult) -> None:
    # A service code of digits would read as a barcode account: strip it to its raw text here,
    # so whatever a screen does with the account, the code never reaches a customer's journey.
    if terminal.service.is_service_code(result.raw):
        result = ScanResult("not_a_bill", reason=NOT_A_BILL, raw=result.raw)
    terminal.scans.put(result)
