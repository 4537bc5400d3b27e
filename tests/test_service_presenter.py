"""Service mode's presenter without a window: a real terminal (store files, PIN hashes, the
desk's checks), its questions run by hand where the app would run them off the UI thread."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk import config as config_module
from kiosk.journey import Journey, Step
from kiosk.service import pins
from kiosk.service.desk import ServiceDesk
from kiosk.service.health import SUBSYSTEMS
from kiosk.service.presenter import COVER, OVERVIEW, PAGE, PIN, REPRINT, ServiceMode
from kiosk.wiring import Terminal, assemble
from screens.texts import service_catalog
from tests.test_service_desk import directory_rows

TECHNICIAN_PIN, ADMINISTRATOR_PIN = "2468", "97531086"


class Worker:
    """The app's background helper by hand: questions wait until ``answer`` runs them, in order;
    what their answers ask in turn waits for the next ``answer``."""

    def __init__(self) -> None:
        self.waiting: list[tuple[Callable[[], Any], Callable[[Any], None], Callable[[Exception], None]]] = []

    def __call__(self, work: Callable[[], Any], deliver: Callable[[Any], None],
                 failed: Callable[[Exception], None]) -> None:
        self.waiting.append((work, deliver, failed))

    def answer(self) -> None:
        asked, self.waiting = self.waiting, []
        for work, deliver, failed in asked:
            try:
                value = work()
            except Exception as exc:
                failed(exc)
            else:
                deliver(value)


@pytest.fixture(scope="module")
def pin_hashes() -> dict[str, str]:
    # scrypt is slow: once for the module.
    return {"KIOSK_SERVICE_TECHNICIAN_PIN_HASH": pins.hash_pin(TECHNICIAN_PIN),
            "KIOSK_SERVICE_ADMINISTRATOR_PIN_HASH": pins.hash_pin(ADMINISTRATOR_PIN)}


@pytest.fixture
def terminal(tmp_path: Path, pin_hashes: dict[str, str]) -> Iterator[Terminal]:
    config = config_module.load(None, {"KIOSK_TERMINAL_DATA_DIR": str(tmp_path), **pin_hashes})
    terminal = assemble(config)
    terminal.store.directory.import_rows(directory_rows(5))
    try:
        yield terminal
    finally:
        terminal.close()


@pytest.fixture
def worker() -> Worker:
    return Worker()


@pytest.fixture
def mode(terminal: Terminal, worker: Worker) -> ServiceMode:
    journey = Journey(terminal.intake, None, language="en")
    return ServiceMode(journey, ServiceDesk(terminal), now=terminal.intake.now, render=lambda: None,
                       run=worker, catalog=service_catalog)


def enter(mode: ServiceMode, worker: Worker, pin: str = TECHNICIAN_PIN) -> None:
    mode.open_pin("corner")
    for key in pin:
        mode.pin_key(key)
    mode.pin_ok()
    worker.answer()


def test_the_right_pin_opens_the_overview_with_a_line_per_subsystem(mode: ServiceMode, worker: Worker) -> None:
    enter(mode, worker)
    assert mode.screen == OVERVIEW and mode.session is not None and mode.session.role == "technician"
    assert mode.title() == "Service mode: technician"
    worker.answer()
    assert mode.checked and [h.subsystem for h in mode.healths or []] == list(SUBSYSTEMS)


def test_a_wrong_pin_says_how_many_tries_are_left(mode: ServiceMode, worker: Worker) -> None:
    enter(mode, worker, "1111")
    assert mode.screen == PIN and mode.session is None
    assert mode.pin_message == "Wrong PIN. 4 tries left."


def test_a_page_and_an_action_come_back_where_they_were_asked(mode: ServiceMode, worker: Worker) -> None:
    enter(mode, worker)
    mode.open_page("storage")
    assert mode.screen == PAGE and mode.page is None
    worker.answer()
    assert mode.page is not None and mode.page.name == "storage"
    mode.act("check_integrity")
    assert mode.working == "check_integrity"
    worker.answer()
    assert mode.working is None and mode.done is not None and mode.done.ok, mode.done


def test_answers_asked_before_service_mode_closed_are_dropped(mode: ServiceMode, worker: Worker) -> None:
    enter(mode, worker)
    assert worker.waiting  # the overview's question is on its way
    mode.leave()
    worker.answer()
    assert mode.screen is None and mode.healths is None and mode.session is None


def test_out_of_service_shows_the_cover_once_the_customer_is_back_at_the_start(
        mode: ServiceMode, worker: Worker) -> None:
    enter(mode, worker)
    worker.answer()
    mode.switch_service()
    worker.answer()
    assert mode.done is not None and mode.done.ok
    worker.answer()  # what the switch changed is asked again at once
    assert mode.out_of_service is not None and mode.done is not None and mode.done.ok
    mode.leave()
    worker.answer()
    assert mode.journey.step is Step.ATTRACT and mode.screen_name() == COVER


def test_reprint_asks_which_slip_and_keeps_a_wrong_number_to_correct(mode: ServiceMode, worker: Worker) -> None:
    enter(mode, worker, ADMINISTRATOR_PIN)
    mode.open_page("printer")
    worker.answer()
    assert [a.name for a in mode.page.actions if a.allowed] == ["test_slip", "reprint", "new_roll"]
    mode.act("reprint")
    assert mode.screen == REPRINT and not worker.waiting  # nothing printed before the slip is named
    for key in ("4", "2", "x", "erase", "7"):
        mode.slip_key(key)
    assert mode.slip == "47"
    mode.reprint()
    worker.answer()
    assert mode.screen == REPRINT and mode.slip == "47"
    assert mode.slip_message == "No slip has the number or reference 47: check it against the slip."
    mode.back_to_page()
    assert mode.screen == PAGE and mode.page_name == "printer"
