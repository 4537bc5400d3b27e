"""The real app under Xvfb: the year's consumption and the bill's sum appear on the review only
for the customer who scanned the bill; a typed number shows the estimate and nothing else.

Run as a test, it starts itself as the driver (``python -m tests.ui.test_money_screens DATA``) on
a private X server: one Kivy App per process. The bill comes in as the scanner hands it over
(a parsed scan in the app's queue), so the app's own wiring of the bill's Sum is under test.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BILL = ("ST00012|Name=АО Энергосбыт|PersonalAcc=40702810900000000001|BankName=ПАО Банк|BIC=044525225|"
        "CorrespAcc=30101810400000000225|PersAcc=2287008779|Sum=125000").encode()
FRAMES = 3


def test_history_and_the_bills_sum_only_for_the_bills_holder(display: str, tmp_path: Path) -> None:
    env = {**os.environ, "DISPLAY": display, "KIVY_NO_ARGS": "1", "KIVY_HOME": str(tmp_path / "kivy"),
           "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "tests.ui.test_money_screens", str(tmp_path / "data")],
                          env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    scanned = seen["scanned"]
    assert scanned["step"] == "review" and scanned["chart_shown"]
    assert len(scanned["bars"]) == 13 and scanned["bars"][-1][1:] == [66, True]  # 12 periods and this one
    assert "По квитанции к оплате: 1\u00a0250,00\u00a0₽" in scanned["money"]
    assert "(предварительно)" in scanned["money"]
    for name in ("typed", "typed_over_the_scan", "next_customer"):
        typed = seen[name]
        assert typed["step"] == "review", name
        assert not typed["chart_shown"] and typed["bars"] == [], name
        assert "По квитанции" not in typed["money"] and "(предварительно)" in typed["money"], name
        assert typed["previous"], name  # the previous readings, as ever


def drive(data_dir: Path) -> dict:
    from kiosk.billcode import parse_scan
    from kiosk.journey import Step
    from screens.boot import create_app
    from screens.demo_store import demo_intake
    from screens.screenshots import run_by_frames
    from screens.settings import UiSettings

    intake, store = demo_intake(data_dir)
    scans: queue.Queue = queue.Queue()
    app = create_app(intake, print_slip=None, scans=scans, settings=UiSettings(fullscreen=False), size=(1366, 768))
    seen: dict = {}

    def review_of(name: str) -> None:
        screen = app.root_widget.ids.screens.current_screen
        chart = screen.ids.chart
        seen[name] = {
            "step": str(app.journey.step),
            "bars": [list(bar) for bar in chart.bars],
            "chart_shown": bool(chart.bars) and screen.ids.history.opacity == 1 and chart.height > 0,
            "money": screen.ids.estimate.text,
            "previous": [cell.text for cell in screen.ids.table.children],
        }

    def cancel() -> None:
        app.act("cancel")
        if app.journey.session is not None and app.journey.session.prompt is not None:
            app.act("reply", True)  # yes, discard what was typed

    def readings() -> None:
        journey = app.journey
        app.act("choose_meter", journey.other_meters()[0].serial)
        for value in ("12400", "06800"):
            app.act("type_digit", value)
            app.act("next_zone")

    def scanned():  # type: ignore[no-untyped-def]
        # The app takes a scan at its next poll (a quarter of a second): frames until it has.
        for _ in range(600):
            if scans.empty() and app.journey.step is Step.METER:
                return
            yield 1
        raise TimeoutError(f"the scan was not taken: still on {app.journey.step}")

    def plan():  # type: ignore[no-untyped-def]
        scans.put(parse_scan(BILL))  # the scanner's thread hands the bill over; the app's tick takes it
        yield from scanned()
        readings()
        yield FRAMES
        review_of("scanned")
        cancel()
        app.act("start")
        app.act("type_account", "2287008779")
        app.act("submit_account")
        readings()
        yield FRAMES
        review_of("typed")
        cancel()
        scans.put(parse_scan(BILL))
        yield from scanned()
        app.act("back")
        app.act("erase_account")
        app.act("type_account", "9")
        app.act("submit_account")
        readings()
        yield FRAMES
        review_of("typed_over_the_scan")
        cancel()
        app.act("start")
        app.act("type_account", "2287008779")
        app.act("submit_account")
        readings()
        yield FRAMES
        review_of("next_customer")
        app.stop()

    run_by_frames(app, plan())
    store.close()
    return seen


if __name__ == "__main__":
    print(json.dumps(drive(Path(sys.argv[1])), ensure_ascii=False))
