"""No traceback reaches a person: every command that touches the terminal's database, run against
a missing, read-only, full and damaged one, answers with one line on stderr and its exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import cli
from kiosk import config as config_module
from sync.directory_file import read_directory
from kiosk.store import Store
from tests.filesystems import SmallDisk, damage, small_disk
from tests.support import directory_text

CSV = "{readings.csv}"  # stands for a readings file beside the disk
DIRECTORY = "{directory.csv}"  # stands for a directory file there
BACKUPS = "{backups}"  # a folder for `db backup` there
TARIFFS = "{tariffs.csv}"  # a tariff file there

# Each command module, and the runs of its commands that use the terminal's database.
DATABASE_COMMANDS: dict[str, list[list[str]]] = {
    "kiosk.commands.database": [["db", "upgrade"]],
    "kiosk.commands.maintenance": [["db", "backup", BACKUPS]],
    "kiosk.commands.directory": [["directory", "import", DIRECTORY], ["directory", "lookup", "2287008779"]],
    "kiosk.commands.submit": [["submit", "--account", "2287008779", "--reading", "T1=12400", "--reading", "T2=6800"],
                              ["submit", "--from-csv", CSV], ["submissions"]],
    "kiosk.commands.service": [["status"], ["service", "out-of-service", "--reason", "test"],
                               ["service", "in-service"], ["service", "events"]],
    "kiosk.commands.sync": [["sync", "once"], ["sync", "directory"]],
    "kiosk.commands.tariffs": [["tariffs", "import", TARIFFS]],
}
# Modules whose commands never open the terminal's database, and why.
OTHER_COMMANDS = {
    "kiosk.commands.terminal": "run needs a display; demo and demo-data keep their own data folder",
    "kiosk.commands.devices": "talk to the printer and scanner only",
    "kiosk.commands.office": "the office's own database, not the terminal's",
    "kiosk.commands.ui": "renders screens from demo data",
}
FAULTS = ("missing", "read_only", "full", "damaged")
# What each command may answer, by its documented exit codes.
ALLOWED = {"status": {2}, "submit": {1, 3, 4}}
# Commands that must store something to succeed.
WRITES = (["submit", "--account"], ["submit", "--from-csv"], ["directory", "import"],
          ["service", "out-of-service"], ["tariffs", "import"])


def test_every_command_module_is_judged() -> None:
    assert set(DATABASE_COMMANDS) | set(OTHER_COMMANDS) == set(cli.COMMAND_MODULES)


RUNS = [(module, argv) for module, runs in DATABASE_COMMANDS.items() for argv in runs]
# Every command runs in one process per fault, each through ``kiosk.cli.main`` with its own stdout
# and stderr as a shell would see them: Python's start-up is paid once per fault, not once per
# command. Anything that escapes main is printed as the traceback a person would have seen.
DRIVER = """
import contextlib, io, json, shutil, sys, traceback
from kiosk import cli
answers = []
for argv in json.loads(sys.argv[1]):
    if sys.argv[2]:  # each command meets the database missing, not made by the one before
        shutil.rmtree(sys.argv[2], ignore_errors=True)
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            code = cli.main(argv)
        except SystemExit as exc:
            code = exc.code
        except BaseException:
            traceback.print_exc()
            code = None
    answers.append({"code": code, "stderr": err.getvalue(), "stdout": out.getvalue()})
print(json.dumps(answers))
"""


class Answers:
    """Each fault's answers, made on first use in this test process."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._by_fault: dict[str, list[dict]] = {}

    def of(self, fault: str, argv: list[str]) -> dict:
        if fault not in self._by_fault:
            self._by_fault[fault] = self._run(fault)
        return self._by_fault[fault][[run for _module, run in RUNS].index(argv)]

    def _run(self, fault: str) -> list[dict]:
        folder = self._folder / fault
        files = folder / "files"
        files.mkdir(parents=True)
        with small_disk(folder / "disk", size="16m") as disk:
            data_dir = _prepare(disk, fault, files)
            given = {CSV: str(files / "readings.csv"), DIRECTORY: str(files / "directory.csv"),
                     BACKUPS: str(files / "backups"), TARIFFS: str(files / "tariffs.csv")}
            runs = [[given.get(arg, arg) for arg in argv] for _module, argv in RUNS]
            env = {**os.environ, "KIOSK_TERMINAL_DATA_DIR": str(data_dir), "KIOSK_TERMINAL_ID": "kiosk-7",
                   # An office nobody answers at: sync gets as far as the database, then the network.
                   "KIOSK_OFFICE_URL": "http://127.0.0.1:9", "KIOSK_OFFICE_SECRET": "x" * 32,
                   "KIOSK_OFFICE_CONNECT_TIMEOUT": "0.5"}
            env.pop("KIOSK_CONFIG", None)
            try:
                fresh = str(data_dir) if fault == "missing" else ""
                done = subprocess.run([sys.executable, "-c", DRIVER, json.dumps(runs), fresh], capture_output=True,
                                      text=True, env=env, timeout=300, cwd="/")
            finally:
                if fault == "read_only":
                    disk.remount("rw")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> Answers:
    return Answers(tmp_path_factory.mktemp("cli-faults"))


