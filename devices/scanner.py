"""The bill scanner: a serial device that sends each code it reads followed by a terminator.

pyserial's ``ReaderThread`` feeds a line protocol; a supervisor thread keeps it connected:
when the cable is pulled the reader ends, and the supervisor reopens the port with a growing
pause, logging the first failure once (as Home Assistant's serial sensor does) so a scanner
left unplugged does not fill the log. ``on_scan`` is called from the reader thread with each
code's bytes, as read: what they mean (a bill's QR code, a barcode) is the core's business
(``kiosk.billcode``). The caller hands them over to its own thread (the UI uses Clock).
"""

from __future__ import annotations

import logging
import threading
from typing import Callable

import serial
from serial.threaded import Protocol, ReaderThread

log = logging.getLogger(__name__)

# A code longer than this without a terminator is noise (or the wrong terminator setting).
MAX_LINE = 4096


class _LineProtocol(Protocol):
    def __init__(self, terminator: bytes, on_line: Callable[[bytes], None]) -> None:
        self._terminator = terminator
        self._on_line = on_line
        self._buffer = bytearray()

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while (end := self._buffer.find(self._terminator)) >= 0:
            line = bytes(self._buffer[:end])
            del self._buffer[:end + len(self._terminator)]
            # A scanner set to CR LF while we expect CR leaves a stray LF at the next start.
            line = line.strip(b"\r\n")
            if line:
                self._on_line(line)
        if len(self._buffer) > MAX_LINE:
            log.warning("scanner: %d bytes without a terminator dropped", len(self._buffer))
            self._buffer.clear()


def port_opens(port: str, baud: int) -> bool:
    """Whether a scanner's port opens now, for a process that does not run the scanner: a scanner
    only speaks when it reads a code, so that its port opens is all that can be learnt of it.
    False too while another process holds it (the running terminal)."""
    try:
        serial.Serial(port, baud, timeout=0, exclusive=True).close()
        return True
    except (serial.SerialException, OSError, ValueError):
        return False


class BillScanner:
    def __init__(
        self,
        port: str,
        baud: int = 9600,
        terminator: bytes = b"\r",
        on_scan: Callable[[bytes], None] | None = None,
        *,
        retry_initial_s: float = 0.5,
        retry_max_s: float = 10.0,
    ) -> None:
        if not terminator:
            raise ValueError("terminator must not be empty")
        if on_scan is None:
            raise ValueError("on_scan is required")
        self.port = port
        self.baud = baud
        self.terminator = terminator
        self._on_scan = on_scan
        self._retry_initial_s = retry_initial_s
        self._retry_max_s = retry_max_s
        self._stop = threading.Event()
        self._supervisor: threading.Thread | None = None
        self._reader: ReaderThread | None = None
        self._connected = threading.Event()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def start(self) -> None:
        if self._supervisor is not None:
            return
        self._stop.clear()
        self._supervisor = threading.Thread(target=self._supervise, name="scanner", daemon=True)
        self._supervisor.start()

    def stop(self) -> None:
        self._stop.set()
        reader = self._reader
        if reader is not None:
            try:
                reader.close()
            except (serial.SerialException, OSError):
                pass
        if self._supervisor is not None:
            self._supervisor.join(3)
            self._supervisor = None
        self._connected.clear()

    def _supervise(self) -> None:
        pause = self._retry_initial_s
        failing = False
        while not self._stop.is_set():
            try:
                port = serial.Serial(self.port, self.baud, timeout=1, exclusive=True)
            except (serial.SerialException, OSError, ValueError) as exc:
                if not failing:
                    log.warning("scanner on %s unavailable, retrying in the background: %s", self.port, exc)
                    failing = True
                else:
                    log.debug("scanner on %s still unavailable: %s", self.port, exc)
                self._stop.wait(pause)
                pause = min(pause * 2, self._retry_max_s)
                continue
            if failing:
                log.warning("scanner on %s is back", self.port)
            failing, pause = False, self._retry_initial_s
            self._run_reader(port)

    def _run_reader(self, port: serial.Serial) -> None:
        lost = threading.Event()
        scanner = self

        class Lines(_LineProtocol):
            def __init__(self) -> None:
                super().__init__(scanner.terminator, scanner._deliver)

            def connection_lost(self, exc: BaseException | None) -> None:
                lost.set()

        reader = ReaderThread(port, Lines)
        self._reader = reader
        reader.start()
        self._connected.set()
        while not lost.wait(0.2):
            if self._stop.is_set():
                break
        self._connected.clear()
        self._reader = None
        if not self._stop.is_set():
            log.warning("scanner on %s disconnected", self.port)
        try:
            reader.close()
        except (serial.SerialException, OSError):
            pass

    def _deliver(self, line: bytes) -> None:
        try:
            self._on_scan(line)
        except Exception:  # the reader must survive a faulty callback
            log.exception("scanner: on_scan failed")
