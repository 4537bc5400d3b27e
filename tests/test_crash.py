"""A crash mid-write: a child process writes as the terminal does (submissions, the event log,
directory imports) and is killed with SIGKILL at random moments. Each time, the database must
open, pass SQLite's integrity check, and hold every write the child reported as committed,
whole and consistent with its outbox entry and its meter's last reading.

SIGKILL is not a power cut: the kernel still writes what the process had written. The
power-cut test (tests/powercut) drops what was never fsynced."""

from __future__ import annotations

import io
import json
import os
import random
import signal
import time
from pathlib import Path

from kiosk import config as config_module
from sync.directory_file import read_directory
from kiosk.store import Store
from tests.durability import Workload, check
from tests.support import directory_text

KILLS = 50


def _run_child_until_killed(config: config_module.Config, seed: int, rng: random.Random) -> list[dict]:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        os.close(read_end)
        try:
            store = Store.open(config.database_path)
            Workload(store, config, seed).run(
                lambda item: os.write(write_end, (json.dumps(item) + "\n").encode()))
        finally:
            os._exit(1)
    os.close(write_end)
    # Let it get going (it opens the store first), then kill it at a random moment.
    time.sleep(rng.uniform(0.05, 0.3))
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read().decode()
    # A line cut in half by the kill was never fully reported; ignore it.
    return [json.loads(line) for line in data.split("\n")[:-1]]


def test_sigkill_mid_write_loses_nothing(tmp_path: Path) -> None:
    config = config_module.load(None, {"KIOSK_TERMINAL_DATA_DIR": str(tmp_path)})
    store = Store.open(config.database_path)
    store.directory.import_rows(read_directory(io.StringIO(directory_text(20))))
    store.close()  # no connection may cross the fork

    rng = random.Random(20261127)
    reported: list[dict] = []
    unreported = 0
    for kill in range(KILLS):
        reported += _run_child_until_killed(config, seed=kill, rng=rng)
        verdict = check(config.database_path, reported)
        assert verdict.ok, f"after kill {kill + 1}: {verdict}"
        # At most the one write in flight at the kill was committed without being reported.
        assert verdict.unreported - unreported <= 1, f"after kill {kill + 1}: {verdict.unreported} unreported"
        unreported = verdict.unreported
    assert len(reported) > KILLS, f"only {len(reported)} commits: the kills should land mid-work"
    kinds = {item["kind"] for item in reported}
    assert kinds == {"submission", "event", "import"}, f"the kills only saw {kinds}"
