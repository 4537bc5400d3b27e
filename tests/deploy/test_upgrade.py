"""deploy/upgrade.sh on a staged tree: the new release beside the old, a backup before the
migration, and the old release and database back when the new one is not healthy."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.deploy.conftest import DEPLOY, REPO, Staged, build_wheel, run


def _next_version_wheel(tmp_path: Path, *, breaks_storage: bool = False) -> Path:
    source = tmp_path / "source"
    for name in ("kiosk", "screens", "devices", "sync"):
        shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "README.md", source)
    pyproject = (REPO / "pyproject.toml").read_text()
    assert 'version = "0.1.0"' in pyproject
    (source / "pyproject.toml").write_text(pyproject.replace('version = "0.1.0"', 'version = "0.1.0.post1"'))
    if breaks_storage:
        # A release whose storage check fails whatever the disk: a fault of the release itself.
        with (source / "kiosk/service/health.py").open("a") as health:
            health.write("\n\ndef storage_health(config, store):\n"
                         "    return _health(\"storage\", RED, Phrase(\"broken by this release\"))\n")
    return build_wheel(source, tmp_path / "wheel")


def _upgrade(staged: Staged, root: Path, wheel: Path) -> tuple[subprocess.CompletedProcess[str], Path]:
    env = staged.kiosk_env(root)
    python = root / "opt/kiosk/current/bin/python"
    assert run([python, "-m", "kiosk", "db", "upgrade"], env=env).returncode == 0
    database = root / "var/lib/kiosk/kiosk.sqlite3"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE probe (n INTEGER)")
        db.execute("INSERT INTO probe VALUES (7)")
    result = run(["bash", DEPLOY / "upgrade.sh", "--root", root, "--wheel", wheel,
                  "--find-links", staged.wheelhouse, "--python", sys.executable, "--health-timeout", "0"])
    assert (root / "opt/kiosk/releases/0.1.0.post1/.complete").is_file(), result.stderr
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT n FROM probe").fetchall() == [(7,)]
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert run([python, "-m", "kiosk", "db", "upgrade"], env=env).returncode == 0
    return result, (root / "opt/kiosk/current").readlink()


def test_upgrade_to_a_healthy_release(staged: Staged, staged_copy: Path, tmp_path: Path) -> None:
    # The staged terminal has no printer, scanner or office attached: those are red or yellow
    # before and after alike, and must not hold the new release back.
    result, current = _upgrade(staged, staged_copy, _next_version_wheel(tmp_path))
    assert result.returncode == 0, result.stderr
    assert current == Path("releases/0.1.0.post1")
    assert "upgraded from 0.1.0 to 0.1.0.post1" in result.stderr


def test_a_release_that_turns_a_subsystem_red_is_rolled_back(staged: Staged, staged_copy: Path,
                                                            tmp_path: Path) -> None:
    result, current = _upgrade(staged, staged_copy, _next_version_wheel(tmp_path, breaks_storage=True))
    assert result.returncode == 1, result.stderr
    assert "rolling back" in result.stderr and current == Path("releases/0.1.0"), result.stderr
    aside = list((staged_copy / "var/lib/kiosk/backups").glob("failed-upgrade-0.1.0.post1-*/kiosk.sqlite3"))
    assert len(aside) == 1, result.stderr
