"""kiosk.watchdog speaks sd_notify to a real datagram socket, as systemd listens for it."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from kiosk import watchdog


@pytest.fixture
def listener(tmp_path: Path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify"))
    sock.settimeout(2)
    yield sock, str(tmp_path / "notify")
    sock.close()


def test_ready_alive_stopping_reach_the_socket(listener) -> None:  # type: ignore[no-untyped-def]
    sock, path = listener
    env = {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}
    assert watchdog.ready(env) and watchdog.alive(env) and watchdog.stopping(env)
    assert [sock.recv(64) for _ in range(3)] == [b"READY=1", b"WATCHDOG=1", b"STOPPING=1"]
    assert watchdog.interval(env) == 15.0


def test_abstract_namespace_socket() -> None:
    name = f"kiosk-watchdog-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(2)
        assert watchdog.ready({"NOTIFY_SOCKET": "@" + name})
        assert sock.recv(64) == b"READY=1"


def test_the_app_started_by_cage_pings_for_it(listener) -> None:  # type: ignore[no-untyped-def]
    # systemd names the unit's main process (cage, our parent) in WATCHDOG_PID.
    sock, path = listener
    env = {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "10000000", "WATCHDOG_PID": str(os.getppid())}
    assert watchdog.interval(env) == 5.0 and watchdog.alive(env)
    assert sock.recv(64) == b"WATCHDOG=1"


def test_no_pings_for_someone_elses_watchdog_or_without_one(listener) -> None:  # type: ignore[no-untyped-def]
    _, path = listener
    assert watchdog.interval({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "10000000", "WATCHDOG_PID": "1"}) is None
    assert not watchdog.alive({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "10000000", "WATCHDOG_PID": "1"})
    assert not watchdog.alive({"NOTIFY_SOCKET": path})
    assert watchdog.interval({"WATCHDOG_USEC": "soon"}) is None


def test_outside_systemd_nothing_happens(tmp_path: Path) -> None:
    assert not watchdog.ready({})
    assert not watchdog.alive({"WATCHDOG_USEC": "1000000"})
    # A socket that went away is no reason to crash the kiosk.
    assert not watchdog.ready({"NOTIFY_SOCKET": str(tmp_path / "gone")})
