"""How long the storage line takes: on a healthy database of a year's readings, and on one another
program holds locked (bounded by the check's own lock wait, not the store's busy timeout).

Prints JSON (medians and the slowest of ``--runs`` runs, in milliseconds); never fails the build.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import median, report  # noqa: E402
from kiosk import config as config_module  # noqa: E402
from sync.directory_file import read_directory  # noqa: E402
from kiosk.service.health import storage_health  # noqa: E402
from kiosk.intake import Intake  # noqa: E402
from kiosk.store import Store  # noqa: E402
from tests.filesystems import held_by_another_program  # noqa: E402
from tests.support import directory_text  # noqa: E402


def timed(config: config_module.Config, store: Store, runs: int) -> tuple[list[float], str]:
    samples, reason = [], ""
    for _ in range(runs):
        started = time.perf_counter()
        line = storage_health(config, store)
        samples.append((time.perf_counter() - started) * 1000)
        reason = line.reason
    return samples, reason


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--meters", type=int, default=10_000)
    parser.add_argument("--readings", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        config = config_module.load(None, {"KIOSK_TERMINAL_DATA_DIR": folder})
        store = Store.open(config.database_path)
        store.directory.import_rows(read_directory(io.StringIO(directory_text(args.meters))))
        intake = Intake(store, config)
        accounts = [row.split(";")[0] for row in directory_text(args.meters).splitlines()[1:]]
        for index in range(args.readings):
            intake.submit(accounts[index % len(accounts)], None, ["99999", "99999"], confirm_all=True)
        healthy, healthy_reason = timed(config, store, args.runs)
        store.engine.dispose()
        with held_by_another_program(config.database_path):
            locked, locked_reason = timed(config, store, args.runs)
        size = config.database_path.stat().st_size
        store.close()
    report({
        "benchmark": "storage_check",
        "database_bytes": size,
        "meters": args.meters,
        "submissions_tried": args.readings,
        "healthy_ms": {"median": round(median(healthy), 1), "max": round(max(healthy), 1)},
        "healthy_reason": healthy_reason,
        "locked_ms": {"median": round(median(locked), 1), "max": round(max(locked), 1)},
        "locked_reason": locked_reason,
    })


if __name__ == "__main__":
    main()
