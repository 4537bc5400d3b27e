"""A throwaway terminal on the demo directory, for screenshots, UI tests and benchmarks."""

from __future__ import annotations

import io
from pathlib import Path

from kiosk import config as config_module
from kiosk import demo_data
from sync.directory_file import read_directory
from kiosk.intake import Intake
from kiosk.store import Store


def demo_intake(data_dir: Path, rows: int = 300) -> tuple[Intake, Store]:
    config = config_module.load(None, {"KIOSK_TERMINAL_DATA_DIR": str(data_dir),
                                       "KIOSK_TERMINAL_ID": "demo-1"})
    store = Store.open(config.database_path)
    if store.directory.find_account(demo_data.SAMPLES[0].account) is None:
        text = io.StringIO()
        demo_data.write_csv(text, rows)
        text.seek(0)
        store.directory.import_rows(read_directory(text))
    return Intake(store, config), store
