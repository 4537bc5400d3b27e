"""Real parts for the sync tests: an office served by uvicorn on loopback (in a thread, or as
``kiosk office serve`` in its own process), a terminal's store with a directory and queued
submissions."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import Engine

from sync.directory_file import DirectoryRow
from sync.zones import STANDARD_MEANINGS
from kiosk.store import NewSubmission, Store
from sync.client import OfficeClient, OfficeSettings
from sync.office.directory import import_rows
from sync.office.local import LocalOffice, free_port
from sync.office.terminals import add_terminal
from sync.signing import HmacAuth

ROOT = Path(__file__).resolve().parents[2]
MOSCOW = timezone(timedelta(hours=3))
LAST_DATE = date(2026, 10, 20)


def meter_rows(count: int, *, start: int = 0) -> list[DirectoryRow]:
    """Meters numbered from ``start``: one per account, 1 or 2 zones, 5 digits."""
    rows = []
    for number in range(start, start + count):
        zones = 1 + number % 2
        rows.append(DirectoryRow(
            account=f"{2200000000 + number}", meter=f"SN-{number:07d}", zones=zones, digits=5,
            meanings=STANDARD_MEANINGS[zones], last_date=LAST_DATE,
            last=tuple(1000 + zone for zone in range(zones)), avg_kwh=100, max_kwh=None,
            holder="И***в И. И.", address="ул. Лени***, д. 1*", window_start=None, window_end=None,
        ))
    return rows


def directory_csv(rows: list[DirectoryRow]) -> str:
    out = io.StringIO()
    out.write("account;meter;zones;digits;last_date;last_t1;last_t2;last_t3;avg_kwh;holder;address;"
              "window_start;window_end\n")
    for row in rows:
        last = [("" if v is None else str(v)) for v in row.last] + [""] * (3 - len(row.last))
        out.write(";".join([row.account, row.meter, str(row.zones), str(row.digits),
                            row.last_date.isoformat() if row.last_date else "", *last,
                            "" if row.avg_kwh is None else str(row.avg_kwh), row.holder, row.address, "", ""]) + "\n")
    return out.getvalue()


def queue_submissions(store: Store, terminal_id: str, rows: list[DirectoryRow], count: int) -> list[str]:
    """Record ``count`` submissions through the store's own path (round robin over the meters);
    returns their txn_ids in order."""
    txn_ids = []
    taken = datetime(2026, 11, 20, 12, 0, tzinfo=MOSCOW)
    for index in range(count):
        row = rows[index % len(rows)]
        account = store.directory.find_account(row.account)
        assert account is not None, row.account
        meter = account.meters[0]
        values = tuple((zone.previous or 0) + 7 for zone in meter.zones)
        submission = store.submissions.record(NewSubmission(
            terminal_id=terminal_id, meter=meter, values=values, consumption=tuple(7 for _ in values),
            total=7 * len(values), confirmed=(), notices=(), taken_at=taken + timedelta(seconds=index),
            period=date(2026, 11, 1),
        ))
        txn_ids.append(submission.txn_id)
    return txn_ids


class OfficeServer(LocalOffice):
    """The real office in a thread on loopback, with the tests' own conveniences."""

    def terminal(self, terminal_id: str = "kiosk-1") -> str:
        return add_terminal(self.engine, terminal_id)

    def signed_session(self, terminal_id: str, secret: str) -> requests.Session:
        session = requests.Session()
        session.auth = HmacAuth(terminal_id, secret)
        return session


def client(url: str, terminal_id: str, secret: str, **options: Any) -> OfficeClient:
    """A client as the terminal makes it; options are OfficeSettings fields (timeouts, ca_bundle)."""
    return OfficeClient(replace(OfficeSettings(url=url, terminal_id=terminal_id, secret=secret), **options))


def load_office_directory(engine: Engine, rows: list[DirectoryRow]) -> None:
    import_rows(engine, rows)


class OfficeProcess:
    """``kiosk office serve`` as its own process on a free loopback port, started from a folder
    with no checkout in it."""

    def __init__(self, url: str, *options: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "office", "serve", "--db", url, "--port", str(self.port), *options],
            cwd="/", env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True)
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the office did not start: {self.process.stderr.read()[-2000:]}")
            time.sleep(0.1)

    def resident_kb(self) -> int:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def migrated(url: str) -> None:
    done = subprocess.run([sys.executable, "-m", "kiosk", "office", "migrate", "--db", url], cwd="/",
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def wait_until_answering(url: str, seconds: float = 60) -> None:
    """Until a server just started answers ``url`` at all (whatever its status)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            requests.get(url, timeout=2)
            return
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
