"""A device at the far end of a pseudo-terminal, that can be unplugged and plugged back.

The kiosk opens the *port link* (``<dir>/<kind>.tty``), a symlink to the current pty slave,
as it would open ``/dev/ttyUSB0``. Unplugging closes the pty (the kiosk's reads and writes
fail with an I/O error, as with a pulled USB adapter) and removes the link; plugging back
opens a new pty and points the link at it, so the kiosk finds the device again by reopening
the same path. We keep our own slave fd open so the pty lives while the kiosk has it closed.
"""

from __future__ import annotations

import logging
import os
import select
import tempfile
import threading
import time
import tty
from pathlib import Path
from typing import Any

from devices.emulators import control

log = logging.getLogger(__name__)

# A unix socket path must fit in sun_path (108 bytes on Linux).
_MAX_SOCKET_PATH = 100


class PtyDevice:
    kind = "device"

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory) if directory else Path(tempfile.mkdtemp(prefix=f"kiosk-{self.kind}-"))
        self.directory.mkdir(parents=True, exist_ok=True)
        self.link = self.directory / f"{self.kind}.tty"
        socket_dir = self.directory
        if len(str(socket_dir / "control.sock")) > _MAX_SOCKET_PATH:
            socket_dir = Path(tempfile.mkdtemp(prefix=f"kiosk-{self.kind}-"))
        self.control_path = socket_dir / "control.sock"
        self.pty_name: str | None = None
        self._master: int | None = None
        self._slave: int | None = None
        self._lock = threading.RLock()
        self._running = False
        self._reader: threading.Thread | None = None
        self._control = control.ControlServer(self.control_path, self._handle_control)
        self.last_input = time.monotonic()

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> "PtyDevice":
        self.plug()
        self._running = True
        self._reader = threading.Thread(target=self._read_loop, name=f"{self.kind} emulator", daemon=True)
        self._reader.start()
        self._control.start()
        return self

    def stop(self) -> None:
        self._running = False
        self._control.stop()
        if self._reader is not None:
            self._reader.join(2)
        self.unplug()

    def __enter__(self) -> "PtyDevice":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def plugged(self) -> bool:
        return self._master is not None

    def plug(self) -> None:
        with self._lock:
            if self._master is not None:
                return
            master, slave = os.openpty()
            tty.setraw(slave)  # no echo, no line editing: our answers must not come back as input
            self._master, self._slave = master, slave
            self.pty_name = os.ttyname(slave)
            temporary = self.link.with_name(self.link.name + ".new")
            temporary.unlink(missing_ok=True)
            temporary.symlink_to(self.pty_name)
            os.replace(temporary, self.link)
            control.register(self.pty_name, self.control_path)
            log.info("%s plugged in at %s (%s)", self.kind, self.link, self.pty_name)

    def unplug(self) -> None:
        with self._lock:
            if self._master is None:
                return
            self.link.unlink(missing_ok=True)
            control.unregister(self.pty_name)
            for fd in (self._master, self._slave):
                if fd is not None:
                    os.close(fd)
            self._master = self._slave = None
            log.info("%s unplugged", self.kind)

    def info(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "port": str(self.link),
            "pty": self.pty_name if self.plugged else None,
            "control": str(self.control_path),
            "directory": str(self.directory),
        }

    # -- the wire --------------------------------------------------------------------------

    def send(self, data: bytes) -> bool:
        """Bytes from the device to the kiosk; False when unplugged."""
        with self._lock:
            if self._master is None:
                return False
            try:
                os.write(self._master, data)
            except OSError:
                return False
            return True

    def _read_loop(self) -> None:
        while self._running:
            fd = self._master
            if fd is None:
                time.sleep(0.05)
                continue
            try:
                ready, _, _ = select.select([fd], [], [], 0.05)
            except (OSError, ValueError):
                continue  # unplugged under us
            if not ready:
                self.on_idle()
                continue
            with self._lock:
                if fd != self._master:
                    continue
                try:
                    data = os.read(fd, self.read_size())
                except OSError:
                    continue
            if data:
                self.last_input = time.monotonic()
                self.on_bytes(data)

    # -- for subclasses --------------------------------------------------------------------

    def read_size(self) -> int:
        return 4096

    def on_bytes(self, data: bytes) -> None:
        """Bytes from the kiosk; runs in the reader thread."""

    def on_idle(self) -> None:
        """No bytes for a moment; runs in the reader thread."""

    def handle(self, request: dict[str, Any]) -> dict[str, Any] | None:
        """A device-specific control request; None when unknown."""
        return None

    def state(self) -> dict[str, Any]:
        return self.info()

    def _handle_control(self, request: dict[str, Any]) -> dict[str, Any]:
        command = request.get("cmd")
        if command == "state":
            return {"ok": True, **self.state()}
        if command == "unplug":
            self.unplug()
            return {"ok": True, **self.state()}
        if command == "plug":
            self.plug()
            return {"ok": True, **self.state()}
        reply = self.handle(request)
        if reply is None:
            return {"ok": False, "error": f"unknown command {command!r}"}
        return reply