def _prepare(disk: SmallDisk, fault: str, files: Path) -> Path:
    data_dir = disk.folder / "kiosk"
    (files / "readings.csv").write_text("2287008779;;12400;6800\n", encoding="utf-8")
    (files / "directory.csv").write_text(directory_text(5), encoding="utf-8")
    (files / "tariffs.csv").write_text("tariff;zone;price;valid_from\nMSK-1;single;6,43;2026-01-01\n",
                                       encoding="utf-8")
    if fault == "missing":
        return data_dir
    config = config_module.load(None, {"KIOSK_TERMINAL_DATA_DIR": str(data_dir)})
    store = Store.open(config.database_path)
    store.directory.import_rows(read_directory(files / "directory.csv"))
    store.close()
    if fault == "read_only":
        disk.remount("ro")
    elif fault == "full":
        disk.fill(data_dir / "backups" / "old.sqlite3")
    elif fault == "damaged":
        damage(config.database_path)
    return data_dir


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize(("module", "argv"), RUNS, ids=[" ".join(argv[:2]) for _module, argv in RUNS])
def test_no_command_prints_a_traceback(answers: Answers, fault: str, module: str, argv: list[str]) -> None:
    done = answers.of(fault, argv)
    assert "Traceback" not in done["stderr"] and "[SQL:" not in done["stderr"], done["stderr"]
    if fault == "missing":
        # A fresh terminal: each command creates the database and works on it, or says why not.
        assert done["code"] in ALLOWED.get(argv[0], {0, 1}), done
        return
    allowed = ALLOWED.get(argv[0], {0, 1})  # 0: the fault did not touch what the command reads
    if fault in ("read_only", "full") and argv[:2] in WRITES:
        allowed = {1}  # nothing can be stored: never a pretended success
    assert done["code"] in allowed, done
    if done["code"] == 1:
        lines = done["stderr"].strip().splitlines()
        assert lines and lines[-1].startswith("kiosk: "), done["stderr"]
    if fault != "damaged":
        assert "damaged" not in done["stderr"], done["stderr"]


def test_a_reading_of_4301_digits_is_refused_not_crashed(tmp_path: Path) -> None:
    env = {**os.environ, "KIOSK_TERMINAL_DATA_DIR": str(tmp_path / "kiosk")}
    env.pop("KIOSK_CONFIG", None)
    (tmp_path / "directory.csv").write_text(directory_text(5), encoding="utf-8")
    imported = subprocess.run([sys.executable, "-m", "kiosk", "directory", "import", str(tmp_path / "directory.csv")],
                              capture_output=True, text=True, env=env, timeout=60)
    assert imported.returncode == 0, imported.stderr
    done = subprocess.run([sys.executable, "-m", "kiosk", "submit", "--account", "2287008779",
                           "--reading", "T1=" + "7" * 4301, "--reading", "T2=6800"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert "Traceback" not in done.stderr
    assert done.returncode == 4 and '"too_many_digits"' in done.stdout
    assert "7" * 50 not in done.stdout  # the number itself is not echoed back


def test_a_reader_that_goes_away_gets_no_error_message(tmp_path: Path) -> None:
    env = {**os.environ, "KIOSK_TERMINAL_DATA_DIR": str(tmp_path / "kiosk")}
    env.pop("KIOSK_CONFIG", None)
    # `kiosk demo-data --accounts 20000 | head -1`
    writer = subprocess.Popen([sys.executable, "-m", "kiosk", "demo-data", "--accounts", "20000"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert writer.stdout is not None and writer.stdout.readline().startswith(b"account;")
    writer.stdout.close()
    _out, stderr = writer.communicate(timeout=60)
    assert stderr == b"" and writer.returncode == 1
