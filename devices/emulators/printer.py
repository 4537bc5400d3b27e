"""An ESC/POS receipt printer on a pseudo-terminal: prints slips into a folder, answers status
queries, and plays every fault a printer in the field has.

Files: ``<dir>/printer.tty`` is the port to open (a link to the current pty), ``<dir>/control.sock``
takes requests (see ``devices.emulators.control``), ``<out>/NNNN.txt|.json|.png`` is each page.

Faults, switched at run time here or from another process (``kiosk emulate fault CONTROL NAME``,
or ``{"cmd": "fault", "name": NAME, "after_bytes": N}`` on the socket: with ``after_bytes`` the
fault strikes after N more bytes arrive, i.e. in the middle of a slip):

  paper_near_end  prints, and says so in DLE EOT 4
  paper_out       stops printing; offline, "stopped by paper end", paper out
  cover_open      stops printing; offline, cover open
  offline         stops printing; offline
  no_answer       prints, but never answers a status query (a broken TX wire)
  garbage         prints, but answers status queries with bytes that are not status bytes
  slow            takes ``slow_bytes_per_s`` (default 200) bytes a second, sending XOFF while
                  busy and XON when it can take more (a port with xonxoff flow control blocks)
  unplugged       the pty is closed and the port link removed; clearing it plugs a new pty in

``{"cmd": "clear"}`` (or fault name ``ok``) clears them all. A kiosk printer's presenter holds the
slip out (FS P) until ``{"cmd": "take"}`` takes it, or it is taken by itself after
``take_after_s`` (None: never), or pulled back after the time FS P gave; ``state`` counts the
slips ``taken`` and ``retracted``, and the full status shows a slip waiting.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from devices.emulators import render
from devices.emulators.escpos_decoder import EscPosDecoder, Event
from devices.emulators.pty_device import PtyDevice
from devices.profiles import PrinterProfile, get_profile

log = logging.getLogger(__name__)

FAULTS = ("paper_near_end", "paper_out", "cover_open", "offline", "no_answer", "garbage", "slow", "unplugged")
_STOPS_PRINTING = ("paper_out", "cover_open", "offline")
_GARBAGE = (0xFF, 0x00, 0xE5, 0x81)  # none has the fixed bits of a status byte
_XON, _XOFF = b"\x11", b"\x13"


class PrinterEmulator(PtyDevice):
    kind = "printer"

    def __init__(
        self,
        profile: str | PrinterProfile = "epson",
        out: str | os.PathLike[str] | None = None,
        directory: str | os.PathLike[str] | None = None,
        *,
        take_after_s: float | None = 2.0,
        slow_bytes_per_s: int = 200,
        idle_end_s: float = 0.3,
    ) -> None:
        super().__init__(directory if directory is not None else out)
        self.profile = profile if isinstance(profile, PrinterProfile) else get_profile(profile)
        self.out = Path(out) if out else self.directory / "slips"
        self.out.mkdir(parents=True, exist_ok=True)
        self.take_after_s = take_after_s
        self.slow_bytes_per_s = slow_bytes_per_s
        self.idle_end_s = idle_end_s
        self.faults: set[str] = set()
        self._armed: list[tuple[int, str]] = []  # (bytes still to come, fault)
        self._state_lock = threading.RLock()
        self._decoder = EscPosDecoder()
        self._page = render.Page()
        self._line: list[str] = []
        self._line_style: render.Row | None = None
        self._style = render.Row()
        self._qr_data: str | None = None
        self._qr_module = 3
        self._realtime_tail = b""
        self._garbage_index = 0
        self.pages: list[dict[str, Any]] = []
        self.presenter = "empty"
        self.retracted = 0
        self.taken = 0
        self._presenter_timer: threading.Timer | None = None
        self.bytes_received = 0

    # -- faults ----------------------------------------------------------------------------

    def set_fault(self, name: str, after_bytes: int | None = None) -> None:
        if name == "ok":
            self.clear_fault()
            return
        if name not in FAULTS:
            raise ValueError(f"unknown fault {name!r}; known: {', '.join(FAULTS)}, ok")
        with self._state_lock:
            if after_bytes:
                self._armed.append((int(after_bytes), name))
                return
            self._activate(name)

    def clear_fault(self, name: str | None = None) -> None:
        with self._state_lock:
            names = set(self.faults) if name in (None, "ok") else {name}
            self._armed = [(n, f) for n, f in self._armed if name in (None, "ok") or f != name]
            self.faults -= names
        if "unplugged" in names:
            self.plug()

    def _activate(self, name: str) -> None:
        with self._state_lock:
            self.faults.add(name)
            if name in _STOPS_PRINTING or name == "unplugged":
                self._interrupt(name)
        if name == "unplugged":
            self.unplug()
        log.info("printer fault on: %s", name)

    # -- bytes from the kiosk --------------------------------------------------------------

    def read_size(self) -> int:
        return 32 if "slow" in self.faults else 4096

    def on_bytes(self, data: bytes) -> None:
        while data:
            with self._state_lock:
                strike = min((n for n, _ in self._armed), default=None)
                take = len(data) if strike is None else min(strike, len(data))
                piece, data = data[:take], data[take:]
                self._armed = [(n - take, f) for n, f in self._armed]
                due = [f for n, f in self._armed if n <= 0]
                self._armed = [(n, f) for n, f in self._armed if n > 0]
            self.bytes_received += len(piece)
            self._answer_realtime(piece)
            for event in self._decoder.feed(piece):
                self._apply(event)
            for name in due:
                self._activate(name)
            if not self.plugged:
                return  # the cable is out: what was still in the wire never arrives
            if "slow" in self.faults and piece:
                self.send(_XOFF)
                time.sleep(len(piece) / max(self.slow_bytes_per_s, 1))
                self.send(_XON)

    def on_idle(self) -> None:
        # Without a cutter the slip is torn off by hand once the printer has stopped.
        quiet = time.monotonic() - self.last_input > self.idle_end_s
        if not self.profile.cutter and quiet and not self._page_is_empty():
            self._finish_page(complete=True)

    def _answer_realtime(self, data: bytes) -> None:
        """Printers act on DLE EOT n as soon as it arrives, even inside another command's data."""
        stream = self._realtime_tail + data
        start = 0
        while (found := stream.find(b"\x10\x04", start)) >= 0 and found + 2 < len(stream):
            if found + 2 >= len(self._realtime_tail):  # not answered with the previous piece
                self._answer_status(stream[found + 2])
            start = found + 1
        self._realtime_tail = stream[-2:]

    def _answer_status(self, n: int) -> None:
        with self._state_lock:
            faults = set(self.faults)
        if "no_answer" in faults:
            return
        if "garbage" in faults:
            self._garbage_index += 1
            self.send(bytes([_GARBAGE[self._garbage_index % len(_GARBAGE)]]))
            return
        stopped = bool(faults & set(_STOPS_PRINTING))
        paper_out = "paper_out" in faults
        near_end = "paper_near_end" in faults or paper_out
        if n == 1:
            value = 0x12 | (0x08 if stopped else 0)
        elif n == 2:
            value = 0x12 | (0x04 if "cover_open" in faults else 0) | (0x20 if paper_out else 0)
        elif n == 3:
            value = 0x12
        elif n == 4:
            value = 0x12 | (0x0C if near_end else 0) | (0x60 if paper_out else 0)
        elif n == 0x14 and self.profile.full_status:
            waiting = self.presenter == "slip_waiting"
            paper = (0x01 if paper_out else 0) | (0x04 if near_end else 0) | (0x20 if waiting else 0)
            user = 0x03 if "cover_open" in faults else 0
            self.send(bytes([0x10, 0x0F, paper, user, 0, 0]))
            return
        else:
            return  # not a request this printer knows
        self.send(bytes([value]))

    # -- what reaches the paper ------------------------------------------------------------

    def _apply(self, event: Event) -> None:
        with self._state_lock:
            kind = event.kind
            if kind == "init":
                if not self._page_is_empty():
                    self._finish_page(complete=not self.profile.cutter)
                self._style = render.Row()
            elif kind == "codepage":
                self._page.codepages.append(event.value)
            elif kind == "bold":
                self._style = replace(self._style, bold=event.value)
            elif kind == "underline":
                self._style = replace(self._style, underline=event.value)
            elif kind == "align":
                self._style = replace(self._style, align=event.value)
            elif kind == "size":
                self._style = replace(self._style, width=event.value[0], height=event.value[1])
            elif kind == "mode":
                mode = event.value
                self._style = replace(self._style, bold=bool(mode & 0x08), height=2 if mode & 0x10 else 1,
                                      width=2 if mode & 0x20 else 1, underline=bool(mode & 0x80))
            elif kind == "unknown":
                self._page.unknown_commands.append(event.value.hex(" "))
            elif self._printing_stopped():
                return  # nothing reaches the paper; the page was already cut short
            elif kind == "text":
                if self._line_style is None:
                    self._line_style = self._style
                self._line.append(event.value)
            elif kind == "newline":
                self._end_line()
            elif kind == "feed":
                self._end_line(drop_if_empty=True)
                self._page.rows.extend(render.Row() for _ in range(event.value))
            elif kind == "qr_size":
                self._qr_module = event.value
            elif kind == "qr_store":
                self._qr_data = event.value
            elif kind == "qr_print" and self._qr_data is not None:
                self._end_line(drop_if_empty=True)
                self._page.rows.append(render.Row(align=self._style.align, qr=self._qr_data, qr_module=self._qr_module))
            elif kind == "image":
                self._end_line(drop_if_empty=True)
                self._page.rows.append(render.Row(text=f"[image {event.value}]", align=self._style.align))
            elif kind == "barcode":
                self._page.rows.append(render.Row(text=f"[barcode {event.value}]", align=self._style.align))
            elif kind == "cut":
                self._finish_page(complete=True)
                if self.profile.presenter:
                    self._present(None)
            elif kind == "present":
                if not self._page_is_empty():
                    self._finish_page(complete=True)
                self._present(event.value)

    def _printing_stopped(self) -> bool:
        return bool(self.faults & set(_STOPS_PRINTING))

    def _end_line(self, drop_if_empty: bool = False) -> None:
        if drop_if_empty and not self._line:
            return
        style = self._line_style or self._style
        self._page.rows.append(replace(style, text="".join(self._line), qr=None))
        self._line, self._line_style = [], None

    def _page_is_empty(self) -> bool:
        return self._page.empty and not self._line

    def _interrupt(self, fault: str) -> None:
        if not self._page_is_empty():
            self._page.interrupted = fault
            self._finish_page(complete=False)

    def _finish_page(self, complete: bool) -> None:
        if self._line:
            self._end_line()
        page, self._page = self._page, render.Page()
        page.complete = complete
        while page.rows and not page.rows[-1].text and page.rows[-1].qr is None:
            page.rows.pop()  # the feed before the cut
        if page.empty:
            return
        stem = self.out / f"{len(self.pages) + 1:04d}"
        record = render.save(page, stem, self.profile.columns, self.profile.dots_per_line, self.profile.name,
                             self.profile.line_dots)
        self.pages.append(record)
        log.info("printer emulator: page %s (%s)", stem.name, "complete" if complete else "incomplete")

    # -- presenter (kiosk printers) --------------------------------------------------------

    def _present(self, command: dict[str, Any] | None) -> None:
        if self._presenter_timer is not None:
            self._presenter_timer.cancel()
        self.presenter = "slip_waiting"
        retract_s = command["timeout_s"] if command and command.get("action") == "R" and command["timeout_s"] else None
        take_s = self.take_after_s
        if take_s is not None and (retract_s is None or take_s < retract_s):
            self._presenter_timer = threading.Timer(take_s, self.take)
        elif retract_s is not None:
            self._presenter_timer = threading.Timer(retract_s, self._retract)
        else:
            return
        self._presenter_timer.daemon = True
        self._presenter_timer.start()

    def take(self) -> None:
        """The customer takes the slip out of the presenter."""
        with self._state_lock:
            if self.presenter == "slip_waiting":
                self.taken += 1
            self.presenter = "empty"
            if self._presenter_timer is not None:
                self._presenter_timer.cancel()  # taken: nothing left to retract

    def _retract(self) -> None:
        with self._state_lock:
            if self.presenter == "slip_waiting":
                self.presenter = "empty"
                self.retracted += 1

    # -- control ---------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        with self._state_lock:
            return {
                **self.info(),
                "profile": self.profile.name,
                "out": str(self.out),
                "faults": sorted(self.faults),
                "armed": [{"fault": f, "after_bytes": n} for n, f in self._armed],
                "pages": len(self.pages),
                "last_page": self.pages[-1]["text_file"] if self.pages else None,
                "presenter": self.presenter if self.profile.presenter else None,
                "retracted": self.retracted,
                "taken": self.taken,
                "bytes_received": self.bytes_received,
            }

    def handle(self, request: dict[str, Any]) -> dict[str, Any] | None:
        command = request.get("cmd")
        if command == "fault":
            self.set_fault(str(request.get("name", "")), request.get("after_bytes"))
        elif command == "clear":
            name = request.get("name")
            self.clear_fault(str(name) if name else None)
        elif command == "take":
            self.take()
        else:
            return None
        return {"ok": True, **self.state()}

    def stop(self) -> None:
        if self._presenter_timer is not None:
            self._presenter_timer.cancel()
        super().stop()
