"""deploy/upgrade.sh on a staged tree: the new release beside the old, a backup before the
migration, and the old release and database back when the new one is not healthy."""

from __future__ import annotations

import shutil
import sqlite3
import sys
from pathlib import Path

from tests.deploy.conftest import DEPLOY, REPO, Staged, build_wheel, run


def _next_version_wheel(tmp_path: Path) -> Path:
    source = tmp_path / "source"
    for name in ("kiosk", "screens", "devices", "sync"):
        shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "README.md", source)
    pyproject = (REPO / "pyproject.toml").read_text()
    assert 'version = "0.1.0"' in pyproject
    (source / "pyproject.toml").write_text(pyproject.replace('version = "0.1.0"', 'version = "0.1.0.post1"'))
    return build_wheel(source, tmp_path / "wheel")


def test_upgrade_switches_only_to_a_healthy_release(staged: Staged, staged_copy: Path, tmp_path: Path) -> None:
    env = staged.kiosk_env(staged_copy)
    python = staged_copy / "opt/kiosk/current/bin/python"
    assert run([python, "-m", "kiosk", "db", "upgrade"], env=env).returncode == 0
    database = staged_copy / "var/lib/kiosk/kiosk.sqlite3"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE probe (n INTEGER)")
        db.execute("INSERT INTO probe VALUES (7)")

    result = run(["bash", DEPLOY / "upgrade.sh", "--root", staged_copy, "--wheel", _next_version_wheel(tmp_path),
                  "--find-links", staged.wheelhouse, "--python", sys.executable, "--health-timeout", "0"])
    current = (staged_copy / "opt/kiosk/current").readlink()
    assert (staged_copy / "opt/kiosk/releases/0.1.0.post1/.complete").is_file()
    if result.returncode == 0:
        assert current == Path("releases/0.1.0.post1")
        assert run([python, "-m", "kiosk", "status"], env=env).returncode == 0
    else:
        # Not healthy (or, before `kiosk status` and `kiosk db backup` exist, not checkable):
        # the old release is current and the database is the one it knows.
        assert result.returncode == 1, result.stderr
        assert current == Path("releases/0.1.0"), result.stderr
        if "rolling back" in result.stderr:
            aside = list((staged_copy / "var/lib/kiosk/backups").glob("failed-upgrade-0.1.0.post1-*/kiosk.sqlite3"))
            assert len(aside) == 1, result.stderr
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT n FROM probe").fetchall() == [(7,)]
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert run([python, "-m", "kiosk", "db", "upgrade"], env=env).returncode == 0
