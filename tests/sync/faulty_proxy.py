"""A fault-injecting HTTP proxy of our own, between the terminal and the office.

One request per connection: the proxy reads the whole request, then, by a seeded draw, passes it
through or breaks it in one of the ways a mobile network and a busy office break things. The
faults that reach the office (``*_after``, ``slow_before``) let it commit before the terminal
sees a failure: the case that tests exactly-once delivery.
"""

from __future__ import annotations

import random
import socket
import struct
import threading
import time
from collections import Counter

from tests.sync.loopback_proxy import LoopbackProxy

FAULTS = {
    "reset_before": 1.0,  # connection reset, the office never saw the request
    "reset_after": 1.0,  # the office answered (and committed); the terminal gets a reset
    "error_500": 1.0,  # a 500 from "a gateway", the office never saw it
    "error_500_after": 1.0,  # the office committed, the terminal gets a 500
    "too_many": 1.0,  # 429 with Retry-After
    "truncated": 1.0,  # the office answered; the terminal gets half of the answer
    "slow_before": 0.3,  # forwarded only after the terminal's read timeout
    "slow_after": 0.3,  # the office committed; its answer arrives after the read timeout
}


class FaultyProxy(LoopbackProxy):
    def __init__(self, upstream_port: int, *, fault_rate: float, seed: int = 0, slow_seconds: float = 0.5,
                 retry_after: str = "1", faults: dict[str, float] | None = None) -> None:
        super().__init__(upstream_port, name="faulty-proxy")
        self.fault_rate = fault_rate
        self.slow_seconds = slow_seconds
        self.retry_after = retry_after
        self.faults = faults or FAULTS
        self.counts: Counter[str] = Counter()
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    @property
    def faulted(self) -> int:
        return sum(count for name, count in self.counts.items() if name != "pass")

    def connected(self, client: socket.socket) -> None:
        threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _draw(self) -> str:
        with self._lock:
            if self._rng.random() >= self.fault_rate:
                fault = "pass"
            else:
                names = list(self.faults)
                fault = self._rng.choices(names, weights=[self.faults[n] for n in names])[0]
            self.counts[fault] += 1
            return fault

    def _serve(self, client: socket.socket) -> None:
        try:
            request = _read_request(client)
            if request is None:
                return
            fault = self._draw()
            if fault == "reset_before":
                return _reset(client)
            if fault == "error_500":
                return client.sendall(_response(500, b'{"detail":"bad gateway"}'))
            if fault == "too_many":
                return client.sendall(_response(429, b'{"detail":"slow down"}', f"Retry-After: {self.retry_after}\r\n"))
            if fault == "slow_before":
                time.sleep(self.slow_seconds)
            answer = self._forward(request)
            if fault == "reset_after":
                return _reset(client)
            if fault == "error_500_after":
                return client.sendall(_response(500, b'{"detail":"bad gateway"}'))
            if fault == "truncated":
                return client.sendall(answer[: len(answer) // 2])
            if fault == "slow_after":
                time.sleep(self.slow_seconds)
            client.sendall(answer)
        except OSError:
            pass  # the terminal gave up first: that is the point of some faults
        finally:
            try:
                client.close()
            except OSError:
                pass

    def _forward(self, request: bytes) -> bytes:
        with socket.create_connection(self.upstream, timeout=30) as upstream:
            upstream.sendall(request)
            chunks = []
            while chunk := upstream.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)


def _read_request(sock: socket.socket) -> bytes | None:
    """The whole request, rewritten to close after the answer (one request per connection)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = 0
    kept = [lines[0]]
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
        if name.strip().lower() != b"connection":
            kept.append(line)
    kept.append(b"Connection: close")
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        body += chunk
    return b"\r\n".join(kept) + b"\r\n\r\n" + body


def _response(status: int, body: bytes, extra_headers: str = "") -> bytes:
    reason = {429: "Too Many Requests", 500: "Internal Server Error"}[status]
    return (f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"{extra_headers}Connection: close\r\n\r\n").encode() + body


def _reset(sock: socket.socket) -> None:
    # SO_LINGER with a zero timeout: close() sends RST instead of FIN
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
