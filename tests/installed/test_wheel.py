"""The wheel holds every file the code opens, and each side installs its own stack only."""

from __future__ import annotations

import json
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

from tests.product import REPO, Product, package_data_files, run, tracked_files

TERMINAL_ONLY = {"kivy", "qrcode", "pillow"}
OFFICE_ONLY = {"fastapi", "starlette", "uvicorn", "psycopg", "psycopg-binary", "jinja2", "argon2-cffi", "itsdangerous"}
# In both extras, not the base: each side writes Prometheus's text format (kiosk status --prometheus, /metrics).
EACH_SIDE = {"prometheus-client"}
BOTH = {"meter-kiosk", "sqlalchemy", "alembic", "pyserial", "requests", "platformdirs", "pydantic"}


def test_every_file_under_the_packages_is_in_the_wheel(product: Product) -> None:
    shipped = set(zipfile.ZipFile(product.wheel).namelist())
    data = package_data_files()
    assert "screens/service.kv" in data and "kiosk/locale/ru/LC_MESSAGES/kiosk.mo" in data  # the list is real
    assert {"sync/office/web/templates/fleet.html", "sync/office/web/static/office.css",
            "sync/office/web/locale/ru/LC_MESSAGES/office.mo"} <= set(data)
    sources = [name for name in tracked_files() if name.split("/", 1)[0] in {"kiosk", "screens", "devices", "sync"}
               and name.endswith(".py")]
    missing = sorted(set(data + sources) - shipped)
    assert not missing, f"tracked files under the packages missing from {product.wheel.name}: {missing}"


def test_the_wheel_declares_the_base_and_one_extra_per_side(product: Product) -> None:
    with zipfile.ZipFile(product.wheel) as wheel:
        metadata = Parser().parsestr(wheel.read(next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))).decode())
    requirements: dict[str, set[str]] = {}
    for line in metadata.get_all("Requires-Dist"):
        requirement, _, marker = line.partition(";")
        name = requirement.split("[")[0].split("<")[0].split(">")[0].split("=")[0].strip().lower()
        extra = marker.split("extra ==")[1].strip().strip("'\"") if "extra ==" in marker else "base"
        requirements.setdefault(extra, set()).add(name)
    assert set(metadata.get_all("Provides-Extra")) >= {"terminal", "office"}
    assert requirements["terminal"] == TERMINAL_ONLY | EACH_SIDE
    assert requirements["office"] == {"fastapi", "uvicorn", "psycopg", "jinja2", "argon2-cffi", "itsdangerous"} | EACH_SIDE
    assert not requirements["base"] & (TERMINAL_ONLY | OFFICE_ONLY)
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert metadata["Version"] == version


def _installed_names(venv: Path) -> set[str]:
    listed = run([venv / "bin/python", "-P", "-c",
                  "import importlib.metadata as m, json; print(json.dumps([d.metadata['Name'] for d in m.distributions()]))"],
                 cwd="/")
    assert listed.returncode == 0, listed.stderr
    return {name.lower().replace("_", "-") for name in json.loads(listed.stdout)}


def test_the_terminal_brings_no_web_server_and_the_office_no_kivy(terminal_venv: Path, office_venv: Path) -> None:
    terminal, office = _installed_names(terminal_venv), _installed_names(office_venv)
    assert BOTH | TERMINAL_ONLY <= terminal and not terminal & OFFICE_ONLY, sorted(terminal)
    assert BOTH | OFFICE_ONLY <= office and not office & TERMINAL_ONLY, sorted(office)
