"""Runs the real kiosk app on a real terminal in this process and taps through service mode.

Started by test_service_screens.py in a subprocess (one Kivy App per process) on an Xvfb display;
the printer and scanner emulators live in the test's process and are faulted and scanned through
their control sockets, as a technician would from a second shell. argv: a JSON object with
``data_dir``, ``printer``/``scanner`` (the ports), ``printer_control``/``scanner_control``,
``pin``, ``service_code`` and ``phase``: "first", "restart" (the same data again), or "storage" (a
terminal whose database stops taking writes). Prints one JSON document: what each step saw.
"""

from __future__ import annotations

import io
import json
import sys
import time
from collections.abc import Callable, Iterator

from sqlalchemy import event

from devices.emulators.control import request
from kiosk import config as config_module
from kiosk import demo_data, logs
from kiosk.service import pins
from screens.boot import terminal_app
from sync.directory_file import read_directory
from kiosk.wiring import assemble
from tests.ui.touch import play, tagged

BILL = ("ST00012|Name=АО Энергосбыт|PersonalAcc=40702810900000000001|BankName=ПАО Банк|BIC=044525225|"
        "CorrespAcc=30101810400000000225|PersAcc=2287008779|Sum=125000")
WRONG_PIN = "0000"
HOLD_S = 1.0  # [service] corner_hold_s for this run
IDLE_S = 15.0  # [service] idle_s: the least the configuration allows
KEY_PAUSE = 0.05  # taps on the same screen: the double-tap guard only follows a change of screen
SCREEN_PAUSE = 0.5  # longer than the double-tap guard


