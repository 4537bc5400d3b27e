"""The kiosk printer's presenter, end to end over a real pty: a slip is presented, then taken by
the customer (the emulator's control socket, as another process would) or pulled back after the
retract time; the submission, the event log and the service screen's printer page say which."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

import pytest

from devices.emulators import PrinterEmulator
from devices.emulators.control import request
from kiosk import config as config_module
from kiosk.service.access import TECHNICIAN
from kiosk.service.desk import ServiceDesk
from kiosk.store.submissions import SLIP_RETRACTED
from kiosk.wiring import Terminal, assemble
from tests.devices.conftest import wait_for
from tests.test_service_desk import directory_rows

ACCOUNT = "2287008779"
RETRACT_S = 2


@contextlib.contextmanager
def kiosk_with_presenter(folder: Path) -> Iterator[tuple[Terminal, PrinterEmulator]]:
    # take_after_s None: nobody takes a slip unless the test says so.
    with PrinterEmulator("custom-vkp80", out=folder / "slips", directory=folder / "printer",
                         take_after_s=None, idle_end_s=0.1) as emulator:
        config = config_module.load(None, {
            "KIOSK_TERMINAL_DATA_DIR": str(folder / "kiosk"),
            "KIOSK_PRINTER_PORT": str(emulator.link),
            "KIOSK_PRINTER_PROFILE": "custom-vkp80",
            "KIOSK_PRINTER_RETRACT_AFTER_S": str(RETRACT_S),
        })
        terminal = assemble(config)
        try:
            terminal.store.directory.import_rows(directory_rows(10))
            yield terminal, emulator
        finally:
            terminal.close()


def submit_and_print(terminal: Terminal):  # type: ignore[no-untyped-def]
    # A second slip the same day is meant here: the customer's question is answered yes.
    result = terminal.intake.submit(ACCOUNT, None, ["12400", "6800"],
                                    confirmed=("already_submitted_today",))
    assert result.ok, result.as_dict()
    outcome = terminal.slips.print_slip(result.submission, "ru")
    assert outcome.printed, outcome.reason
    return result.submission


def test_a_presented_slip_the_customer_takes_is_recorded_taken(tmp_path: Path) -> None:
    with kiosk_with_presenter(tmp_path) as (terminal, emulator):
        submission = submit_and_print(terminal)
        # Presented: the slip sticks out of the mouth and the printer says so.
        assert wait_for(lambda: emulator.presenter == "slip_waiting", timeout=2)
        assert terminal.store.submissions.get(seq=submission.seq).slip_pickup == "presented"
        assert terminal.printer.status().presenter == "slip_waiting"
        answer = request(emulator.control_path, {"cmd": "take"})
        assert answer["taken"] == 1 and answer["presenter"] == "empty"
        assert terminal.slips.wait_for_pickup(RETRACT_S + 5)
        stored = terminal.store.submissions.get(seq=submission.seq)
        counts = terminal.store.service.slip_counts()
    assert stored.slip_pickup == "taken" and stored.print_reason is None
    assert stored.as_dict()["print"]["pickup"] == "taken"
    assert (counts.printed, counts.retracted) == (1, 0)
    assert emulator.retracted == 0


def test_a_slip_nobody_takes_is_retracted_recorded_and_counted(tmp_path: Path) -> None:
    with kiosk_with_presenter(tmp_path) as (terminal, emulator):
        submission = submit_and_print(terminal)
        assert wait_for(lambda: emulator.presenter == "slip_waiting", timeout=2)
        assert terminal.slips.wait_for_pickup(RETRACT_S + 5)
        assert emulator.retracted == 1 and emulator.taken == 0
        stored = terminal.store.submissions.get(seq=submission.seq)
        events = [(e.kind, e.detail) for e in terminal.store.events.recent(10)]
        desk = ServiceDesk(terminal)
        rows_en = dict(desk.page("printer", TECHNICIAN, "en").rows)
        rows_ru = dict(desk.page("printer", TECHNICIAN, "ru").rows)
    assert stored.slip_pickup == "retracted" and stored.print_state == "printed"
    assert stored.print_reason == SLIP_RETRACTED == "slip not taken, retracted"
    assert ("slip_retracted", {"seq": submission.seq}) in events
    assert rows_en["Slips not taken (pulled back)"] == "1"
    assert rows_ru["Чеки не забраны (втянуты обратно)"] == "1"


def test_a_new_slip_ends_the_watch_of_the_last_one(tmp_path: Path) -> None:
    with kiosk_with_presenter(tmp_path) as (terminal, emulator):
        first = submit_and_print(terminal)
        request(emulator.control_path, {"cmd": "take"})
        second = submit_and_print(terminal)
        assert terminal.slips.wait_for_pickup(RETRACT_S + 5)
        pickups = [terminal.store.submissions.get(seq=s.seq).slip_pickup for s in (first, second)]
    # The first was taken before the second was printed, or its watch ended with "presented";
    # never "retracted", and the second is followed to its own end.
    assert pickups[0] in ("taken", "presented") and pickups[1] == "retracted"


@pytest.mark.parametrize("profile", ["epson", "generic-58mm"])
def test_printers_without_a_presenter_record_no_pickup(tmp_path: Path, profile: str) -> None:
    with PrinterEmulator(profile, out=tmp_path / "slips", directory=tmp_path / "printer") as emulator:
        config = config_module.load(None, {"KIOSK_TERMINAL_DATA_DIR": str(tmp_path / "kiosk"),
                                           "KIOSK_PRINTER_PORT": str(emulator.link),
                                           "KIOSK_PRINTER_PROFILE": profile})
        terminal = assemble(config)
        try:
            terminal.store.directory.import_rows(directory_rows(10))
            submission = submit_and_print(terminal)
            assert terminal.store.submissions.get(seq=submission.seq).slip_pickup is None
            rows = dict(ServiceDesk(terminal).page("printer", TECHNICIAN, "en").rows)
        finally:
            terminal.close()
    assert "Slips not taken (pulled back)" not in rows
