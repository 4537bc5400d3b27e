"""Process start to the attract screen drawn: a fresh `kiosk run` (real drivers on emulated
devices, an office on loopback, full screen) until the first frame showing the attract screen has
been swapped onto the display. Goal: median at most 1.5 s under Xvfb, and at most 1.2 times a
bare Kivy app's start to its first frame (bench/ui_bare.py), started in turn with the kiosk's
runs on the same display: `startup_ratio`.

Also says where the time goes: interpreter, the core's imports, the configuration, the terminal
(store, drivers, threads), Kivy's import, the window, the app (screens and kv), building it, the
first frame; and the resident memory after each.

    python bench/ui_startup.py [--runs 7] [--quick]
"""

from __future__ import annotations

import time

STARTED = time.time()  # a child's first moment in Python: everything before is the interpreter's

import argparse  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import ui_bare, ui_common  # noqa: E402

# Consecutive marks the child records; each phase is named after the mark that ends it.
PHASES = ("python", "core_imports", "config", "terminal", "kivy_import", "window", "app", "build", "first_frame")


def child(out: str) -> None:
    marks: dict[str, float] = {"python": STARTED}
    memory: dict[str, dict[str, float]] = {"python": ui_common.memory_mb()}
    gl: list[str] = []
    stuck_on: list[str] = []

    def mark(name: str) -> None:
        marks[name] = time.time()
        memory[name] = ui_common.memory_mb()

    import kiosk.cli  # noqa: F401  (the console script's module, with every command's imports)
    import kiosk.wiring
    import screens.boot

    mark("core_imports")
    assemble, prepare = kiosk.wiring.assemble, screens.boot.prepare

    def timed_assemble(config: Any) -> Any:
        mark("config")  # the command line parsed and the configuration read
        return assemble(config)

    def timed_prepare(*args: Any, **kwargs: Any) -> None:
        mark("terminal")  # the terminal is up: create_app begins with this
        prepare(*args, **kwargs)
        import kivy  # noqa: F401

        mark("kivy_import")
        from kivy.core.window import Window  # noqa: F401  (opens the window)

        mark("window")

    def on_app(app: Any) -> None:
        from kivy.clock import Clock
        from kivy.core.window import Window

        mark("app")

        def started(*_args: Any) -> None:
            mark("build")
            Clock.schedule_once(too_late, 20)

        def too_late(_dt: float) -> None:
            if "first_frame" not in marks:  # say what is on the screen instead
                stuck_on.append(app.root_widget.ids.screens.current)
                app.stop()

        app.bind(on_start=started)

        def drawn(_swap_s: float) -> None:
            root = app.root_widget
            if "first_frame" in marks or root is None or root.parent is not Window:
                return
            if root.ids.screens.current == "attract" and ui_common.screen_settled(app):
                mark("first_frame")
                gl.append(ui_common.gl_renderer())
                Clock.schedule_once(lambda _dt: app.stop())

        ui_common.after_each_frame(drawn)

    kiosk.wiring.assemble, screens.boot.prepare = timed_assemble, timed_prepare
    code = ui_common.run_kiosk(on_app)
    ui_common.write_json(out, {"marks": marks, "memory": memory, "gl": gl[0] if gl else None,
                               "stuck_on": stuck_on, "exit": code})


def one_run(display: str, site: ui_common.Site, folder: Path, index: int, size: tuple[int, int]) -> dict[str, Any]:
    document, spawned = ui_common.run_child(Path(__file__), [], display, site, folder / f"kivy-{index}",
                                            timeout=60, size=size)
    marks = document["marks"]
    if "first_frame" not in marks:
        raise RuntimeError(f"the attract screen was never drawn: {document}")
    phases, before = {}, spawned
    for name in PHASES:
        phases[name] = (marks[name] - before) * 1000
        before = marks[name]
    return {"total_s": marks["first_frame"] - spawned, "phases_ms": phases, "memory": document["memory"],
            "gl": document["gl"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="3 runs at 1024x768: under 2 minutes")
    ui_common.add_size_argument(parser)
    parser.add_argument("--child", metavar="OUT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    from bench.common import median, report

    if args.quick:
        args.runs = 3
    args.size = ui_common.screen_size(args)
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as name, \
            ui_common.display(args.size) as display, \
            ui_common.terminal_site(Path(name)) as site:
        runs, stuck, bare = [], [], []
        for index in range(args.runs):
            try:
                runs.append(one_run(display, site, Path(name), index, args.size))
            except RuntimeError as exc:  # a start that never gets there is a finding, not a figure
                stuck.append(str(exc).splitlines()[0])
            # The bare app in turn with the kiosk: both see the machine as loaded as it is now.
            bare.append(ui_bare.measure(display, Path(name) / f"bare-{index}", 0, args.size)["start_s"])
    if not runs:
        raise SystemExit("no start reached the attract screen:\n" + "\n".join(stuck))
    totals = [r["total_s"] for r in runs]
    report({
        "benchmark": "ui_startup",
        "what": "process spawned to the first frame showing the attract screen (`kiosk run`, full screen)",
        "screen": "x".join(map(str, args.size)),
        "runs": args.runs,
        "start_to_attract_s_median": round(median(totals), 3),
        "start_to_attract_s_min": round(min(totals), 3),
        "start_to_attract_s_max": round(max(totals), 3),
        "start_to_attract_s_all": [round(t, 3) for t in totals],
        "bare_kivy_start_s_median": round(median(bare), 3),
        "bare_kivy_start_s_all": [round(t, 3) for t in bare],
        "startup_ratio": round(median(totals) / median(bare), 2),
        "starts_that_never_got_there": stuck,
        "phases_ms_median": {name: round(median([r["phases_ms"][name] for r in runs]), 1) for name in PHASES},
        # Resident memory when each phase ended: what the imports, the window and the screens cost.
        "rss_mb_after_median": {name: round(median([r["memory"][name]["rss_mb"] for r in runs]), 1)
                                for name in PHASES},
        # Of it, at the end: the process's own (anonymous) memory and the pages of mapped files.
        "rss_split_at_attract_mb_median": {part: round(median([r["memory"]["first_frame"][part] for r in runs]), 1)
                                           for part in ("anon_mb", "file_mb")},
        "goals": {"start_to_attract_s_median": 1.5, "startup_ratio": 1.2},
        "machine": {**ui_common.machine(), "gl": runs[-1]["gl"]},
    })


if __name__ == "__main__":
    main()