def main() -> None:
    options = json.loads(sys.argv[1])
    config = config_module.load(None, {
        "KIOSK_TERMINAL_DATA_DIR": options["data_dir"],
        "KIOSK_TERMINAL_ID": "service-test",
        "KIOSK_PRINTER_PORT": options["printer"],
        "KIOSK_SCANNER_PORT": options["scanner"],
        "KIOSK_SERVICE_TECHNICIAN_PIN_HASH": pins.hash_pin(options["pin"]),
        "KIOSK_SERVICE_SERVICE_CODE": options["service_code"],
        "KIOSK_SERVICE_CORNER_HOLD_S": str(HOLD_S),
        "KIOSK_SERVICE_IDLE_S": str(IDLE_S),
        "KIOSK_SERVICE_LOCKOUT_S": "600",
    })
    logs.configure(config.terminal.log_level)  # as `kiosk run` does: the program's log on stderr
    terminal = assemble(config)
    if terminal.store.directory.stats().meters == 0:
        text = io.StringIO()
        demo_data.write_csv(text, 50)
        text.seek(0)
        terminal.store.directory.import_rows(read_directory(text))
    terminal.start()
    app = terminal_app(terminal, config, windowed=True, size=(1280, 1024))
    report: dict = {"steps": [], "error": None}

    from kivy.core.window import Window
    from kivy.tests.common import UnitTestTouch

    mode = app.service
    manager = None

    def screen() -> str:
        return manager.current

    def visible(tag: str, within=None):
        found = tagged(tag, within or manager.current_screen)
        if not found:
            raise LookupError(f"no visible widget tagged {tag!r} on {screen()}")
        return found[0]

    def text_of(tag: str) -> str:
        return visible(tag).text

    last_touch = [0.0]

    def tap(tag: str, within=None) -> None:
        widget = visible(tag, within)
        touch = UnitTestTouch(*widget.to_window(*widget.center))
        touch.touch_down()
        touch.touch_up()
        last_touch[0] = time.monotonic()

    def wait_for(what: str, condition: Callable[[], bool], timeout: float = 8.0) -> Iterator[float]:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {timeout} s for {what}; on {screen()}")
            yield 0.05

    def hold_corner(seconds: float) -> Iterator[float]:
        touch = UnitTestTouch(4, Window.height - 4)
        touch.touch_down()
        yield seconds
        touch.touch_up()

    def type_pin(pin: str) -> Iterator[float]:
        for digit in pin:
            tap(f"key_{digit}")
            yield KEY_PAUSE
        tap("pin_ok")

    def lines() -> dict[str, list[str]]:
        return {line.tag[len("line_"):]: [line.ids.mark.level, line.ids.mark.text, line.ids.reason.text]
                for line in manager.current_screen.ids.lines.children}

    def page() -> dict:
        shown = mode.page
        return {"name": shown.name, "level": shown.level, "reason": text_of("page_reason"),
                "rows": dict(shown.rows)} if shown else {}

    def fault(name: str) -> None:
        request(options["printer_control"], {"cmd": "fault", "name": name})

    def scan(payload: str) -> None:
        request(options["scanner_control"], {"cmd": "emit", "payload": payload})

    started = time.monotonic()

    def note(name: str, **seen: object) -> None:
        report["steps"].append({"name": name, "at_s": round(time.monotonic() - started, 1), **seen})

    def enter() -> Iterator[float]:
        yield from hold_corner(HOLD_S + 0.4)
        yield from wait_for("the PIN screen", lambda: screen() == "service_pin")
        yield SCREEN_PAUSE
        yield from type_pin(options["pin"])
        yield from wait_for("the overview", lambda: screen() == "service_overview")
        yield from wait_for("the overview's lines", lambda: len(lines()) == 7)
        yield SCREEN_PAUSE

    def first() -> Iterator[float]:
        touch = UnitTestTouch(4, Window.height - 4)  # a short touch in the corner does nothing
        touch.touch_down()
        touch.touch_up()
        yield HOLD_S + 0.4
        note("short_corner_touch", screen=screen())

        yield from enter()
        note("overview", lines=lines(), state=text_of("service_state"))
        top = app.root_widget.ids.top
        tap("lang_en", top)  # the technician's language; the next customer still gets Russian
        yield from wait_for("English", lambda: lines()["printer"][2] == "ready")
        note("english", title=app.root_widget.ids.title.text, printer=lines()["printer"],
             journey=app.journey.language)
        tap("lang_ru", top)
        yield from wait_for("Russian", lambda: lines()["printer"][2] != "ready")
        yield SCREEN_PAUSE

        tap("line_printer")
        yield from wait_for("the printer page", lambda: mode.page is not None and mode.page.name == "printer")
        yield SCREEN_PAUSE
        tap("action_test_slip")
        yield from wait_for("the test slip", lambda: mode.done is not None, timeout=15)
        note("test_slip", ok=mode.done.ok, result=text_of("action_result"))
        yield SCREEN_PAUSE

        shown = page()["reason"]
        for name in ("paper_out", "cover_open", "offline", "unplugged"):
            fault(name)
            # The printer page follows the printer by itself, every few seconds; each fault has
            # words of its own, so a page from before the fault is not taken for it.
            yield from wait_for(f"{name} on the printer page",
                                lambda: page().get("level") == "red" and page()["reason"] != shown)
            on_page, shown = page(), page()["reason"]
            before = mode.healths
            tap("back_to_overview")
            yield from wait_for(f"{name} on the overview", lambda: mode.healths is not before)
            note("printer_fault", fault=name, page=on_page, overview=lines()["printer"])
            request(options["printer_control"], {"cmd": "clear"})
            yield SCREEN_PAUSE
            tap("line_printer")
            yield from wait_for("the printer page", lambda: mode.page is not None)
            yield SCREEN_PAUSE
        tap("back_to_overview")
        yield SCREEN_PAUSE

        tap("line_scanner")
        yield from wait_for("the scanner page", lambda: mode.page is not None and mode.page.name == "scanner")
        yield SCREEN_PAUSE
        before = page()["rows"]
        scan(BILL)
        yield from wait_for("the scan on the page", lambda: page()["rows"] != before)
        note("scanner_live", page=page(), journey=str(app.journey.step))
        tap("back_to_overview")
        yield SCREEN_PAUSE

        tap("switch_service")
        yield from wait_for("out of service", lambda: mode.out_of_service is not None and mode.working is None)
        yield SCREEN_PAUSE
        note("switched_out", state=text_of("service_state"), switch=text_of("switch_service"))
        tap("leave_service")
        yield from wait_for("the cover", lambda: screen() == "service_cover")
        yield SCREEN_PAUSE
        scan(BILL)  # a customer's bill on the cover is not let in
        yield 0.8
        note("cover", screen=screen(), heading=text_of("cover_heading"), reason=text_of("cover_reason"),
             journey=str(app.journey.step), session=app.journey.session is not None)
        yield from enter()
        tap("switch_service")
        yield from wait_for("in service", lambda: mode.out_of_service is None and mode.working is None)
        yield SCREEN_PAUSE
        note("switched_in", state=text_of("service_state"))
        tap("leave_service")
        yield from wait_for("the attract screen", lambda: screen() == "attract")
        # Back with the customers, the technician's screens are let go of (and made again below).
        yield from wait_for("the service screens let go of",
                            lambda: not [name for name in manager.screen_names if name.startswith("service_")])
        note("service_screens_dropped", screens=sorted(manager.screen_names))
        yield SCREEN_PAUSE

        # Left alone, service mode ends by itself; meanwhile the overview follows the printer.
        yield from enter()
        fault("paper_out")
        yield from wait_for("paper out by itself", lambda: lines().get("printer", [""])[0] == "red")
        note("live_overview", printer=lines()["printer"])
        yield from wait_for("the idle exit", lambda: screen() == "attract", timeout=IDLE_S + 5)
        request(options["printer_control"], {"cmd": "clear"})
        note("idle_exit", screen=screen(), after_s=round(time.monotonic() - last_touch[0], 1))
        yield SCREEN_PAUSE

        scan(options["service_code"])
        yield from wait_for("the PIN screen", lambda: screen() == "service_pin")
        yield SCREEN_PAUSE
        note("service_card", prompt=mode.via, journey=str(app.journey.step),
             session=app.journey.session is not None)
        messages = []
        for _ in range(5):
            yield from type_pin(WRONG_PIN)
            yield from wait_for("the PIN's answer", lambda: not mode.checking)
            messages.append(text_of("pin_message"))
        note("wrong_pins", messages=messages)
        yield from type_pin(options["pin"])  # the right one, too late
        yield from wait_for("the PIN's answer", lambda: not mode.checking)
        note("right_pin_locked", screen=screen(), message=text_of("pin_message"))
        tap("pin_cancel")
        yield from wait_for("the attract screen", lambda: screen() == "attract")

    def restart() -> Iterator[float]:
        yield from hold_corner(HOLD_S + 0.4)
        yield from wait_for("the PIN screen", lambda: screen() == "service_pin")
        yield from wait_for("the lock on opening", lambda: mode.pin_message != "")
        note("locked_on_opening", message=text_of("pin_message"))
        yield SCREEN_PAUSE
        yield from type_pin(options["pin"])
        yield from wait_for("the PIN's answer", lambda: not mode.checking)
        yield SCREEN_PAUSE
        note("right_pin_after_restart", screen=screen(), message=text_of("pin_message"))
        tap("pin_cancel")
        yield from wait_for("the attract screen", lambda: screen() == "attract")

    def storage() -> Iterator[float]:
        # The disk will not take a reading: the customer is told, the next ones see the cover.
        def read_only(dbapi_connection, _record) -> None:
            dbapi_connection.execute("PRAGMA query_only = ON")  # SQLite itself refuses every write

        event.listen(terminal.store.engine, "connect", read_only)
        terminal.store.engine.dispose()
        journey = app.journey
        journey.start()
        journey.type_account("1000000011")
        journey.submit_account()
        journey.choose_meter(journey.other_meters()[0].serial)
        journey.type_digit("05010")
        journey.next_zone()
        app.act("confirm_review")  # the commit runs on the app's worker, as after "Send"
        yield from wait_for("the commit's answer", lambda: str(journey.step) == "review"
                            and journey.session.problem is not None)
        yield from wait_for("out of service", lambda: mode.out_of_service is not None)
        note("storage_failed", screen=screen(), problem=journey.session.problem.code)
        app.act("cancel")  # every reading was typed: the customer is asked, and says yes
        app.act("reply", True)
        yield SCREEN_PAUSE
        note("storage_cover", screen=screen(), reason=text_of("cover_reason"))

        # This is when the technician is needed: the PIN works though nothing can be recorded.
        yield from hold_corner(HOLD_S + 0.4)
        yield from wait_for("the PIN screen", lambda: screen() == "service_pin")
        yield SCREEN_PAUSE
        yield from type_pin(WRONG_PIN)  # counted in memory
        yield from wait_for("the PIN's answer", lambda: not mode.checking)
        wrong = text_of("pin_message")
        yield SCREEN_PAUSE
        yield from type_pin(options["pin"])
        yield from wait_for("the overview", lambda: screen() == "service_overview")
        yield from wait_for("the overview's lines", lambda: len(lines()) == 7)
        yield SCREEN_PAUSE
        note("storage_entry", wrong=wrong, lines=lines(), state=text_of("service_state"))
        tap("switch_service")  # while the database still refuses: the terminal stays out
        yield from wait_for("the switch's answer", lambda: mode.done is not None and mode.working is None)
        yield SCREEN_PAUSE
        note("still_out", state=text_of("service_state"), out=mode.out_of_service is not None)
        event.remove(terminal.store.engine, "connect", read_only)  # the disk is fixed
        terminal.store.engine.dispose()
        tap("switch_service")
        yield from wait_for("in service", lambda: mode.out_of_service is None and mode.working is None)
        yield SCREEN_PAUSE
        note("back_in_service", state=text_of("service_state"))

    def plan() -> Iterator[float]:
        nonlocal manager
        manager = app.root_widget.ids.screens  # built by now: the script starts after run()
        yield from wait_for("the attract screen", lambda: screen() == "attract")
        try:
            yield from {"first": first, "restart": restart, "storage": storage}[options["phase"]]()
        except Exception as exc:  # reported, so the test shows which step failed
            report["error"] = f"{type(exc).__name__}: {exc} (after {[s['name'] for s in report['steps']]})"
        app.stop()

    play(plan())
    try:
        app.run()
    finally:
        terminal.close()
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
