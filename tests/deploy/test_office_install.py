"""deploy/office/install.sh stages the central office into a directory: the office's stack only,
its settings written once and root's, its unit enabled and accepted by systemd-analyze, and the
unit's own command lines (migrate, then serve with workers and the settings file) run from the
staged release and answer."""

from __future__ import annotations

import configparser
import json
import os
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests import product
from tests.deploy.conftest import DEPLOY, run, snapshot

SERVE_WITHIN_S = 60


@pytest.fixture(scope="module")
def built(pytestconfig: pytest.Config) -> product.Product:
    if shutil.which("systemctl") is None:
        pytest.skip("systemctl is not installed (Debian package systemd): the installer enables the unit with it")
    try:
        return product.build(pytestconfig.cache.mkdir("product"))
    except product.NotACheckout as exc:
        pytest.skip(f"the release is built from the tracked files, and {exc}")


@pytest.fixture(scope="module")
def office_root(tmp_path_factory: pytest.TempPathFactory, built: product.Product) -> Path:
    root = tmp_path_factory.mktemp("office") / "root"
    installed = run(["bash", DEPLOY / "office/install.sh", "--root", root, "--wheel", built.wheel,
                     "--find-links", built.wheelhouse, "--python", sys.executable], cwd="/")
    assert installed.returncode == 0, installed.stderr
    return root


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_office_gets_its_stack_its_unit_and_its_settings_only(office_root: Path) -> None:
    python = office_root / "opt/kiosk/current/bin/python"
    script = ("import importlib.util as u; print(*[name for name in "
              "('kivy', 'qrcode', 'fastapi', 'uvicorn', 'psycopg', 'jinja2', 'argon2') if u.find_spec(name)])")
    found = run([python, "-P", "-c", script], cwd="/")
    assert (found.returncode, found.stdout.split()) == (0, ["fastapi", "uvicorn", "psycopg", "jinja2", "argon2"])
    assert sorted(path.name for path in (office_root / "etc/systemd/system").glob("kiosk*")) == ["kiosk-office.service"]
    assert (office_root / "etc/systemd/system/multi-user.target.wants/kiosk-office.service").is_symlink()
    assert _mode(office_root / "etc/kiosk/office.env") == _mode(office_root / "etc/kiosk/office.toml") == 0o600
    assert not (office_root / "etc/udev").exists() and not (office_root / "var/lib/kiosk").exists()
    ownership = (office_root / "opt/kiosk/ownership").read_text()
    assert "0600 root:root /etc/kiosk/office.toml" in ownership and "kiosk:" not in ownership


def test_the_installed_unit_verifies(office_root: Path, tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd)")
    unit = tmp_path / "kiosk-office.service"
    installed = (office_root / "etc/systemd/system/kiosk-office.service").read_text()
    # verify checks that each Exec program exists: point /opt/kiosk at the staged release
    unit.write_text(installed.replace("/opt/kiosk/", f"{office_root}/opt/kiosk/"))
    result = run(["systemd-analyze", "verify", "--man=no", unit])
    assert result.returncode == 0 and not result.stderr.strip() and not result.stdout.strip(), (
        result.stdout + result.stderr)


def _command(line: str, root: Path, env: dict[str, str]) -> list[str]:
    """An Exec line as systemd runs it: ${VARIABLES} from the environment, %d the credentials'
    folder (here the settings file's own), /opt/kiosk the staged one."""
    line = re.sub(r"\$\{(\w+)\}", lambda found: env[found.group(1)], line)
    line = line.replace("%d", str(root / "etc/kiosk")).replace("/opt/kiosk/", f"{root}/opt/kiosk/")
    return shlex.split(line)


