"""The office's worker processes log as the rest of the product does: our format on standard
error, and under systemd each line with its journal priority. uvicorn starts each worker as a new
process, so this holds only if the set-up travels with it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from sync.office.local import free_port

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 2


def _serve_and_stop(tmp_path: Path, *, journal: bool) -> list[str]:
    database = f"sqlite:///{tmp_path / 'office.sqlite3'}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("JOURNAL_STREAM", None)
    subprocess.run([sys.executable, "-m", "kiosk", "office", "migrate", "--db", database],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    read, write = os.pipe()
    if journal:  # what systemd sets when it connects standard error to the journal
        info = os.fstat(write)
        env["JOURNAL_STREAM"] = f"{info.st_dev}:{info.st_ino}"
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "office", "serve", "--db", database, "--port", str(port),
         "--workers", str(WORKERS)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=write)
    os.close(write)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "the office did not start"
            time.sleep(0.2)
        time.sleep(1)  # every worker has started by now, not only the one that answered
    finally:
        server.terminate()
        server.wait(20)
    with os.fdopen(read, encoding="utf-8", errors="replace") as stream:
        return stream.read().splitlines()


@pytest.mark.parametrize("journal", [False, True], ids=["terminal", "journal"])
def test_every_worker_logs_in_the_products_format(tmp_path: Path, journal: bool) -> None:
    lines = _serve_and_stop(tmp_path, journal=journal)
    started = [line for line in lines if "Started server process" in line]
    assert len(started) == WORKERS, lines
    pattern = (r"<6>uvicorn\.error: Started server process \[\d+\]" if journal
               else r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO uvicorn\.error: Started server process \[\d+\]")
    for line in started:
        assert re.fullmatch(pattern, line), line
    if journal:  # every log line has its priority, uvicorn's own parent's included
        logged = [line for line in lines if line and not line.startswith("kiosk office: ")]  # said, not logged
        assert logged and all(re.match(r"<[0-7]>", line) for line in logged), lines
