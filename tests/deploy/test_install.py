"""deploy/install.sh and uninstall.sh into staging roots: the tree, its modes, and what a second
run, a changed configuration and an uninstall do to it."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import sys
import tempfile
from pathlib import Path

import pytest

from tests.deploy.conftest import DEPLOY, Staged, install, run

# Path: (mode, intended owner). The owners are recorded in opt/kiosk/ownership, applied on a real install.
EXPECTED = {
    "etc/kiosk": (0o750, "root:kiosk"),
    "etc/kiosk/kiosk.toml": (0o640, "root:kiosk"),
    "etc/kiosk/office.env": (0o600, "root:root"),
    "var/lib/kiosk": (0o750, "kiosk:kiosk"),
    "var/lib/kiosk/backups": (0o700, "kiosk:kiosk"),
    "opt/kiosk": (0o755, "root:root"),
    "etc/systemd/system/kiosk.service": (0o644, "root:root"),
    "etc/systemd/system/kiosk-backup.service": (0o644, "root:root"),
    "etc/systemd/system/kiosk-backup.timer": (0o644, "root:root"),
    "etc/systemd/system/kiosk-office.service": (0o644, "root:root"),
    "etc/pam.d/kiosk": (0o644, "root:root"),
    "etc/udev/rules.d/70-kiosk-devices.rules": (0o644, "root:root"),
    "etc/systemd/journald.conf.d/kiosk.conf": (0o644, "root:root"),
    "etc/tmpfiles.d/kiosk.conf": (0o644, "root:root"),
    "usr/local/bin/kiosk": (0o755, "root:root"),
}


def test_second_run_gives_the_same_tree(staged: Staged) -> None:
    assert staged.first == staged.second
    assert "release 0.1.0 is installed already" in staged.output


def test_modes_and_recorded_owners(staged: Staged) -> None:
    ownership = {}
    for line in (staged.root / "opt/kiosk/ownership").read_text().splitlines():
        mode, owner, path = line.split(" ", 2)
        ownership[path.lstrip("/")] = (int(mode, 8), owner)
    for path, (mode, owner) in EXPECTED.items():
        assert stat.S_IMODE((staged.root / path).stat().st_mode) == mode, path
        assert ownership[path] == (mode, owner), path


def test_release_beside_current_and_units_enabled(staged: Staged) -> None:
    root = staged.root
    assert (root / "opt/kiosk/current").readlink() == Path("releases/0.1.0")
    assert (root / "opt/kiosk/releases/0.1.0/.complete").is_file()
    wants = root / "etc/systemd/system/multi-user.target.wants/kiosk.service"
    assert wants.readlink() == Path("/etc/systemd/system/kiosk.service")
    assert (root / "etc/systemd/system/timers.target.wants/kiosk-backup.timer").is_symlink()
    assert (root / "etc/kiosk/kiosk.toml").read_text() == (DEPLOY / "kiosk.example.toml").read_text()


def test_installed_kiosk_runs_from_the_tree(staged: Staged, tmp_path: Path) -> None:
    env = staged.kiosk_env()
    env["KIOSK_TERMINAL_DATA_DIR"] = str(tmp_path / "data")  # the shared tree stays untouched
    result = run([staged.python, "-m", "kiosk", "db", "upgrade"], env=env)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "data/kiosk.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_configuration_and_device_rules_are_never_overwritten(staged: Staged, staged_copy: Path) -> None:
    config = staged_copy / "etc/kiosk/kiosk.toml"
    config.write_text(config.read_text().replace('id = "kiosk-1"', 'id = "kiosk-17"'))
    rules = staged_copy / "etc/udev/rules.d/70-kiosk-devices.rules"
    rules.write_text(rules.read_text() + "# edited here\n")
    assert install(staged_copy, staged.wheel, staged.wheelhouse).returncode == 0
    assert 'id = "kiosk-17"' in config.read_text()
    assert rules.read_text().endswith("# edited here\n")
    # Asked for explicitly, the device rules are written anew.
    result = install(staged_copy, staged.wheel, staged.wheelhouse,
                     "--printer", "0519:2013:A1B2C3", "--scanner", "1EAB:8203")
    assert result.returncode == 0, result.stderr
    live = [line for line in rules.read_text().splitlines() if line.startswith("SUBSYSTEM")]
    assert live == [
        'SUBSYSTEM=="tty", ATTRS{idVendor}=="0519", ATTRS{idProduct}=="2013", ATTRS{serial}=="A1B2C3", '
        'SYMLINK+="kiosk-printer", GROUP="dialout", MODE="0660", TAG+="systemd"',
        'SUBSYSTEM=="tty", ATTRS{idVendor}=="1eab", ATTRS{idProduct}=="8203", '
        'SYMLINK+="kiosk-scanner", GROUP="dialout", MODE="0660", TAG+="systemd"',
    ]


def test_bad_usb_ids_are_refused() -> None:
    template = (DEPLOY / "udev/70-kiosk-devices.rules.in").read_text()
    # a line break after a good id would write a udev rule of the caller's own
    for bad in ("519:2013", "0519:2013:A1\nRUN+=\"/bin/sh\"", "0519:2013\n"):
        result = run([sys.executable, DEPLOY / "udev/render.py", "--printer", bad], input=template)
        assert result.returncode != 0 and "VENDOR:PRODUCT" in result.stderr, bad


def test_uninstall_keeps_the_data_and_the_configuration(staged_copy: Path) -> None:
    (staged_copy / "var/lib/kiosk/kiosk.sqlite3").write_bytes(b"the readings")
    result = run(["bash", DEPLOY / "uninstall.sh", "--root", staged_copy])
    assert result.returncode == 0, result.stderr
    assert (staged_copy / "var/lib/kiosk/kiosk.sqlite3").read_bytes() == b"the readings"
    assert (staged_copy / "etc/kiosk/kiosk.toml").is_file()
    assert not (staged_copy / "opt/kiosk").exists()
    assert not (staged_copy / "usr/local/bin/kiosk").exists()
    assert not list((staged_copy / "etc/systemd/system").rglob("kiosk*"))


def test_installer_refuses_to_touch_this_machine_without_root_rights() -> None:
    # Without --root the target is this machine: as anyone but root, install.sh stops at once.
    if os.geteuid() != 0:
        result = run(["bash", str(DEPLOY / "install.sh"), "--no-apt"], cwd="/")
        assert result.returncode == 1 and "needs root" in result.stderr
        return
    # As root, the script runs as nobody, who may not be able to read this checkout (a clone in
    # /root or in a mktemp -d folder): a copy of the scripts in a folder open to everyone instead.
    with tempfile.TemporaryDirectory(prefix="kiosk-install-") as folder:
        os.chmod(folder, 0o755)
        scripts = Path(folder, "deploy")
        shutil.copytree(DEPLOY, scripts)
        readable = run(["runuser", "-u", "nobody", "--", "test", "-r", scripts / "lib.sh"], cwd="/")
        if readable.returncode != 0:
            pytest.skip(f"user nobody cannot read a copy of the scripts in {folder} (is {tempfile.gettempdir()} "
                        f"open to others?), so the check without root rights cannot run here")
        result = run(["runuser", "-u", "nobody", "--", "bash", scripts / "install.sh", "--no-apt"], cwd="/")
    assert result.returncode == 1 and "needs root" in result.stderr, result.stderr


def test_a_terminal_gets_the_terminals_stack_only(staged: Staged) -> None:
    script = ("import importlib.util as u; "
              "print(*[name for name in ('kivy', 'qrcode', 'fastapi', 'uvicorn', 'psycopg') if u.find_spec(name)])")
    result = run([staged.python, "-P", "-c", script], cwd="/")
    assert (result.returncode, result.stdout.split()) == (0, ["kivy", "qrcode"]), result.stderr


def test_an_unknown_side_is_refused(tmp_path: Path) -> None:
    result = run(["bash", DEPLOY / "install.sh", "--root", tmp_path / "root", "--side", "kitchen"], cwd="/")
    assert result.returncode == 2 and "--side SIDE" in result.stderr
    assert not (tmp_path / "root").exists()
