"""Runs the real kiosk app in this process and taps through whole journeys.

Started by test_touch_journeys.py in a subprocess (one Kivy App per process) on an Xvfb display.
argv: DATA_DIR. Prints one JSON document: what each journey saw and what was printed.
"""

from __future__ import annotations

import json
import queue
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from screens.boot import create_app
from screens.demo_store import demo_intake
from screens.settings import UiSettings

KEY_PAUSE = 0.12  # between keypad taps on the same screen
SCREEN_PAUSE = 0.5  # after a tap that changes the screen: longer than the double-tap guard


@dataclass
class Outcome:
    printed: bool
    reason: str | None = None


slips: list[dict] = []


def print_slip(submission, language):
    # Paper runs out for the near-rollover sample: its journey must still end with a number.
    if submission.account == "1000000029":
        return Outcome(False, "paper out")
    slips.append({"account": submission.account, "txn_id": submission.txn_id, "language": language})
    return Outcome(True)


def main() -> None:
    data_dir = Path(sys.argv[1])
    intake, store = demo_intake(data_dir)
    scans: "queue.Queue[str | None]" = queue.Queue()
    app = create_app(intake, print_slip=print_slip, scans=scans, size=(1280, 1024),
                     settings=UiSettings(fullscreen=False))
    report: dict = {"journeys": []}

    from kivy.clock import Clock
    from kivy.tests.common import UnitTestTouch

    def visible(tag: str):
        found = []

        def walk(widget) -> None:
            if widget.opacity == 0 or widget.disabled:
                return
            if getattr(widget, "tag", "") == tag:
                found.append(widget)
            for child in widget.children:
                walk(child)

        walk(app.root_widget.ids.screens.current_screen)
        walk(app.root_widget.ids.top)
        walk(app.root_widget.ids.bottom)
        if not found:
            raise LookupError(f"no visible widget tagged {tag!r} on {app.journey.step}")
        return found[0]

    def tap(tag: str) -> tuple[float, float]:
        widget = visible(tag)
        x, y = widget.to_window(*widget.center)
        tap_at(x, y)
        return x, y

    def tap_at(x: float, y: float) -> None:
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        touch.touch_up()

    def keys(text: str) -> Iterator[float]:
        for ch in text:
            tap(f"key_{ch}")
            yield KEY_PAUSE

    def step() -> str:
        return str(app.journey.step)

    def wait_for(name: str) -> Iterator[float]:
        for _ in range(100):
            if step() == name:
                return
            yield 0.1
        raise TimeoutError(f"still on {step()}, expected {name}")

    def journey(name: str, script: Iterator[float]) -> Iterator[float]:
        seen: list[str] = []
        try:
            for delay in script:
                if not seen or seen[-1] != step():
                    seen.append(step())
                yield delay
            error = None
        except Exception as exc:  # reported, so the test shows which tap failed
            error = f"{type(exc).__name__}: {exc}"
        seen.append(step())
        report["journeys"].append({"name": name, "steps": seen, "error": error,
                                   "number": last_number.get("text", "")})
        app.act("cancel")  # renders at once, so the double-tap guard starts counting now
        yield SCREEN_PAUSE

    last_number: dict[str, str] = {}

    def finish_on_result() -> Iterator[float]:
        yield from wait_for("result")
        yield SCREEN_PAUSE
        last_number["text"] = app.root_widget.ids.result.ids.number.text
        tap("next")  # Done
        yield SCREEN_PAUSE

    def two_zone() -> Iterator[float]:
        last_number.clear()
        x, y = tap("start")
        tap_at(x, y)  # the same finger again at once, over the keypad now: must be dropped
        report["after_double_tap"] = app.journey.session.account_text
        yield SCREEN_PAUSE
        yield from keys("2287008779")
        tap("next")
        yield SCREEN_PAUSE
        tap("lang_en")  # switching language keeps everything
        yield KEY_PAUSE
        tap("next")  # "Yes, continue"
        yield SCREEN_PAUSE
        yield from keys("12400")
        tap("next")
        yield SCREEN_PAUSE
        yield from keys("6800")
        tap("next")
        yield SCREEN_PAUSE
        tap("next")  # Send
        yield from finish_on_result()

    def scan_one_zone() -> Iterator[float]:
        last_number.clear()
        scans.put("1000000011")
        yield from wait_for("meter")
        yield SCREEN_PAUSE
        tap("next")
        yield SCREEN_PAUSE
        yield from keys("5010")
        tap("next")
        yield SCREEN_PAUSE
        tap("next")
        yield from finish_on_result()

    def rollover() -> Iterator[float]:
        last_number.clear()
        tap("start")
        yield SCREEN_PAUSE
        yield from keys("1000000029")
        tap("next")
        yield SCREEN_PAUSE
        tap("next")
        yield SCREEN_PAUSE
        yield from keys("00030")
        tap("next")
        yield SCREEN_PAUSE
        tap("that_is_right")
        yield SCREEN_PAUSE
        tap("next")
        yield from finish_on_result()

    def plan() -> Iterator[float]:
        yield 0.5
        yield from journey("two_zone", two_zone())
        yield from journey("scan_one_zone", scan_one_zone())
        yield from journey("rollover_paper_out", rollover())
        report["slips"] = slips
        app.stop()

    steps = plan()

    def advance(_dt: float) -> None:
        try:
            Clock.schedule_once(advance, next(steps))
        except StopIteration:
            pass

    Clock.schedule_once(advance, 0.5)
    app.run()
    store.close()
    print(json.dumps(report))


if __name__ == "__main__":
    main()
