"""``kiosk db backup``: a whole, checked copy of a live database, and rotation."""

from __future__ import annotations

import argparse
import importlib
import json
import sqlite3
from pathlib import Path

import pytest

from kiosk import cli
from kiosk.context import Context


def parser() -> argparse.ArgumentParser:
    """The real CLI, with this module's commands whether or not cli.py lists them yet."""
    built = argparse.ArgumentParser(prog="kiosk")
    subparsers = built.add_subparsers(dest="command", required=True)
    modules = dict.fromkeys([*cli.COMMAND_MODULES, "kiosk.commands.maintenance"])
    for name in modules:
        importlib.import_module(name).register(subparsers)
    return built


def kiosk(argv: list[str], config: Path) -> int:
    args = parser().parse_args(argv)
    context = Context(config_path=str(config))
    try:
        return args.run(args, context)
    finally:
        context.close()


@pytest.fixture
def terminal(tmp_path: Path) -> Path:
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[terminal]\ndata_dir = "{tmp_path / "data"}"\n')
    assert kiosk(["db", "upgrade"], config) == 0
    return config


def test_backup_of_a_database_in_use(terminal: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    live = sqlite3.connect(tmp_path / "data/kiosk.sqlite3")
    live.execute("CREATE TABLE probe (n INTEGER)")
    live.execute("INSERT INTO probe VALUES (42)")
    live.commit()  # committed into the WAL, not yet checkpointed into the main file
    live.execute("BEGIN IMMEDIATE")  # a writer busy right now does not stop the backup
    live.execute("INSERT INTO probe VALUES (43)")
    capsys.readouterr()
    assert kiosk(["db", "backup", str(tmp_path / "backups")], terminal) == 0
    live.rollback()
    live.close()
    summary = json.loads(capsys.readouterr().out)
    copy = Path(summary["backup"])
    assert copy.parent == tmp_path / "backups" and summary["kept"] == [str(copy)]
    assert copy.stat().st_mode & 0o777 == 0o600
    assert not Path(f"{copy}-wal").exists()
    with sqlite3.connect(copy) as db:
        assert db.execute("SELECT n FROM probe").fetchall() == [(42,)]
        assert db.execute("PRAGMA journal_mode").fetchone() == ("delete",)


def test_keeps_the_newest_n_and_clears_leftovers(terminal: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    backups = tmp_path / "backups"
    backups.mkdir()
    leftover = backups / ".kiosk-20200101T000000.000000Z.sqlite3.partial"
    leftover.write_bytes(b"killed mid-copy")
    unrelated = backups / "notes.txt"
    unrelated.write_text("not ours")
    for _ in range(4):
        assert kiosk(["db", "backup", str(backups), "--keep", "2"], terminal) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sorted(p.name for p in backups.iterdir() if p.name.startswith("kiosk-")) == \
        sorted(Path(p).name for p in lines[-1]["kept"])
    assert len(lines[-1]["kept"]) == 2 and lines[-1]["kept"][-1] == lines[-1]["backup"]
    assert not leftover.exists() and unrelated.exists()


def test_no_database_is_an_error_not_an_empty_backup(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[terminal]\ndata_dir = "{tmp_path / "none"}"\n')
    assert kiosk(["db", "backup", str(tmp_path / "backups")], config) == 1
    assert "no database" in capsys.readouterr().err
    assert not (tmp_path / "none").exists()
    assert kiosk(["db", "backup", str(tmp_path / "backups"), "--keep", "0"], config) == 2
