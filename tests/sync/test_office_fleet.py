"""The fleet over real HTTP: heartbeat history and state, staff calls, commands through heartbeat
answers, pruning; the migration that numbers stored submissions for billing."""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timedelta
from typing import Any, Iterator

import pytest
import requests
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, event, select, text

from sync import signing
from sync.office import audit, fleet
from sync.office.database import MIGRATIONS, migrate
from sync.office.schema import state, submissions
from sync.office.terminals import UnknownTerminal, utc_now
from sync.wire import HeartbeatAck
from tests.sync.support import OfficeServer

API = "/api/v1"


def beat(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"app_version": "0.2.0", "queue_depth": 2, "oldest_pending_age": 30.0,
                            "printer": {"state": "ok", "paper": "ok"}, "interval_s": 60,
                            "capabilities": ["commands"]}
    body.update(changes)
    return body


@pytest.fixture
def office(office_engine: Engine) -> Iterator[tuple[OfficeServer, requests.Session]]:
    with OfficeServer(office_engine) as server:
        yield server, server.signed_session("kiosk-1", server.terminal("kiosk-1"))


def send(office: tuple[OfficeServer, requests.Session], body: dict[str, Any]) -> dict[str, Any]:
    server, session = office
    response = session.post(server.url + API + "/heartbeat", json=body, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def test_heartbeats_make_history_and_the_latest_state(office) -> None:
    server, _ = office
    roll = {"length_m": 80.0, "used_m": 10.0, "slips": 60, "loaded_at": "2026-11-20T09:00:00+03:00"}
    send(office, beat(paper_roll=roll, subsystems=[{"name": "printer", "level": "green"}]))
    send(office, beat(queue_depth=5, paper_roll={**roll, "used_m": 12.5, "slips": 75},
                      printer={"state": "ok", "paper": "near_end"},
                      subsystems=[{"name": "printer", "level": "yellow", "reason": "paper near end"},
                                  {"name": "network", "level": "red", "reason": "no route"}],
                      out_of_service={"since": "2026-11-27T18:40:00+03:00", "reason": "glass cracked"}))
    points = fleet.history(server.engine, "kiosk-1", utc_now() - timedelta(hours=1))
    assert [(p.queue_depth, p.paper, p.paper_used_m, p.worst_level, p.out_of_service) for p in points] == [
        (2, "ok", 10.0, "green", False), (5, "near_end", 12.5, "red", True)]
    assert all(p.clock_skew_s is not None and abs(p.clock_skew_s) < 5 for p in points)
    [terminal] = fleet.fleet(server.engine)
    assert terminal.id == "kiosk-1" and terminal.heartbeat is not None
    assert terminal.heartbeat.queue_depth == 5 and terminal.heartbeat.out_of_service is not None
    assert terminal.heartbeat.out_of_service.reason == "glass cracked"
    # the first count is where counting starts; the next adds 2.5 m over at least half a day
    assert terminal.paper_m_per_day == pytest.approx(2.5 / 0.5)
    assert fleet.terminal_state(server.engine, "nobody") is None


def test_a_new_roll_counts_what_it_used_since_it_was_loaded(office_engine: Engine) -> None:
    from sync.office.terminals import add_terminal
    from sync.wire import Heartbeat

    add_terminal(office_engine, "kiosk-1")
    start = datetime(2026, 11, 27, 8, 0)
    roll = {"length_m": 80.0, "used_m": 70.0, "slips": 500, "loaded_at": "2026-11-20T09:00:00+00:00"}
    for hours, used, loaded in ((0, 70.0, "2026-11-20T09:00:00+00:00"), (12, 79.0, "2026-11-20T09:00:00+00:00"),
                                (24, 3.0, "2026-11-28T07:00:00+00:00"), (36, 9.0, "2026-11-28T07:00:00+00:00")):
        fleet.record_heartbeat(office_engine, "kiosk-1",
                               Heartbeat.model_validate(beat(paper_roll={**roll, "used_m": used, "loaded_at": loaded})),
                               now=start + timedelta(hours=hours))
    state_now = fleet.terminal_state(office_engine, "kiosk-1", now=start + timedelta(hours=36))
    assert state_now is not None
    # 9 m, then the new roll's 3 m, then 6 m: 18 m over a day and a half
    assert state_now.paper_m_per_day == pytest.approx(18 / 1.5)


def test_commands_travel_in_answers_until_their_results_come_back(office) -> None:
    server, _ = office
    issued = fleet.issue_command(server.engine, "kiosk-1", "out_of_service", "ivanova", reason="glass cracked")
    logs = fleet.issue_command(server.engine, "kiosk-1", "upload_logs", "ivanova", lines=50)
    # an older terminal (no "commands" capability) gets an answer without the field
    old = send(office, beat(capabilities=[]))
    assert set(old) == {"received_at"}
    answer = HeartbeatAck.model_validate(send(office, beat()))
    assert [(c.id, c.action, c.operator, c.reason, c.lines) for c in answer.commands] == [
        (issued.id, "out_of_service", "ivanova", "glass cracked", None), (logs.id, "upload_logs", "ivanova", None, 50)]
    assert {c.state for c in fleet.commands_of(server.engine, "kiosk-1")} == {"sent"}
    # sent again until a result arrives; a result is taken once
    again = HeartbeatAck.model_validate(send(office, beat(command_results=[
        {"id": issued.id, "state": "done", "at": "2026-11-27T18:41:00+03:00"}])))
    assert [c.id for c in again.commands] == [logs.id]
    send(office, beat(command_results=[
        {"id": issued.id, "state": "failed", "at": "2026-11-27T18:42:00+03:00", "detail": "too late"},
        {"id": logs.id, "state": "done", "at": "2026-11-27T18:42:00+03:00", "output": ["line 1", "line 2"]}]))
    by_id = {c.id: c for c in fleet.commands_of(server.engine)}
    assert (by_id[issued.id].state, by_id[issued.id].detail) == ("done", None)
    assert by_id[issued.id].finished_at == datetime(2026, 11, 27, 15, 41)
    assert (by_id[logs.id].state, by_id[logs.id].output) == ("done", ["line 1", "line 2"])
    assert HeartbeatAck.model_validate(send(office, beat())).commands == []
    assert [entry.action for entry in audit.entries(server.engine, target="terminal:kiosk-1")] == [
        "command.issue", "command.issue"]


def test_an_expired_command_is_dropped_and_another_terminals_result_ignored(office) -> None:
    server, _ = office
    other_secret = server.terminal("kiosk-2")
    past = utc_now() - timedelta(hours=2)
    stale = fleet.issue_command(server.engine, "kiosk-1", "restart", "petrov", now=past)
    fresh = fleet.issue_command(server.engine, "kiosk-1", "send_now", "petrov")
    assert [c.state for c in fleet.commands_of(server.engine, "kiosk-1")] == ["pending", "expired"]
    other = server.signed_session("kiosk-2", other_secret)
    response = other.post(server.url + API + "/heartbeat", json=beat(command_results=[
        {"id": fresh.id, "state": "failed", "at": "2026-11-27T18:41:00+03:00"}]), timeout=10)
    assert response.status_code == 200 and response.json().get("commands", []) == []
    answer = HeartbeatAck.model_validate(send(office, beat()))
    assert [c.id for c in answer.commands] == [fresh.id]
    states = {c.id: c.state for c in fleet.commands_of(server.engine)}
    assert states == {stale.id: "expired", fresh.id: "sent"}
    assert [c.id for c in fleet.commands_of(server.engine, states=["expired"])] == [stale.id]
    assert [c.id for c in fleet.commands_of(server.engine, states=["pending", "sent"])] == [fresh.id]
    assert [c.id for c in fleet.commands_of(server.engine, states=["sent", "expired"])] == [fresh.id, stale.id]
    assert fleet.commands_of(server.engine, states=["done", "failed"]) == []
    assert fleet.commands_of(server.engine, states=[]) == []


def test_an_overdue_command_expires_even_behind_a_full_answer(office_engine: Engine) -> None:
    from sync.office.terminals import add_terminal
    from sync.wire import Heartbeat

    add_terminal(office_engine, "kiosk-1")
    now = utc_now()
    waiting = [fleet.issue_command(office_engine, "kiosk-1", "send_now", "petrov", now=now).id
               for _ in range(fleet.COMMANDS_PER_ANSWER)]
    # issued last (the highest id) but with the shortest life: overdue while the others are not
    short = fleet.issue_command(office_engine, "kiosk-1", "restart", "petrov", ttl=timedelta(seconds=10),
                                now=now - timedelta(minutes=1))
    answer = fleet.record_heartbeat(office_engine, "kiosk-1", Heartbeat.model_validate(beat()), now=now)
    assert [command.id for command in answer.commands] == waiting
    assert [c.id for c in fleet.commands_of(office_engine, states=["expired"])] == [short.id]


def test_a_heartbeat_of_state_alone_takes_four_statements(office_engine: Engine) -> None:
    """Every terminal sends one a minute, and on a server each statement is a round trip: the
    previous paper figures are read by the statement that adds the paper, and open commands are
    looked at before anything is expired."""
    from sync.office.terminals import add_terminal
    from sync.wire import Heartbeat

    add_terminal(office_engine, "kiosk-1")
    roll = {"length_m": 80.0, "used_m": 10.0, "slips": 60, "loaded_at": "2026-11-20T09:00:00+03:00"}
    fleet.record_heartbeat(office_engine, "kiosk-1", Heartbeat.model_validate(beat(paper_roll=roll)))
    seen: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(office_engine, "before_cursor_execute", capture)
    try:
        fleet.record_heartbeat(office_engine, "kiosk-1",
                               Heartbeat.model_validate(beat(paper_roll={**roll, "used_m": 10.5})))
    finally:
        event.remove(office_engine, "before_cursor_execute", capture)
    # the history's pruning, one heartbeat in a hundred, aside
    on_tables = [statement.split()[:3] for statement in seen if "office_" in statement
                 and not statement.startswith("DELETE")]
    assert on_tables == [["INSERT", "INTO", "office_paper_days"], ["UPDATE", "office_terminals", "SET"],
                         ["INSERT", "INTO", "office_heartbeats"], ["SELECT", "office_commands.id,", "office_commands.terminal_id,"]]


def test_a_command_is_checked_before_it_is_stored(office_engine: Engine) -> None:
    from sync.office.terminals import add_terminal

    add_terminal(office_engine, "kiosk-1")
    for action, options, problem in (
        ("reboot", {}, "unknown action"),
        ("out_of_service", {}, "needs a reason"),
        ("restart", {"lines": 5}, "only upload_logs"),
        ("upload_logs", {"lines": 0}, "lines"),
        ("out_of_service", {"reason": "bad\nline"}, "reason"),
        ("send_now", {"ttl": timedelta(seconds=1)}, "10 seconds"),
    ):
        with pytest.raises(ValueError, match=problem):
            fleet.issue_command(office_engine, "kiosk-1", action, "ivanova", **options)
    with pytest.raises(UnknownTerminal):
        fleet.issue_command(office_engine, "kiosk-9", "send_now", "ivanova")
    assert fleet.commands_of(office_engine) == [] and audit.entries(office_engine) == []
    assert fleet.issue_command(office_engine, "kiosk-1", "upload_logs", "ivanova").lines == fleet.DEFAULT_LOG_LINES


def test_staff_calls_are_kept_once_and_open_until_acknowledged(office) -> None:
    server, _ = office
    call = {"id": str(uuid.uuid4()), "at": "2026-11-27T18:41:00+03:00", "reference": "K7-3F2A"}
    send(office, beat(staff_calls=[call]))
    send(office, beat(staff_calls=[call]))
    [terminal] = fleet.fleet(server.engine)
    assert [(c.id, c.reference, c.at) for c in terminal.open_calls] == [
        (call["id"], "K7-3F2A", datetime(2026, 11, 27, 15, 41))]
    assert fleet.acknowledge_staff_call(server.engine, call["id"], "ivanova")
    assert not fleet.acknowledge_staff_call(server.engine, call["id"], "petrov")
    assert not fleet.acknowledge_staff_call(server.engine, "no-such-call", "petrov")
    assert fleet.fleet(server.engine)[0].open_calls == ()
    [seen] = fleet.staff_calls_of(server.engine, "kiosk-1")
    assert seen.acknowledged_by == "ivanova" and seen.acknowledged_at is not None
    [entry] = audit.entries(server.engine)
    assert (entry.actor, entry.action, entry.target) == ("ivanova", "staff_call.acknowledge", "terminal:kiosk-1")


def test_history_older_than_its_days_is_pruned(office_engine: Engine) -> None:
    from sync.office.terminals import add_terminal
    from sync.wire import Heartbeat

    add_terminal(office_engine, "kiosk-1")
    now = utc_now()
    for days in (40, 31, 29, 0):
        fleet.record_heartbeat(office_engine, "kiosk-1", Heartbeat.model_validate(beat(queue_depth=days)),
                               now=now - timedelta(days=days))
    fleet.prune(office_engine, keep_days=30, now=now)
    assert [p.queue_depth for p in fleet.history(office_engine, "kiosk-1", now - timedelta(days=100))] == [29, 0]


def test_the_clock_skew_is_the_signed_timestamp_against_the_office_clock(office) -> None:
    server, _ = office
    secret = server.terminal("kiosk-2")
    body = json.dumps(beat()).encode()
    stamp = str(int(time.time()) + 120)  # inside the signature's window, but two minutes ahead
    headers = {signing.HEADER_TERMINAL: "kiosk-2", signing.HEADER_TIMESTAMP: stamp, signing.HEADER_NONCE: "n" * 20,
               signing.HEADER_SIGNATURE: signing.signature(secret, "POST", API + "/heartbeat", stamp, "n" * 20, body),
               "Content-Type": "application/json"}
    response = requests.post(server.url + API + "/heartbeat", data=body, headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    terminal = fleet.terminal_state(server.engine, "kiosk-2")
    assert terminal is not None and terminal.clock_skew_s == pytest.approx(120, abs=3)


def test_the_migration_numbers_stored_submissions_for_billing(office_url: str) -> None:
    engine = create_engine(office_url)
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "office_0002")
    received = datetime(2026, 11, 27, 12, 0)
    rows = [("b", 2, 0), ("a", 7, 0), ("a", 3, 5)]  # terminal, seq, seconds after
    with engine.begin() as connection:
        for terminal, seq, later in rows:
            connection.execute(text(
                "INSERT INTO office_submissions (txn_id, terminal_id, seq, account, meter, taken_at, period, "
                "payload, content_hash, received_at) VALUES (:txn, :terminal, :seq, '2200000000', 'SN-1', "
                "'2026-11-27T12:00:00+00:00', '2026-11', '{}', 'x', :received)"),
                {"txn": str(uuid.uuid4()), "terminal": terminal, "seq": seq,
                 "received": received + timedelta(seconds=later)})
    engine.dispose()
    from sync.office.database import open_engine

    migrated = open_engine(office_url)
    migrate(migrated)
    with migrated.connect() as connection:
        numbered = connection.execute(select(submissions.c.terminal_id, submissions.c.seq, submissions.c.export_seq)
                                      .order_by(submissions.c.export_seq)).all()
        counter = connection.execute(select(state.c.export_seq)).scalar_one()
    migrated.dispose()
    assert [tuple(row) for row in numbered] == [("a", 7, 1), ("b", 2, 2), ("a", 3, 3)]
    assert counter == 3


def test_the_migrations_make_the_schema_the_code_describes(office_engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from sync.office.database import VERSION_TABLE
    from sync.office.schema import metadata

    with office_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        assert compare_metadata(context, metadata) == []


def test_command_results_are_kept_with_their_commands_not_in_the_latest_state(office) -> None:
    server, _ = office
    logs = fleet.issue_command(server.engine, "kiosk-1", "upload_logs", "ivanova", lines=1000)
    output = [f"line {number} " + "x" * 480 for number in range(1000)]
    send(office, beat(command_results=[{"id": logs.id, "state": "done", "at": "2026-11-27T18:41:00+03:00",
                                        "output": output}]))
    assert fleet.commands_of(server.engine)[0].output == output
    state = fleet.terminal_state(server.engine, "kiosk-1")
    assert state is not None and state.heartbeat is not None and state.heartbeat.command_results == []


def test_the_fleet_shows_each_new_heartbeat_and_each_database_its_own(office_engine: Engine, tmp_path) -> None:
    from sync.office.database import open_engine
    from sync.office.terminals import add_terminal
    from sync.wire import Heartbeat

    other = open_engine(str(tmp_path / "other.sqlite3"))
    migrate(other)
    moment = datetime(2026, 11, 27, 8, 0)
    for engine, depth in ((office_engine, 1), (other, 2)):
        add_terminal(engine, "kiosk-1")
        fleet.record_heartbeat(engine, "kiosk-1", Heartbeat.model_validate(beat(queue_depth=depth)), now=moment)
    assert fleet.fleet(office_engine)[0].heartbeat.queue_depth == 1  # type: ignore[union-attr]
    assert fleet.fleet(other)[0].heartbeat.queue_depth == 2  # type: ignore[union-attr]
    other.dispose()
    fleet.record_heartbeat(office_engine, "kiosk-1", Heartbeat.model_validate(beat(queue_depth=7)),
                           now=moment + timedelta(seconds=60))
    [state] = fleet.fleet(office_engine)
    assert state.heartbeat is not None and state.heartbeat.queue_depth == 7
    assert state.heartbeat_at == moment + timedelta(seconds=60)
