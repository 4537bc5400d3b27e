"""What the running terminal last knew of its devices, in a small JSON file for `kiosk status`.

`kiosk status` runs in a process of its own, while the app holds the printer's and the
scanner's ports exclusively; asking the printer from a second process would fail, or worse,
put a status query in the middle of a slip. So the app writes what its printer watch, scanner
and uploader last saw to ``<runtime_dir>/live-status.json`` every few seconds (``/run/kiosk``, a
RAM disk, on a deployed terminal), and `kiosk status` reads that. A file older than ``STALE_S``, or none (the app removes it when it stops), means
no app is running, and then `kiosk status` asks the devices itself.

A file rather than the store: a write every few seconds needs no fsync (a stale file after a
power cut only says "not running", which is then true), does not grow the WAL or wear the
flash with synchronous=FULL commits, and a technician can read it with `cat`.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from devices.status import PrinterStatus
from kiosk.config import Config
from kiosk.periodic import Periodic
from kiosk.wiring import PRINTER_POLL_S, Terminal
from sync.client import OfficeTime

log = logging.getLogger(__name__)

FILE_NAME = "live-status.json"
INTERVAL_S = PRINTER_POLL_S  # no point writing more often than the printer is asked
# Three missed writes: the app has stopped or hangs; one missed write may be a busy disk.
STALE_S = 3 * INTERVAL_S
_PRINTER_FIELDS = tuple(f.name for f in fields(PrinterStatus))


def path_for(config: Config) -> Path:
    return config.runtime_dir / FILE_NAME


@dataclass(frozen=True)
class LiveStatus:
    written_at: datetime
    pid: int
    printer: PrinterStatus | None  # None: no printer configured
    scanner_connected: bool | None  # None: no scanner configured
    upload_error: str | None
    office_time: OfficeTime | None = None  # the office's clock by the uploader's last answer

    def age_s(self, now: datetime | None = None) -> float:
        return ((now or datetime.now(timezone.utc)) - self.written_at).total_seconds()

    @property
    def fresh(self) -> bool:
        return -STALE_S <= self.age_s() <= STALE_S  # a clock set back must not make it fresh forever


def snapshot(terminal: Terminal) -> dict[str, Any]:
    status = terminal.printer_watch.status
    return {
        "written_at": datetime.now(timezone.utc).isoformat(),
        "pid": os.getpid(),
        "printer": {name: getattr(status, name) for name in _PRINTER_FIELDS} if terminal.printer else None,
        "scanner_connected": terminal.scanner.connected if terminal.scanner else None,
        "upload_error": terminal.uploader.last_error if terminal.uploader else None,
        "office_time": _office_time(terminal.uploader.office_time if terminal.uploader else None),
    }


def _office_time(time: OfficeTime | None) -> dict[str, str] | None:
    return None if time is None else {"office": time.office.isoformat(), "here": time.here.isoformat()}


def write(path: Path, document: dict[str, Any]) -> None:
    """Replace the file atomically: a reader sees the old or the new one, never half."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, path)


def read(path: Path) -> LiveStatus | None:
    """The app's last record, or None when there is none that can be read."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        printer = document["printer"]
        return LiveStatus(
            written_at=datetime.fromisoformat(document["written_at"]),
            pid=int(document["pid"]),
            printer=None if printer is None else PrinterStatus(**{k: printer[k] for k in _PRINTER_FIELDS}),
            scanner_connected=document["scanner_connected"],
            upload_error=document["upload_error"],
            office_time=_read_office_time(document.get("office_time")),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _read_office_time(document: Any) -> OfficeTime | None:
    if not document:
        return None  # no answer from the office yet, or a file from an older release
    return OfficeTime(office=datetime.fromisoformat(document["office"]), here=datetime.fromisoformat(document["here"]))


class LiveStatusWriter:
    """Writes the terminal's live status every ``interval`` seconds on a thread of its own."""

    def __init__(self, terminal: Terminal, interval: float = INTERVAL_S) -> None:
        self._terminal = terminal
        self._path = path_for(terminal.config)
        self._job = Periodic("live-status", interval, self.write_now)
        self._failing = False

    def start(self) -> None:
        self._job.start()

    def stop(self) -> None:
        self._job.stop()
        self._path.unlink(missing_ok=True)  # no file: no app running

    def write_now(self) -> None:
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)  # systemd makes /run/kiosk; elsewhere we do
            write(self._path, snapshot(self._terminal))
            self._failing = False
        except OSError as exc:  # a full disk: the storage check says so; log it once
            if not self._failing:
                log.warning("cannot write %s: %s", self._path, exc)
            self._failing = True
