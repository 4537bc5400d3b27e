"""Tap to next screen drawn: simulated touches on the real `kiosk run` (full screen, real drivers on
emulated devices), timed from the touch's dispatch to the end of the first frame that shows
the screen the tap led to, with no screen transition left running. Goals: at most 50 ms, and
at most 1.3 times a bare Kivy app's screen switch (bench/ui_bare.py) measured in the same run on
the same display before and after each of the kiosk's runs: `tap_ratio`, the median of the
kiosk's taps over the bare app's.

Whole journeys are tapped through, each committing a submission for another account of the demo
directory: start, the account on the keypad, Next, the meter, each zone's digits, Next, "that is
right" where asked, Change and back to the review, Send, Done; every third journey also goes
Back and Cancel, and every other one switches the language. Keypad taps are timed too (the
digit appearing), reported apart.

Also says where the time goes: the tap's own handlers, Kivy's drawing calls, the swap (where a
software renderer such as Xvfb's llvmpipe does its rasterising), and the rest; and how many
frames it took.

    python bench/ui_tap.py [--runs 2] [--journeys 6] [--quick]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import ui_bare, ui_common  # noqa: E402

BARE_TAPS = 20  # the bare app's screen switches after each of the kiosk's runs
KEY_PAUSE = 0.15  # between keypad taps: longer than the keypad's bounce filter
SCREEN_PAUSE = 0.5  # after a tap that changes the screen: longer than the double-tap guard (0.4 s)


class Tapper:
    """Taps tagged widgets and times each tap to the first settled frame after it, and where
    that time went: the tap's handlers, Kivy's drawing calls, the swap (with a software
    renderer, the rasterising), and the rest (layout, text textures, waiting for the frame)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.samples: list[dict[str, Any]] = []
        self._pending: dict[str, Any] | None = None
        self._draw_started = 0.0

    def visible(self, tag: str) -> Any:
        ids = self.app.root_widget.ids
        for top in (ids.screens.current_screen, ids.top, ids.bottom):
            found = _find(top, tag)
            if found is not None:
                return found
        raise LookupError(f"no visible widget tagged {tag!r} on {self.app.journey.step}")

    def tap(self, tag: str, kind: str) -> None:
        from kivy.tests.common import UnitTestTouch

        widget = self.visible(tag)
        x, y = widget.to_window(*widget.center)
        touch = UnitTestTouch(x, y)
        pending = {"kind": kind, "from": str(self.app.journey.step), "frames": 0, "draw": 0.0, "swap": 0.0,
                   "first": None}
        self._pending = pending
        pending["t0"] = time.perf_counter()
        touch.touch_down()
        touch.touch_up()
        pending["handled"] = time.perf_counter()
        pending["to"] = str(self.app.journey.step)

    @property
    def waiting(self) -> bool:
        return self._pending is not None

    def waited_s(self) -> float:
        return time.perf_counter() - self._pending["t0"] if self._pending else 0.0

    def drawing(self, *_args: Any) -> None:
        self._draw_started = time.perf_counter()

    def frame(self, swap_s: float) -> None:
        pending = self._pending
        if pending is None:
            return
        now = time.perf_counter()
        pending["frames"] += 1
        pending["swap"] += swap_s
        pending["draw"] += now - swap_s - self._draw_started
        if pending["first"] is None:
            pending["first"] = now
        if not ui_common.screen_settled(self.app):
            return
        total = now - pending["t0"]
        handler = pending["handled"] - pending["t0"]
        self.samples.append({
            "kind": pending["kind"], "from": pending["from"], "to": pending["to"], "frames": pending["frames"],
            "ms": total * 1000, "first_frame_ms": (pending["first"] - pending["t0"]) * 1000,
            "handler_ms": handler * 1000, "draw_ms": pending["draw"] * 1000, "swap_ms": pending["swap"] * 1000,
            "rest_ms": (total - handler - pending["draw"] - pending["swap"]) * 1000,
        })
        self._pending = None


