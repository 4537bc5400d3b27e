"""``kiosk office …`` and ``kiosk sync …`` as a technician runs them."""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from kiosk.commands import office as office_commands
from kiosk.commands import sync as sync_commands
from kiosk.context import Context
from sync.office.database import head_revision
from sync.office.local import free_port
from tests.sync.support import directory_csv, meter_rows, queue_submissions

ROOT = Path(__file__).resolve().parents[2]


def run(argv: list[str], capsys: pytest.CaptureFixture[str], config: Path | None = None) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="kiosk")
    commands = parser.add_subparsers(dest="command", required=True)
    office_commands.register(commands)
    sync_commands.register(commands)
    args = parser.parse_args(argv)
    context = Context(config_path=str(config) if config else None)
    try:
        code = args.run(args, context)
    finally:
        context.close()
    out, err = capsys.readouterr()
    return code, out, err


def test_office_commands_from_provisioning_to_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = ["--db", str(tmp_path / "office.sqlite3")]
    code, out, err = run(["office", "migrate", *db], capsys)
    assert code == 0 and json.loads(out) == {"ok": True, "from": None, "to": head_revision()}
    code, out, err = run(["office", "terminal", "add", "kiosk-7", *db], capsys)
    secret = json.loads(out)["secret"]
    assert code == 0 and len(secret) >= 40 and "not shown again" in err
    assert run(["office", "terminal", "add", "kiosk-7", *db], capsys)[0] == 1

    bad = tmp_path / "bad.csv"
    bad.write_text(directory_csv(meter_rows(3)) + "22;X;9;5;;;;;;h;a;;\n", encoding="utf-8")
    code, out, err = run(["office", "directory", "import", str(bad), *db], capsys)
    assert code == 1 and "line 5" in err and json.loads(out)["ok"] is False
    good = tmp_path / "directory.csv"
    good.write_text("\ufeff" + directory_csv(meter_rows(3)), encoding="utf-8")
    code, out, _ = run(["office", "directory", "import", str(good), *db], capsys)
    assert code == 0 and json.loads(out)["added"] == 3

    config = tmp_path / "kiosk.toml"
    port = free_port()
    config.write_text(f'[terminal]\nid = "kiosk-7"\ndata_dir = "{tmp_path / "data"}"\n'
                      f'[office]\nurl = "http://127.0.0.1:{port}"\nsecret = "{secret}"\nbatch_size = 2\n')
    server = subprocess.Popen(
        [sys.executable, "-c", "import sys; from tests.sync.test_commands import main; sys.exit(main())",
         "office", "serve", *db, "--port", str(port), "--workers", "2"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(f"http://127.0.0.1:{port}/openapi.json")
        context = Context(config_path=str(config))
        store = context.store()
        store.directory.import_rows(meter_rows(3))
        queue_submissions(store, "kiosk-7", meter_rows(3), 5)
        context.close()
        code, out, _ = run(["sync", "once"], capsys, config)
        summary = json.loads(out)
        assert code == 0, summary
        assert {k: summary[k] for k in ("sent", "accepted", "duplicate", "rejected", "conflict", "pending")} == {
            "sent": 5, "accepted": 5, "duplicate": 0, "rejected": 0, "conflict": 0, "pending": 0}
        assert summary["directory_version"] > 0
        code, out, _ = run(["sync", "directory"], capsys, config)
        assert code == 0 and json.loads(out)["pages"] == 0
    finally:
        server.terminate()
        server.wait(10)

    code, out, _ = run(["office", "export", *db], capsys)
    lines = list(csv.reader(io.StringIO(out), delimiter=";"))
    assert lines[0][:3] == ["txn_id", "terminal_id", "seq"]
    assert len({line[0] for line in lines[1:]}) == 5 and len(lines) - 1 == 1 + 2 + 1 + 2 + 1  # zones 1,2,1,2,1
    code, out, _ = run(["office", "export", "--since", "2999-01-01", *db], capsys)
    assert out.count("\n") == 1
    assert run(["office", "export", "--since", "yesterday", *db], capsys)[0] == 2
    code, out, _ = run(["office", "stats", *db], capsys)
    stats = json.loads(out)
    assert stats["submissions"] == 5 and stats["terminals"][0]["submissions"] == 5
    assert stats["terminals"][0]["id"] == "kiosk-7"


def test_sync_once_without_an_office_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[terminal]\ndata_dir = "{tmp_path / "data"}"\n')
    code, _, err = run(["sync", "once"], capsys, config)
    assert code == 1 and "no office configured" in err


def test_an_unreachable_office_still_prints_the_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[terminal]\ndata_dir = "{tmp_path / "data"}"\n'
                      '[office]\nurl = "http://127.0.0.1:9"\nsecret = "s"\nconnect_timeout = 0.5\n')
    code, out, _ = run(["sync", "once"], capsys, config)
    assert code == 1 and json.loads(out)["pending"] == 0 and json.loads(out)["error"]


def test_a_bad_database_url_is_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["office", "stats", "--db", "mysql://x/y"], capsys)
    assert code == 1 and "unsupported database" in err


def _wait_for(url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def main() -> int:
    """``kiosk`` with just these command groups, for the server subprocess above."""
    parser = argparse.ArgumentParser(prog="kiosk")
    commands = parser.add_subparsers(dest="command", required=True)
    office_commands.register(commands)
    args = parser.parse_args()
    return args.run(args, None)
