"""Resident memory of the real `kiosk run` after 500 scripted journeys in one process.
Goals: at most 60 MB more than a bare Kivy app's on the same display at the same size
(bench/ui_bare.py, measured in the same run: `rss_over_bare_mb`), and at most 1 MB of growth
after warm-up (`growth_mb`, medians of the journeys' RSS right after warm-up and at the end).

Each journey goes through every screen it meets, one action per drawn frame, through the app's
own handlers: start (or a bill scanned on the emulated scanner, every fifth journey), the
account on the keypad, the meter, each zone's reading, "that is right" where asked, the review
(every tenth journey goes back to change a reading first), Send, the slip printed by the
emulated printer, Done. Every journey stores a submission; the uploader sends them to the office
meanwhile. Every other journey is in English.

Besides VmRSS it counts what could pile up (Python objects, widgets, textures, Kivy's caches,
bindings, threads, the C allocator's heap); with --trace, tracemalloc names the lines whose
allocations grew after warm-up. It also says how much of the process the window brought (SDL
and the GL driver), and what is left after the C allocator hands its free memory back.

Every frame is really drawn: under Xvfb by Mesa's software rasteriser, about 150 ms per
1920x1080 frame on a 2-core VM, so a journey takes about 2 s and the 500 about 15 minutes there.
For a quick look, --quick: 25 journeys after 5 of warm-up at 1024x768, in about 2 minutes.

    python bench/ui_memory.py [--journeys 500] [--warmup 20] [--runs 1] [--trace] [--quick]
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import ui_bare, ui_common  # noqa: E402

SAMPLE_EVERY = 50  # journeys between memory samples
IDLE_S = 1.5  # the start screen between two customers, before memory is read
STUCK_FRAMES = 200  # actions without reaching a result: the journey is reported and cancelled


def bill(account: str) -> str:
    """The payment QR code of a bill for this account, as the scanner reads it."""
    return ("ST00012|Name=АО Энергосбыт|PersonalAcc=40702810900000000001|BankName=ПАО Банк|"
            f"BIC=044525225|CorrespAcc=30101810400000000225|PersAcc={account}|Sum=125000")


def census(app: Any) -> dict[str, Any]:
    """What is alive in the process: the usual suspects of a leak in a long-running Kivy app."""
    from kivy.cache import Cache
    from kivy.graphics.texture import Texture
    from kivy.uix.widget import Widget

    gc.collect()
    objects = gc.get_objects()
    # By type, not isinstance: a weak proxy to a widget passes isinstance but is no widget.
    widgets = Counter(type(o).__name__ for o in objects if issubclass(type(o), Widget))
    return {
        **ui_common.memory_mb(),
        **ui_common.malloc_mb(),
        "python_objects": len(objects),
        "widgets": sum(widgets.values()),
        "textures": sum(1 for o in objects if issubclass(type(o), Texture)),
        "kivy_cache": {name: len(Cache._objects.get(name, {})) for name in sorted(Cache._categories)},
        "threads": threading.active_count(),
        # kv rules of widgets made at run time bind to the app's properties (app.body, ...); the
        # app lives on, so bindings of widgets long gone would pile up here.
        "app_property_bindings": sum(len(app.get_property_observers(name)) for name in app.properties()),
        "top_widgets": dict(widgets.most_common(6)),
    }


class Driver:
    """Drives journeys through the app's handlers, one action per drawn frame."""

    def __init__(self, app: Any, numbers: list[str], scanner_control: str, warmup: int, trace: bool) -> None:
        self.app = app
        self.numbers = numbers
        self.scanner_control = scanner_control
        self.warmup = warmup
        self.trace = trace
        self.frames = 0
        self.samples: list[dict[str, Any]] = []
        self.rss: list[float] = []  # before each journey, and after the last
        self.problems: list[str] = []
        self.snapshot: Any = None
        self.grown: list[str] = []
        self.mappings: dict[str, float] = {}
        self.trimmed: dict[str, float] = {}
        self.done = False
        self._plan = self._journeys()
        self._drawn_at_action = -1
        self._acted_at = 0.0

    def frame(self, _swap_s: float) -> None:
        self.frames += 1

    def tick(self, _dt: float) -> None:
        """Every frame: act once the last action's frame was drawn (or, after a second, when the
        action changed nothing that needed drawing)."""
        if self.done:
            return
        if self.frames == self._drawn_at_action and time.monotonic() - self._acted_at < 1.0:
            return
        self._drawn_at_action, self._acted_at = self.frames, time.monotonic()
        try:
            next(self._plan)
        except StopIteration:
            self.done = True
            self.app.stop()
        except Exception as exc:  # reported with the step it happened on; the run is not finished
            self.problems.append(f"{type(exc).__name__} on {self.app.journey.step}: {exc}")
            self.app.stop()

    def _journeys(self) -> Iterator[None]:
        from kiosk.journey import Step

        app = self.app
        went_back = -1
        for number, account in enumerate(self.numbers):
            # Back at the start screen, after the moment it stands between two customers, when
            # the kiosk hands the memory the journey freed back to the system.
            yield from self._idle(IDLE_S)
            self.rss.append(ui_common.memory_mb()["rss_mb"])
            if number == self.warmup:
                self._sample(number)
                if self.trace:
                    import tracemalloc

                    tracemalloc.start(8)
                    self.snapshot = tracemalloc.take_snapshot()
            elif number > self.warmup and number % SAMPLE_EVERY == 0:
                self._sample(number)
            english = number % 2 == 1
            scanned = number % 5 == 4
            actions = 0
            while True:
                step = app.journey.step
                actions += 1
                if actions > STUCK_FRAMES:
                    self.problems.append(f"journey {number} ({account}) stuck on {step}")
                    app.act("cancel")
                    yield
                    break
                if step is Step.ATTRACT:
                    if actions > 1:
                        break  # back at the start: this journey is over
                    if scanned:
                        self._scan(account)
                        yield from self._until(lambda: app.journey.step is not Step.ATTRACT)
                        continue
                    app.act("start")
                elif step is Step.ACCOUNT:
                    if english and app.journey.language != "en":
                        app.act("set_language", "en")
                    elif app.journey.session.problem is not None:
                        self.problems.append(f"journey {number} ({account}): {app.journey.session.problem.code}")
                        app.act("cancel")
                    elif not app.journey.session.account_text:
                        app.account_key(account)  # the whole number on the keypad at once
                    else:
                        app.next_pressed()
                elif step is Step.METER:
                    app.next_pressed()  # "Yes, continue", or the first of several meters
                elif step is Step.READING:
                    yield from self._reading(number)
                    continue
                elif step is Step.QUESTION:
                    app.act("answer", True)
                elif step is Step.REVIEW:
                    if number % 10 == 9 and went_back != number:
                        went_back = number
                        app.act("back")  # "Change": back to the last reading, then on again
                    else:
                        app.next_pressed()  # Send
                elif step in (Step.COMMITTING, Step.PRINTING):
                    pass  # workers store and print; their results come back through the Clock
                elif step is Step.RESULT:
                    if not app.journey.session.outcome.printed:
                        self.problems.append(f"journey {number}: slip not printed: "
                                             f"{app.journey.session.outcome.reason}")
                    app.next_pressed()  # Done
                elif step is Step.THANKS:
                    app.act("cancel")  # the thank-you screen would wait its own seconds
                yield
        # The last reading after the same pause as the others: right after the last journey the
        # garbage it left has not been collected yet (31,000 Python objects against 18,000).
        yield from self._idle(IDLE_S)
        self.rss.append(ui_common.memory_mb()["rss_mb"])
        self._sample(len(self.numbers))
        self.mappings = ui_common.largest_mappings()
        ui_common.trim_malloc()
        self.trimmed = ui_common.memory_mb()
        if self.snapshot is not None:
            import tracemalloc

            stats = tracemalloc.take_snapshot().compare_to(self.snapshot, "traceback")
            # Each line: the allocating line first, then its callers (frames are oldest first).
            self.grown = [f"{stat.size_diff / 1024:+.1f} KiB in {stat.count_diff:+d} blocks at "
                          + " <- ".join(f"{frame.filename.rsplit('/', 2)[-1]}:{frame.lineno}"
                                        for frame in reversed(stat.traceback[-4:]))
                          for stat in stats[:12]]
            tracemalloc.stop()

    def _reading(self, number: int) -> Iterator[None]:
        app = self.app
        session = app.journey.session
        if session.problem is not None:
            self.problems.append(f"journey {number}: reading refused: {session.problem.code}")
            app.act("cancel")
            yield
            return
        meter, zone = session.meter, session.meter.zones[session.zone]
        if not session.entered[session.zone]:
            value = ((zone.previous or 0) + 1 + number % 40) % 10 ** meter.digits
            app.reading_key(str(value).zfill(meter.digits))  # every digit the register shows
        else:
            app.next_pressed()
        yield

    def _idle(self, seconds: float) -> Iterator[None]:
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            yield

    def _until(self, done: Any) -> Iterator[None]:
        for _ in range(STUCK_FRAMES):
            if done():
                return
            yield

    def _scan(self, account: str) -> None:
        """The customer holds a bill to the scanner: the emulator sends it down the serial line."""
        from devices.emulators import control

        threading.Thread(target=control.request, name="bench-scan", daemon=True,
                         args=(self.scanner_control, {"cmd": "emit", "payload": bill(account)})).start()

    def _sample(self, journeys: int) -> None:
        self.samples.append({"journeys": journeys, **census(self.app)})


