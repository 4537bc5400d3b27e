"""The emulators' control channel: a unix socket, one JSON request and one JSON answer per line.

Any process can switch a fault or make the scanner send a code::

    {"cmd": "fault", "name": "paper_out"}                 -> {"ok": true, "faults": ["paper_out"], ...}
    {"cmd": "fault", "name": "cover_open", "after_bytes": 300}
    {"cmd": "clear", "name": "paper_out"}      {"cmd": "clear"} clears all
    {"cmd": "emit", "payload_b64": "U1QwMDAx..."}         (scanner)
    {"cmd": "state"}

``kiosk emulate fault`` and ``kiosk scanner emit`` are thin clients of ``request()``.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import stat
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], dict[str, Any]]
_MAX_REQUEST = 1 << 20

# /dev/pts/N -> that device's control socket, so a person can name the pty they were shown.
REGISTRY = Path(tempfile.gettempdir()) / "kiosk-emulators"


class ControlError(Exception):
    pass


class ControlServer:
    def __init__(self, path: Path, handler: Handler) -> None:
        self.path = path
        self._handler = handler
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.path.unlink(missing_ok=True)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(self.path))
        server.listen(8)
        server.settimeout(0.2)
        self._socket = server
        self._thread = threading.Thread(target=self._serve, name=f"control {self.path.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        server, self._socket = self._socket, None
        if server is not None:
            server.close()
        if self._thread is not None:
            self._thread.join(2)
        self.path.unlink(missing_ok=True)

    def _serve(self) -> None:
        while self._socket is not None:
            try:
                connection, _ = self._socket.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return  # closed by stop()
            with connection:
                connection.settimeout(2.0)
                self._answer(connection)

    def _answer(self, connection: socket.socket) -> None:
        try:
            line = _read_line(connection)
            request = json.loads(line)
            if not isinstance(request, dict):
                raise ValueError("a request is a JSON object")
            reply = self._handler(request)
        except (ValueError, KeyError, TypeError) as exc:
            reply = {"ok": False, "error": str(exc)}
        except OSError:
            return  # the client went away
        try:
            connection.sendall(json.dumps(reply, ensure_ascii=False).encode() + b"\n")
        except OSError:
            pass


def _read_line(connection: socket.socket) -> bytes:
    data = bytearray()
    while b"\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            break
        data += chunk
        if len(data) > _MAX_REQUEST:
            raise ValueError("request too long")
    return bytes(data.split(b"\n", 1)[0])


def request(address: str | os.PathLike[str], message: dict[str, Any], timeout: float = 3.0) -> dict[str, Any]:
    """Send one request to an emulator; ``address`` is its control socket, port link or pty."""
    path = resolve(address)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(timeout)
        try:
            client.connect(str(path))
            client.sendall(json.dumps(message).encode() + b"\n")
            line = _read_line(client)
        except OSError as exc:
            raise ControlError(f"emulator at {path} does not answer: {exc}") from exc
    try:
        reply = json.loads(line)
    except ValueError as exc:
        raise ControlError(f"emulator at {path} sent a bad answer") from exc
    if not isinstance(reply, dict):
        raise ControlError(f"emulator at {path} sent a bad answer")
    return reply


def resolve(address: str | os.PathLike[str]) -> Path:
    """The control socket for what a person may have at hand: the socket, the port link, the pty."""
    path = Path(address)
    if _is_socket(path):
        return path
    beside = path.parent / "control.sock"  # the port link lives next to its control socket
    if path.is_symlink() and _is_socket(beside):
        return beside
    registered = REGISTRY / path.name
    if path.parent == Path("/dev/pts") and _is_socket(registered):
        return registered
    raise ControlError(f"{address}: not an emulator's control socket, port link or pty")


def register(pty_name: str, control: Path) -> None:
    if not pty_name.startswith("/dev/pts/"):
        return
    REGISTRY.mkdir(exist_ok=True)
    link = REGISTRY / Path(pty_name).name
    link.unlink(missing_ok=True)
    try:
        link.symlink_to(control)
    except OSError as exc:  # a convenience only: the control socket still works
        log.debug("cannot register %s: %s", pty_name, exc)


def unregister(pty_name: str | None) -> None:
    if pty_name and pty_name.startswith("/dev/pts/"):
        (REGISTRY / Path(pty_name).name).unlink(missing_ok=True)


def _is_socket(path: Path) -> bool:
    try:
        return stat.S_ISSOCK(path.stat().st_mode)
    except OSError:
        return False
