"""Printing the confirmation slip of a committed submission, and recording how it went.

The slip is always made from the stored row, never from what the screen holds, so what the
customer takes home is what the terminal will send. The printer's outcome goes back onto the
submission; a reprint is marked as a copy and logged with who asked for it. On a kiosk printer
with a presenter the slip is held out to the customer; whether it was taken or pulled back
after the retract time goes onto the submission too, and a retracted slip into the event log.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import date, datetime
from typing import Any, Protocol

from devices.printer import Pickup, PrintOutcome
from devices.profiles import PrinterProfile
from devices.slip import SlipData, SlipZone
from devices.status import PrinterStatus
from kiosk import paper
from kiosk.config import Config
from kiosk.i18n import zone_label
from kiosk.masking import mask
from kiosk.slip_words import format_period, format_taken_at, slip_words
from sync.zones import ZoneMeaning
from kiosk.store import Store, Submission
from kiosk.payment import pay_label, payment_code
from kiosk.tariffs import submission_estimate
from sync.reference import reference

log = logging.getLogger(__name__)

NO_PRINTER = "no printer"


class SlipPrinter(Protocol):
    """What the core needs of a receipt printer (``devices.printer.ReceiptPrinter``)."""

    profile: PrinterProfile

    def print_slip(self, slip: SlipData, *, deadline: float | None = None) -> PrintOutcome: ...

    def status(self, timeout: float = ...) -> PrinterStatus: ...

    def follow_presented_slip(self, presented_at: float, stop: threading.Event | None = None) -> Pickup: ...


def qr_payload(txn_id: str, verify_url: str) -> str:
    """What the QR code on the slip and on the result screen carries: the office's page for the
    submission when there is one, else the slip's code. A bare transaction id tells a phone
    nothing."""
    return f"{verify_url}{txn_id}" if verify_url else reference(txn_id)


def slip_data(submission: Submission, config: Config, language: str, *, copy: bool = False,
              estimate: str | None = None, payment_code: str | None = None, payment_label: str = "") -> SlipData:
    """What the slip says, from the stored row; the result screen shows the same."""
    year, month = (int(part) for part in submission.period.split("-"))
    return SlipData(
        supplier=config.supplier.name,
        terminal_id=submission.terminal_id,
        office_address=config.terminal.address,
        hotline=config.supplier.hotline,
        taken_at=format_taken_at(datetime.fromisoformat(submission.taken_at), language),
        account=mask(submission.account),
        meter_serial=mask(submission.meter),
        zones=tuple(
            SlipZone(label=zone_label(r.zone, ZoneMeaning(r.meaning), language),
                     previous=r.previous, new=r.value, consumption=r.consumption)
            for r in submission.readings
        ),
        total=submission.total,
        period=format_period(date(year, month, 1), language),
        txn_id=submission.txn_id,
        seq=submission.seq,
        reference=reference(submission.txn_id),
        qr=qr_payload(submission.txn_id, config.slip.verify_url),
        words=slip_words(language),
        copy=copy,
        estimate=estimate,
        payment_code=payment_code,
        payment_label=payment_label,
    )


class SlipDesk:
    def __init__(self, store: Store, config: Config, printer: SlipPrinter | None) -> None:
        self._store = store
        self._config = config
        self.printer = printer
        # The slip a presenter holds out is followed on a thread of its own until it is taken or
        # pulled back; the next slip ends that watch (the presenter holds one slip at a time).
        self._follow_stop = threading.Event()
        self._follower: threading.Thread | None = None

    def slip_for(self, submission: Submission, language: str, *, copy: bool = False) -> SlipData:
        year, month = (int(part) for part in submission.period.split("-"))
        return slip_data(submission, self._config, language, copy=copy,
                         **self._money(submission, language, date(year, month, 1)))

    def _money(self, submission: Submission, language: str, period: date) -> dict[str, Any]:
        """The estimate's line and, with ``[payment] qr = "estimate"``, the code to pay it."""
        number = submission.seq  # the log names the slip, never what the customer typed
        try:
            found = submission_estimate(self._store, submission)
        except Exception:  # the slip matters more than its estimate
            log.exception("no estimate for slip %d", number)
            return {}
        if found is None:
            return {}
        money: dict[str, Any] = {"estimate": found.words(language)}
        payment = self._config.payment
        if payment.qr == "estimate" and found.kopecks > 0:
            money.update(payment_code=payment_code(payment, submission.account, found.kopecks, period),
                         payment_label=pay_label(language))
        return money

    def print_slip(self, submission: Submission, language: str, *, copy: bool = False) -> PrintOutcome:
        """Print and record the outcome. Blocks for a bounded time: never call it on the UI thread."""
        if self.printer is None:
            outcome = PrintOutcome(printed=False, reason=NO_PRINTER,
                                   status=PrinterStatus.disconnected(NO_PRINTER), duration_s=0.0)
        else:
            started = time.monotonic()
            slip = self.slip_for(submission, language, copy=copy)
            try:
                outcome = self.printer.print_slip(slip)
            except Exception as exc:  # a driver fault must not lose the customer's result
                outcome = PrintOutcome(printed=False, reason=f"printer error: {exc}",
                                       status=PrinterStatus.unreachable(str(exc)),
                                       duration_s=time.monotonic() - started)
        self._store.submissions.record_print(submission.seq, printed=outcome.printed, reason=outcome.reason)
        if outcome.printed and self.printer is not None:
            paper.count_slip(self._store, slip, self.printer.profile)
        if outcome.printed and self.printer is not None and self.printer.profile.presenter:
            self._follow(submission.seq, time.monotonic())
        return outcome

    def wait_for_pickup(self, timeout: float) -> bool:
        """Until the last presented slip is taken or retracted (and recorded); False on timeout."""
        follower = self._follower
        if follower is None:
            return True
        follower.join(timeout)
        return not follower.is_alive()

    def stop(self) -> None:
        self._follow_stop.set()
        if self._follower is not None:
            self._follower.join(timeout=2.0)

    def _follow(self, seq: int, presented_at: float) -> None:
        self.stop()
        self._follow_stop = stop = threading.Event()
        self._store.submissions.record_pickup(seq, "presented")
        self._follower = threading.Thread(target=self._record_pickup, args=(seq, presented_at, stop),
                                          name="slip-pickup", daemon=True)
        self._follower.start()

    def _record_pickup(self, seq: int, presented_at: float, stop: threading.Event) -> None:
        assert self.printer is not None
        try:
            pickup = self.printer.follow_presented_slip(presented_at, stop)
            if pickup == "unknown":
                return  # still "presented": a new slip came, or the printer stopped answering
            self._store.submissions.record_pickup(seq, pickup)
            if pickup == "retracted":
                log.info("slip %d not taken: the presenter pulled it back", seq)
                self._store.events.append("slip_retracted", seq=seq)
        except Exception:  # a watch that fails must not take the terminal with it
            log.exception("the presented slip %d could not be followed", seq)

    def reprint(self, seq: int, *, role: str, language: str | None = None) -> PrintOutcome | None:
        """A technician's copy of a stored slip; None when there is no such submission."""
        submission = self._store.submissions.get(seq=seq)
        if submission is None:
            return None
        outcome = self.print_slip(submission, language or self._config.terminal.language, copy=True)
        self._store.events.append("reprint", role=role, seq=seq, printed=outcome.printed,
                                  reason=outcome.reason)
        return outcome
