"""One staged installation per test run, shared by every test and xdist worker.

pip installs are slow here, so the session takes the kiosk's wheel and its dependencies as wheels
from tests/product.py (built once, kept between runs in pytest's cache) and runs deploy/install.sh
twice into one staging root from those, offline. A file lock makes the
xdist workers share it: the first builds, the others wait and reuse. Tests treat the staged tree
as read-only and work on copies (``staged_copy``) when they change anything.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import product

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
RELEASES = Path("opt/kiosk/releases")


@dataclass(frozen=True)
class Staged:
    root: Path
    wheel: Path
    wheelhouse: Path
    first: dict[str, tuple]
    second: dict[str, tuple]
    output: str

    @property
    def python(self) -> Path:
        return self.root / "opt/kiosk/current/bin/python"

    def kiosk_env(self, root: Path | None = None) -> dict[str, str]:
        """The installed configuration, with the data folder inside the staging root."""
        root = root or self.root
        env = {key: value for key, value in os.environ.items() if not key.startswith("KIOSK_")}
        env["KIOSK_CONFIG"] = str(root / "etc/kiosk/kiosk.toml")
        env["KIOSK_TERMINAL_DATA_DIR"] = str(root / "var/lib/kiosk")
        return env


def run(command: list[str | Path], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(part) for part in command], capture_output=True, text=True, **kwargs)


def snapshot(root: Path) -> dict[str, tuple]:
    """Every path with its type and mode, and what it holds: link targets, file digests. Inside
    the releases only sizes: a release is installed once and then left alone."""
    entries: dict[str, tuple] = {}
    for directory, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(directory, name)
            relative = str(path.relative_to(root))
            info = path.lstat()
            if path.is_symlink():
                entries[relative] = ("link", os.readlink(path))
            elif path.is_dir():
                entries[relative] = ("dir", oct(info.st_mode & 0o7777))
            elif relative.startswith(str(RELEASES)):
                entries[relative] = ("file", oct(info.st_mode & 0o7777), info.st_size, info.st_mtime_ns)
            else:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                entries[relative] = ("file", oct(info.st_mode & 0o7777), digest)
    return entries


def build_wheel(source: Path, out: Path) -> Path:
    result = run([sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check",
                  "--no-deps", "-w", out, source])
    assert result.returncode == 0, result.stderr
    return next(out.glob("meter_kiosk-*.whl"))


def install(root: Path, wheel: Path, wheelhouse: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run(["bash", DEPLOY / "install.sh", "--root", root, "--wheel", wheel,
                "--find-links", wheelhouse, "--python", sys.executable, *extra])


@pytest.fixture(scope="session")
def staged(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Staged:
    if shutil.which("systemctl") is None:
        pytest.skip("systemctl is not installed (Debian package systemd): install.sh enables units with it")
    shared = tmp_path_factory.getbasetemp().parent  # the same for every xdist worker of this run
    cache_dir = pytestconfig.cache.mkdir("product")
    with open(shared / "deploy-staging.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = shared / "deploy-staging.json"
        if done.exists():
            saved = json.loads(done.read_text())
            return Staged(Path(saved["root"]), Path(saved["wheel"]), Path(saved["wheelhouse"]),
                          {k: tuple(v) for k, v in saved["first"].items()},
                          {k: tuple(v) for k, v in saved["second"].items()}, saved["output"])
        try:
            built = product.build(cache_dir)
        except product.NotACheckout as exc:
            pytest.skip(f"the release is built from the tracked files, and {exc}")
        wheel, wheelhouse = built.wheel, built.wheelhouse
        root = shared / "deploy-root"
        first_run = install(root, wheel, wheelhouse)
        assert first_run.returncode == 0, first_run.stderr
        first = snapshot(root)
        second_run = install(root, wheel, wheelhouse)
        assert second_run.returncode == 0, second_run.stderr
        second = snapshot(root)
        # Read-only from here on for every test: copies are made for changes.
        staged = Staged(root, wheel, wheelhouse, first, second, first_run.stderr + second_run.stderr)
        done.write_text(json.dumps({"root": str(root), "wheel": str(wheel), "wheelhouse": str(wheelhouse),
                                    "first": first, "second": second, "output": staged.output}))
        return staged


@pytest.fixture
def staged_copy(staged: Staged, tmp_path: Path) -> Path:
    """A private copy of the staged tree; its releases are hard links (install.sh never writes
    into a complete release, and removing a link leaves the shared tree whole)."""
    copy = tmp_path / "root"
    shutil.copytree(staged.root, copy, symlinks=True, ignore=lambda d, names: (
        ["releases"] if Path(d) == staged.root / "opt/kiosk" else []))
    result = run(["cp", "-al", staged.root / RELEASES, copy / RELEASES])
    assert result.returncode == 0, result.stderr
    return copy