def test_the_units_commands_migrate_then_serve_with_workers_and_the_settings(office_root: Path,
                                                                            tmp_path: Path) -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment, method-assign]
    unit.read(office_root / "etc/systemd/system/kiosk-office.service")
    service = unit["Service"]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = dict(line.split("=", 1) for line in (office_root / "etc/kiosk/office.env").read_text().splitlines()
                    if line and not line.startswith("#"))
    env = {key: value for key, value in os.environ.items() if not key.startswith(("KIOSK_", "PYTHON"))}
    env.update(settings, KIOSK_OFFICE_DB=f"sqlite:///{tmp_path / 'office.sqlite3'}", KIOSK_OFFICE_PORT=str(port),
               KIOSK_OFFICE_WORKERS="2")
    migrated = run(_command(service["ExecStartPre"], office_root, env), cwd="/", env=env, timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    server = subprocess.Popen(_command(service["ExecStart"], office_root, env), cwd="/", env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    health = metrics = None
    try:
        deadline = time.monotonic() + SERVE_WITHIN_S
        while health is None and time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                    health = (answer.status, json.load(answer))
            except OSError:
                time.sleep(0.3)
        if health is not None:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
                metrics = answer.read().decode()
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # systemd's stop
        output = server.communicate(timeout=30)[0].decode(errors="replace")
    assert health == (200, {"status": "ok"}), f"no answer within {SERVE_WITHIN_S} s:\n{output[-3000:]}"
    assert metrics is not None and "# TYPE " in metrics
    assert server.returncode == 0, output[-3000:]


def test_a_second_run_keeps_the_settings_and_the_terminal_installer_hands_over(
        office_root: Path, built: product.Product, tmp_path: Path) -> None:
    root = tmp_path / "root"
    shutil.copytree(office_root, root, symlinks=True)
    (root / "etc/kiosk/office.env").write_text("KIOSK_OFFICE_WORKERS=8\n")
    # The release is installed already, so no package index is needed: --find-links to an empty one.
    (tmp_path / "no-index").mkdir()
    again = run(["bash", DEPLOY / "install.sh", "--root", root, "--side", "office", "--no-apt",
                 "--wheel", built.wheel, "--find-links", tmp_path / "no-index", "--python", sys.executable], cwd="/")
    assert again.returncode == 0, again.stderr
    assert "is installed already" in again.stderr
    assert (root / "etc/kiosk/office.env").read_text() == "KIOSK_OFFICE_WORKERS=8\n"
    assert _mode(root / "etc/kiosk/office.env") == 0o600
    assert sorted(path.name for path in (root / "etc/systemd/system").glob("kiosk*")) == ["kiosk-office.service"]


def test_the_office_and_a_terminal_refuse_to_share_a_machine(
        office_root: Path, staged_copy: Path, built: product.Product, tmp_path: Path) -> None:
    """Both would use /opt/kiosk/current and /usr/local/bin/kiosk: the second would take the first's
    stack away. Each installer refuses before it writes anything."""
    (tmp_path / "no-index").mkdir()
    offline = ["--no-apt", "--wheel", built.wheel, "--find-links", tmp_path / "no-index", "--python", sys.executable]
    for root, installer, there in ((staged_copy, "office/install.sh", "terminal"),
                                   (staged_copy, "install.sh --side office", "terminal"),
                                   (office_root, "install.sh", "office")):
        before = snapshot(root)
        refused = run(["bash", DEPLOY / installer.split()[0], *installer.split()[1:], "--root", root, *offline], cwd="/")
        assert refused.returncode == 1, refused.stderr
        assert f"this machine has the {there} installed" in refused.stderr and "machine of its own" in refused.stderr
        assert snapshot(root) == before, installer


def test_uninstall_removes_the_office_and_keeps_its_settings(office_root: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    shutil.copytree(office_root, root, symlinks=True)
    removed = run(["bash", DEPLOY / "uninstall.sh", "--root", root], cwd="/")
    assert removed.returncode == 0 and "Failed" not in removed.stderr, removed.stderr
    assert not (root / "opt/kiosk").exists() and not (root / "usr/local/bin/kiosk").exists()
    assert not [path for path in (root / "etc/systemd/system").rglob("kiosk*")]  # nor its enablement
    assert (root / "etc/kiosk/office.env").is_file() and (root / "etc/kiosk/office.toml").is_file()
