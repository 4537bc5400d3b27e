"""The yardstick for the touch screen's figures: a bare Kivy app, two screens of a label and a
button each, switched by a tap, in a child process on the same display at the same size, with
Kivy configured as the kiosk configures it (full screen, no cursor). What the display, the GL
driver and Kivy itself cost is in its figures too, so the kiosk's figures divided by these are
what the kiosk's own code adds, on any machine, loaded or not.

It measures process spawned to its first frame swapped, each tap to the first frame swapped that
shows the other screen, and its resident memory after the taps. ui_startup, ui_tap and ui_memory
run it beside the kiosk, in the same run; alone it prints its own figures:

    python bench/ui_bare.py [--runs 3] [--taps 20]
"""

from __future__ import annotations

import time

STARTED = time.time()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import ui_common  # noqa: E402

TAP_PAUSE = 0.5  # between taps, as ui_tap's between screen changes


def child(out: str, taps: int) -> None:
    from kivy.config import Config

    # As screens.boot.prepare sets Kivy up for a kiosk in the field.
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "log_level", "warning")
    Config.set("graphics", "show_cursor", "0")
    Config.set("graphics", "borderless", "1")
    Config.set("graphics", "fullscreen", "auto")
    Config.set("graphics", "resizable", "0")
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.core.window import Window
    from kivy.tests.common import UnitTestTouch
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.button import Button
    from kivy.uix.label import Label
    from kivy.uix.screenmanager import NoTransition, Screen, ScreenManager

    state: dict[str, Any] = {"first_frame": None, "taps_ms": [], "pending": None}

    class Bare(App):
        def build(self) -> ScreenManager:
            Window.clearcolor = (1, 1, 1, 1)
            manager = ScreenManager(transition=NoTransition())
            for name in ("one", "two"):
                screen = Screen(name=name)
                column = BoxLayout(orientation="vertical", padding=32, spacing=32)
                column.add_widget(Label(text=f"Screen {name}", font_size=48, color=(0, 0, 0, 1)))
                button = Button(text="Next", font_size=40)
                button.bind(on_release=lambda *_args: setattr(
                    manager, "current", "two" if manager.current == "one" else "one"))
                column.add_widget(button)
                screen.add_widget(column)
                manager.add_widget(screen)
            self.manager = manager
            return manager

    app = Bare()

    def frame(_swap_s: float) -> None:
        now = time.time()
        if state["first_frame"] is None:
            state["first_frame"] = now
            Clock.schedule_once(tap if taps else finish, 1.0)
            return
        pending = state["pending"]
        manager = app.manager
        if pending is not None and manager.current == pending[1] and not manager.transition.is_active:
            state["taps_ms"].append((time.perf_counter() - pending[0]) * 1000)
            state["pending"] = None
            Clock.schedule_once(tap if len(state["taps_ms"]) < taps else finish, TAP_PAUSE)

    def tap(_dt: float) -> None:
        manager = app.manager
        button = manager.current_screen.children[0].children[0]
        x, y = button.to_window(*button.center)
        touch = UnitTestTouch(x, y)
        target = "two" if manager.current == "one" else "one"
        state["pending"] = (time.perf_counter(), target)
        touch.touch_down()
        touch.touch_up()

    def finish(_dt: float) -> None:
        state["rss"] = ui_common.memory_mb()
        app.stop()

    ui_common.after_each_frame(frame)
    app.run()
    ui_common.write_json(out, {"started": STARTED, "first_frame": state["first_frame"],
                               "taps_ms": state["taps_ms"], "memory": state.get("rss", {})})


def measure(display: str, folder: Path, taps: int = 0, size: tuple[int, int] = ui_common.SCREEN,
            timeout: float = 60) -> dict[str, Any]:
    """One bare app in a child process: ``start_s`` (spawned to its first frame swapped),
    ``taps_ms`` and its ``rss_mb`` after them."""
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "bare.json"
    out.unlink(missing_ok=True)
    env = {**os.environ, "DISPLAY": display, "KIVY_NO_ARGS": "1", "KIVY_HOME": str(folder / "kivy"),
           "PYTHONPATH": str(ui_common.ROOT),
           # The window created at the screen's size, as ui_common.run_child does for the kiosk.
           "KCFG_GRAPHICS_WIDTH": str(size[0]), "KCFG_GRAPHICS_HEIGHT": str(size[1])}
    spawned = time.time()
    done = subprocess.run([sys.executable, __file__, "--child", str(out), "--taps", str(taps)], env=env,
                          cwd=ui_common.ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          timeout=timeout + TAP_PAUSE * taps)
    if done.returncode != 0 or not out.exists():
        raise RuntimeError(f"the bare Kivy app failed ({done.returncode}):\n{done.stderr[-2000:]}")
    document = json.loads(out.read_text())
    return {"start_s": document["first_frame"] - spawned, "taps_ms": document["taps_ms"],
            "rss_mb": document["memory"].get("rss_mb")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--taps", type=int, default=20)
    ui_common.add_size_argument(parser)
    parser.add_argument("--child", metavar="OUT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.taps)
        return
    from bench.common import median, report

    args.size = ui_common.screen_size(args)
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as name, ui_common.display(args.size) as display:
        runs = [measure(display, Path(name) / f"run-{index}", args.taps, args.size) for index in range(args.runs)]
    taps = [ms for run in runs for ms in run["taps_ms"]]
    report({
        "benchmark": "ui_bare",
        "what": "a bare Kivy app: spawned to its first frame, a tap to the other screen's frame, its memory",
        "screen": "x".join(map(str, args.size)),
        "runs": args.runs,
        "start_s_median": round(median([run["start_s"] for run in runs]), 3),
        "tap_ms_median": round(median(taps), 1) if taps else None,
        "rss_mb_median": round(median([run["rss_mb"] for run in runs]), 1),
        "machine": ui_common.machine(),
    })


if __name__ == "__main__":
    main()
