"""«Позвать сотрудника» on the real app under Xvfb, on a whole demo terminal with its office on
loopback: a simulated touch on the button, the screen's answer, and the call at the office.

The app runs in a subprocess (one Kivy App per process): this file is also its driver, run as
``python tests/ui/test_call_staff.py DATA_DIR``, printing one JSON document of what it saw.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SIZE = (1280, 1024)


def test_a_customer_calls_staff_and_the_office_hears_at_once(display, tmp_path: Path) -> None:
    env = {**os.environ, "DISPLAY": display, "KIVY_NO_ARGS": "1", "KIVY_HOME": str(tmp_path / "kivy"),
           "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, __file__, str(tmp_path / "terminal")], env=env, capture_output=True,
                          text=True, timeout=180, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["error"] is None, seen
    assert seen["button"] == "Позвать сотрудника"
    assert seen["heading"] == "Сотрудник уже идёт"
    reference = seen["reference"]
    assert seen["reference_shown"] == f"Вызов {reference}"
    # The office had the call with the heartbeat the press sent, not the next one a minute later.
    assert seen["office_calls"] == [{"id": seen["call_id"], "reference": reference}]
    assert seen["office_after_s"] < 5
    assert seen["delivered"]  # answered, so the next heartbeats no longer carry it
    assert seen["closed"] and seen["step_after"] == "account"  # the customer's journey goes on
    assert seen["english"] == ["Call staff", "Staff are on their way"]
    # Service mode is the technician's: no call for staff on its PIN screen or its pages, and
    # the button is back for the next customer.
    assert seen["in_service"] == {"service_pin": [0, True, 0], "service_overview": [0, True, 0]}
    assert seen["after_service"][:2] == [1, False] and seen["after_service"][2] > 0


def drive(data_dir: Path) -> dict:
    from kiosk.demo import TECHNICIAN_PIN, demo_terminal
    from screens.boot import terminal_app
    from tests.ui.touch import play

    report: dict = {"error": None}
    with demo_terminal(data_dir) as demo:
        terminal = demo.terminal
        app = terminal_app(terminal, terminal.config, windowed=True, size=SIZE)

        from kivy.tests.common import UnitTestTouch
        from sqlalchemy import text

        def tap(widget) -> None:  # type: ignore[no-untyped-def]
            x, y = widget.to_window(*widget.center)
            touch = UnitTestTouch(x, y)
            touch.touch_down()
            touch.touch_up()

        def office_calls() -> list[dict]:
            with demo.office.engine.connect() as connection:
                stored = connection.execute(text("SELECT heartbeat FROM office_terminals")).scalar()
            beat = json.loads(stored) if stored else {}
            return [{"id": call["id"], "reference": call["reference"]} for call in beat.get("staff_calls", [])]

        def script() -> Iterator[float]:
            ids = app.root_widget.ids
            app.act("start")  # the customer is typing an account number
            yield 0.5
            for _ in range(50):  # the start-up heartbeat has gone: the office knows the terminal
                if terminal.store.staff_calls.undelivered(1) == [] and _office_heard(demo):
                    break
                yield 0.1
            button = ids.call_staff
            report["button"] = button.text
            pressed = time.monotonic()
            tap(button)
            for _ in range(50):
                if ids.staff.opacity == 1:
                    break
                yield 0.1
            report["heading"] = ids.staff.ids.heading.text
            report["reference_shown"] = ids.staff.ids.reference.text
            for _ in range(100):
                calls = office_calls()
                if calls:
                    report["office_after_s"] = round(time.monotonic() - pressed, 2)
                    report["office_calls"] = calls
                    break
                yield 0.05
            for _ in range(50):  # the terminal marks it delivered once the office's answer is in
                newest = _newest_call(terminal)
                if newest.delivered_at is not None:
                    break
                yield 0.05
            report.update(call_id=newest.id, reference=newest.reference, delivered=newest.delivered_at is not None)
            app.root_widget.export_to_png(str(data_dir / "staff-called.png"))
            tap(ids.staff.ids.close)
            yield 0.3
            report["closed"] = ids.staff.opacity == 0
            report["step_after"] = str(app.journey.step)
            app.act("set_language", "en")
            tap(button)
            for _ in range(50):
                if ids.staff.opacity == 1:
                    break
                yield 0.1
            report["english"] = [button.text, ids.staff.ids.heading.text]
            tap(ids.staff.ids.close)
            yield 0.3

            def staff_button() -> list:
                return [button.opacity, button.disabled, round(button.width)]

            app.act("cancel")  # back at the start, where the technician holds the corner
            service = app.service
            service.open_pin("corner")
            app.render()
            yield 0.3
            report["in_service"] = {service.screen_name(): staff_button()}
            for digit in TECHNICIAN_PIN:
                service.pin_key(digit)
            service.pin_ok()
            for _ in range(100):
                if service.screen_name() == "service_overview":
                    break
                yield 0.1
            yield 0.3
            report["in_service"][service.screen_name()] = staff_button()
            service.leave()
            yield 0.3
            report["after_service"] = staff_button()
            app.stop()

        def guarded() -> Iterator[float]:
            try:
                yield from script()
            except Exception as exc:  # reported, so the test says which step failed
                report["error"] = f"{type(exc).__name__}: {exc}"
                app.stop()

        play(guarded())
        app.run()
    return report


def _office_heard(demo) -> bool:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    with demo.office.engine.connect() as connection:
        return connection.execute(text("SELECT heartbeat FROM office_terminals")).scalar() is not None


def _newest_call(terminal):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from kiosk.store.schema import staff_calls

    with terminal.store.engine.connect() as connection:
        return connection.execute(select(staff_calls).order_by(staff_calls.c.at.desc()).limit(1)).first()


if __name__ == "__main__":
    print(json.dumps(drive(Path(sys.argv[1])), ensure_ascii=False))
