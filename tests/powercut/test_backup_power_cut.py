"""A backup into a folder that did not exist is still there after a power cut: the folder's name
is made durable in its parent, not only the file in the folder."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kiosk.backup import backup
from tests.powercut import harness

pytestmark = pytest.mark.skipif(harness.missing() is not None, reason=str(harness.missing()))


def test_a_backup_into_a_new_folder_survives_a_power_cut(tmp_path: Path) -> None:
    database = tmp_path / "kiosk.sqlite3"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE readings (value INTEGER)")
        connection.execute("INSERT INTO readings VALUES (12345)")
    connection.close()
    disk = harness.Disk(tmp_path / "disk")
    disk.boot()
    try:
        made = backup(database, disk.mountpoint / "backups" / "daily", keep=3)
        disk.command("cut 0 1")  # every write not yet made durable is lost
        disk.shutdown()
        disk.boot()
        restored = Path(made.backup)
        assert restored.is_file(), sorted(path.name for path in disk.mountpoint.rglob("*"))
        with sqlite3.connect(f"{restored.as_uri()}?mode=ro", uri=True) as copy:
            assert copy.execute("SELECT value FROM readings").fetchall() == [(12345,)]
        copy.close()
    finally:
        disk.shutdown()
