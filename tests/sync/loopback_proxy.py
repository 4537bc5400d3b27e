"""What our two proxies between the terminal and the office share: a listener on a free loopback
port in front of the office's, accepting on a thread of its own until the proxy is closed."""

from __future__ import annotations

import socket
import threading
from typing import Self


class LoopbackProxy:
    def __init__(self, upstream_port: int, *, name: str) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._closing = False
        self._thread = threading.Thread(target=self._accept, name=name, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._closing = True
        # close() alone does not wake a thread blocked in accept() on Linux; shutdown() does.
        try:
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._listener.close()
        self._thread.join(5)

    def connected(self, client: socket.socket) -> None:
        """A terminal's connection, on the accepting thread: hand it on without waiting."""
        raise NotImplementedError

    def _accept(self) -> None:
        while not self._closing:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self.connected(client)
