"""The office served in-process on a loopback port: for the demo, and for tests of whole terminals."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn
from sqlalchemy import Engine

from sync.office.app import create_app
from sync.office.database import check_schema

START_TIMEOUT_S = 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalOffice:
    """The real office application under uvicorn in a thread, on a free loopback port. Like
    ``kiosk office serve`` it never migrates: the caller runs ``database.migrate`` first."""

    def __init__(self, engine: Engine, *, tls: tuple[str, str] | None = None, **app_options: Any) -> None:
        check_schema(engine)
        self.engine = engine
        self.app = create_app(engine, **app_options)
        self.port = free_port()
        certificate, key = tls or (None, None)
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self._server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port,
                                                     log_level="warning", access_log=False,
                                                     ssl_certfile=certificate, ssl_keyfile=key))
        self._thread = threading.Thread(target=self._server.run, name="office", daemon=True)

    def __enter__(self) -> "LocalOffice":
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the office did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self._server.should_exit = True
        self._thread.join(10)
