"""`kiosk screenshots`: every customer and service screen renders, in both languages, and
`--check-fit` finds each state fitting its panel at every size."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from kiosk.service_desk import PAGES
from screens.screenshots import SIZES, Stage, scenarios

ROOT = Path(__file__).resolve().parents[2]
# States that do not fit yet, by size (the check's JSON names what is wrong with each); every
# other state must fit, and a listed state that fits now must leave the list.
DOES_NOT_FIT: dict[str, set[str]] = {}


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", header[16:24])
    return width, height


@pytest.fixture(scope="module")
def shots(display, tmp_path_factory):
    """``kiosk screenshots --check-fit`` at one size, run once per size and worker: (the
    pictures' folder, the problems found, the summary line, the exit code)."""
    taken: dict[str, tuple[Path, list[dict], dict, int]] = {}

    def at(size: str) -> tuple[Path, list[dict], dict, int]:
        if size not in taken:
            base = tmp_path_factory.mktemp(f"shots-{size}")
            out = base / "shots"
            env = {**os.environ, "DISPLAY": display, "KIVY_NO_ARGS": "1",
                   "KIVY_HOME": str(base / "kivy"), "PYTHONPATH": str(ROOT)}
            done = subprocess.run([sys.executable, "-m", "kiosk", "screenshots", str(out), "--size", size,
                                   "--check-fit"], env=env, capture_output=True, text=True, timeout=600,
                                  cwd=ROOT)
            lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
            assert lines, done.stderr[-3000:]
            taken[size] = (out, lines[:-1], lines[-1], done.returncode)
        return taken[size]

    return at


def test_every_screen_renders_in_both_languages(shots):
    out, _problems, summary, _code = shots("1024x768")
    assert summary["files"] == len(list(out.rglob("*.png")))

    shots = {path.name: path for path in (out / "1024x768").iterdir()}
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
        assert _png_size(path) == (1024, 768), path
    # The two languages of a screen differ (its words), and no two screens are the same picture.
    pictures = {path.read_bytes() for path in shots.values()}
    assert len(pictures) == len(shots)


@pytest.mark.parametrize("size", ["x".join(map(str, size)) for size in SIZES])
def test_every_state_fits_the_panel(shots, size):
    out, problems, summary, code = shots(size)
    assert summary["problems"] == len(problems)
    assert code == (1 if problems else 0)
    misfits: dict[str, list[dict]] = defaultdict(list)
    for problem in problems:
        assert problem["size"] == size and problem["language"] in ("ru", "en"), problem
        misfits[problem["state"]].append(problem)
    states = {path.stem.split("-", 2)[2] if "-service-" not in path.name else
              "service-" + path.stem.split("-", 3)[3] for path in (out / size).glob("*.png")}
    assert set(misfits) <= states
    known = DOES_NOT_FIT.get(size, set())
    unexpected = {state: found for state, found in misfits.items() if state not in known}
    assert unexpected == {}
    assert sorted(known - set(misfits)) == []  # fits now: take it off DOES_NOT_FIT
