"""`kiosk screenshots`: every customer and service screen renders, in both languages, and
`--check-fit` finds each state fitting its panel at every size, and with large text."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.service.view import PAGES
from screens.screenshots import SIZES, Stage, scenarios

ROOT = Path(__file__).resolve().parents[2]


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", header[16:24])
    return width, height


SIZE_NAMES = ["x".join(map(str, size)) for size in SIZES]


def _shoot(display: str, base: Path, size: str, *options: str) -> tuple[Path, list[dict], dict, int]:
    """``kiosk screenshots --check-fit`` at one size: (the pictures' folder, the problems found,
    the summary line, the exit code)."""
    out = base / "shots"
    env = {**os.environ, "DISPLAY": display, "KIVY_NO_ARGS": "1",
           "KIVY_HOME": str(base / "kivy"), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "kiosk", "screenshots", str(out), "--size", size,
                           "--check-fit", *options], env=env, capture_output=True, text=True, timeout=600,
                          cwd=ROOT)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert lines, done.stderr[-3000:]
    return out, lines[:-1], lines[-1], done.returncode


# One process per size, each rendering once: xdist spreads the sizes over the workers.
@pytest.mark.parametrize("size", SIZE_NAMES)
def test_every_screen_renders_in_both_languages_and_fits(display, tmp_path, size):
    out, problems, summary, code = _shoot(display, tmp_path, size)
    assert summary["files"] == len(list(out.rglob("*.png")))
    _renders(out / size, tuple(int(part) for part in size.split("x")))
    _fits(out / size, size, problems, summary, code)


# Every customer state again with the customer's "Large text" on (text 1.4 times larger, the
# same touch targets), at every size.
@pytest.mark.parametrize("size", SIZE_NAMES)
def test_every_customer_screen_fits_with_large_text(display, tmp_path, size):
    out, problems, summary, code = _shoot(display, tmp_path, size, "--large-text")
    assert problems == [] and code == 0
    folder = out / f"{size}-large"
    # Every customer state but the start screen's, where no customer has chosen yet.
    states = [name for name, _ in scenarios(Stage()) if not name.startswith("attract")]
    names = {path.name.split("-", 2)[2] for path in folder.glob("*.png")}
    assert names == {f"{state}.png" for state in states}
    assert summary["files"] == 2 * len(states) == len(list(out.rglob("*.png")))
    for path in folder.iterdir():
        assert _png_size(path) == tuple(int(part) for part in size.split("x")), path


def _renders(folder: Path, size: tuple[int, ...]) -> None:
    shots = {path.name: path for path in folder.iterdir()}
    customer = {f"{language}-{number:02d}-{name}.png"
                for language in ("ru", "en") for number, name in enumerate(
                    (name for name, _ in scenarios(Stage())), start=1)}
    assert customer <= set(shots)
    service = {name.split("-", 3)[3] for name in shots if "-service-" in name}
    for language in ("ru", "en"):
        assert {name.split("-", 3)[3] for name in shots if name.startswith(f"{language}-service-")} == service
    for state in ("pin-entry", "pin-locked", "overview-paper-out-network-down", "cover-maintenance",
                  "cover-storage-failed", *(f"page-{name}" for name in PAGES)):
        assert any(name.startswith(state) for name in service), state
    assert len(shots) == len(customer) + 2 * len(service)
    for path in shots.values():
        assert _png_size(path) == size, path
    # The two languages of a screen differ (its words), and no two screens are the same picture:
    # a state that did not show, or an answer from an earlier state drawn over it, shows up here.
    alike: dict[bytes, list[str]] = {}
    for name, path in shots.items():
        alike.setdefault(path.read_bytes(), []).append(name)
    assert [names for names in alike.values() if len(names) > 1] == []


def _fits(folder: Path, size: str, problems: list[dict], summary: dict, code: int) -> None:
    assert summary["problems"] == len(problems)
    assert code == (1 if problems else 0)
    for problem in problems:
        assert problem["size"] == size and problem["language"] in ("ru", "en"), problem
    assert problems == []  # each names its state, widget and what is wrong
