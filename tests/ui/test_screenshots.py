"""`kiosk screenshots`: every customer and service screen renders, in both languages."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

from kiosk.service_desk import PAGES
from screens.screenshots import Stage, scenarios

ROOT = Path(__file__).resolve().parents[2]


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def test_every_screen_renders_in_both_languages(display, tmp_path):
    out = tmp_path / "shots"
    env = {**os.environ, "DISPLAY": display, "KIVY_NO_ARGS": "1",
           "KIVY_HOME": str(tmp_path / "kivy"), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "kiosk", "screenshots", str(out), "--size", "1024x768"],
                          env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout)["files"] == len(list(out.rglob("*.png")))

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
