"""The terminal's writer for the power-cut test, in a process of its own: the store opened as
the terminal opens it, then the shared workload until killed. Each write is one JSON line on
stdout once the store returned it; the first line says the store is open, with the
``synchronous`` level its connections really run with.

    python -m tests.powercut.writer DATA_DIR SEED [--synchronous FULL|NORMAL|OFF]

``--synchronous NORMAL`` or ``OFF`` weakens the store from here, with a connect listener that
runs after the store's own, to show that the power-cut test catches a store that does not fsync
each commit. The store itself always runs FULL.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sqlalchemy import event

from kiosk import config as config_module
from kiosk.store import Store
from tests.durability import Workload

LEVELS = {"OFF": 0, "NORMAL": 1, "FULL": 2}


def weaken(store: Store, level: str) -> None:
    @event.listens_for(store.engine, "connect")
    def _weaken(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.execute(f"PRAGMA synchronous = {level}")

    store.engine.dispose()  # the connections opened so far ran without the listener


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("seed", type=int)
    parser.add_argument("--synchronous", choices=LEVELS, default="FULL")
    args = parser.parse_args()
    config = config_module.load(None, {"KIOSK_TERMINAL_DATA_DIR": str(args.data_dir)})
    store = Store.open(config.database_path)
    if args.synchronous != "FULL":
        weaken(store, args.synchronous)
    with store.engine.connect() as connection:
        level = connection.exec_driver_sql("PRAGMA synchronous").scalar()
    print(json.dumps({"ready": True, "synchronous": level}), flush=True)
    Workload(store, config, args.seed).run(lambda item: print(json.dumps(item), flush=True))


if __name__ == "__main__":
    sys.exit(main())
