"""A serial port that only opens, closes, writes and reads, like python-escpos's transports.

Every write has a timeout: with hardware flow control a printer with its cover open holds CTS
low and a write without one blocks forever. Every error of the port (cable pulled, pty gone,
USB adapter reset) comes out as ``PortGone``; a write the printer does not take in time as
``WriteStalled``. Nothing here knows ESC/POS.
"""

from __future__ import annotations

import time
from typing import Literal

import serial

try:  # termios errors (e.g. flushing a hung-up tty) are not OSErrors
    import termios

    _PORT_ERRORS: tuple[type[BaseException], ...] = (serial.SerialException, OSError, termios.error)
except ImportError:  # pragma: no cover - not POSIX
    _PORT_ERRORS = (serial.SerialException, OSError)

FlowControl = Literal["none", "rtscts", "xonxoff"]
FLOW_CONTROLS: tuple[str, ...] = ("none", "rtscts", "xonxoff")
BAUD_RATES = (9600, 19200, 38400, 57600, 115200)

XON = 0x11
XOFF = 0x13


class TransportError(Exception):
    pass


class PortGone(TransportError):
    """The port cannot be opened or has stopped working: the device is disconnected."""


class WriteStalled(TransportError):
    """The device did not take the bytes within the write timeout."""


def wire_seconds(byte_count: int, baud: int) -> float:
    """Time the bytes need on the line: 8N1 is 10 bits per byte."""
    return byte_count * 10 / baud


class SerialTransport:
    def __init__(
        self,
        port: str,
        baud: int = 9600,
        flow_control: FlowControl | str = "none",
        write_timeout: float = 0.5,
    ) -> None:
        if flow_control not in FLOW_CONTROLS:
            raise ValueError(f"flow_control must be one of {FLOW_CONTROLS}, got {flow_control!r}")
        if not write_timeout or write_timeout <= 0:
            raise ValueError("a write timeout is required")
        self.port = port
        self.baud = baud
        self.flow_control = flow_control
        self.write_timeout = write_timeout
        self._serial: serial.Serial | None = None

    @property
    def is_open(self) -> bool:
        return self._serial is not None and self._serial.is_open

    def open(self) -> None:
        if self.is_open:
            return
        try:
            self._serial = serial.Serial(
                self.port,
                self.baud,
                timeout=0,
                write_timeout=self.write_timeout,
                rtscts=self.flow_control == "rtscts",
                xonxoff=self.flow_control == "xonxoff",
                exclusive=True,
            )
        except _PORT_ERRORS as exc:
            self._serial = None
            raise PortGone(f"cannot open {self.port}: {exc}") from exc
        except ValueError as exc:
            # pyserial reports some bad settings this way; the port is unusable all the same
            self._serial = None
            raise PortGone(f"cannot open {self.port}: {exc}") from exc

    def close(self) -> None:
        port, self._serial = self._serial, None
        if port is not None:
            try:
                port.close()
            except _PORT_ERRORS:
                pass  # it is gone either way

    def write(self, data: bytes) -> None:
        port = self._require_open()
        try:
            port.write(data)
        except serial.SerialTimeoutException as exc:
            raise WriteStalled(f"{self.port}: write not taken within {self.write_timeout} s") from exc
        except _PORT_ERRORS as exc:
            self.close()
            raise PortGone(f"{self.port}: {exc}") from exc

    def read(self, size: int, timeout: float) -> bytes:
        """Up to ``size`` bytes, returning early once they are there; b"" when none came in time."""
        port = self._require_open()
        end = time.monotonic() + max(timeout, 0.0)
        data = bytearray()
        try:
            while len(data) < size:
                left = end - time.monotonic()
                if left <= 0:
                    break
                port.timeout = left
                chunk = port.read(size - len(data))
                if not chunk:
                    break
                data += chunk
        except _PORT_ERRORS as exc:
            self.close()
            raise PortGone(f"{self.port}: {exc}") from exc
        return bytes(data)

    def discard_input(self) -> None:
        """Drop bytes that arrived earlier, so the next answer is the answer to our question."""
        port = self._require_open()
        try:
            port.reset_input_buffer()
        except _PORT_ERRORS as exc:
            self.close()
            raise PortGone(f"{self.port}: {exc}") from exc

    def discard_output(self) -> None:
        """Drop bytes written but not yet sent (e.g. held back by XOFF after we gave up)."""
        port = self._require_open()
        try:
            port.reset_output_buffer()
        except _PORT_ERRORS as exc:
            self.close()
            raise PortGone(f"{self.port}: {exc}") from exc

    def _require_open(self) -> serial.Serial:
        if self._serial is None or not self._serial.is_open:
            raise PortGone(f"{self.port}: not open")
        return self._serial
