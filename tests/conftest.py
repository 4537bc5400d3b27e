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


# The folders whose tests each take tens of seconds (a real app under Xvfb, installs into fresh
# environments, the power-cut file system), the longest first: with two workers the many short
# tests then fill in around them instead of one long test finishing alone at the end.
LONG_FIRST = ("ui", "deploy", "installed", "powercut", "browser")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tests = Path(__file__).parent

    def rank(item: pytest.Item) -> int:
        folder = item.path.relative_to(tests).parts[0] if item.path.is_relative_to(tests) else ""
        return LONG_FIRST.index(folder) if folder in LONG_FIRST else len(LONG_FIRST)

    items.sort(key=rank)  # stable: each file keeps its own order
