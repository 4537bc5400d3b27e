"""A network link of our own between the terminal and the office: a TCP proxy on loopback that
counts every byte each way, keeps the first bytes of each connection (the request's and the
answer's heads, to read what really crossed), and, given a rate, carries the bytes no faster
than a line of that many bits per second would.

The rate is one budget per direction shared by all connections, as on a real line; bytes are
counted as HTTP sends them (headers included, TCP/IP framing not).
"""

from __future__ import annotations

import socket
import threading
import time

from tests.sync.loopback_proxy import LoopbackProxy

CHUNK = 16 * 1024


class _Pacer:
    """Hands out a direction's time on the line: a chunk may go once the line has carried it."""

    def __init__(self, bytes_per_second: float | None) -> None:
        self._rate = bytes_per_second
        self._lock = threading.Lock()
        self._free_at = 0.0

    def carry(self, size: int) -> None:
        if self._rate is None:
            return
        with self._lock:
            now = time.monotonic()
            self._free_at = max(now, self._free_at) + size / self._rate
            delay = self._free_at - now
        if delay > 0:
            time.sleep(delay)


class Link(LoopbackProxy):
    def __init__(self, upstream_port: int, *, bits_per_second: float | None = None, keep: int = 8192) -> None:
        super().__init__(upstream_port, name="link")
        self.keep = keep
        rate = bits_per_second / 8 if bits_per_second else None
        self._pacers = {"to_office": _Pacer(rate), "to_terminal": _Pacer(rate)}
        self.bytes = {"to_office": 0, "to_terminal": 0}
        # The first bytes of each connection, each way, in the order the connections opened.
        self.heads: list[dict[str, bytearray]] = []
        self._lock = threading.Lock()

    def connected(self, terminal: socket.socket) -> None:
        try:
            office = socket.create_connection(self.upstream, timeout=10)
        except OSError:
            terminal.close()
            return
        office.settimeout(None)
        head = {"to_office": bytearray(), "to_terminal": bytearray()}
        with self._lock:
            self.heads.append(head)
        ends = threading.Barrier(2, action=lambda: (terminal.close(), office.close()))
        for source, target, direction in ((terminal, office, "to_office"), (office, terminal, "to_terminal")):
            threading.Thread(target=self._carry, args=(source, target, direction, head[direction], ends),
                             name=f"link-{direction}", daemon=True).start()

    def _carry(self, source: socket.socket, target: socket.socket, direction: str, head: bytearray,
               ends: threading.Barrier) -> None:
        pacer = self._pacers[direction]
        try:
            while True:
                data = source.recv(CHUNK)
                if not data:
                    break
                with self._lock:
                    self.bytes[direction] += len(data)
                if len(head) < self.keep:
                    head += data[:self.keep - len(head)]
                pacer.carry(len(data))
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock, how in ((target, socket.SHUT_WR), (source, socket.SHUT_RD)):
                try:
                    sock.shutdown(how)
                except OSError:
                    pass
            ends.wait()  # the second direction to end closes both sockets
