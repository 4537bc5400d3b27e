"""The real app under Xvfb, driven by simulated touches through whole journeys."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.store import Store

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("Xvfb") is None,
                                reason="Xvfb is not installed (Debian: apt-get install xvfb)")


@pytest.fixture(scope="module")
def display():
    """A private X server; -displayfd picks a free display number."""
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x1024x24",
                               "-nolisten", "tcp"], pass_fds=(write,), stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as stream:
        number = stream.readline().strip()
    yield f":{number}"
    server.terminate()
    server.wait(10)


@pytest.fixture(scope="module")
def run(display, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("kiosk-ui")
    env = {**os.environ, "DISPLAY": display, "KIVY_NO_ARGS": "1",
           "KIVY_HOME": str(data_dir / "kivy"), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(Path(__file__).with_name("driver.py")), str(data_dir)],
                          env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    store = Store.open(data_dir / "kiosk.sqlite3")
    yield report, {s.account: s for s in store.submissions.latest()}
    store.close()


def journey(report, name):
    found = next(j for j in report["journeys"] if j["name"] == name)
    assert found["error"] is None, found
    return found


def test_two_zone_meter_by_keypad(run):
    report, stored = run
    seen = journey(report, "two_zone")
    assert seen["steps"][:4] == ["account", "meter", "reading", "review"], seen
    assert "result" in seen["steps"]
    assert report["after_double_tap"] == ""
    submission = stored["2287008779"]
    assert [r.value for r in submission.readings] == [12400, 6800] and submission.total == 66
    assert {"account": "2287008779", "txn_id": submission.txn_id, "language": "en"} in report["slips"]


def test_scan_then_one_zone(run):
    report, stored = run
    seen = journey(report, "scan_one_zone")
    assert "account" not in seen["steps"]  # the scan skipped typing
    assert stored["1000000011"].readings[0].value == 5010


def test_rollover_confirmed_with_paper_out(run):
    report, stored = run
    seen = journey(report, "rollover_paper_out")
    assert "question" in seen["steps"]
    submission = stored["1000000029"]
    assert submission.confirmed == ("possible_rollover",) and submission.total == 80
    assert submission.txn_id in seen["number"]  # shown on screen instead of the slip
