"""A throwaway terminal on the demo directory, for screenshots, UI tests and benchmarks."""

from __future__ import annotations

from pathlib import Path

from kiosk import config as config_module
from kiosk import demo_data
from kiosk.intake import Intake
from kiosk.store import Store


def demo_intake(data_dir: Path, rows: int = 300) -> tuple[Intake, Store]:
    config = config_module.load(None, {"KIOSK_TERMINAL_DATA_DIR": str(data_dir),
                                       "KIOSK_TERMINAL_ID": "demo-1"})
    store = Store.open(config.database_path)
    if store.directory.find_account(demo_data.SAMPLES[0].account) is None:
        store.directory.import_rows(demo_data.with_money(demo_data.directory(rows)))
        store.tariffs.import_rows(demo_data.tariffs())
    return Intake(store, config), store