def _find(widget: Any, tag: str) -> Any:
    if widget.opacity == 0 or widget.disabled:
        return None
    if getattr(widget, "tag", "") == tag:
        return widget
    for child in widget.children:
        found = _find(child, tag)
        if found is not None:
            return found
    return None


def journeys(app: Any, tapper: Tapper, numbers: list[str]) -> Iterator[float]:
    """The taps, as pauses between them; each pause starts once the tap's frame was drawn."""

    def step() -> str:
        return str(app.journey.step)

    def expect(*names: str) -> None:
        if step() not in names:
            raise RuntimeError(f"on {step()}, expected {' or '.join(names)}")

    def screen(tag: str, kind: str) -> Iterator[float]:
        tapper.tap(tag, kind)
        yield SCREEN_PAUSE

    def keys(text: str) -> Iterator[float]:
        for ch in text:
            tapper.tap(f"key_{ch}", "key")
            yield KEY_PAUSE

    for number, account in enumerate(numbers):
        yield from screen("start", "start")
        yield from keys(account)
        yield from screen("next", "account_next")
        expect("meter")
        if number % 3 == 2:
            yield from screen("back", "back")
            yield from screen("cancel", "cancel")
            expect("attract")
            yield from screen("start", "start")
            yield from keys(account)
            yield from screen("next", "account_next")
        if number % 2 == 1:
            yield from screen("lang_en" if app.journey.language == "ru" else "lang_ru", "language")
        # "Yes, continue" for an account's only meter, else the first of its meters
        yield from screen("next" if app.journey.other_meters()[1:] == () else "meter_0", "meter_next")
        expect("reading")
        meter = app.journey.session.meter
        for index, zone in enumerate(meter.zones):
            value = ((zone.previous or 0) + 3 + number) % 10 ** meter.digits
            yield from keys(str(value).zfill(meter.digits))  # every digit the register shows
            yield from screen("next", "zone_next" if index + 1 < len(meter.zones) else "reading_next")
        while step() == "question":
            yield from screen("next", "question_yes")
        expect("review")
        yield from screen("back", "review_change")
        yield from screen("next", "reading_next")
        expect("review")
        yield from screen("next", "send")
        for _ in range(100):
            if step() == "result":
                break
            yield 0.05
        expect("result")
        yield SCREEN_PAUSE
        yield from screen("next", "done")
        expect("thanks")
        app.act("cancel")  # the thank-you screen would wait its own seconds
        yield SCREEN_PAUSE


def child(out: str, first: int, count: int) -> None:
    state: dict[str, Any] = {"error": None}

    def on_app(app: Any) -> None:
        from kivy.clock import Clock
        from kivy.core.window import Window

        tapper = Tapper(app)
        state["tapper"] = tapper
        plan = journeys(app, tapper, ui_common.accounts(first, count))
        ui_common.after_each_frame(tapper.frame)
        Window.bind(on_draw=tapper.drawing)  # bound handlers run before Window's own drawing

        def advance(_dt: float) -> None:
            if tapper.waiting:  # the tap's frame is not drawn yet
                if tapper.waited_s() > 5:
                    state["error"] = f"no frame after the tap on {app.journey.step}"
                    app.stop()
                    return
                Clock.schedule_once(advance, 0.01)
                return
            if time.monotonic() - app.changed_at <= app.settings.double_tap_s:
                Clock.schedule_once(advance, 0.05)  # the screen just changed: a tap now is dropped
                return
            try:
                Clock.schedule_once(advance, next(plan))
            except StopIteration:
                app.stop()
            except Exception as exc:  # reported: which tap went wrong, on which screen
                state["error"] = f"{type(exc).__name__}: {exc}"
                app.stop()

        def started(*_args: Any) -> None:
            state["gl"] = ui_common.gl_renderer()
            Clock.schedule_once(advance, 1.0)  # the first tap once the start screen has settled

        app.bind(on_start=started)

    code = ui_common.run_kiosk(on_app)
    ui_common.write_json(out, {"samples": state["tapper"].samples, "error": state["error"], "gl": state.get("gl"),
                               "exit": code})


