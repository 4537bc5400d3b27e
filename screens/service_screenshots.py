"""The service screens for ``kiosk screenshots``: every service screen and state, in both
languages, shown by a real terminal (kiosk.demo's: an emulated printer and scanner, a local
office, the demo directory).

``service_stage(folder)`` starts that terminal and yields a ``ServiceStage``; the app to shoot
is created with ``**stage.app_options()``. ``scenarios(stage)`` gives (name, setup) pairs;
``setup(app, language)`` puts the app's service mode into that state at once, asking the desk
on the calling thread (fine for pictures, never in the kiosk) and faulting the emulated devices
where the state needs a fault.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.billcode import parse_scan
from kiosk.config import Config
from kiosk.demo import DemoTerminal, demo_terminal
from kiosk.service.access import ADMINISTRATOR, TECHNICIAN, Entry
from kiosk.service.desk import ServiceDesk
from screens.service_views import OVERVIEW, PAGE, PIN, REPRINT

if TYPE_CHECKING:
    from screens.app import KioskApp

Setup = Callable[["KioskApp", str], None]
BILL = ("ST00012|Name=АО Энергосбыт|PersonalAcc=40702810900000000001|BankName=ПАО Банк|BIC=044525225|"
        "CorrespAcc=30101810400000000225|PersAcc=2287008779|Sum=125000").encode()
SETTLE_S = 10.0  # the scanner driver notices a cable pulled or put back within this
# No office listens here: the probe's connection is refused, as with a cut cable.
DEAD_OFFICE = "http://127.0.0.1:9"


@dataclass
class ServiceStage:
    demo: DemoTerminal
    desk: ServiceDesk
    config: Config  # the terminal's own
    offline: Config  # the same with an office address nobody answers at

    @property
    def terminal(self):
        return self.demo.terminal

    def app_options(self) -> dict[str, Any]:
        """What create_app needs for service mode on this terminal."""
        return {"service": self.desk}

    def reset(self, *, paper_out: bool = False, network_down: bool = False, paper_low: bool = False,
              scanner_unplugged: bool = False) -> None:
        """Every device working and customers served, then the faults asked for."""
        printer, scanner = self.demo.printer, self.demo.scanner
        printer.clear_fault()
        if paper_out:
            printer.set_fault("paper_out")
        if paper_low:
            printer.set_fault("paper_near_end")
        driver = self.terminal.scanner
        if scanner_unplugged and scanner.plugged:
            scanner.unplug()
            deadline = time.monotonic() + SETTLE_S
            while driver.connected and time.monotonic() < deadline:  # its reader notices the cable
                time.sleep(0.05)
        elif not scanner_unplugged and not scanner.plugged:
            scanner.plug()
            driver.wait_connected(SETTLE_S)
        self.terminal.config = self.offline if network_down else self.config
        if self.terminal.service.out_of_service() is not None:
            self.terminal.service.switch_in_service(role=TECHNICIAN)


@contextlib.contextmanager
def service_stage(folder: Path) -> Iterator[ServiceStage]:
    with demo_terminal(folder) as demo:
        config = demo.terminal.config
        offline = config.model_copy(update={"office": config.office.model_copy(update={"url": DEAD_OFFICE})})
        yield ServiceStage(demo, ServiceDesk(demo.terminal), config, offline)


def scenarios(stage: ServiceStage) -> list[tuple[str, Setup]]:
    access = stage.terminal.service
    desk = stage.desk

    def pin(typed: str = "", via: str = "corner", answer: Entry | None = None) -> Setup:
        def go(app: "KioskApp", language: str) -> None:
            stage.reset()
            mode = _fresh(app, language)
            mode.screen, mode.via = PIN, via
            if answer is not None:
                mode.checking = True
                mode.entry_answered(answer)
            mode.pin = typed

        return go

    def overview(**faults: bool) -> Setup:
        def go(app: "KioskApp", language: str) -> None:
            stage.reset(**faults)
            mode = _enter(app, language, TECHNICIAN)
            mode.screen = OVERVIEW
            mode.healths, mode.checked = desk.overview(language), True

        return go

    def page(name: str, *, role: str = ADMINISTRATOR, paper_out: bool = False,
             network_down: bool = False, action: str | None = None, working: bool = False) -> Setup:
        def go(app: "KioskApp", language: str) -> None:
            stage.reset(paper_out=paper_out, network_down=network_down)
            mode = _enter(app, language, role)
            if name == "scanner":
                desk.page(name, role, language)  # the page is open: the scan is its test
                desk.scan_seen(parse_scan(BILL))
            mode.screen, mode.page_name = PAGE, name
            if action is not None:
                assert mode.session is not None
                mode.done = desk.act(action, mode.session, language)
            mode.page = desk.page(name, role, language)
            if working:
                mode.working = "test_slip"

        return go

    def reprint(typed: str, *, find: bool = False) -> Setup:
        def go(app: "KioskApp", language: str) -> None:
            stage.reset()
            mode = _enter(app, language, ADMINISTRATOR)
            mode.page_name, mode.page = "printer", desk.page("printer", ADMINISTRATOR, language)
            mode.screen, mode.slip = REPRINT, typed
            if find:
                assert mode.session is not None
                mode.slip_message = desk.act("reprint", mode.session, language, slip=typed).message

        return go

    def cover(storage_failed: bool) -> Setup:
        def go(app: "KioskApp", language: str) -> None:
            stage.reset()
            mode = _fresh(app, language)
            if storage_failed:
                access.storage_failed(OSError(28, "No space left on device"))
            else:
                access.switch_out_of_service(role=TECHNICIAN, reason="paper being changed")
            mode.out_of_service = desk.out_of_service()
            app.journey.set_language(language)

        return go

    locked = datetime.now(timezone.utc) + timedelta(minutes=15)
    return [
        ("pin-entry", pin("1234")),
        ("pin-card", pin(via="card")),
        ("pin-wrong", pin(answer=Entry(attempts_left=3))),
        ("pin-locked", pin(answer=Entry(attempts_left=0, locked_until=locked))),
        ("overview-all-green", overview()),
        ("overview-paper-out-network-down", overview(paper_out=True, network_down=True)),
        ("overview-warnings", overview(paper_low=True, scanner_unplugged=True)),
        ("page-printer", page("printer")),
        ("page-printer-paper-out", page("printer", paper_out=True)),
        ("page-printer-working", page("printer", working=True)),
        ("page-printer-test-slip-printed", page("printer", action="test_slip")),
        ("page-printer-technician", page("printer", role=TECHNICIAN)),
        ("reprint-entry", reprint("")),
        ("reprint-not-found", reprint("3F2A91C0B7", find=True)),
        ("page-scanner-live-scan", page("scanner")),
        ("page-upload", page("upload")),
        ("page-directory", page("directory")),
        ("page-network", page("network")),
        ("page-network-down-checked", page("network", network_down=True, action="check_network")),
        ("page-storage", page("storage")),
        ("page-system", page("system")),
        ("cover-maintenance", cover(storage_failed=False)),
        ("cover-storage-failed", cover(storage_failed=True)),
    ]


def _fresh(app: "KioskApp", language: str):
    mode = app.service
    assert mode is not None, "create the app with the stage's app_options()"
    mode.close()
    mode.out_of_service = None
    mode.language = language
    return mode


def _enter(app: "KioskApp", language: str, role: str):
    mode = _fresh(app, language)
    mode.session = mode.access.session(role)
    mode.out_of_service = mode.desk.out_of_service()
    return mode
