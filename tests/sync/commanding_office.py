"""An operator at the office, on the wire: a loopback proxy in front of the real office that
adds the operator's commands to the office's answers to heartbeats, the way sync/PROTOCOL.md
says the office sends them (only to a terminal whose heartbeat lists capability "commands", and
again with every answer until a heartbeat carries the command's result).

Everything else passes through to the office untouched, so signatures, the office's checks of
the heartbeat and its storing of it are the real ones. ``lose_answers`` drops the next answers
to heartbeats after the office took them, ``lose_results`` those to the next heartbeats that
carry results: the terminal sees a cut connection. ``resend_done``
sends every command with every answer, results or not: an office that repeats itself.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

from tests.sync.faulty_proxy import _read_request


class CommandingOffice:
    def __init__(self, upstream_port: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.commands: dict[int, dict[str, Any]] = {}  # the operator's, by id
        self.results: dict[int, dict[str, Any]] = {}  # what the terminal reported, by id
        self.beats: list[dict[str, Any]] = []  # every heartbeat the office answered
        self.lose_answers = 0
        self.lose_results = 0
        self.resend_done = False
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._closing = False
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def command(self, command_id: int, action: str, *, operator: str = "ivanova", reason: str | None = None,
                lines: int | None = None, ttl: timedelta = timedelta(minutes=10)) -> None:
        now = datetime.now(timezone.utc)
        with self._lock:
            self.commands[command_id] = {
                "id": command_id, "action": action, "operator": operator,
                "issued_at": now.isoformat(), "expires_at": (now + ttl).isoformat(),
                "reason": reason, "lines": lines}

    def __enter__(self) -> "CommandingOffice":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._closing = True
        self._listener.close()

    def _accept(self) -> None:
        while not self._closing:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            request = _read_request(client)
            if request is None:
                return
            answer = self._forward(request)
            if request.startswith(b"POST /api/v1/heartbeat "):
                answer = self._heartbeat(request, answer)
                if answer is None:
                    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    return
            client.sendall(answer)
        except OSError:
            pass
        finally:
            client.close()

    def _heartbeat(self, request: bytes, answer: bytes) -> bytes | None:
        head, _, body = answer.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            return answer
        beat = json.loads(request.partition(b"\r\n\r\n")[2])
        ack = json.loads(body)
        with self._lock:
            self.beats.append(beat)
            for result in beat.get("command_results", []):
                self.results[result["id"]] = result
            if "commands" in beat.get("capabilities", []):
                ack["commands"] = [c for i, c in sorted(self.commands.items()) if self.resend_done or i not in self.results]
            if self.lose_answers:
                self.lose_answers -= 1
                return None
            if self.lose_results and beat.get("command_results"):
                self.lose_results -= 1
                return None
        body = json.dumps(ack).encode()
        lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"content-length:")]
        return b"\r\n".join(lines) + f"\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body

    def _forward(self, request: bytes) -> bytes:
        with socket.create_connection(self.upstream, timeout=30) as upstream:
            upstream.sendall(request)
            chunks = []
            while chunk := upstream.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)
