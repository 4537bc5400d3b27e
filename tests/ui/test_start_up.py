"""`kiosk run` reaches its attract screen every time, with every part that runs a thread of its own
configured: the printer watch and the scanner's reader on emulated devices over pseudo-terminals,
and the uploader talking to a real office over loopback, all logging at debug.

Those threads log while the main thread starts the screen; once, Kivy's handler on the root
logger imported kivy.config under its lock while the main thread imported Kivy, and the start
hung before READY=1. Thirty starts, two at a time on two terminals of their own.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from devices.emulators import PrinterEmulator, ScannerEmulator
from kiosk.demo import demo_office
from sync.office.local import LocalOffice
from sync.office.terminals import add_terminal

ROOT = Path(__file__).resolve().parents[2]
STARTS = 30
LANES = 2
READY_WITHIN_S = 30

pytestmark = pytest.mark.slow


def _start_once(env: dict[str, str], folder: Path, number: int) -> tuple[bool, float, str]:
    """One start until READY=1, then the app is killed as a power cut would: (ready, seconds, output)."""
    notify = folder / f"notify-{number}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(str(notify))
        listener.settimeout(READY_WITHIN_S)
        started = time.monotonic()
        app = subprocess.Popen([sys.executable, "-P", "-m", "kiosk", "run", "--windowed"],
                               env={**env, "NOTIFY_SOCKET": str(notify)}, cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            message = listener.recv(64)
        except TimeoutError:
            message = b""
        elapsed = time.monotonic() - started
        # A hang: faulthandler prints every thread's stack on SIGABRT, for the report below.
        app.send_signal(signal.SIGKILL if message == b"READY=1" else signal.SIGABRT)
        output = app.communicate(timeout=30)[0].decode(errors="replace")
    notify.unlink()
    return message == b"READY=1", elapsed, output


def test_thirty_starts_in_a_row_all_reach_ready(display: str, tmp_path: Path) -> None:
    engine, secret = demo_office(tmp_path, rows=50, terminal_id="start-0")
    secrets = [secret, *(add_terminal(engine, f"start-{lane}") for lane in range(1, LANES))]
    with contextlib.ExitStack() as stack:
        office = stack.enter_context(LocalOffice(engine))
        envs = []
        for lane in range(LANES):  # each lane its own devices and data, one start after another
            printer = stack.enter_context(PrinterEmulator("epson", out=tmp_path / f"slips-{lane}",
                                                          directory=tmp_path / f"printer-{lane}"))
            scanner = stack.enter_context(ScannerEmulator(tmp_path / f"scanner-{lane}"))
            env = {key: value for key, value in os.environ.items() if not key.startswith("KIOSK_")}
            env.pop("KIVY_HOME", None)
            env.update(DISPLAY=display, PYTHONPATH=str(ROOT), PYTHONFAULTHANDLER="1", HOME=str(tmp_path / "home"),
                       KIOSK_TERMINAL_ID=f"start-{lane}", KIOSK_TERMINAL_DATA_DIR=str(tmp_path / f"data-{lane}"),
                       KIOSK_TERMINAL_LOG_LEVEL="debug",
                       KIOSK_PRINTER_PORT=str(printer.link), KIOSK_SCANNER_PORT=str(scanner.link),
                       KIOSK_OFFICE_URL=office.url, KIOSK_OFFICE_SECRET=secrets[lane])
            envs.append(env)

        def lane_starts(lane: int) -> list[tuple[bool, float, str]]:
            return [_start_once(envs[lane], tmp_path, number) for number in range(lane, STARTS, LANES)]

        with ThreadPoolExecutor(LANES) as pool:
            results = [result for lane in pool.map(lane_starts, range(LANES)) for result in lane]
    engine.dispose()
    hung = [output for ready, _, output in results if not ready]
    assert len(results) == STARTS
    assert not hung, f"{len(hung)} of {STARTS} starts without READY=1; the first:\n{hung[0][-6000:]}"
    assert not (tmp_path / "home/.kivy").exists()
