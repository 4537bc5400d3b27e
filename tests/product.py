"""The product as shipped: the wheel built from the tracked files, its dependencies as wheels, and
fresh virtual environments installed from them, as a user or deploy/install.sh installs it.

Builds are slow and pytest-xdist runs workers in parallel, so each piece is made once and kept in
pytest's cache under a key of what it is made from: the wheel under the content of every tracked
file (a changed file builds a new one, an unchanged tree reuses it between runs), the
dependencies under pyproject.toml. A file lock makes the workers take turns: the first builds,
the others wait and reuse. The wheel is built from a copy of the tracked files only, so an
untracked or stale file in the checkout (build/, a stray .mo) can neither hide a missing file
nor slip into the release.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("kiosk", "screens", "devices", "sync")
EXTRAS = ("terminal", "office")
KEPT_BUILDS = 3


@dataclass(frozen=True)
class Product:
    wheel: Path
    wheelhouse: Path  # every dependency of every extra, as wheels
    build_s: float  # spent building (0 when the cache had it)


def run(command: list[str | Path], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(part) for part in command], capture_output=True, text=True, **kwargs)


class NotACheckout(Exception):
    """The tree is not a git checkout (an unpacked tarball): what ships cannot be told from it."""


def tracked_files() -> list[str]:
    """The files git tracks in the checkout, as they are on disk now (a deleted one left out)."""
    try:
        listed = run(["git", "-C", REPO, "ls-files", "-z"])
    except FileNotFoundError:
        raise NotACheckout("git is not installed") from None
    if listed.returncode != 0 or not listed.stdout:
        raise NotACheckout(f"{REPO} is not a git checkout: {listed.stderr.strip()}")
    return sorted(name for name in listed.stdout.split("\0") if name and (REPO / name).is_file())


def package_data_files() -> list[str]:
    """Every tracked file under the packages that is not Python source: what the code opens."""
    return [name for name in tracked_files()
            if name.split("/", 1)[0] in PACKAGES and "/" in name and not name.endswith(".py")]


def tree_key(files: list[str]) -> str:
    digest = hashlib.sha256()
    for name in files:
        digest.update(name.encode() + b"\0" + hashlib.sha256((REPO / name).read_bytes()).digest())
    return digest.hexdigest()[:16]


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def pip(*arguments: str | Path, python: str | Path = sys.executable) -> subprocess.CompletedProcess[str]:
    return run([python, "-m", "pip", "--disable-pip-version-check", *arguments])


def build(cache_dir: Path) -> Product:
    """The wheel and the dependency wheelhouse, from the cache when the tree has not changed."""
    started = time.monotonic()
    files = tracked_files()
    key = tree_key(files)
    with locked(cache_dir / "lock"):
        wheels = cache_dir / f"wheel-{key}"
        if not (wheels / ".complete").exists():
            shutil.rmtree(wheels, ignore_errors=True)
            source = cache_dir / f"source-{key}"
            shutil.rmtree(source, ignore_errors=True)
            for name in files:
                (source / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(REPO / name, source / name)
            result = pip("wheel", "--quiet", "--no-deps", "-w", wheels, source)
            shutil.rmtree(source, ignore_errors=True)
            if result.returncode != 0:
                raise RuntimeError(f"building the wheel failed:\n{result.stderr}")
            (wheels / ".complete").touch()
            _prune(cache_dir, "wheel-")
        wheel = next(wheels.glob("meter_kiosk-*.whl"))
        dependencies = hashlib.sha256((REPO / "pyproject.toml").read_bytes()).hexdigest()[:16]
        wheelhouse = cache_dir / f"wheelhouse-{dependencies}"
        if not (wheelhouse / ".complete").exists():
            shutil.rmtree(wheelhouse, ignore_errors=True)
            result = pip("wheel", "--quiet", "-w", wheelhouse, f"{wheel}[{','.join(EXTRAS)}]")
            if result.returncode != 0:
                raise RuntimeError(f"collecting the dependencies failed:\n{result.stderr}")
            (wheelhouse / wheel.name).unlink()  # the project's own wheel comes from wheels/
            (wheelhouse / ".complete").touch()
            _prune(cache_dir, "wheelhouse-")
    return Product(wheel, wheelhouse, time.monotonic() - started)


def _prune(cache_dir: Path, prefix: str) -> None:
    """Keep the newest few builds: one per recent state of the tree is enough."""
    builds = sorted(cache_dir.glob(prefix + "*"), key=lambda path: path.stat().st_mtime, reverse=True)
    for old in builds[KEPT_BUILDS:]:
        shutil.rmtree(old, ignore_errors=True)


def create_venv(product: Product, target: Path, extra: str) -> Path:
    """A fresh virtual environment at ``target`` with ``meter-kiosk[extra]`` from the wheelhouse,
    offline. It has no pip of its own: the running pip installs into it (pip --python), which
    spares the seconds ensurepip takes. Returns its python."""
    result = run([sys.executable, "-m", "venv", "--without-pip", target])
    if result.returncode != 0:
        raise RuntimeError(f"cannot create a virtual environment: {result.stderr}")
    python = target / "bin/python"
    result = pip("--python", python, "install", "--quiet", "--no-compile", "--no-index", "--find-links", product.wheelhouse,
                 f"{product.wheel}[{extra}]")
    if result.returncode != 0:
        raise RuntimeError(f"installing meter-kiosk[{extra}] failed:\n{result.stderr}")
    return python


def clean_environment(**extra: str) -> dict[str, str]:
    """The environment of a user's shell: no configuration of ours, no PYTHONPATH that could
    reach the checkout."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("KIOSK_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(extra)
    return env
