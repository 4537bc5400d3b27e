"""Power cut mid-write: a child process commits submissions in a loop and is killed with
SIGKILL at random moments. Each time, the database must open, pass SQLite's integrity check,
and hold every submission the child reported as committed, whole and consistent with its
outbox entry and its meter's last reading."""

from __future__ import annotations

import io
import json
import os
import random
import signal
import sqlite3
import time
from pathlib import Path

from kiosk import config as config_module
from sync.directory_file import read_directory
from kiosk.intake import Intake
from kiosk.store import Store
from tests.support import directory_text

KILLS = 50
ACCOUNTS = ("2287008779", "1000000011", "1000000037", "1000000045", "77АВ123456")


def _child(config: config_module.Config, report: int, seed: int) -> None:
    """Submit readings until killed; report each one only after its commit returned."""
    store = Store.open(config.database_path)
    intake = Intake(store, config)
    rng = random.Random(seed)
    while True:
        account = rng.choice(ACCOUNTS)
        meter = store.directory.find_account(account).meters[0]
        values = [str(zone.previous + rng.randint(1, 40)) for zone in meter.zones]
        result = intake.submit(account, None, values, confirm_all=True)
        if result.ok:
            line = json.dumps({"txn_id": result.submission.txn_id, "meter": meter.serial,
                               "values": [int(v) for v in values]})
            os.write(report, (line + "\n").encode())


def _run_child_until_killed(config: config_module.Config, seed: int, rng: random.Random) -> list[dict]:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        os.close(read_end)
        try:
            _child(config, write_end, seed)
        finally:
            os._exit(1)
    os.close(write_end)
    # Let it get going (it opens the store first), then cut the power at a random moment.
    time.sleep(rng.uniform(0.05, 0.3))
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read().decode()
    # A line cut in half by the kill was never fully reported; ignore it.
    return [json.loads(line) for line in data.split("\n")[:-1]]


def _check(path: Path, reported: list[dict]) -> None:
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        rows = {
            txn_id: (meter, [v for v in (v1, v2, v3) if v is not None])
            for txn_id, meter, v1, v2, v3 in connection.execute(
                "SELECT txn_id, meter, value_t1, value_t2, value_t3 FROM submissions")
        }
        for item in reported:
            assert rows.get(item["txn_id"]) == (item["meter"], item["values"]), item
        # Each submission and its outbox entry were written together.
        queued = connection.execute("SELECT count(*) FROM outbox").fetchone()[0]
        assert queued == len(rows)
        # Each meter's last reading is the newest submission's, never a half-applied one.
        for meter, last in connection.execute(
            "SELECT m.serial, json_array(m.last_t1, m.last_t2, m.last_t3) FROM meters m "
            "WHERE m.serial IN (SELECT meter FROM submissions)"
        ):
            newest = connection.execute(
                "SELECT json_array(value_t1, value_t2, value_t3) FROM submissions "
                "WHERE meter = ? ORDER BY seq DESC LIMIT 1", (meter,)).fetchone()[0]
            assert json.loads(last) == json.loads(newest), meter
    finally:
        connection.close()


def test_sigkill_mid_write_loses_nothing(tmp_path: Path) -> None:
    config = config_module.load(None, {"KIOSK_TERMINAL_DATA_DIR": str(tmp_path)})
    store = Store.open(config.database_path)
    store.directory.import_rows(read_directory(io.StringIO(directory_text(20))))
    store.close()  # no connection may cross the fork

    rng = random.Random(20261127)
    reported: list[dict] = []
    for kill in range(KILLS):
        reported += _run_child_until_killed(config, seed=kill, rng=rng)
        _check(config.database_path, reported)
    assert len(reported) > KILLS, f"only {len(reported)} commits: the kills should land mid-work"
