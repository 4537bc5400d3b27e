"""Drain a backlog of 10,000 submissions over loopback: in batches vs one per request.

Prints JSON. The terminal's store is the real one (SQLite on disk); the office is the real one
(SQLite on disk by default, or ``--db URL``). Goal: batched drain in 10 s or less.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from sync_common import OfficeServer, client, load_office_directory, meter_rows, queue_submissions

from kiosk.store import Store
from sync.office.database import migrate, open_engine
from sync.uploader import Uploader


def drain(seed_store: Path, folder: Path, batch_size: int, office_db: str | None, rows) -> dict:  # type: ignore[no-untyped-def]
    store_path = folder / f"kiosk-{batch_size}.sqlite3"
    shutil.copy(seed_store, store_path)
    engine = open_engine(office_db or str(folder / f"office-{batch_size}.sqlite3"))
    migrate(engine)
    load_office_directory(engine, rows)
    store = Store.open(store_path)
    with OfficeServer(engine) as office:
        uploader = Uploader(store.outbox, client(office.url, "kiosk-1", office.terminal()), batch_size=batch_size)
        started = time.perf_counter()
        summary = uploader.run_once()
        seconds = time.perf_counter() - started
    store.close()
    engine.dispose()
    return {"batch_size": batch_size, "seconds": round(seconds, 2), "accepted": summary.accepted,
            "pending": summary.pending, "per_second": round(summary.accepted / seconds)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    rows = meter_rows(args.count)
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        seed = folder / "seed.sqlite3"
        store = Store.open(seed)
        store.directory.import_rows(rows)
        queue_submissions(store, "kiosk-1", rows, args.count)
        store.close()
        batched = drain(seed, folder, args.batch, None, rows)
        single = drain(seed, folder, 1, None, rows)
    print(json.dumps({"benchmark": "sync_drain", "submissions": args.count, "batched": batched,
                      "one_per_request": single, "ratio": round(single["seconds"] / batched["seconds"], 1),
                      "goal_seconds": 10}))


if __name__ == "__main__":
    main()
