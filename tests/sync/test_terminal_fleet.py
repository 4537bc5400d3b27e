"""The terminal in the office's fleet: what its heartbeat tells the real office, and the office's
commands carried out once each, over loopback HTTP with the terminal's real store."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import Engine, text

from kiosk import config as config_module
from kiosk.fleet import OFFICE
from kiosk.service.access import SHELL
from kiosk.wiring import Terminal, assemble
from tests.sync.commanding_office import CommandingOffice
from tests.sync.support import ROOT, OfficeServer, load_office_directory, meter_rows, queue_submissions

TERMINAL_ID = "kiosk-7"


def terminal_environment(folder: Path, url: str, secret: str) -> dict[str, str]:
    return {"KIOSK_TERMINAL_DATA_DIR": str(folder), "KIOSK_TERMINAL_ID": TERMINAL_ID,
            "KIOSK_OFFICE_URL": url, "KIOSK_OFFICE_SECRET": secret, "KIOSK_OFFICE_READ_TIMEOUT": "5"}


@pytest.fixture
def fleet(sqlite_office: Engine, ram_folder: Path) -> Iterator[tuple[OfficeServer, CommandingOffice, Terminal]]:
    """The real office, an operator in front of it, and an assembled terminal (not started: each
    test sends its heartbeats itself)."""
    with OfficeServer(sqlite_office) as office, CommandingOffice(office.port) as operator:
        secret = office.terminal(TERMINAL_ID)
        config = config_module.load(None, terminal_environment(ram_folder / "terminal", operator.url, secret))
        terminal = assemble(config)
        try:
            yield office, operator, terminal
        finally:
            terminal.close()


def office_heartbeat(engine: Engine) -> dict:
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT heartbeat FROM office_terminals WHERE id = :id"),
                                    {"id": TERMINAL_ID}).scalar()
    return json.loads(stored)


def office_commands_logged(terminal: Terminal, command_id: int) -> int:
    return sum(1 for event in terminal.store.events.recent(500)
               if event.kind == "office_command" and event.detail.get("command") == command_id)


def test_the_heartbeat_tells_the_office_health_state_and_what_the_terminal_can_do(fleet) -> None:
    office, operator, terminal = fleet
    rows = meter_rows(3)
    terminal.store.directory.import_rows(rows)
    load_office_directory(office.engine, rows)
    queue_submissions(terminal.store, TERMINAL_ID, rows, 2)
    assert terminal.uploader.run_once().accepted == 2
    terminal.service.switch_out_of_service(role=SHELL, reason="стекло треснуло, звонил Иванов 2287008779")
    assert terminal.uploader.send_heartbeat() is not None
    beat = office_heartbeat(office.engine)
    assert beat["capabilities"] == ["commands"] and beat["interval_s"] == 60
    lines = {line["name"]: line for line in beat["subsystems"]}
    assert set(lines) == {"printer", "scanner", "upload", "directory", "storage", "clock"}
    assert lines["upload"]["level"] == "green" and lines["storage"]["level"] == "green"
    assert lines["directory"]["reason"] == "3 accounts, 3 meters"
    assert beat["out_of_service"]["reason"] == "стекло треснуло, звонил И***в ******8779"
    assert beat["last_upload_at"] is not None and beat["queue_depth"] == 0
    assert beat["paper_roll"] is None  # no printer here
    assert beat["printer"]["state"] == "absent"


def test_a_command_is_carried_out_once_logged_and_reported_even_when_the_office_repeats_it(fleet) -> None:
    office, operator, terminal = fleet
    operator.command(1, "out_of_service", operator="ivanova", reason="glass cracked")
    terminal.uploader.send_heartbeat()
    switched = terminal.service.out_of_service()
    assert (switched.by, switched.reason) == (OFFICE, "glass cracked")
    # The follow-up heartbeat brought the result at once.
    assert operator.results[1]["state"] == "done"
    event = next(e for e in terminal.store.events.recent(20) if e.kind == "office_command")
    assert event.detail["operator"] == "ivanova" and event.role == OFFICE
    # A technician serves customers again; an office that sends command 1 again and again must
    # not take the terminal out of service a second time.
    terminal.service.switch_in_service(role=SHELL)
    operator.resend_done = True
    for _ in range(3):
        terminal.uploader.send_heartbeat()
    assert terminal.service.out_of_service() is None
    assert office_commands_logged(terminal, 1) == 1
    assert sum(1 for beat in operator.beats for r in beat["command_results"] if r["id"] == 1) == 1


def test_a_result_whose_heartbeat_was_lost_is_sent_again_and_the_command_not_repeated(fleet) -> None:
    office, operator, terminal = fleet
    rows = meter_rows(2)
    terminal.store.directory.import_rows(rows)
    load_office_directory(office.engine, rows)
    queue_submissions(terminal.store, TERMINAL_ID, rows, 3)
    operator.command(5, "send_now", operator="petrov")
    operator.lose_results = 1  # the office takes the result, the terminal never hears so
    operator.resend_done = True  # and the office sends the command again all the same
    terminal.uploader.send_heartbeat()
    assert terminal.store.outbox.depth() == 0
    terminal.uploader.send_heartbeat()  # already done, so only reported again
    assert operator.results[5]["state"] == "done" and operator.results[5]["detail"] == "sent 3, 0 waiting"
    assert office_commands_logged(terminal, 5) == 1
    reported = [beat for beat in operator.beats if any(r["id"] == 5 for r in beat["command_results"])]
    assert len(reported) == 2
    terminal.uploader.send_heartbeat()
    assert operator.beats[-1]["command_results"] == []  # reported once the office answered


def test_an_expired_command_is_dropped_and_reported_failed(fleet) -> None:
    office, operator, terminal = fleet
    operator.command(9, "out_of_service", reason="late", ttl=timedelta(seconds=-5))
    terminal.uploader.send_heartbeat()
    assert terminal.service.out_of_service() is None
    assert operator.results[9]["state"] == "failed" and operator.results[9]["detail"] == "expired"
    assert office_commands_logged(terminal, 9) == 0


def test_upload_logs_sends_the_last_lines_masked_and_restart_needs_the_touch_screen(fleet) -> None:
    office, operator, terminal = fleet
    terminal.log_tail.attach()
    logger = logging.getLogger("kiosk.test")
    logger.setLevel(logging.INFO)
    for number in range(5):
        logger.info("line %d for account 228700877%d", number, number)
    operator.command(3, "upload_logs", lines=3)
    operator.command(4, "restart")
    terminal.uploader.send_heartbeat()
    output = operator.results[3]["output"]
    assert len(output) == 3 and "2287008774" not in output[-1] and output[-1].endswith("line 4 for account ******8774")
    assert operator.results[4] == {**operator.results[4], "state": "failed",
                                   "detail": "no touch screen runs here: nothing to restart"}
    ended = []
    terminal.restart = lambda: ended.append(True)
    operator.command(6, "restart")
    terminal.uploader.send_heartbeat()
    assert ended == [True] and operator.results[6]["state"] == "done"


CRASH_MID_COMMAND = textwrap.dedent("""
    import os, sys
    from datetime import datetime, timezone
    from kiosk import fleet
    from kiosk.config import Service
    from kiosk.service.access import ServiceAccess
    from kiosk.store import Store
    from sync.wire import Command

    store = Store.open(sys.argv[1])
    access = ServiceAccess(store, Service())

    def out_of_service_then_power_cut(command):
        access.switch_out_of_service(role=fleet.OFFICE, reason=command.reason)
        os._exit(9)  # done, but its outcome never recorded

    desk = fleet.CommandDesk(store, {"out_of_service": out_of_service_then_power_cut})
    desk.carry_out(Command.model_validate_json(sys.argv[2]), office_now=datetime.now(timezone.utc))
