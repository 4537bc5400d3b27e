"""``kiosk office …`` and ``kiosk sync …`` as a technician runs them."""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from alembic import command as alembic
from alembic.config import Config as AlembicConfig
from sqlalchemy import text

from kiosk.commands import office as office_commands
from kiosk.commands import sync as sync_commands
from kiosk.context import Context
from sync.office.database import MIGRATIONS, SchemaNotCurrent, head_revision, migrate, open_engine
from sync.office.local import LocalOffice, free_port
from tests.sync.support import directory_csv, meter_rows, queue_submissions, wait_until_answering

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
        wait_until_answering(f"http://127.0.0.1:{port}/openapi.json")
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


def main() -> int:
    """``kiosk`` with just these command groups, for the server subprocess above."""
    parser = argparse.ArgumentParser(prog="kiosk")
    commands = parser.add_subparsers(dest="command", required=True)
    office_commands.register(commands)
    args = parser.parse_args()
    return args.run(args, None)


def kiosk_office(*argv: str) -> subprocess.Popen[str]:
    """``kiosk office …`` as its own process, from a folder with no checkout in it."""
    return subprocess.Popen([sys.executable, "-m", "kiosk", "office", *argv], cwd="/", text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_only_migrate_changes_the_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "office.sqlite3"
    db = ["--db", str(path)]
    directory = tmp_path / "directory.csv"
    directory.write_text(directory_csv(meter_rows(2)), encoding="utf-8")
    commands = [["stats"], ["export"], ["terminal", "list"], ["terminal", "add", "kiosk-1"],
                ["terminal", "disable", "kiosk-1"], ["directory", "import", str(directory)],
                ["serve", "--port", str(free_port())]]
    for command in commands:  # no database yet: none of them makes one
        code, out, err = run(["office", *command, *db], capsys)
        assert (code, out) == (1, ""), command
        assert err.count("\n") == 1 and "`kiosk office migrate --db URL`" in err, (command, err)
    assert not path.exists()

    engine = open_engine(str(path))
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:  # a database left by the first release
        config.attributes["connection"] = connection
        alembic.upgrade(config, "office_0001")
    engine.dispose()
    for command in commands:
        code, out, err = run(["office", *command, *db], capsys)
        assert code == 1 and f"schema office_0001, this release needs {head_revision()}" in err, (command, err)
    code, out, _ = run(["office", "migrate", *db], capsys)
    assert (code, json.loads(out)) == (0, {"ok": True, "from": "office_0001", "to": head_revision()})
    code, out, _ = run(["office", "migrate", *db], capsys)
    assert json.loads(out) == {"ok": True, "from": head_revision(), "to": head_revision()}
    assert run(["office", "stats", *db], capsys)[0] == 0


def test_instances_starting_together_migrate_once(office_url: str) -> None:
    starts = [kiosk_office("migrate", "--db", office_url) for _ in range(3)]
    answers = []
    for process in starts:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        answers.append(json.loads(out))
    assert sorted((a["from"] or "", a["to"]) for a in answers) == [
        ("", head_revision()), (head_revision(), head_revision()), (head_revision(), head_revision())]


def test_terminal_lifecycle_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "office.sqlite3"
    db = ["--db", str(path)]
    previous = os.umask(0o022)  # the usual umask: files readable by everyone unless told otherwise
    try:
        assert run(["office", "migrate", *db], capsys)[0] == 0
        assert path.stat().st_mode & 0o777 == 0o600
        code, _, err = run(["office", "terminal", "add", "kiosk-1\n", *db], capsys)
        assert code == 1 and "not even a line break" in err
        first = json.loads(run(["office", "terminal", "add", "kiosk-1", *db], capsys)[1])["secret"]
        run(["office", "terminal", "add", "kiosk-2", *db], capsys)
        code, out, _ = run(["office", "terminal", "list", *db], capsys)
        listed = [json.loads(line) for line in out.splitlines()]
        assert code == 0 and [(t["id"], t["enabled"], t["last_seen"]) for t in listed] == [
            ("kiosk-1", True, None), ("kiosk-2", True, None)]
        assert all(t["added"].endswith("Z") for t in listed) and set(listed[0]) == {"id", "added", "last_seen", "enabled"}

        code, out, _ = run(["office", "terminal", "disable", "kiosk-1", *db], capsys)
        assert (code, json.loads(out)) == (0, {"terminal_id": "kiosk-1", "enabled": False})
        out = run(["office", "terminal", "list", *db], capsys)[1]
        assert [json.loads(line)["enabled"] for line in out.splitlines()] == [False, True]
        assert run(["office", "terminal", "enable", "kiosk-1", *db], capsys)[0] == 0
        for action in ("disable", "enable", "rotate-secret"):
            code, out, err = run(["office", "terminal", action, "kiosk-9", *db], capsys)
            assert (code, out) == (1, "") and "no terminal 'kiosk-9'" in err

        os.chmod(path, 0o644)  # a file made by hand, or copied with the wrong mode
        code, out, err = run(["office", "terminal", "rotate-secret", "kiosk-1", *db], capsys)
        second = json.loads(out)["secret"]
        assert code == 0 and second != first and "not shown again" in err and "now mode 0600" in err
        assert path.stat().st_mode & 0o777 == 0o600

        # SQLite gives its write-ahead log and shared-memory file the database's mode
        engine = open_engine(str(path))
        with engine.begin() as connection:
            connection.execute(text("UPDATE office_terminals SET last_seen_at = NULL"))
            modes = {name: os.stat(f"{path}-{name}").st_mode & 0o777 for name in ("wal", "shm")}
        engine.dispose()
        assert modes == {"wal": 0o600, "shm": 0o600}
    finally:
        os.umask(previous)


def test_the_pool_size_comes_from_the_option_or_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    def serve_args(*argv: str) -> argparse.Namespace:
        parser = argparse.ArgumentParser(prog="kiosk")
        office_commands.register(parser.add_subparsers(dest="command", required=True))
        return parser.parse_args(["office", "serve", *argv])

    assert serve_args().pool_size == 5
    monkeypatch.setenv("KIOSK_OFFICE_POOL_SIZE", "3")
    monkeypatch.setenv("KIOSK_OFFICE_MAX_CLOCK_SKEW", "6h")
    args = serve_args()
    assert (args.pool_size, args.max_clock_skew.total_seconds()) == (3, 6 * 3600)
    assert serve_args("--pool-size", "7").pool_size == 7
    for bad in (["--pool-size", "0"], ["--pool-size", "many"], ["--max-clock-skew", "tomorrow"]):
        with pytest.raises(SystemExit):
            serve_args(*bad)
    engine = open_engine("postgresql://postgres@127.0.0.1:1/none", pool_size=3)
    assert (engine.pool.size(), engine.pool._max_overflow) == (3, 3)  # type: ignore[attr-defined]
    engine.dispose()


def test_a_migration_keeps_the_terminals_and_lets_them_in(office_url: str) -> None:
    engine = open_engine(office_url)
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        alembic.upgrade(config, "office_0001")
        connection.execute(text("INSERT INTO office_terminals (id, secret, created_at) "
                                "VALUES ('kiosk-1', 's', '2026-11-01 10:00:00')"))
    engine.dispose()
    done = kiosk_office("migrate", "--db", office_url)
    assert done.wait(120) == 0, done.stderr.read() if done.stderr else ""
    listed = kiosk_office("terminal", "list", "--db", office_url)
    out, err = listed.communicate(timeout=60)
    assert json.loads(out) == {"id": "kiosk-1", "added": "2026-11-01T10:00:00Z", "last_seen": None, "enabled": True}


def test_the_migration_thaws_a_meter_frozen_by_a_reading_from_the_future(office_url: str) -> None:
    engine = open_engine(office_url)
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    meter = ("INSERT INTO office_meters (account, serial, zones, digits, meanings, last_date, last_t1, holder, "
             "address, removed, change_seq) VALUES (:account, :serial, 1, 5, 'single', :last_date, :value, 'h', 'a', "
             "false, :change_seq)")
    reading = ("INSERT INTO office_submissions (txn_id, terminal_id, seq, account, meter, taken_at, period, payload, "
               "content_hash, received_at) VALUES (:txn_id, 'kiosk-1', :seq, :account, :meter, :taken_at, '2026-11', "
               ":payload, 'x', '2026-11-27 10:00:00')")
    with engine.begin() as connection:  # an office that took a 9999 upload before this release
        config.attributes["connection"] = connection
        alembic.upgrade(config, "office_0001")
        connection.execute(text("UPDATE office_state SET change_seq = 3"))
        for number, (serial, last_date) in enumerate((("SN-1", "9999-12-31"), ("SN-2", "9999-12-31"),
                                                       ("SN-3", "2026-11-01")), start=1):
            connection.execute(text(meter), {"account": "22000001", "serial": serial, "last_date": last_date,
                                             "value": 99999, "change_seq": number})
        for seq, (serial, taken_at, value) in enumerate((("SN-1", "2026-11-20T12:00:00+03:00", 1500),
                                                         ("SN-1", "2026-11-21T09:00:00+03:00", 1600),
                                                         ("SN-1", "9999-12-31T23:00:00+03:00", 99999),
                                                         ("SN-2", "9999-12-31T23:00:00+03:00", 99999)), start=1):
            payload = {"txn_id": f"t{seq}", "seq": seq, "terminal_id": "kiosk-1", "account": "22000001", "meter": serial,
                       "taken_at": taken_at, "period": "2026-11", "confirmed": [],
                       "readings": [{"zone": 1, "meaning": "single", "value": value, "consumption": 1}]}
            connection.execute(text(reading), {"txn_id": f"t{seq}", "seq": seq, "account": "22000001", "meter": serial,
                                               "taken_at": taken_at, "payload": json.dumps(payload)})
    engine.dispose()
    done = kiosk_office("migrate", "--db", office_url)
    assert done.wait(120) == 0, done.stderr.read() if done.stderr else ""
    engine = open_engine(office_url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT serial, last_date, last_t1, last_taken_at, last_seq, change_seq "
                                       "FROM office_meters ORDER BY serial")).all()
        version = connection.execute(text("SELECT change_seq FROM office_state")).scalar_one()
    engine.dispose()
    assert [(r.serial, str(r.last_date), r.last_t1, str(r.last_taken_at)[:19], r.last_seq) for r in rows] == [
        ("SN-1", "2026-11-21", 1600, "2026-11-21 06:00:00", 2),  # its latest reading that is not from the future
        ("SN-2", "None", None, "None", None),  # none: no last reading rather than a false one
        ("SN-3", "2026-11-01", 99999, "None", None),  # untouched
    ]
    assert (rows[0].change_seq, rows[1].change_seq, rows[2].change_seq, version) == (4, 5, 3, 5)  # terminals learn


def test_the_in_process_office_does_not_migrate_either(tmp_path: Path) -> None:
    engine = open_engine(str(tmp_path / "office.sqlite3"))
    with pytest.raises(SchemaNotCurrent, match="kiosk office migrate"):
        LocalOffice(engine)
    migrate(engine)
    with LocalOffice(engine) as office:
        assert requests.get(office.url + "/healthz", timeout=10).json() == {"status": "ok"}
    engine.dispose()
