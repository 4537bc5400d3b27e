"""The systemd units, checked by systemd itself, and the settings the kiosk depends on."""

from __future__ import annotations

import configparser
import shutil
import tomllib
from pathlib import Path

import pytest

from tests.deploy.conftest import DEPLOY, Staged, run

UNITS = sorted([*(DEPLOY / "systemd").glob("kiosk*"), *(DEPLOY / "office").glob("kiosk*")])


def test_every_unit_verifies(staged: Staged, tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd)")
    if shutil.which("cage") is None:
        pytest.skip("cage is not installed (Debian package cage): verify checks ExecStart= exists")
    # The units name /opt/kiosk; here the release lives in the staging root, so verify copies
    # that point there (systemd-analyze checks that every ExecStart= program exists).
    for unit in UNITS:
        (tmp_path / unit.name).write_text(unit.read_text().replace("/opt/kiosk/", f"{staged.root}/opt/kiosk/"))
    result = run(["systemd-analyze", "verify", "--man=no", *sorted(tmp_path.iterdir())])
    assert result.returncode == 0 and not result.stderr.strip() and not result.stdout.strip(), (
        result.stdout + result.stderr)


def _service(name: str) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment, method-assign]
    [path] = [unit for unit in UNITS if unit.name == name]
    parser.read(path)
    return parser["Service"]


def test_kiosk_session_restarts_and_is_watched() -> None:
    service = _service("kiosk.service")
    assert service["Type"] == "notify" and service["NotifyAccess"] == "all"
    assert service["Restart"] == "always" and int(service["WatchdogSec"]) > 0
    assert service["ExecStart"].startswith("/usr/bin/cage ") and " -s " not in service["ExecStart"]
    assert service["TTYPath"] == "/dev/tty1" and service["PAMName"] == "kiosk"
    assert (DEPLOY / "pam/kiosk").is_file()
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "PrivateTmp": "yes",
                       "ReadWritePaths": "/var/lib/kiosk /run/user"}.items():
        assert service[key] == value, key
    # The live status, rewritten every few seconds, on a RAM disk: [terminal] runtime_dir.
    assert service["RuntimeDirectory"] == "kiosk"
    assert tomllib.loads((DEPLOY / "kiosk.example.toml").read_text())["terminal"]["runtime_dir"] == "/run/kiosk"
    assert "KIVY_HOME" not in service.get("Environment", "")  # Kivy writes no files of its own


def test_backup_runs_the_backup_command_daily() -> None:
    service = _service("kiosk-backup.service")
    assert " db backup /var/lib/kiosk/backups --keep " in service["ExecStart"]
    timer = configparser.ConfigParser()
    timer.read(DEPLOY / "systemd/kiosk-backup.timer")
    assert timer["Timer"]["OnCalendar"].startswith("*-*-* ") and timer["Timer"]["Persistent"] == "true"


def test_office_migrates_then_serves_with_its_settings_from_the_environment_file() -> None:
    service = _service("kiosk-office.service")
    assert service["EnvironmentFile"] == "/etc/kiosk/office.env"
    assert service["ExecStartPre"].endswith(" -m kiosk office migrate")
    assert " office serve " in service["ExecStart"] and "--workers ${KIOSK_OFFICE_WORKERS}" in service["ExecStart"]
    assert "--db" not in service["ExecStart"] + service["ExecStartPre"]  # the password stays in the file
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "PrivateTmp": "yes",
                       "DynamicUser": "yes", "PrivateDevices": "yes", "UMask": "0077"}.items():
        assert service[key] == value, key
    # every setting the example file names is one `kiosk office serve` reads
    example = (DEPLOY / "office/office.example.env").read_text()
    names = {line.lstrip("#").split("=")[0] for line in example.splitlines() if "=" in line and not line.startswith("# ")}
    assert names == {"KIOSK_OFFICE_DB", "KIOSK_OFFICE_HOST", "KIOSK_OFFICE_PORT", "KIOSK_OFFICE_WORKERS",
                     "KIOSK_OFFICE_POOL_SIZE", "KIOSK_OFFICE_MAX_CLOCK_SKEW"}


def test_the_documented_office_set_up_stays_under_postgresql_connection_limit() -> None:
    example = dict(line.split("=", 1) for line in (DEPLOY / "office/office.example.env").read_text().splitlines()
                   if line and not line.startswith("#"))
    instances = 2  # as deploy/README.md describes
    assert instances * int(example["KIOSK_OFFICE_WORKERS"]) * 2 * int(example["KIOSK_OFFICE_POOL_SIZE"]) < 100
