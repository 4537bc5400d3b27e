"""The office's settings file: `kiosk office serve --config FILE`, read by every worker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from sync.office.settings import OfficeConfig, load_config
from tests.sync.support import ROOT, OfficeProcess, migrated

TOKEN = "0123456789abcdef0123456789abcdef"


def test_defaults_without_a_file_and_every_key_checked(tmp_path: Path) -> None:
    assert load_config(None) == OfficeConfig(heartbeat_days=30, paper_days_alert=2.0, billing_token=None)
    good = tmp_path / "office.toml"
    good.write_text(f'[office]\nheartbeat_days = 7\npaper_days_alert = 1.5\nbilling_token = "{TOKEN}"\n')
    assert load_config(good) == OfficeConfig(heartbeat_days=7, paper_days_alert=1.5, billing_token=TOKEN)
    for text, problem in (
        ("[office]\nheartbeat_dayz = 7\n", "unknown keys heartbeat_dayz"),
        ("[office]\nheartbeat_days = 0\n", "heartbeat_days"),
        ('[office]\nheartbeat_days = "30"\n', "heartbeat_days"),
        ("[office]\npaper_days_alert = -1\n", "paper_days_alert"),
        ('[office]\nbilling_token = "short"\n', "billing_token"),
        ("office = 3\n", "must be a table"),
        ("[office\n", "office.toml"),
    ):
        good.write_text(text)
        with pytest.raises(ValueError, match=problem):
            load_config(good)
    with pytest.raises(ValueError, match="No such file"):
        load_config(tmp_path / "missing.toml")


def test_every_worker_reads_the_file(sqlite_url_folder: tuple[str, Path]) -> None:
    url, folder = sqlite_url_folder
    config = folder / "office.toml"
    config.write_text(f'[office]\nbilling_token = "{TOKEN}"\n')
    office = OfficeProcess(url, "--workers", "2", "--config", str(config))
    try:
        endpoint = office.url + "/billing/v1/readings"
        # several requests, so both workers answer some
        for _ in range(6):
            answer = requests.get(endpoint, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
            assert answer.status_code == 200 and answer.json()["submissions"] == [], answer.text
            assert requests.get(endpoint, headers={"Authorization": "Bearer nope"}, timeout=10).status_code == 401
    finally:
        office.stop()
    config.write_text("[office]\nheartbeat_days = forever\n")
    refused = subprocess.run([sys.executable, "-m", "kiosk", "office", "serve", "--db", url, "--config", str(config)],
                             cwd="/", env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                             timeout=60)
    assert refused.returncode == 2 and "office.toml" in refused.stderr, refused.stderr


@pytest.fixture
def sqlite_url_folder(ram_folder: Path) -> tuple[str, Path]:
    url = f"sqlite:///{ram_folder / 'office.sqlite3'}"
    migrated(url)
    return url, ram_folder
