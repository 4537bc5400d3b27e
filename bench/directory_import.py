"""Directory import and account lookup at a utility's scale.

Goals on a 2-core machine: 1,000,000 meters imported in 30 s or less; account lookup p99 at
most 1 ms with them loaded. Also reports the database size per million meters.

    python bench/directory_import.py [--meters 1000000] [--runs 3] [--lookups 20000]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import median, percentile, report  # noqa: E402
from kiosk import demo_data  # noqa: E402
from sync.directory_file import read_directory  # noqa: E402
from kiosk.store import Store  # noqa: E402


def one_run(csv_path: Path, work: Path, lookups: int, accounts: list[str]) -> dict[str, float]:
    database = work / "kiosk.sqlite3"
    for old in work.glob("kiosk.sqlite3*"):
        old.unlink()
    store = Store.open(database)
    started = time.perf_counter()
    result = store.directory.import_rows(read_directory(csv_path))
    import_s = time.perf_counter() - started
    assert result.imported and not result.errors
    store.engine.dispose()  # checkpoint the WAL so the file size is the real one
    size = database.stat().st_size

    rng = random.Random(7)
    samples = []
    find = store.directory.find_account
    for _ in range(lookups):
        number = rng.choice(accounts)
        t0 = time.perf_counter()
        found = find(number)
        samples.append(time.perf_counter() - t0)
        assert found is not None
    store.close()
    return {
        "import_s": import_s,
        "rows_per_s": result.imported / import_s,
        "db_bytes": size,
        "lookup_p50_ms": percentile(samples, 0.50) * 1000,
        "lookup_p99_ms": percentile(samples, 0.99) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--meters", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lookups", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as folder:
        work = Path(folder)
        csv_path = work / "directory.csv"
        with open(csv_path, "w", encoding="utf-8") as stream:
            demo_data.write_csv(stream, args.meters)
        accounts = sorted({row[0] for row in demo_data.rows(min(args.meters, 200_000))})
        runs = [one_run(csv_path, work, args.lookups, accounts) for _ in range(args.runs)]
    size = median([r["db_bytes"] for r in runs])
    report({
        "benchmark": "directory_import",
        "meters": args.meters,
        "runs": args.runs,
        "import_s_median": round(median([r["import_s"] for r in runs]), 2),
        "import_s_all": [round(r["import_s"], 2) for r in runs],
        "rows_per_s_median": round(median([r["rows_per_s"] for r in runs])),
        "lookup_p50_ms_median": round(median([r["lookup_p50_ms"] for r in runs]), 3),
        "lookup_p99_ms_median": round(median([r["lookup_p99_ms"] for r in runs]), 3),
        "db_mb": round(size / 2**20, 1),
        "db_mb_per_million_meters": round(size / 2**20 * 1_000_000 / args.meters, 1),
        "goals": {"import_s": 30, "lookup_p99_ms": 1.0},
    })


if __name__ == "__main__":
    main()
