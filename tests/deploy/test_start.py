"""The installed kiosk starts from the staged tree under Xvfb with the installed configuration,
reaches its attract screen and keeps its watchdog fed, as systemd would see it: READY=1 and
WATCHDOG=1 on a NOTIFY_SOCKET; and it stops as systemd stops it, SIGTERM, with exit code 0. It runs as the unit runs it, ``python -P -m kiosk run``, from /,
so nothing can come from the checkout: only what the release holds."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import struct
import subprocess
import time
from pathlib import Path

import pytest

from tests.deploy.conftest import Staged

READY_WITHIN_S = 60
STOPPED_WITHIN_S = 10


def test_installed_kiosk_reaches_its_attract_screen(staged: Staged, tmp_path: Path) -> None:
    if shutil.which("xvfb-run") is None:
        pytest.skip("xvfb-run is not installed (Debian package xvfb)")
    notify = tmp_path / "notify"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    listener.bind(str(notify))
    sender = None
    env = staged.kiosk_env()
    env["KIOSK_TERMINAL_DATA_DIR"] = str(tmp_path / "data")  # the shared tree stays untouched
    env["KIOSK_TERMINAL_RUNTIME_DIR"] = str(tmp_path / "run")  # systemd's RuntimeDirectory
    env.update(NOTIFY_SOCKET=str(notify), WATCHDOG_USEC="2000000",  # a ping every second
               HOME=str(tmp_path / "home"))
    for variable in ("WATCHDOG_PID", "KIVY_HOME", "PYTHONPATH"):
        env.pop(variable, None)
    app = subprocess.Popen(
        ["xvfb-run", "-a", "-s", "-screen 0 1280x1024x24", str(staged.python), "-P", "-m", "kiosk", "run"],
        env=env, cwd="/", stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    received: list[bytes] = []
    live_status = None
    try:
        deadline = time.monotonic() + READY_WITHIN_S
        while received.count(b"WATCHDOG=1") < 2 and time.monotonic() < deadline and app.poll() is None:
            listener.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                message, ancillary, _flags, _address = listener.recvmsg(64, socket.CMSG_SPACE(12))
            except TimeoutError:
                break
            received.append(message)
            for level, kind, data in ancillary:  # the sender's pid, uid, gid, as systemd reads it
                if (level, kind) == (socket.SOL_SOCKET, socket.SCM_CREDENTIALS):
                    sender = struct.unpack("3i", data[:12])[0]
        live_status = sorted(path.name for path in (tmp_path / "run").iterdir()) if (tmp_path / "run").exists() else []
        # systemd's stop: SIGTERM to the app, which ends on its own, exit code 0 (xvfb-run passes it on).
        stopped = None
        if sender is not None:
            os.kill(sender, signal.SIGTERM)
            try:
                stopped = app.wait(STOPPED_WITHIN_S)
            except subprocess.TimeoutExpired:
                pass
    finally:
        if app.poll() is None:
            os.killpg(app.pid, signal.SIGTERM)
        output = app.communicate(timeout=20)[0].decode(errors="replace")
        listener.close()
    assert b"READY=1" in received, f"no READY=1 within {READY_WITHIN_S} s; the app said:\n{output[-3000:]}"
    assert received.count(b"WATCHDOG=1") >= 2, output[-3000:]
    assert stopped == 0, f"exit {stopped} within {STOPPED_WITHIN_S} s of SIGTERM:\n{output[-3000:]}"
    assert live_status == ["live-status.json"], "the live status belongs in [terminal] runtime_dir"
    assert not (tmp_path / "data/live-status.json").exists()
    assert not (tmp_path / "home/.kivy").exists(), "Kivy wrote files of its own"