def summary(samples: list[float]) -> dict[str, float]:
    from bench.common import median, percentile

    return {"median_ms": round(median(samples), 1), "p95_ms": round(percentile(samples, 0.95), 1),
            "max_ms": round(max(samples), 1), "taps": len(samples)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=2, help="app processes, each tapping --journeys")
    parser.add_argument("--journeys", type=int, default=6)
    parser.add_argument("--quick", action="store_true", help="1 run of 2 journeys at 1024x768: under 2 minutes")
    parser.add_argument("--first", type=int, default=0, help=argparse.SUPPRESS)  # a child's first account
    ui_common.add_size_argument(parser)
    parser.add_argument("--child", metavar="OUT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.first, args.journeys)
        return
    from bench.common import median, report

    args.size = ui_common.screen_size(args)
    bare_taps = BARE_TAPS
    if args.quick:
        args.runs, args.journeys, bare_taps = 1, 2, BARE_TAPS // 2
    runs, bare = [], []
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as name, \
            ui_common.display(args.size) as display, \
            ui_common.terminal_site(Path(name)) as site:
        for index in range(args.runs):
            # The bare app's taps half before and half after each kiosk run: a machine whose load
            # changes during the run weighs on both alike.
            bare.append(ui_bare.measure(display, Path(name) / f"bare-{index}a", bare_taps // 2, args.size)["taps_ms"])
            extra = ["--journeys", str(args.journeys), "--first", str(index * args.journeys)]
            document, _ = ui_common.run_child(Path(__file__), extra, display, site, Path(name) / f"kivy-{index}",
                                              timeout=60 + 30 * args.journeys, size=args.size)
            if document["error"]:
                raise SystemExit(f"run {index}: {document['error']}")
            runs.append(document["samples"])
            gl = document["gl"]
            bare.append(ui_bare.measure(display, Path(name) / f"bare-{index}b", bare_taps // 2, args.size)["taps_ms"])
        submissions = site.counts()
    screens = [[s for s in run if s["kind"] != "key"] for run in runs]
    pooled = [s for run in screens for s in run]
    kinds = sorted({s["kind"] for run in runs for s in run})
    bare_ms = median([ms for run in bare for ms in run])
    report({
        "benchmark": "ui_tap",
        "what": "touch dispatched to the end of the first frame showing the screen it led to",
        "screen": "x".join(map(str, args.size)),
        "runs": args.runs,
        "journeys_per_run": args.journeys,
        "submissions": submissions,
        "screen_change": summary([s["ms"] for s in pooled]),
        "screen_change_median_ms_per_run": [round(median([s["ms"] for s in run]), 1) for run in screens],
        # The same tap on a bare Kivy app, switching between two screens of a label and a button.
        "bare_kivy_screen_switch": summary([ms for run in bare for ms in run]),
        "tap_ratio": round(median([s["ms"] for s in pooled]) / bare_ms, 2),
        # The first frame drawn after the tap: the settled one when a screen change takes one frame
        # (frames_median 1); with a transition still running, it shows the screen half done.
        "screen_change_first_frame": summary([s["first_frame_ms"] for s in pooled]),
        "screen_change_parts_median_ms": {part: round(median([s[f"{part}_ms"] for s in pooled]), 1)
                                          for part in ("handler", "draw", "swap", "rest")},
        # Everything but the swap: what the kiosk's own code and Kivy spend on the CPU per tap.
        "screen_change_without_swap": summary([s["ms"] - s["swap_ms"] for s in pooled]),
        "screen_change_frames_median": median([s["frames"] for s in pooled]),
        "keypad": summary([s["ms"] for run in runs for s in run if s["kind"] == "key"]),
        "by_kind": {kind: summary([s["ms"] for run in runs for s in run if s["kind"] == kind])
                    for kind in kinds},
        "goals": {"screen_change_median_ms": 50, "tap_ratio": 1.3},
        "machine": {**ui_common.machine(), "gl": gl},
    })


if __name__ == "__main__":
    main()
