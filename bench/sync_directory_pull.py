"""A new terminal's first directory pull of 1,000,000 meters from the office, through a link
limited to 20 Mbit/s (a throttling proxy on loopback, ``tests/sync/link.py``).

The office runs in its own process, as on its own machine, so it does not share the terminal's
interpreter lock; it holds a realistic directory (``kiosk demo-data``: masked names and addresses that
differ from meter to meter, which is what decides how well the pages compress). Prints JSON: the
office's import time (not part of the goal), the pull into the real terminal store, and the
bytes that crossed the link. Goals: the pull in 60 s or less, at most 60 MB on the wire.

    python bench/sync_directory_pull.py [--meters 1000000] [--mbit 20] [--accept-encoding identity]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import requests
from sync_common import Link, wait_until_answering

from kiosk import demo_data
from kiosk.store import Store
from sync.client import OfficeClient, OfficeSettings
from sync.directory_file import read_directory
from sync.directory_pull import DirectoryPuller
from sync.office.database import migrate, open_engine
from sync.office.directory import import_rows
from sync.office.local import free_port
from sync.office.terminals import add_terminal


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--meters", type=int, default=1_000_000)
    parser.add_argument("--page", type=int, default=10_000)
    parser.add_argument("--mbit", type=float, default=20.0, help="the link's rate; 0 for no limit")
    parser.add_argument("--accept-encoding", help="what the terminal asks for (default: what requests sends)")
    parser.add_argument("--db", help="office database URL (default: SQLite in a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        directory = Path(temp) / "directory.csv"
        with open(directory, "w", encoding="utf-8") as stream:
            demo_data.write_csv(stream, args.meters)
        database = args.db or str(Path(temp) / "office.sqlite3")
        engine = open_engine(database)
        migrate(engine)
        started = time.perf_counter()
        import_rows(engine, read_directory(directory))
        imported = time.perf_counter() - started
        secret = add_terminal(engine, "kiosk-1")
        engine.dispose()
        store = Store.open(Path(temp) / "kiosk.sqlite3")
        port = free_port()
        office = subprocess.Popen([sys.executable, "-m", "kiosk", "office", "serve", "--db", database,
                                   "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until_answering(f"http://127.0.0.1:{port}/openapi.json")
            with Link(port, bits_per_second=args.mbit * 1e6 or None) as link:
                session = requests.Session()
                if args.accept_encoding:
                    session.headers["Accept-Encoding"] = args.accept_encoding
                settings = replace(OfficeSettings(url=link.url, terminal_id="kiosk-1", secret=secret), read_timeout=120)
                puller = DirectoryPuller(store.directory, OfficeClient(settings, session), page_size=args.page)
                load_before = os.getloadavg()[0]
                office_cpu, terminal_cpu = _cpu_seconds(office.pid), _own_cpu_seconds()
                started = time.perf_counter()
                summary = puller.pull()
                pulled = time.perf_counter() - started
                office_cpu, terminal_cpu = _cpu_seconds(office.pid) - office_cpu, _own_cpu_seconds() - terminal_cpu
                load_after = os.getloadavg()[0]
                session.close()
                wire = dict(link.bytes)
                encoding = _content_encoding(bytes(link.heads[0]["to_terminal"])) if link.heads else None
        finally:
            office.terminate()
            office.wait(30)
        meters = store.directory.stats().meters
        store.close()
    print(json.dumps({
        "benchmark": "sync_directory_pull", "meters": meters, "pages": summary.pages, "page_size": args.page,
        "link_mbit_per_s": args.mbit or None, "content_encoding": encoding,
        "office_import_seconds": round(imported, 1), "pull_seconds": round(pulled, 1),
        "meters_per_second": round(meters / pulled),
        # CPU each side spent on the pull: on a shared machine the wall time above depends on its
        # load, these much less (the terminal's includes the link's threads, a small share).
        "terminal_cpu_seconds": round(terminal_cpu, 1), "office_cpu_seconds": round(office_cpu, 1),
        "load_average_before_after": [round(load_before, 1), round(load_after, 1)],
        "wire_mb_to_terminal": round(wire["to_terminal"] / 1e6, 1), "wire_mb_to_office": round(wire["to_office"] / 1e6, 2),
        "wire_bytes_per_meter": round((wire["to_terminal"] + wire["to_office"]) / max(meters, 1), 1),
        "error": summary.error, "goal_seconds": 60, "goal_wire_mb": 60,
    }))


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of another process (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _content_encoding(head: bytes) -> str | None:
    """The Content-Encoding of the first answer, as it crossed the link."""
    for line in head.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-encoding":
            return value.strip().decode("latin-1")
    return None


if __name__ == "__main__":
    main()
