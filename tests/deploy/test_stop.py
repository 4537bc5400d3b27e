"""`kiosk run` stops as systemd stops it: SIGTERM, then the app ends on its own with exit code 0
within a few seconds (systemd's SIGKILL comes after TimeoutStopSec), its threads stopped and its
store closed, and no reading taken before the stop is lost. SIGINT (Ctrl+C in a technician's
shell) ends it the same way."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support import directory_text
from tests.ui.conftest import display  # noqa: F401  (the fixture: a private X server)

ROOT = Path(__file__).resolve().parents[2]
READY_WITHIN_S = 60
STOPPED_WITHIN_S = 10

pytestmark = pytest.mark.slow


def _kiosk(env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-P", "-m", "kiosk", *arguments], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_app_stops_cleanly_on_a_signal_and_keeps_its_readings(display: str, tmp_path: Path,  # noqa: F811
                                                                  stop_signal: signal.Signals) -> None:
    data = tmp_path / "data"
    env = {key: value for key, value in os.environ.items() if not key.startswith("KIOSK_")}
    env.pop("KIVY_HOME", None)
    env.update(DISPLAY=display, PYTHONPATH=str(ROOT), PYTHONFAULTHANDLER="1", HOME=str(tmp_path / "home"),
               KIOSK_TERMINAL_ID="stop-1", KIOSK_TERMINAL_DATA_DIR=str(data), KIOSK_TERMINAL_LOG_LEVEL="debug")
    directory = tmp_path / "directory.csv"
    directory.write_text(directory_text(50), encoding="utf-8")
    imported = _kiosk(env, "directory", "import", str(directory))
    assert imported.returncode == 0, imported.stderr

    notify = tmp_path / "notify"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(str(notify))
        listener.settimeout(READY_WITHIN_S)
        app = subprocess.Popen([sys.executable, "-P", "-m", "kiosk", "run", "--windowed"],
                               env={**env, "NOTIFY_SOCKET": str(notify)}, cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            try:
                message = listener.recv(64)
            except TimeoutError:
                message = b""
            # A reading taken while the app runs, as from the service's CSV intake beside it.
            submitted = _kiosk(env, "submit", "--account", "2287008779", "--reading", "T1=12400",
                               "--reading", "T2=6800")
            app.send_signal(stop_signal)
            sent = time.monotonic()
            try:
                code = app.wait(STOPPED_WITHIN_S)
            except subprocess.TimeoutExpired:
                app.send_signal(signal.SIGABRT)  # faulthandler prints each thread's stack for the report
                code = None
            stopped_s = time.monotonic() - sent
        finally:
            if app.poll() is None:
                app.kill()
            output = app.communicate(timeout=30)[0].decode(errors="replace")
    assert message == b"READY=1", f"no READY=1 within {READY_WITHIN_S} s:\n{output[-3000:]}"
    assert submitted.returncode == 0, submitted.stderr
    txn_id = json.loads(submitted.stdout.splitlines()[-1])["txn_id"]
    assert code == 0, f"exit {code} {stopped_s:.1f} s after {stop_signal.name}:\n{output[-6000:]}"
    assert "Traceback" not in output, output[-6000:]
    # The store was closed: SQLite removes the write-ahead log when its last connection closes
    # cleanly, and only then.
    assert not (data / "kiosk.sqlite3-wal").exists()
    database = sqlite3.connect(f"file:{data / 'kiosk.sqlite3'}?mode=ro", uri=True)
    try:
        assert database.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = database.execute("SELECT account, value_t1, value_t2 FROM submissions WHERE txn_id = ?",
                                (txn_id,)).fetchall()
    finally:
        database.close()
    assert rows == [("2287008779", 12400, 6800)]
