"""Runs the real kiosk app on a whole demo terminal in this process and taps through journeys.

Started by test_touch_journeys.py in a subprocess (one Kivy App per process) on an Xvfb display.
The terminal is the one ``kiosk demo`` runs (kiosk.demo.demo_terminal): the real printer and
scanner drivers talk to the emulators over pseudo-terminals, the uploader to a local office over
loopback HTTP. Bills are scanned and paper runs out through the emulators' control sockets, the
way a person does it from a second shell. The app is the one ``kiosk run`` shows, made by the same
function (screens.boot.terminal_app), service mode included.

argv: DATA_DIR (the terminal's folder: its database, and the printed slips in ``slips/``).
Prints one JSON document: what each journey saw and what the screens showed.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from devices.emulators import control
from screens.boot import terminal_app
from kiosk.demo import DemoTerminal, demo_terminal
from tests.ui.touch import play, tagged

KEY_PAUSE = 0.25  # between keypad taps: a customer's pace, well apart from the bounce guard
SCREEN_PAUSE = 0.5  # after a tap that changes the screen: longer than the double-tap guard
BOUNCE_S = 0.03  # a finger bouncing on the glass
DELIBERATE_S = 0.25  # the same key again on purpose ("00")
SIZE = (1280, 1024)

# A bill's payment code (ГОСТ Р 56042-2014) for the one-zone sample account.
BILL = ("ST00012|Name=АО Энергосбыт|PersonalAcc=40702810900000000001|BankName=ПАО Банк|"
        "BIC=044525225|CorrespAcc=30101810400000000225|PersAcc=1000000011|Sum=125000")


def main() -> None:
    with demo_terminal(Path(sys.argv[1])) as demo:
        report = drive(demo)
    print(json.dumps(report, ensure_ascii=False))


def drive(demo: DemoTerminal) -> dict:
    app = terminal_app(demo.terminal, demo.terminal.config, windowed=True, size=SIZE)
    report: dict = {"journeys": []}

    from kivy.tests.common import UnitTestTouch

    from screens.qr import qr_texture

    def visible(tag: str):  # type: ignore[no-untyped-def]
        ids = app.root_widget.ids
        # A card over the screen takes every touch: then only what is on it can be tapped.
        covers = [layer for layer in (ids.countdown, ids.ask) if layer.opacity > 0]
        found = tagged(tag, *(covers[:1] or (ids.screens.current_screen, ids.top, ids.bottom)))
        if not found:
            raise LookupError(f"no visible widget tagged {tag!r} on {app.journey.step}")
        return found[0]

    def centre(tag: str) -> tuple[float, float]:
        widget = visible(tag)
        return widget.to_window(*widget.center)

    def tap(tag: str) -> tuple[float, float]:
        x, y = centre(tag)
        press(UnitTestTouch(x, y))
        return x, y

    def press(touch) -> None:  # type: ignore[no-untyped-def]
        touch.touch_down()
        touch.touch_up()

    def settled() -> Iterator[float]:
        # Kivy counts a pause from the start of its frame, so a screen that took long to draw
        # can leave the next tap inside the double-tap guard: wait it out, as a customer would.
        while time.monotonic() - app.changed_at < app.settings.double_tap_s:
            yield 0.05

    def keys(text: str) -> Iterator[float]:
        for ch in text:
            yield from settled()
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

    def emulator(device, message: dict) -> None:  # type: ignore[no-untyped-def]
        reply = control.request(device.control_path, message)
        if not reply.get("ok"):
            raise RuntimeError(f"emulator refused {message}: {reply}")

    shown: dict = {}

    def journey(name: str, script: Iterator[float]) -> Iterator[float]:
        seen: list[str] = []
        shown.clear()
        try:
            for delay in script:
                if not seen or seen[-1] != step():
                    seen.append(step())
                yield delay
            error = None
        except Exception as exc:  # reported, so the test shows which tap failed
            error = f"{type(exc).__name__}: {exc}"
        seen.append(step())
        report["journeys"].append({"name": name, "steps": seen, "error": error, **shown})
        app.act("reset")  # renders at once, so the double-tap guard starts counting now
        yield SCREEN_PAUSE

    def finish_on_result() -> Iterator[float]:
        yield from wait_for("result")
        yield SCREEN_PAUSE
        ids = app.root_widget.ids.result.ids
        txn_id = app.journey.session.result.submission.txn_id
        shown.update(number_label=ids.number_label.text, number=ids.number.text,
                     hotline=ids.hotline.text, period=ids.period.text, message=ids.slip.text,
                     sent=[cell.text for cell in reversed(ids.sent.children)], txn_id=txn_id,
                     qr_shown=ids.qr.texture is not None and ids.qr.opacity > 0 and ids.qr.width > 0,
                     qr_opens_check_page=ids.qr.texture is not None
                     and ids.qr.texture.pixels == qr_texture(f"{demo.office.url}/r/{txn_id}").pixels)
        tap("next")  # Done
        yield SCREEN_PAUSE

    def two_zone() -> Iterator[float]:
        x, y = tap("start")
        press(UnitTestTouch(x, y))  # the same finger again at once, over the keypad now: dropped
        shown["after_double_tap"] = app.journey.session.account_text
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
        yield from keys("06800")
        tap("next")
        yield SCREEN_PAUSE
        tap("next")  # Send
        yield from finish_on_result()

    def bounce() -> Iterator[float]:
        tap("start")
        yield SCREEN_PAUSE
        # Two touches on one key that went down 30 ms apart (stamped when they went down, as an
        # input device stamps them), then the same key once more a customer's beat later.
        x, y = centre("key_5")
        first = UnitTestTouch(x, y)
        time.sleep(BOUNCE_S)
        second = UnitTestTouch(x, y)
        press(first)
        press(second)
        pressed = time.monotonic()
        shown["after_bounce"] = app.journey.session.account_text
        yield DELIBERATE_S
        # Kivy counts the pause from its frame's start: after a slow frame it can end at once,
        # and a tap that soon after the last is a bounce. A customer's beat is real time.
        time.sleep(max(0.0, DELIBERATE_S - (time.monotonic() - pressed)))
        tap("key_5")
        shown["after_deliberate"] = app.journey.session.account_text

    def scan_one_zone() -> Iterator[float]:
        emulator(demo.scanner, {"cmd": "emit", "payload": BILL})
        yield from wait_for("meter")
        yield SCREEN_PAUSE
        tap("next")
        yield SCREEN_PAUSE
        yield from keys("05010")
        tap("next")
        yield SCREEN_PAUSE
        tap("next")
        yield from finish_on_result()

    def rollover() -> Iterator[float]:
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
        shown["question_buttons"] = [tag for tag in ("back", "next", "cancel", "check_again",
                                                     "that_is_right") if _shown(visible, tag)]
        shown["question_back"] = visible("back").text
        tap("next")  # "Yes, that is right": where the next step always is
        yield SCREEN_PAUSE
        tap("next")
        yield from finish_on_result()

    def paper_out() -> Iterator[float]:
        tap("start")
        yield SCREEN_PAUSE
        yield from keys("1000000037")
        tap("next")
        yield SCREEN_PAUSE
        emulator(demo.printer, {"cmd": "fault", "name": "paper_out"})  # the roll runs out now
        tap("next")
        yield SCREEN_PAUSE
        for reading in ("104600", "088050", "061300"):
            yield from keys(reading)
            tap("next")
            yield SCREEN_PAUSE
        tap("next")  # Send
        yield from finish_on_result()
        emulator(demo.printer, {"cmd": "clear"})

    def prompt() -> dict:
        ask = app.root_widget.ids.ask
        return {"heading": ask.ids.heading.text, "message": ask.ids.message.text,
                "visible": ask.opacity > 0}

    def wait_for_countdown() -> Iterator[float]:
        for _ in range(100):
            if app.root_widget.ids.countdown.opacity > 0:
                return
            yield 0.1
        raise TimeoutError("no countdown")

    def countdown_card() -> dict:
        ids = app.root_widget.ids.countdown.ids
        return {"seconds": ids.seconds.text, "typed": ids.typed.text, "explain": ids.explain.text}

    def idle_after(seconds: float) -> None:
        # The configured minute of inactivity, shortened for the journeys that wait for it.
        journey = app.journey
        journey._timeouts = dataclasses.replace(journey._timeouts, idle=seconds)

    def safety_nets() -> Iterator[float]:
        tap("start")
        yield SCREEN_PAUSE
        yield from keys("1000000045")  # one zone, 8 digits, last 1234567
        tap("next")
        yield SCREEN_PAUSE
        tap("next")
        yield SCREEN_PAUSE
        yield from keys("051")
        tap("next")
        shown["too_few"] = app.root_widget.ids.reading.ids.problem.text
        shown["too_few_step"] = step()
        idle_after(1.0)
        yield from wait_for_countdown()
        shown["countdown_reading"] = countdown_card()
        tap("still_here")
        idle_after(60.0)
        yield SCREEN_PAUSE
        shown["typed_after_countdown"] = app.journey.session.entered[0]
        tap("key_clear")
        yield KEY_PAUSE
        yield from keys("01234600")
        tap("next")
        yield SCREEN_PAUSE
        tap("cancel")  # on the review: asked first
        yield SCREEN_PAUSE
        shown["discard_prompt"] = prompt()
        tap("prompt_no")
        yield SCREEN_PAUSE
        shown["after_no"] = [step(), app.journey.session.entered[0], prompt()["visible"]]
        tap("cancel")
        yield SCREEN_PAUSE
        tap("prompt_yes")
        yield SCREEN_PAUSE
        shown["after_yes"] = [step(), app.journey.session is None]

    def scan_mid_way() -> Iterator[float]:
        tap("start")
        yield SCREEN_PAUSE
        yield from keys("1000000037")
        tap("next")
        yield from wait_for("meter")  # on a busy machine a fixed pause can be too short
        yield SCREEN_PAUSE
        tap("next")
        yield from wait_for("reading")
        yield SCREEN_PAUSE
        yield from keys("1046")
        emulator(demo.scanner, {"cmd": "emit", "payload": BILL})  # the bill of 1000000011
        for _ in range(300):
            if prompt()["visible"]:
                break
            yield 0.1
        yield SCREEN_PAUSE
        shown["switch_prompt"] = prompt()
        tap("prompt_no")
        yield SCREEN_PAUSE
        shown["after_no"] = [step(), app.journey.session.account_number,
                             app.journey.session.entered[0]]
        emulator(demo.scanner, {"cmd": "emit", "payload": BILL})
        for _ in range(100):
            if prompt()["visible"]:
                break
            yield 0.1
        yield SCREEN_PAUSE
        tap("prompt_yes")
        yield SCREEN_PAUSE
        shown["after_yes"] = [step(), app.journey.session.account_number]

    def same_day() -> Iterator[float]:
        tap("start")
        yield SCREEN_PAUSE
        yield from keys("1000000011")  # its readings were sent by the scan journey today
        tap("next")
        yield SCREEN_PAUSE
        tap("next")
        yield SCREEN_PAUSE
        yield from keys("05020")
        tap("next")
        yield SCREEN_PAUSE
        shown["question"] = app.root_widget.ids.question.ids.message.text
        tap("next")  # "Yes, that is right"
        yield SCREEN_PAUSE
        tap("next")  # Send
        yield from wait_for("result")
        shown["confirmed"] = list(app.journey.session.result.submission.confirmed)
        yield SCREEN_PAUSE
        idle_after(1.0)
        yield from wait_for_countdown()
        shown["countdown_result"] = countdown_card()
        tap("still_here")
        idle_after(60.0)
        yield SCREEN_PAUSE
        shown["after_countdown"] = step()

    def plan() -> Iterator[float]:
        yield 0.5
        yield from journey("two_zone", two_zone())
        yield from journey("bounce", bounce())
        yield from journey("scan_one_zone", scan_one_zone())
        yield from journey("rollover", rollover())
        yield from journey("paper_out", paper_out())
        yield from journey("safety_nets", safety_nets())
        yield from journey("scan_mid_way", scan_mid_way())
        yield from journey("same_day", same_day())
        app.stop()

    play(plan())
    app.run()
    return report


def _shown(visible, tag: str) -> bool:  # type: ignore[no-untyped-def]
    try:
        visible(tag)
    except LookupError:
        return False
    return True


if __name__ == "__main__":
    main()
