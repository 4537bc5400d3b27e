"""The printer's status bytes, read into one value the kiosk and a technician can act on.

Real-time status (``DLE EOT n``, one byte each, bits 1 and 4 fixed on, bits 0 and 7 fixed off):
  n=1  bit 3 offline
  n=2  bit 2 cover open, bit 5 stopped by paper end, bit 6 error
  n=3  bit 2 mechanical error, bit 3 cutter error, bit 5 unrecoverable, bit 6 auto-recoverable
  n=4  bits 2-3 (0x0C) paper near end, bits 5-6 (0x60) paper out
A byte without the fixed bits is not a status byte (wrong baud rate, noise): it is never read
as "ok". Custom's full status (``DLE EOT 0x14``) is ``10 0F`` + paper, user, recoverable and
unrecoverable error bytes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Literal, Mapping

State = Literal["online", "offline", "unreachable", "disconnected", "busy"]
Paper = Literal["ok", "near_end", "out", "unknown"]
Presenter = Literal["empty", "slip_waiting", "unknown"]

_FIXED_MASK = 0x93  # bits 0, 1, 4, 7
_FIXED_VALUE = 0x12  # bits 1 and 4 on, bits 0 and 7 off

# Why a printer is unreachable, in the words shown to people; any other detail is for the log.
UNREACHABLE_REASONS = ("printer not answering", "printer answers garbage", "printer not taking data")

FULL_STATUS_HEADER = b"\x10\x0f"
FULL_STATUS_LENGTH = 6


def is_status_byte(value: int) -> bool:
    return (value & _FIXED_MASK) == _FIXED_VALUE


@dataclass(frozen=True)
class PrinterStatus:
    state: State
    paper: Paper = "unknown"
    cover_open: bool = False
    cutter_error: bool = False
    mechanical_error: bool = False
    unrecoverable: bool = False
    recoverable_error: bool = False  # e.g. head too hot: clears by itself
    paper_jam: bool = False
    presenter: Presenter | None = None  # None: the model has no presenter
    detail: str | None = None  # what exactly went wrong, for the log

    @property
    def problem(self) -> str | None:
        """Why a slip cannot be printed now, in plain words; None when it can."""
        if self.state == "disconnected":
            return "printer disconnected"
        if self.state == "busy":
            return "printer busy"
        if self.state == "unreachable":
            return self.detail if self.detail in UNREACHABLE_REASONS else "printer not answering"
        if self.cover_open:
            return "cover open"
        if self.paper == "out":
            return "paper out"
        if self.paper_jam:
            return "paper jam"
        if self.cutter_error:
            return "cutter error"
        if self.unrecoverable:
            return "printer fault, needs a technician"
        if self.mechanical_error:
            return "printer mechanical error"
        if self.recoverable_error:
            return "printer error, recovering"
        if self.state == "offline":
            return "printer offline"
        return None

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def notice(self) -> str | None:
        """Worth a technician's attention, but printing goes on."""
        if self.ok and self.paper == "near_end":
            return "paper near end"
        return None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok, "problem": self.problem, "notice": self.notice}

    @classmethod
    def disconnected(cls, detail: str | None = None) -> "PrinterStatus":
        return cls(state="disconnected", detail=detail)

    @classmethod
    def unreachable(cls, detail: str | None = None) -> "PrinterStatus":
        return cls(state="unreachable", detail=detail)

    @classmethod
    def busy(cls) -> "PrinterStatus":
        return cls(state="busy", detail="another job holds the port")


def from_realtime(answers: Mapping[int, int]) -> PrinterStatus:
    """Combine the answers to DLE EOT 1..4 ({n: byte}); a missing or bad byte is unreachable."""
    for n in (1, 2, 3, 4):
        value = answers.get(n)
        if value is None:
            return PrinterStatus.unreachable("printer not answering")
        if not 0 <= value <= 255 or not is_status_byte(value):
            return PrinterStatus.unreachable("printer answers garbage")
    printer, offline, error, paper = answers[1], answers[2], answers[3], answers[4]
    if paper & 0x60 or offline & 0x20:
        paper_state: Paper = "out"
    elif paper & 0x0C:
        paper_state = "near_end"
    else:
        paper_state = "ok"
    return PrinterStatus(
        state="offline" if printer & 0x08 else "online",
        paper=paper_state,
        cover_open=bool(offline & 0x04),
        cutter_error=bool(error & 0x08),
        mechanical_error=bool(error & 0x04),
        unrecoverable=bool(error & 0x20),
        recoverable_error=bool(error & 0x40),
    )


@dataclass(frozen=True)
class FullStatus:
    """Custom's 6-byte full status, bit by bit as the VKP80 manual lists them."""

    paper_absent: bool
    near_end: bool
    slip_in_presenter: bool
    head_up: bool
    cover_open: bool
    head_too_hot: bool
    com_error: bool
    voltage_error: bool
    paper_jam: bool
    cutter_error: bool
    memory_error: bool


def parse_full_status(data: bytes) -> FullStatus | None:
    """The six bytes ``10 0F p u r x``; None when they are not that."""
    if len(data) != FULL_STATUS_LENGTH or not data.startswith(FULL_STATUS_HEADER):
        return None
    paper, user, recoverable, unrecoverable = data[2], data[3], data[4], data[5]
    return FullStatus(
        paper_absent=bool(paper & 0x01),
        near_end=bool(paper & 0x04),
        slip_in_presenter=bool(paper & 0x20),
        head_up=bool(user & 0x01),
        cover_open=bool(user & 0x02),
        head_too_hot=bool(recoverable & 0x01),
        com_error=bool(recoverable & 0x02),
        voltage_error=bool(recoverable & 0x08),
        paper_jam=bool(recoverable & 0x40),
        cutter_error=bool(unrecoverable & 0x01),
        memory_error=bool(unrecoverable & 0x0C),
    )


def with_full_status(status: PrinterStatus, full: FullStatus | None) -> PrinterStatus:
    """Add what only the full status knows (presenter, jam) to the real-time status."""
    if status.state in ("unreachable", "disconnected", "busy"):
        return status
    if full is None:
        return replace(status, presenter="unknown")
    paper = status.paper
    if full.paper_absent:
        paper = "out"
    elif full.near_end and paper == "ok":
        paper = "near_end"
    return replace(
        status,
        paper=paper,
        cover_open=status.cover_open or full.cover_open or full.head_up,
        paper_jam=full.paper_jam,
        cutter_error=status.cutter_error or full.cutter_error,
        unrecoverable=status.unrecoverable or full.memory_error,
        recoverable_error=status.recoverable_error or full.head_too_hot or full.voltage_error,
        presenter="slip_waiting" if full.slip_in_presenter else "empty",
    )
