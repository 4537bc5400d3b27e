"""A line-terminated bill scanner on a pseudo-terminal: it sends the codes it is given.

``<dir>/scanner.tty`` is the port to open; ``<dir>/control.sock`` takes
``{"cmd": "emit", "payload_b64": ...}`` (or ``"payload"`` as UTF-8 text) from any process, e.g.
``kiosk scanner emit CONTROL 'ST00012|Name=...|PersAcc=2287008779'``. ``unplug``/``plug`` (or
fault ``unplugged`` / clear) pull the cable and plug it back.
"""

from __future__ import annotations

import base64
import binascii
import os
from typing import Any

from devices.emulators.pty_device import PtyDevice


class ScannerEmulator(PtyDevice):
    kind = "scanner"

    def __init__(self, directory: str | os.PathLike[str] | None = None, terminator: bytes = b"\r") -> None:
        super().__init__(directory)
        self.terminator = terminator
        self.emitted = 0

    def emit(self, payload: bytes) -> bool:
        """Send one scan; False when unplugged."""
        sent = self.send(payload + self.terminator)
        self.emitted += sent
        return sent

    def state(self) -> dict[str, Any]:
        return {**self.info(), "plugged": self.plugged, "emitted": self.emitted,
                "terminator": self.terminator.decode("latin-1")}

    def handle(self, request: dict[str, Any]) -> dict[str, Any] | None:
        command = request.get("cmd")
        if command == "emit":
            if "payload_b64" in request:
                try:
                    payload = base64.b64decode(str(request["payload_b64"]), validate=True)
                except (binascii.Error, ValueError) as exc:
                    raise ValueError(f"payload_b64 is not base64: {exc}") from None
            else:
                payload = str(request.get("payload", "")).encode("utf-8")
            if not self.emit(payload):
                return {"ok": False, "error": "scanner is unplugged", **self.state()}
            return {"ok": True, **self.state()}
        if command == "fault" and request.get("name") == "unplugged":
            self.unplug()
            return {"ok": True, **self.state()}
        if command == "fault" and request.get("name") != "ok":
            return {"ok": False, "error": "a scanner has one fault: unplugged", **self.state()}
        if command == "clear" or command == "fault":
            self.plug()
            return {"ok": True, **self.state()}
        return None
