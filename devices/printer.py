"""The receipt printer: status before and after each slip, and a print that never hangs.

``ReceiptPrinter`` holds the command logic (what to send, what the answers mean); the
transport only moves bytes. A job runs in its own thread so the caller waits at most the
deadline whatever the printer does: the caller gets "printer not answering" on time and the
thread winds down by itself (every write and read it makes is bounded too).

A job cut off in the middle leaves the printer possibly inside a command (say, half-way
through the QR code's data, where ``10 04 n`` would be taken as data). Before the next status
query or slip we send enough filler bytes to end any such command, and a short "print
interrupted" line and cut, so half a slip is never taken for a confirmation.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from devices import escpos
from devices.escpos import EscPos
from devices.profiles import PrinterProfile, get_profile
from devices.slip import SlipData, render_interrupted_mark, render_slip, render_test_page
from devices.status import (
    FULL_STATUS_HEADER,
    FULL_STATUS_LENGTH,
    FullStatus,
    PrinterStatus,
    from_realtime,
    is_status_byte,
    parse_full_status,
    with_full_status,
)
from devices.transport import XOFF, XON, FlowControl, PortGone, SerialTransport, WriteStalled, wire_seconds

log = logging.getLogger(__name__)

BASE_DEADLINE_S = 5.0
STATUS_TIMEOUT_S = 1.0
# Bytes of the status queries after the slip (four real-time and a full one), for the deadline.
_STATUS_QUERY_BYTES = 15
# Write in pieces of about this much wire time, so a cancel or the deadline is noticed soon.
_CHUNK_WIRE_S = 0.1
# Watching a presented slip: the printer is asked this often, and for this long past its retract
# time before we give up. The printer reports only "a slip is in the presenter" or not; a slip
# gone before the retract time was taken, one gone at it was pulled back.
PRESENTER_POLL_S = 0.25
PRESENTER_GRACE_S = 3.0
# The printer's retract clock starts when it reads FS P, a little before our print call returns:
# a slip gone within this much of the retract time counts as retracted.
RETRACT_MARGIN_S = 1.0
# A presenter that never retracts (retract_after_s 0) is watched this long at most.
PRESENTER_WATCH_MAX_S = 120.0

Pickup = Literal["taken", "retracted", "unknown"]


def default_deadline(byte_count: int, baud: int) -> float:
    """5 s plus the time the bytes need on the wire."""
    return BASE_DEADLINE_S + wire_seconds(byte_count + _STATUS_QUERY_BYTES, baud)


@dataclass(frozen=True)
class PrintOutcome:
    printed: bool
    reason: str | None  # plain words when not printed: "paper out", "printer not answering"
    status: PrinterStatus
    duration_s: float
    bytes_sent: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "printed": self.printed,
            "reason": self.reason,
            "status": self.status.as_dict(),
            "duration_s": round(self.duration_s, 3),
            "bytes_sent": self.bytes_sent,
        }


class _Cancelled(Exception):
    pass


Phase = Literal["waiting", "status", "writing"]
# What the caller tells the customer when the deadline passes in each phase of a job.
_LATE_REASON: dict[str, str] = {
    "waiting": "printer busy",
    "status": "printer not answering",
    "writing": "printer not taking data",
}


@dataclass
class _Job:
    data: bytes
    longest_block: int
    end: float
    phase: Phase = "waiting"
    sent: int = 0
    cancelled: bool = False
    outcome: tuple[bool, str | None, PrinterStatus] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    done: threading.Event = field(default_factory=threading.Event)


class ReceiptPrinter:
    def __init__(
        self,
        port: str,
        profile: str,
        baud: int = 9600,
        flow_control: FlowControl | str = "none",
        *,
        columns: int | None = None,
        retract_after_s: int | None = None,
        write_timeout: float = 0.5,
    ) -> None:
        self.profile: PrinterProfile = get_profile(profile, columns=columns, retract_after_s=retract_after_s)
        self.baud = baud
        self._transport = SerialTransport(port, baud, flow_control, write_timeout)
        self._lock = threading.Lock()  # one conversation with the printer at a time
        self._resync_bytes = 0  # > 0: a job was cut off mid-way

    @property
    def port(self) -> str:
        return self._transport.port

    # -- public interface ------------------------------------------------------------------

    def status(self, timeout: float = STATUS_TIMEOUT_S) -> PrinterStatus:
        end = time.monotonic() + timeout
        if not self._lock.acquire(timeout=max(timeout, 0.0)):
            return PrinterStatus.busy()
        try:
            try:
                self._prepare_port()
                return self._query_status(end)
            except PortGone as exc:
                return PrinterStatus.disconnected(str(exc))
            except WriteStalled:
                return PrinterStatus.unreachable("printer not taking data")
        finally:
            self._lock.release()

    def print_slip(self, slip: SlipData, *, deadline: float | None = None) -> PrintOutcome:
        """Print one slip; returns within ``deadline`` seconds (default: 5 s + wire time)."""
        return self._print(render_slip(slip, self.profile), deadline)

    def print_test(self, *, deadline: float | None = None, terminal_id: str = "") -> PrintOutcome:
        return self._print(render_test_page(self.profile, terminal_id), deadline)

    def follow_presented_slip(self, presented_at: float, stop: threading.Event | None = None) -> Pickup:
        """After a slip went into the presenter at ``presented_at`` (time.monotonic()): wait until
        the presenter is empty, and say whether the customer took the slip or the printer pulled
        it back at its retract time. Blocks until then (the profile's retract time and a few
        seconds); ``stop`` ends the watch early with "unknown" (a new slip is being printed)."""
        if not self.profile.presenter:
            return "unknown"
        retract_s = self.profile.retract_after_s
        retract_at = presented_at + retract_s if retract_s else None
        end = (retract_at + PRESENTER_GRACE_S) if retract_at is not None else presented_at + PRESENTER_WATCH_MAX_S
        while time.monotonic() < end:
            if stop is not None and stop.is_set():
                return "unknown"
            asked = time.monotonic()
            presenter = self.status(timeout=STATUS_TIMEOUT_S).presenter
            if presenter == "empty":
                # The previous look, a poll ago, still saw the slip: gone well before the retract
                # time, it was taken; gone about then, the printer pulled it back.
                return "taken" if retract_at is None or asked < retract_at - RETRACT_MARGIN_S else "retracted"
            (stop or threading.Event()).wait(PRESENTER_POLL_S)
        return "unknown"

    def close(self) -> None:
        if self._lock.acquire(timeout=2.0):
            try:
                self._transport.close()
            finally:
                self._lock.release()
        else:  # a stuck job: closing under it makes its next write fail, which ends it
            self._transport.close()

    def __enter__(self) -> "ReceiptPrinter":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- one job ---------------------------------------------------------------------------

    def _print(self, job: EscPos, deadline: float | None) -> PrintOutcome:
        data = job.bytes()
        budget = default_deadline(len(data), self.baud) if deadline is None else deadline
        start = time.monotonic()
        run = _Job(data=data, longest_block=job.longest_block, end=start + budget)
        threading.Thread(target=self._run, args=(run,), name="printer-job", daemon=True).start()
        run.done.wait(max(run.end - time.monotonic(), 0.0))
        with run.lock:
            if run.outcome is None:
                run.cancelled = True
                reason = _LATE_REASON[run.phase]
                status = PrinterStatus.busy() if run.phase == "waiting" else PrinterStatus.unreachable(reason)
                outcome = (False, reason, status)
            else:
                outcome = run.outcome
        printed, reason, status = outcome
        result = PrintOutcome(printed, reason, status, time.monotonic() - start, run.sent)
        if printed:
            log.info("slip printed on %s in %.2f s (%d bytes)", self.port, result.duration_s, len(data))
        else:
            log.warning("slip not printed on %s: %s", self.port, reason)
        return result

    def _run(self, run: _Job) -> None:
        if not self._lock.acquire(timeout=max(run.end - time.monotonic(), 0.0)):
            return  # the caller reports "printer busy" at its deadline
        try:
            self._publish(run, *self._attempt(run))
        except _Cancelled:
            pass
        finally:
            self._lock.release()

    def _attempt(self, run: _Job) -> tuple[bool, str | None, PrinterStatus]:
        try:
            run.phase = "status"
            self._prepare_port()
            before = self._query_status(min(run.end, time.monotonic() + STATUS_TIMEOUT_S))
            if not before.ok:
                return False, before.problem, before
            run.phase = "writing"
            self._send(run)
            run.phase = "status"
            after = self._query_status(run.end)
            return after.ok, after.problem, after
        except PortGone as exc:
            return False, "printer disconnected", PrinterStatus.disconnected(str(exc))
        except WriteStalled:
            self._abandon(run)
            return False, "printer not taking data", PrinterStatus.unreachable("printer not taking data")
        except _Cancelled:
            self._abandon(run)
            raise

    @staticmethod
    def _publish(run: _Job, printed: bool, reason: str | None, status: PrinterStatus) -> None:
        with run.lock:
            if not run.cancelled:
                run.outcome = (printed, reason, status)
                run.done.set()

    def _send(self, run: _Job) -> None:
        chunk = max(16, int(self.baud / 10 * _CHUNK_WIRE_S))
        while run.sent < len(run.data):
            if run.cancelled or time.monotonic() >= run.end:
                raise _Cancelled
            piece = run.data[run.sent:run.sent + chunk]
            self._transport.write(piece)
            run.sent += len(piece)

    def _abandon(self, run: _Job) -> None:
        """After a job stopped half-way: drop what is still queued, resync before the next one."""
        if run.sent or run.phase == "writing":
            self._resync_bytes = max(self._resync_bytes, run.longest_block + 8)
        try:
            self._transport.discard_output()
        except PortGone:
            pass  # reopened and resynced next time

    # -- the conversation ------------------------------------------------------------------

    def _prepare_port(self) -> None:
        self._transport.open()
        if self._resync_bytes:
            filler = b"\x00" * self._resync_bytes
            self._transport.write(filler + render_interrupted_mark(self.profile).bytes())
            self._resync_bytes = 0

    def _query_status(self, end: float) -> PrinterStatus:
        """DLE EOT 1..4 (and the full status on kiosk printers), sent between commands only."""
        self._transport.discard_input()
        answers: dict[int, int] = {}
        for n in (escpos.STATUS_PRINTER, escpos.STATUS_OFFLINE_CAUSE, escpos.STATUS_ERROR_CAUSE, escpos.STATUS_PAPER):
            self._transport.write(escpos.status_request(n))
            value = self._read_status_byte(end)
            if value is None:
                return PrinterStatus.unreachable("printer not answering")
            if not is_status_byte(value):
                return PrinterStatus.unreachable("printer answers garbage")
            answers[n] = value
        status = from_realtime(answers)
        if self.profile.full_status:
            self._transport.write(escpos.status_request(escpos.STATUS_FULL_CUSTOM))
            status = with_full_status(status, self._read_full_status(end))
        return status

    def _read_status_byte(self, end: float) -> int | None:
        while True:
            data = self._transport.read(1, end - time.monotonic())
            if not data:
                return None
            # Without flow control in the port settings, a printer's XON/XOFF reach us as data;
            # neither can be a status byte (bit 0 is fixed off), so they are skipped, not garbage.
            if data[0] not in (XON, XOFF):
                return data[0]

    def _read_full_status(self, end: float) -> FullStatus | None:
        buffer = b""
        while True:
            start = buffer.find(FULL_STATUS_HEADER)
            if start >= 0 and len(buffer) - start >= FULL_STATUS_LENGTH:
                return parse_full_status(buffer[start:start + FULL_STATUS_LENGTH])
            data = self._transport.read(1, end - time.monotonic())
            if not data:
                return None
            buffer = (buffer + data)[-64:]  # a stream of noise must not grow without end
