"""The log: our lines from the configured level, other libraries' and Kivy's from warning, syslog
priority prefixes when standard error is the journal, no files of Kivy's own, no customer data."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from kiosk import logs
from kiosk.store.database import create_sqlite_engine

ROOT = Path(__file__).resolve().parents[1]

EMIT = """
import logging, sys
from kiosk import logs
logs.configure(sys.argv[1])
logging.getLogger("kiosk.intake").debug("debug line")
logging.getLogger("sync.uploader").info("info line")
logging.getLogger("devices.printer").warning("warning line")
logging.getLogger("kiosk.service_access").error("error line")
logging.getLogger("sqlalchemy.engine").info("a library's info line")
logging.getLogger("kivy").info("Kivy's info line")
logging.getLogger("kivy").warning("Kivy's warning line")
try:
    1 / 0
except ZeroDivisionError:
    logging.getLogger("screens.app").exception("failed")
"""


def _emit(tmp_path: Path, level: str, *, journal: bool) -> list[str]:
    """Run EMIT in a process of its own with stderr on a file, as systemd connects it to the journal."""
    path = tmp_path / f"stderr-{level}-{journal}"
    with open(path, "w") as stderr:
        env = {key: value for key, value in os.environ.items() if key != "JOURNAL_STREAM"}
        if journal:
            info = os.fstat(stderr.fileno())
            env["JOURNAL_STREAM"] = f"{info.st_dev}:{info.st_ino}"
        else:
            env["JOURNAL_STREAM"] = "1:2"  # a parent's journal stream, not this stderr
        subprocess.run([sys.executable, "-c", EMIT, level], stderr=stderr, env=env, cwd=ROOT, check=True, timeout=60)
    return path.read_text().splitlines()


def test_under_systemd_every_line_carries_its_priority(tmp_path: Path) -> None:
    lines = _emit(tmp_path, "info", journal=True)
    assert lines[:4] == ["<6>sync.uploader: info line", "<4>devices.printer: warning line",
                         "<3>kiosk.service_access: error line", "<4>kivy: Kivy's warning line"]
    # A traceback's every line is an error too: journald makes an entry of each line.
    assert lines[4] == "<3>screens.app: failed" and len(lines) > 6
    assert all(line.startswith("<3>") for line in lines[4:]) and "ZeroDivisionError" in lines[-1]


def test_elsewhere_lines_carry_time_and_level_and_the_level_is_configurable(tmp_path: Path) -> None:
    lines = _emit(tmp_path, "debug", journal=False)
    assert not any(line.startswith("<") for line in lines)
    assert [line.split(" ", 2)[2] for line in lines[:5]] == [
        "DEBUG kiosk.intake: debug line", "INFO sync.uploader: info line", "WARNING devices.printer: warning line",
        "ERROR kiosk.service_access: error line", "WARNING kivy: Kivy's warning line"]
    quiet = _emit(tmp_path, "error", journal=False)
    assert [line.split(" ", 2)[2] for line in quiet[:2]] == [
        "ERROR kiosk.service_access: error line", "WARNING kivy: Kivy's warning line"]


def test_priorities_follow_syslog() -> None:
    assert [logs.priority(level) for level in (50, 40, 30, 20, 10, 5)] == [2, 3, 4, 6, 7, 7]


def test_kivy_logs_through_ours_and_writes_no_files(tmp_path: Path) -> None:
    """Importing Kivy the way the app does: no handler of Kivy's on the root logger, stderr left
    alone, none of its info lines, and nothing in the home folder (no logs, no config.ini)."""
    pytest.importorskip("kivy")
    home = tmp_path / "home"
    home.mkdir()
    script = """
import logging, sys
from kiosk import logs
logs.configure("info")
stderr = sys.stderr
import screens.boot
from kivy.config import Config
import kivy.app
print(len(logging.getLogger().handlers), sys.stderr is stderr)
"""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("KIVY", "JOURNAL"))}
    done = subprocess.run([sys.executable, "-c", script], env={**env, "HOME": str(home)}, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "True"]
    assert "INFO" not in done.stderr and "[Kivy" not in done.stderr, done.stderr
    assert list(home.iterdir()) == []


# Names that hold what a customer typed or scanned: never an argument of a log call.
CUSTOMER_DATA = {"account", "accounts", "account_number", "reading", "readings", "raw", "payload", "bill",
                 "scan", "submission", "submissions", "pin", "typed", "digits", "qr"}
LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical"}


def _names(node: ast.AST) -> set[str]:
    found = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            found.add(child.id)
        elif isinstance(child, ast.Attribute):
            found.add(child.attr)
    return found


def test_no_log_call_is_given_customer_data() -> None:
    offending = []
    calls = 0
    for package in ("kiosk", "screens", "devices", "sync"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr in LOG_METHODS and isinstance(node.func.value, ast.Name)
                        and node.func.value.id in {"log", "logger", "logging"}):
                    calls += 1
                    named = set().union(*(_names(argument) for argument in node.args[1:])) if node.args[1:] else set()
                    if named & CUSTOMER_DATA:
                        offending.append(f"{path.relative_to(ROOT)}:{node.lineno}: {sorted(named & CUSTOMER_DATA)}")
    assert calls > 20  # the scan sees the log calls
    assert not offending, offending


def test_a_database_error_does_not_carry_the_values(tmp_path: Path) -> None:
    engine = create_sqlite_engine(tmp_path / "kiosk.sqlite3")
    with pytest.raises(SQLAlchemyError) as caught, engine.begin() as connection:
        connection.execute(text("INSERT INTO no_such_table (account) VALUES (:account)"), {"account": "2287008779"})
    engine.dispose()
    assert "no_such_table" in str(caught.value) and "2287008779" not in str(caught.value)
