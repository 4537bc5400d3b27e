"""Fixtures shared by the core's tests: real SQLite files in a temporary folder."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from kiosk import config as config_module
from sync.directory_file import read_directory
from kiosk.store import Store
from tests.support import directory_text


@pytest.fixture
def kiosk_config(tmp_path: Path) -> config_module.Config:
    return config_module.load(None, {"KIOSK_TERMINAL_DATA_DIR": str(tmp_path / "data"),
                                     "KIOSK_TERMINAL_TIMEZONE": "Europe/Moscow"})


@pytest.fixture
def store(kiosk_config: config_module.Config):
    opened = Store.open(kiosk_config.database_path)
    yield opened
    opened.close()


@pytest.fixture
def seeded_store(store: Store) -> Store:
    """A store holding the demo samples and a few hundred random meters."""
    result = store.directory.import_rows(read_directory(io.StringIO(directory_text(300))))
    assert result.imported == 300 and not result.errors
    return store
