"""`kiosk status --prometheus FILE`: the terminal's facts for node_exporter's textfile collector,
written by the real command in a process of its own, read back with Prometheus's own parser."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from kiosk.store import Store
from tests.sync.support import ROOT, meter_rows, queue_submissions


def status(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("KIOSK_")}
    env.update(PYTHONPATH=str(ROOT), KIOSK_TERMINAL_DATA_DIR=str(data_dir), KIOSK_TERMINAL_ID="kiosk-9",
               KIOSK_PRINTER_PORT=str(data_dir / "no-such-printer"))
    return subprocess.run([sys.executable, "-m", "kiosk", "status", *args], env=env, capture_output=True,
                          text=True, cwd="/", timeout=60)


def samples(path: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(path.read_text(encoding="utf-8"))
            for sample in family.samples}


def test_the_textfile_holds_levels_queue_paper_upload_and_out_of_service(tmp_path: Path) -> None:
    data = tmp_path / "terminal"
    store = Store.open(data / "kiosk.sqlite3")
    rows = meter_rows(2)
    store.directory.import_rows(rows)
    queue_submissions(store, "kiosk-9", rows, 3)
    with store.engine.begin() as connection:  # the oldest waits for two hours; one was delivered an hour ago
        two_hours = (datetime.now(timezone.utc) - timedelta(hours=2)).isoformat()
        connection.execute(text("UPDATE outbox SET enqueued_at = :at"), {"at": two_hours})
        one_hour = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()
        connection.execute(text("UPDATE submissions SET sync_state = 'delivered', synced_at = :at WHERE seq = 3"),
                           {"at": one_hour})
        connection.execute(text("DELETE FROM outbox WHERE seq = 3"))
    store.paper.new_roll(80_000)
    store.paper.count(150.0, default_length_mm=80_000)
    store.service.set_out_of_service(by="shell", reason="paper change", now=datetime.now(timezone.utc))
    store.close()
    out = tmp_path / "textfile" / "kiosk.prom"
    out.parent.mkdir()
    done = status(data, "--prometheus", str(out))
    assert done.returncode == 2, done.stderr  # the printer cannot be reached: red, and the file is written
    facts = samples(out)
    assert facts[("kiosk_terminal_info", (("terminal", "kiosk-9"), ("version", "0.1.0")))] == 1
    assert facts[("kiosk_subsystem_level", (("subsystem", "printer"),))] == 2
    assert facts[("kiosk_subsystem_level", (("subsystem", "storage"),))] == 0
    assert len([1 for name, _ in facts if name == "kiosk_subsystem_level"]) == 7
    assert facts[("kiosk_queue_depth", ())] == 2
    assert 7100 < facts[("kiosk_oldest_pending_age_seconds", ())] < 7300
    assert 3500 < facts[("kiosk_last_upload_age_seconds", ())] < 3700
    assert facts[("kiosk_out_of_service", ())] == 1
    assert (facts[("kiosk_paper_roll_metres", ())], facts[("kiosk_paper_used_metres", ())],
            facts[("kiosk_paper_left_metres", ())], facts[("kiosk_paper_slips", ())]) == (80, 0.15, 79.85, 1)
    assert [p.name for p in out.parent.iterdir()] == ["kiosk.prom"]  # no temporary file left behind


def test_a_textfile_that_cannot_be_written_is_reported(tmp_path: Path) -> None:
    done = status(tmp_path / "terminal", "--prometheus", str(tmp_path / "missing" / "kiosk.prom"))
    assert done.returncode == 1
    assert "cannot write" in done.stderr and "kiosk.prom" in done.stderr
