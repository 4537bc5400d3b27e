"""The installed product, run as a user runs it: the console script from a fresh environment, in a
folder that holds no checkout (cwd=/)."""

from __future__ import annotations

import http.cookiejar
import json
import re
import shutil
import signal
import socket
import struct
import subprocess
import time
import tomllib
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.product import REPO, clean_environment, run

SERVE_WITHIN_S = 30


def kiosk(venv: Path, *arguments: str | Path, env: dict[str, str] | None = None,
          timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return run([venv / "bin/kiosk", *arguments], cwd="/", env=env or clean_environment(), timeout=timeout)


def test_version_is_the_packages(terminal_venv: Path) -> None:
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    result = kiosk(terminal_venv, "--version")
    assert (result.returncode, result.stdout.strip()) == (0, f"kiosk {version}")


def _one_line_naming(result: subprocess.CompletedProcess[str], extra: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("kiosk:")]
    assert len(lines) == 1 and f"pip install 'meter-kiosk[{extra}]'" in lines[0], result.stderr


def test_the_terminal_names_the_extra_for_the_office(terminal_venv: Path, tmp_path: Path) -> None:
    _one_line_naming(kiosk(terminal_venv, "office", "serve", "--db", f"sqlite:///{tmp_path / 'office.sqlite3'}"),
                     "office")
    # Operators' passwords are hashed with the office's Argon2, which a terminal does not install.
    _one_line_naming(kiosk(terminal_venv, "office", "operator", "add", "anna", "--role", "admin",
                           "--db", f"sqlite:///{tmp_path / 'office.sqlite3'}"), "office")
    # The demo and the screenshots run a local office beside the terminal: they need both sides.
    env = clean_environment(KIOSK_TERMINAL_DATA_DIR=str(tmp_path / "data"))
    env.pop("DISPLAY", None)
    _one_line_naming(kiosk(terminal_venv, "demo", "--data-dir", tmp_path / "demo", env=env), "office")
    _one_line_naming(kiosk(terminal_venv, "screenshots", tmp_path / "shots", env={**env, "DISPLAY": ":404"}), "office")


def test_the_office_names_the_extra_for_the_terminal(office_venv: Path, tmp_path: Path) -> None:
    env = clean_environment(KIOSK_TERMINAL_DATA_DIR=str(tmp_path / "data"), DISPLAY=":404")
    _one_line_naming(kiosk(office_venv, "run", env=env), "terminal")
    _one_line_naming(kiosk(office_venv, "screenshots", tmp_path / "shots", env=env), "terminal")


def test_the_installed_office_migrates_and_serves(office_venv: Path, tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'office.sqlite3'}"
    # Serving an office that was never migrated stops with one line naming the command that does.
    refused = kiosk(office_venv, "office", "serve", "--db", database)
    assert refused.returncode == 1 and "kiosk office migrate" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr, refused.stderr
    migrated = kiosk(office_venv, "office", "migrate", "--db", database)
    assert migrated.returncode == 0, migrated.stderr
    # Operators' passwords are Argon2 hashes: the installed office has what makes and checks them.
    added = kiosk(office_venv, "office", "operator", "add", "anna", "--role", "admin", "--db", database)
    assert added.returncode == 0, added.stderr
    password = json.loads(added.stdout)["password"]
    port = _free_port()
    server = subprocess.Popen(
        [office_venv / "bin/kiosk", "office", "serve", "--db", database, "--port", str(port)],
        cwd="/", env=clean_environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        health = document = None
        deadline = time.monotonic() + SERVE_WITHIN_S
        while health is None and time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:
                    health = (answer.status, json.load(answer))
            except OSError:
                time.sleep(0.2)
        if health is not None:
            with urllib.request.urlopen(f"{base}/openapi.json", timeout=5) as answer:
                document = json.load(answer)
            with urllib.request.urlopen(f"{base}/metrics", timeout=5) as answer:
                metrics = (answer.status, answer.headers["Content-Type"], answer.read().decode())
            signed_in = _sign_in(base, "anna", password)
            with urllib.request.urlopen(f"{base}/static/office.css", timeout=5) as answer:
                stylesheet = (answer.status, len(answer.read()))
    finally:
        server.send_signal(signal.SIGINT)
        output = server.communicate(timeout=20)[0].decode(errors="replace")
    assert health == (200, {"status": "ok"}), f"no health answer within {SERVE_WITHIN_S} s:\n{output[-3000:]}"
    assert document is not None and any(path.startswith("/api/v1/") for path in document["paths"])
    assert metrics[0] == 200 and metrics[1].startswith("text/plain") and "# TYPE " in metrics[2], metrics
    # The sign-in page and the fleet behind it: templates, catalogs and the session cookie, installed.
    login_page, fleet_page = signed_in
    assert login_page[0] == 200 and 'name="password"' in login_page[1], login_page
    assert fleet_page[0] == 200 and fleet_page[2].endswith("/fleet") and "anna" in fleet_page[1], fleet_page[:2]
    assert stylesheet[0] == 200 and stylesheet[1] > 100


def _sign_in(base: str, name: str, password: str) -> tuple[tuple[int, str, str], tuple[int, str, str]]:
    """The sign-in page as a browser gets it, then the page the form leads to: (status, body, URL)."""
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with browser.open(f"{base}/login?next=/fleet", timeout=10) as answer:
        login_page = (answer.status, answer.read().decode(), answer.url)
    token = re.search(r'name="csrf" value="([^"]+)"', login_page[1])
    assert token is not None, login_page[1][:2000]
    fields = urllib.parse.urlencode({"csrf": token.group(1), "next": "/fleet", "name": name, "password": password})
    with browser.open(f"{base}/login", data=fields.encode(), timeout=30) as answer:
        return login_page, (answer.status, answer.read().decode(), answer.url)


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", header[16:24])


def test_the_installed_package_renders_its_screens(both_sides_venv: Path, tmp_path: Path) -> None:
    # The service screens show a whole demo terminal, office included, hence both sides.
    if shutil.which("xvfb-run") is None:
        pytest.skip("xvfb-run is not installed (Debian package xvfb)")
    env = clean_environment(HOME=str(tmp_path / "home"))
    env.pop("DISPLAY", None)  # kiosk screenshots starts its own virtual display, as on a kiosk image
    env.pop("KIVY_HOME", None)
    (tmp_path / "home").mkdir()
    out = tmp_path / "shots"
    result = kiosk(both_sides_venv, "screenshots", out, "--size", "1280x800",
                   "--only", "attract", "--only", "service-overview-all-green", env=env, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    shots = sorted(path.name for path in (out / "1280x800").iterdir())
    assert shots == ["en-01-attract.png", "en-service-05-overview-all-green.png",
                     "ru-01-attract.png", "ru-service-05-overview-all-green.png"]
    pictures = [(out / "1280x800" / name).read_bytes() for name in shots]
    assert all(_png_size(out / "1280x800" / name) == (1280, 800) for name in shots)
    assert len(set(pictures)) == 4 and all(len(picture) > 10_000 for picture in pictures)  # drawn, not blank
    assert not (tmp_path / "home/.kivy").exists()  # Kivy wrote no files of its own


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
