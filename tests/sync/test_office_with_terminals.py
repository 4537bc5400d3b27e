"""The office and the real terminal together over loopback HTTP: an operator's command carried out
and shown done, a customer's staff call shown until acknowledged, the terminal's state and alerts."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import Engine

from kiosk import config as config_module
from kiosk.fleet import call_staff
from kiosk.service.access import SHELL
from kiosk.wiring import Terminal, assemble
from sync.office import alerts, fleet
from sync.office.terminals import utc_now
from tests.sync.support import OfficeServer

TERMINAL_ID = "kiosk-7"


@pytest.fixture
def together(office_engine: Engine, ram_folder: Path) -> Iterator[tuple[OfficeServer, Terminal]]:
    with OfficeServer(office_engine) as office:
        secret = office.terminal(TERMINAL_ID)
        config = config_module.load(None, {
            "KIOSK_TERMINAL_DATA_DIR": str(ram_folder / "terminal"), "KIOSK_TERMINAL_ID": TERMINAL_ID,
            "KIOSK_OFFICE_URL": office.url, "KIOSK_OFFICE_SECRET": secret, "KIOSK_OFFICE_READ_TIMEOUT": "5"})
        terminal = assemble(config)
        try:
            yield office, terminal
        finally:
            terminal.close()


def test_an_operators_command_is_carried_out_and_shown_done(together) -> None:
    office, terminal = together
    issued = fleet.issue_command(office.engine, TERMINAL_ID, "out_of_service", "ivanova", reason="стекло треснуло")
    stale = fleet.issue_command(office.engine, TERMINAL_ID, "restart", "ivanova", now=utc_now() - timedelta(hours=2))
    assert terminal.uploader.send_heartbeat() is not None  # carried out, and reported by a follow-up heartbeat
    switched = terminal.service.out_of_service()
    assert switched is not None and switched.reason == "стекло треснуло"
    states = {record.id: record for record in fleet.commands_of(office.engine, TERMINAL_ID)}
    assert states[issued.id].state == "done" and states[issued.id].finished_at is not None
    assert states[stale.id].state == "expired"  # dropped by the office, never sent
    state = fleet.terminal_state(office.engine, TERMINAL_ID)
    assert state is not None and state.heartbeat is not None and state.heartbeat.out_of_service is not None
    assert state.heartbeat.out_of_service.reason == "стекло треснуло"
    assert abs(state.clock_skew_s or 0) < 5

    fleet.issue_command(office.engine, TERMINAL_ID, "in_service", "petrov")
    terminal.uploader.send_heartbeat()
    assert terminal.service.out_of_service() is None
    assert [record.state for record in fleet.commands_of(office.engine, TERMINAL_ID)][:2] == ["done", "expired"]


def test_upload_logs_brings_the_masked_lines_to_the_office(together) -> None:
    office, terminal = together
    terminal.log_tail.attach()
    logger = logging.getLogger("kiosk.test")
    logger.setLevel(logging.INFO)
    for number in range(4):
        logger.info("line %d for account 228700877%d", number, number)
    issued = fleet.issue_command(office.engine, TERMINAL_ID, "upload_logs", "ivanova", lines=2)
    terminal.uploader.send_heartbeat()
    [record] = fleet.commands_of(office.engine, TERMINAL_ID)
    assert record.id == issued.id and record.state == "done"
    assert len(record.output) == 2 and record.output[-1].endswith("line 3 for account ******8773")


def test_a_staff_call_is_an_alert_until_an_operator_acknowledges_it(together) -> None:
    office, terminal = together
    terminal.service.switch_in_service(role=SHELL)
    reference = call_staff(terminal.store, terminal.uploader)
    terminal.uploader.send_heartbeat()  # what the running uploader does at once when woken
    state = fleet.terminal_state(office.engine, TERMINAL_ID)
    assert state is not None and [call.reference for call in state.open_calls] == [reference]
    found = alerts.alerts_of(state, utc_now())
    assert [(alert.kind, alert.reason) for alert in found if alert.kind == "staff_call"] == [("staff_call", reference)]
    assert fleet.acknowledge_staff_call(office.engine, state.open_calls[0].id, "ivanova")
    terminal.uploader.send_heartbeat()  # the terminal may send it again: kept once, still acknowledged
    state = fleet.terminal_state(office.engine, TERMINAL_ID)
    assert state is not None and state.open_calls == ()
    assert [call.acknowledged_by for call in fleet.staff_calls_of(office.engine, TERMINAL_ID)] == ["ivanova"]
