"""Office ingest on PostgreSQL, in one process: signed batches over loopback HTTP.

Prints JSON: submissions/s and readings/s (one reading per tariff zone). Goal: at least 5,000
readings/s. ``--db`` defaults to the CI server; the benchmark works in a schema of its own and
drops it afterwards.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import create_engine, text
from sync_common import OfficeServer, client, load_office_directory, meter_rows

from sync.office.database import migrate, normalise_url, open_engine


def payloads(rows, count: int) -> list[dict]:  # type: ignore[no-untyped-def]
    items = []
    for number in range(count):
        row = rows[number % len(rows)]
        meanings = [str(m) for m in row.meanings]
        items.append({
            "txn_id": str(uuid.uuid4()), "seq": number + 1, "terminal_id": "kiosk-1", "account": row.account,
            "meter": row.meter, "taken_at": f"2026-11-2{number % 5}T12:00:00+03:00", "period": "2026-11",
            "readings": [{"zone": z + 1, "meaning": meanings[z], "value": 5000 + z, "consumption": 7}
                         for z in range(row.zones)],
            "confirmed": [],
        })
    return items


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--count", type=int, default=40_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--terminals", type=int, default=4, help="concurrent uploading terminals")
    args = parser.parse_args()
    url = normalise_url(args.db)
    schema = f"office_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        engine = open_engine(url, connect_args={"options": f"-csearch_path={schema}"})
        migrate(engine)
        rows = meter_rows(20_000)
        load_office_directory(engine, rows)
        items = payloads(rows, args.count)
        readings = sum(len(item["readings"]) for item in items)
        batches = [items[i:i + args.batch] for i in range(0, len(items), args.batch)]
        with OfficeServer(engine) as office:
            secret = office.terminal("kiosk-1")
            clients = [client(office.url, "kiosk-1", secret, read_timeout=120) for _ in range(args.terminals)]

            def send(index: int) -> int:
                answer = clients[index % len(clients)].upload(batches[index])
                return sum(result.status == "accepted" for result in answer.results)

            started = time.perf_counter()
            with ThreadPoolExecutor(args.terminals) as pool:
                accepted = sum(pool.map(send, range(len(batches))))
            seconds = time.perf_counter() - started
        engine.dispose()
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    print(json.dumps({"benchmark": "sync_office_ingest", "database": "postgresql", "submissions": accepted,
                      "readings": readings, "seconds": round(seconds, 2),
                      "submissions_per_second": round(accepted / seconds),
                      "readings_per_second": round(readings / seconds), "batch": args.batch,
                      "concurrent_clients": args.terminals, "goal_readings_per_second": 5000}))


if __name__ == "__main__":
    main()
