"""Printing the confirmation slip of a committed submission, and recording how it went.

The slip is always made from the stored row, never from what the screen holds, so what the
customer takes home is what the terminal will send. The printer's outcome goes back onto the
submission; a reprint is marked as a copy and logged with who asked for it.
"""

from __future__ import annotations

import time
from datetime import date, datetime
from typing import Protocol

from devices.printer import PrintOutcome
from devices.slip import SlipData, SlipZone
from devices.status import PrinterStatus
from kiosk.config import Config
from kiosk.i18n import zone_label
from kiosk.slip_words import format_period, format_taken_at, slip_words
from sync.zones import ZoneMeaning
from kiosk.store import Store, Submission

NO_PRINTER = "no printer"


class SlipPrinter(Protocol):
    """What the core needs of a receipt printer (``devices.printer.ReceiptPrinter``)."""

    def print_slip(self, slip: SlipData, *, deadline: float | None = None) -> PrintOutcome: ...

    def status(self, timeout: float = ...) -> PrinterStatus: ...


class SlipDesk:
    def __init__(self, store: Store, config: Config, printer: SlipPrinter | None) -> None:
        self._store = store
        self._config = config
        self.printer = printer

    def slip_for(self, submission: Submission, language: str, *, copy: bool = False) -> SlipData:
        year, month = (int(part) for part in submission.period.split("-"))
        return SlipData(
            supplier=self._config.supplier.name,
            terminal_id=submission.terminal_id,
            office_address=self._config.terminal.address,
            hotline=self._config.supplier.hotline,
            taken_at=format_taken_at(datetime.fromisoformat(submission.taken_at), language),
            account=submission.account,
            meter_serial=submission.meter,
            zones=tuple(
                SlipZone(label=zone_label(r.zone, ZoneMeaning(r.meaning), language),
                         previous=r.previous, new=r.value, consumption=r.consumption)
                for r in submission.readings
            ),
            total=submission.total,
            period=format_period(date(year, month, 1), language),
            txn_id=submission.txn_id,
            seq=submission.seq,
            words=slip_words(language),
            copy=copy,
        )

    def print_slip(self, submission: Submission, language: str, *, copy: bool = False) -> PrintOutcome:
        """Print and record the outcome. Blocks for a bounded time: never call it on the UI thread."""
        if self.printer is None:
            outcome = PrintOutcome(printed=False, reason=NO_PRINTER,
                                   status=PrinterStatus.disconnected(NO_PRINTER), duration_s=0.0)
        else:
            started = time.monotonic()
            try:
                outcome = self.printer.print_slip(self.slip_for(submission, language, copy=copy))
            except Exception as exc:  # a driver fault must not lose the customer's result
                outcome = PrintOutcome(printed=False, reason=f"printer error: {exc}",
                                       status=PrinterStatus.unreachable(str(exc)),
                                       duration_s=time.monotonic() - started)
        self._store.submissions.record_print(submission.seq, printed=outcome.printed, reason=outcome.reason)
        return outcome

    def reprint(self, seq: int, *, role: str, language: str | None = None) -> PrintOutcome | None:
        """A technician's copy of a stored slip; None when there is no such submission."""
        submission = self._store.submissions.get(seq=seq)
        if submission is None:
            return None
        outcome = self.print_slip(submission, language or self._config.terminal.language, copy=True)
        self._store.events.append("reprint", role=role, seq=seq, printed=outcome.printed,
                                  reason=outcome.reason)
        return outcome