def child(out: str, count: int, warmup: int, scanner_control: str, trace: bool) -> None:
    state: dict[str, Any] = {}

    def on_app(app: Any) -> None:
        from kivy.clock import Clock

        driver = Driver(app, ui_common.accounts(0, count), scanner_control, warmup, trace)
        state["driver"] = driver
        ui_common.after_each_frame(driver.frame)

        def started(*_args: Any) -> None:
            state["gl"] = ui_common.gl_renderer()
            # A second after the start, then every frame.
            Clock.schedule_once(lambda _dt: Clock.schedule_interval(driver.tick, 0), 1)

        app.bind(on_start=started)

    around_window = ui_common.window_memory()
    started = time.monotonic()
    code = ui_common.run_kiosk(on_app)
    driver = state["driver"]
    ui_common.write_json(out, {
        "samples": driver.samples, "rss": driver.rss, "problems": driver.problems, "grown": driver.grown,
        "mappings": driver.mappings, "trimmed": driver.trimmed, "gl": state.get("gl"), "window": around_window,
        "finished": driver.done, "seconds": time.monotonic() - started, "exit": code,
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--journeys", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=20, help="journeys before the baseline sample")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--trace", action="store_true", help="tracemalloc: where memory grew after warm-up")
    parser.add_argument("--quick", action="store_true", help="25 journeys after 5 of warm-up, at 1024x768")
    ui_common.add_size_argument(parser)
    parser.add_argument("--child", metavar="OUT", help=argparse.SUPPRESS)
    parser.add_argument("--scanner-control", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.journeys, args.warmup, args.scanner_control, args.trace)
        return
    from bench.common import median, report

    if args.quick:
        args.journeys, args.warmup = 25, 5
    args.size = ui_common.screen_size(args)
    runs = []
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as name, ui_common.display(args.size) as display:
        bare = ui_bare.measure(display, Path(name) / "bare", 20, args.size)["rss_mb"]
        for index in range(args.runs):
            folder = Path(name) / f"run-{index}"  # a fresh terminal each run: every account unused
            with ui_common.terminal_site(folder) as site:
                extra = ["--journeys", str(args.journeys), "--warmup", str(args.warmup),
                         "--scanner-control", str(site.scanner_control), *(["--trace"] if args.trace else [])]
                document, _ = ui_common.run_child(Path(__file__), extra, display, site, folder / "kivy",
                                                  timeout=120 + 5 * args.journeys, size=args.size)
                document["submissions"] = site.counts()
                document["slips"] = len(site.printer.pages)
            if not document["finished"]:
                raise SystemExit(f"run {index} did not finish: {document['problems'][:5]}")
            runs.append(document)
    first = [r["samples"][0]["rss_mb"] for r in runs]
    last = [r["samples"][-1]["rss_mb"] for r in runs]
    growth = [b - a for a, b in zip(first, last)]
    # Two single readings also differ by what the screens hold at that moment (a three-zone
    # review keeps more widgets and textures than a one-zone one): medians over a window of
    # journeys right after warm-up and at the end compare like with like.
    span = max(1, min(SAMPLE_EVERY, (args.journeys - args.warmup) // 4))
    steady = [median(r["rss"][-span:]) - median(r["rss"][args.warmup:args.warmup + span]) for r in runs]
    # What opening the window (SDL and the GL driver: here Mesa's llvmpipe) added to the process.
    opening = [r["window"]["after_window"]["rss_mb"] - r["window"]["before_window"]["rss_mb"] for r in runs]
    report({
        "benchmark": "ui_memory",
        "what": f"VmRSS of `kiosk run` after {args.warmup} and after {args.journeys} journeys, one process",
        "screen": "x".join(map(str, args.size)),
        "journeys": args.journeys,
        "runs": args.runs,
        "rss_after_warmup_mb_median": round(median(first), 1),
        "rss_after_all_mb_median": round(median(last), 1),
        "bare_kivy_rss_mb": bare,
        "rss_over_bare_mb": round(median(last) - bare, 1),
        "growth_mb": round(median(steady), 1),
        "growth_mb_median": round(median(growth), 1),
        "rss_before_window_mb_median": round(median([r["window"]["before_window"]["rss_mb"] for r in runs]), 1),
        "window_opening_mb_median": round(median(opening), 1),
        "rss_after_all_without_window_mb_median": round(median([b - w for b, w in zip(last, opening)]), 1),
        "growth_mb_all": [round(g, 1) for g in growth],
        "growth_of_medians_mb_median": round(median(steady), 1),
        "growth_of_medians_mb_all": [round(g, 1) for g in steady],
        "journeys_per_median": span,
        "rss_max_mb_all": [max(r["rss"]) for r in runs],
        "rss_mb_by_journeys": [{s["journeys"]: s["rss_mb"] for s in r["samples"]} for r in runs],
        "seconds_per_run": [round(r["seconds"], 1) for r in runs],
        "submissions": [r["submissions"] for r in runs],
        "slips_printed": [r["slips"] for r in runs],
        "problems": [r["problems"][:10] for r in runs],
        "samples": runs[-1]["samples"],
        "largest_mappings_mb_at_end": runs[-1]["mappings"],
        # After malloc_trim(0) at the end: memory the C allocator held only as free space is gone.
        "rss_after_malloc_trim_mb": [r["trimmed"].get("rss_mb") for r in runs],
        **({"grown_since_warmup": runs[-1]["grown"]} if args.trace else {}),
        "goals": {"rss_over_bare_mb": 60, "growth_mb": 1},
        "machine": {**ui_common.machine(), "gl": runs[-1]["gl"]},
    })


if __name__ == "__main__":
    main()
