"""The installed product: the wheel as built, in fresh virtual environments, one per side.

Every test here runs the installed package the way a user does, from a folder that holds no
checkout (cwd=/) with the console script or ``python -P``, so nothing can be imported from the
repository by accident. The environments are made once per run and shared by the xdist workers
(tests/product.py); tests treat them as read-only.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests import product as product_module
from tests.product import Product


@pytest.fixture(scope="session")
def product(pytestconfig: pytest.Config) -> Product:
    try:
        return product_module.build(pytestconfig.cache.mkdir("product"))
    except product_module.NotACheckout as exc:
        pytest.skip(f"the wheel is checked against the tracked files, and {exc}")


def _installed(product: Product, shared: Path, extra: str) -> Path:
    """The run's environment with ``meter-kiosk[extra]``, made by the first worker that asks."""
    target = shared / f"installed-{extra.replace(',', '-')}"
    with product_module.locked(target.with_suffix(".lock")):
        done = target / ".complete"
        if not done.exists():
            started = time.monotonic()
            product_module.create_venv(product, target, extra)
            done.write_text(json.dumps({"created_s": round(time.monotonic() - started, 2)}))
    return target


@pytest.fixture(scope="session")
def terminal_venv(product: Product, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _installed(product, tmp_path_factory.getbasetemp().parent, "terminal")


@pytest.fixture(scope="session")
def office_venv(product: Product, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _installed(product, tmp_path_factory.getbasetemp().parent, "office")


@pytest.fixture(scope="session")
def both_sides_venv(product: Product, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's tools (kiosk demo, kiosk screenshots) run a terminal and a local office."""
    return _installed(product, tmp_path_factory.getbasetemp().parent, "terminal,office")
