"""A new terminal's first directory pull of 1,000,000 meters from the office, through a link
limited to 20 Mbit/s (a throttling proxy on loopback, ``tests/sync/link.py``).

The office holds a realistic directory (``kiosk demo-data``: masked names and addresses that
differ from meter to meter, which is what decides how well the pages compress). Prints JSON: the
office's import time (not part of the goal), the pull into the real terminal store, and the
bytes that crossed the link. Goals: the pull in 60 s or less, at most 60 MB on the wire.

    python bench/sync_directory_pull.py [--meters 1000000] [--mbit 20] [--accept-encoding identity]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import requests
from sync_common import Link, OfficeServer

from kiosk import demo_data
from kiosk.store import Store
from sync.client import OfficeClient, OfficeSettings
from sync.directory_file import read_directory
from sync.directory_pull import DirectoryPuller
from sync.office.database import open_engine, upgrade
from sync.office.directory import import_rows


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
        engine = open_engine(args.db or str(Path(temp) / "office.sqlite3"))
        upgrade(engine)
        started = time.perf_counter()
        import_rows(engine, read_directory(directory))
        imported = time.perf_counter() - started
        store = Store.open(Path(temp) / "kiosk.sqlite3")
        with OfficeServer(engine) as office, Link(office.port, bits_per_second=args.mbit * 1e6 or None) as link:
            session = requests.Session()
            if args.accept_encoding:
                session.headers["Accept-Encoding"] = args.accept_encoding
            settings = replace(OfficeSettings(url=link.url, terminal_id="kiosk-1", secret=office.terminal()),
                               read_timeout=120)
            puller = DirectoryPuller(store.directory, OfficeClient(settings, session), page_size=args.page)
            started = time.perf_counter()
            summary = puller.pull()
            pulled = time.perf_counter() - started
            session.close()
            wire = dict(link.bytes)
            encoding = _content_encoding(bytes(link.heads[0]["to_terminal"])) if link.heads else None
        meters = store.directory.stats().meters
        store.close()
        engine.dispose()
    print(json.dumps({
        "benchmark": "sync_directory_pull", "meters": meters, "pages": summary.pages, "page_size": args.page,
        "link_mbit_per_s": args.mbit or None, "content_encoding": encoding,
        "office_import_seconds": round(imported, 1), "pull_seconds": round(pulled, 1),
        "meters_per_second": round(meters / pulled),
        "wire_mb_to_terminal": round(wire["to_terminal"] / 1e6, 1), "wire_mb_to_office": round(wire["to_office"] / 1e6, 2),
        "wire_bytes_per_meter": round((wire["to_terminal"] + wire["to_office"]) / max(meters, 1), 1),
        "error": summary.error, "goal_seconds": 60, "goal_wire_mb": 60,
    }))


def _content_encoding(head: bytes) -> str | None:
    """The Content-Encoding of the first answer, as it crossed the link."""
    for line in head.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-encoding":
            return value.strip().decode("latin-1")
    return None


if __name__ == "__main__":
    main()