""")


def test_a_power_cut_between_doing_and_reporting_does_not_repeat_the_command(fleet) -> None:
    office, operator, terminal = fleet
    operator.command(11, "out_of_service", reason="pay desk closed")
    command = json.dumps(operator.commands[11])
    crashed = subprocess.run([sys.executable, "-c", CRASH_MID_COMMAND, str(terminal.store.path), command],
                             env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True)
    assert crashed.returncode == 9, crashed.stderr
    assert terminal.service.out_of_service().reason == "pay desk closed"
    terminal.service.switch_in_service(role=SHELL)  # the technician opened it again meanwhile
    terminal.uploader.send_heartbeat()  # the office sends command 11 again: no result yet
    assert terminal.service.out_of_service() is None
    assert operator.results[11]["state"] == "failed"
    assert operator.results[11]["detail"].startswith("interrupted")
    assert office_commands_logged(terminal, 11) == 1


def test_kiosk_sync_once_sends_a_heartbeat_and_carries_out_the_commands(fleet, ram_folder: Path) -> None:
    office, operator, terminal = fleet
    operator.command(21, "out_of_service", operator="sidorova", reason="уборка")
    operator.command(22, "restart")  # left for the app
    env = {**os.environ, "PYTHONPATH": str(ROOT),
           **terminal_environment(terminal.config.data_dir, operator.url, terminal.config.office.secret)}
    env.pop("KIOSK_CONFIG", None)
    done = subprocess.run([sys.executable, "-m", "kiosk", "sync", "once", "--no-directory"], env=env,
                          capture_output=True, text=True, cwd="/", timeout=60)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["commands"] == [21] and summary["error"] is None
    assert terminal.service.out_of_service().reason == "уборка"
    assert operator.results[21]["state"] == "done" and 22 not in operator.results
    assert office_heartbeat(office.engine)["out_of_service"]["reason"] == "уборка"


def test_a_call_for_staff_is_sent_again_until_a_heartbeat_carrying_it_is_answered(fleet) -> None:
    office, operator, terminal = fleet
    reference = terminal.call_staff()
    operator.lose_answers = 1  # the office stored it; its answer never reached the terminal
    terminal.uploader.send_heartbeat()
    assert [call.reference for call in terminal.store.staff_calls.undelivered(5)] == [reference]
    terminal.uploader.send_heartbeat()
    assert terminal.store.staff_calls.undelivered(5) == []
    terminal.uploader.send_heartbeat()
    carried = [[call["reference"] for call in beat["staff_calls"]] for beat in operator.beats]
    assert carried == [[reference], [reference], []]
    assert next(e for e in terminal.store.events.recent(5) if e.kind == "staff_called").detail == {
        "reference": reference}


def test_the_real_offices_commands_are_carried_out_and_shown_done(office_engine: Engine, ram_folder: Path) -> None:
    from sync.office.fleet import commands_of, issue_command, staff_calls_of

    with OfficeServer(office_engine) as office:
        secret = office.terminal(TERMINAL_ID)
        config = config_module.load(None, terminal_environment(ram_folder / "terminal", office.url, secret))
        terminal = assemble(config)
        try:
            out = issue_command(office_engine, TERMINAL_ID, "out_of_service", "ivanova", reason="замена стекла")
            logs = issue_command(office_engine, TERMINAL_ID, "upload_logs", "ivanova", lines=2)
            reference = terminal.call_staff()
            terminal.uploader.send_heartbeat()
            assert terminal.service.out_of_service().reason == "замена стекла"
        finally:
            terminal.close()
    shown = {record.id: record for record in commands_of(office_engine, TERMINAL_ID)}
    assert shown[out.id].state == "done" and shown[logs.id].state == "done"
    assert [call.reference for call in staff_calls_of(office_engine, TERMINAL_ID)] == [reference]


def test_update_directory_pulls_what_the_office_has(fleet) -> None:
    office, operator, terminal = fleet
    load_office_directory(office.engine, meter_rows(7))
    operator.command(31, "update_directory", operator="petrov")
    terminal.uploader.send_heartbeat()
    assert terminal.store.directory.stats().meters == 7
    version = terminal.store.directory.directory_version()
    assert operator.results[31]["detail"] == f"directory at version {version} (1 page pulled)"
