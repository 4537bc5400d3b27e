"""A new terminal's first directory pull of 1,000,000 meters from the office, over loopback.

Prints JSON: the office's import time (not part of the goal) and the pull into the real
terminal store. Goal: the pull in 60 s or less.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from sync_common import OfficeServer, client, meter_rows

from kiosk.store import Store
from sync.directory_pull import DirectoryPuller
from sync.office.database import migrate, open_engine
from sync.office.directory import import_rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--meters", type=int, default=1_000_000)
    parser.add_argument("--page", type=int, default=10_000)
    parser.add_argument("--db", help="office database URL (default: SQLite in a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        engine = open_engine(args.db or str(Path(temp) / "office.sqlite3"))
        migrate(engine)
        started = time.perf_counter()
        import_rows(engine, (row for start in range(0, args.meters, 50_000)
                             for row in meter_rows(min(50_000, args.meters - start), start=start)))
        imported = time.perf_counter() - started
        store = Store.open(Path(temp) / "kiosk.sqlite3")
        with OfficeServer(engine) as office:
            puller = DirectoryPuller(store.directory, client(office.url, "kiosk-1", office.terminal(), read_timeout=120),
                                     page_size=args.page)
            started = time.perf_counter()
            summary = puller.pull()
            pulled = time.perf_counter() - started
        meters = store.directory.stats().meters
        store.close()
        engine.dispose()
    print(json.dumps({"benchmark": "sync_directory_pull", "meters": meters, "pages": summary.pages,
                      "page_size": args.page, "office_import_seconds": round(imported, 1),
                      "pull_seconds": round(pulled, 1), "meters_per_second": round(meters / pulled),
                      "error": summary.error, "goal_seconds": 60}))


if __name__ == "__main__":
    main()
