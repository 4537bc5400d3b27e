"""The installed kiosk starts from the staged tree under Xvfb with the installed configuration,
reaches its attract screen and keeps its watchdog fed, as systemd would see it: READY=1 and
WATCHDOG=1 on a NOTIFY_SOCKET."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.deploy.conftest import REPO, Staged, run

READY_WITHIN_S = 60


def _app_feeds_the_watchdog() -> bool:
    sources = [*(REPO / "screens").glob("*.py"), REPO / "kiosk/commands/terminal.py"]
    return any("watchdog.ready" in path.read_text(encoding="utf-8") for path in sources if path.is_file())


def test_installed_kiosk_reaches_its_attract_screen(staged: Staged, tmp_path: Path) -> None:
    if shutil.which("xvfb-run") is None:
        pytest.skip("xvfb-run is not installed (Debian package xvfb)")
    if run([staged.python, "-c", "import kivy"]).returncode != 0:
        pytest.skip("the installed release has no Kivy: pyproject.toml does not list it among the dependencies yet")
    if not _app_feeds_the_watchdog():
        pytest.skip("the app does not call kiosk.watchdog.ready() yet, so its start cannot be seen from outside")
    notify = tmp_path / "notify"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(notify))
    env = staged.kiosk_env()
    env["KIOSK_TERMINAL_DATA_DIR"] = str(tmp_path / "data")  # the shared tree stays untouched
    env.update(NOTIFY_SOCKET=str(notify), WATCHDOG_USEC="2000000",  # a ping every second
               KIVY_HOME=str(tmp_path / "kivy"), KIVY_NO_ARGS="1")
    env.pop("WATCHDOG_PID", None)
    app = subprocess.Popen(
        ["xvfb-run", "-a", "-s", "-screen 0 1280x1024x24", str(staged.python), "-m", "kiosk", "run"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    received: list[bytes] = []
    try:
        deadline = time.monotonic() + READY_WITHIN_S
        while received.count(b"WATCHDOG=1") < 2 and time.monotonic() < deadline and app.poll() is None:
            listener.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                received.append(listener.recv(64))
            except TimeoutError:
                break
    finally:
        os.killpg(app.pid, signal.SIGTERM)
        output = app.communicate(timeout=20)[0].decode(errors="replace")
        listener.close()
    assert b"READY=1" in received, f"no READY=1 within {READY_WITHIN_S} s; the app said:\n{output[-3000:]}"
    assert received.count(b"WATCHDOG=1") >= 2, output[-3000:]
