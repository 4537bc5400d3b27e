"""Operators' work on a real database: `kiosk office command/commands/find/export --after/conflicts`
as the command line runs them, billing's endpoint over loopback HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from typing import Any, Iterator

import pytest
import requests
from sqlalchemy import Engine, event, text

from sync.office import audit, fleet, slips
from sync.office.database import open_engine
from sync.office.directory import changes_page
from sync.office.export import export_after, exported_through
from sync.office.ingest import store_batch
from sync.office.settings import OfficeConfig
from sync.office.terminals import add_terminal
from sync.reference import reference
from sync.wire import Heartbeat, HeartbeatAck, Submission
from tests.sync.support import ROOT, OfficeServer, load_office_directory, meter_rows, migrated

API = "/api/v1"
TOKEN = "billing-token-0123456789abcdef"


def kiosk(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk", "office", *args, "--db", url], cwd="/",
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120)


def lines(done: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in done.stdout.splitlines()]


def submission(number: int, *, value: int = 2001, txn_id: str | None = None, terminal: str = "kiosk-1") -> Submission:
    zones = 1 + number % 2
    meanings = ("single",) if zones == 1 else ("day", "night")
    return Submission.model_validate({
        "txn_id": txn_id or str(uuid.uuid4()), "seq": number + 1, "terminal_id": terminal,
        "account": f"{2200000000 + number % 10}", "meter": f"SN-{number % 10:07d}",
        "taken_at": "2026-11-27T18:40:00+03:00", "period": "2026-11",
        "readings": [{"zone": z, "meaning": m, "value": value + z, "consumption": 5}
                     for z, m in zip(range(1, zones + 1), meanings)],
        "confirmed": []})


@pytest.fixture
def office_db(office_url: str) -> Iterator[tuple[str, Engine]]:
    """A migrated office with ten meters and terminal kiosk-1, by URL for the command line and as
    an engine for the test."""
    migrated(office_url)
    engine = open_engine(office_url)
    load_office_directory(engine, meter_rows(10))
    add_terminal(engine, "kiosk-1")
    yield office_url, engine
    engine.dispose()


def test_a_command_from_the_command_line_reaches_the_terminal_and_comes_back_done(office_db) -> None:
    url, engine = office_db
    refused = kiosk(url, "command", "kiosk-1", "out_of_service", "--operator", "ivanova")
    assert refused.returncode == 1 and "needs a reason" in refused.stderr
    done = kiosk(url, "command", "kiosk-1", "out_of_service", "--reason", "стекло треснуло", "--operator", "ivanova")
    assert done.returncode == 0, done.stderr
    [issued] = lines(done)
    assert (issued["action"], issued["operator"], issued["reason"], issued["state"]) == (
        "out_of_service", "ivanova", "стекло треснуло", "pending")

    with OfficeServer(engine) as server:
        session = server.signed_session("kiosk-1", fleet_secret(engine))
        body = {"app_version": "0.2.0", "queue_depth": 0, "oldest_pending_age": None,
                "printer": {"state": "ok", "paper": "ok"}, "capabilities": ["commands"]}
        answer = HeartbeatAck.model_validate(session.post(server.url + API + "/heartbeat", json=body, timeout=10).json())
        assert [(c.id, c.action, c.reason) for c in answer.commands] == [(issued["id"], "out_of_service",
                                                                          "стекло треснуло")]
        assert [c.state for c in fleet.commands_of(engine, "kiosk-1")] == ["sent"]
        result = {"id": issued["id"], "state": "done", "at": "2026-11-27T18:41:00+03:00"}
        session.post(server.url + API + "/heartbeat", json={**body, "command_results": [result]}, timeout=10)
    listed = lines(kiosk(url, "commands", "kiosk-1", "--state", "done"))
    assert [(c["id"], c["state"], c["finished_at"]) for c in listed] == [(issued["id"], "done", "2026-11-27T15:41:00Z")]
    assert lines(kiosk(url, "commands", "--state", "pending")) == []
    bogus = kiosk(url, "commands", "--state", "finished")
    assert bogus.returncode == 2 and "no state finished" in bogus.stderr
    [entry] = audit.entries(engine)
    assert (entry.actor, entry.action, entry.target) == ("ivanova", "command.issue", "terminal:kiosk-1")


def fleet_secret(engine: Engine) -> str:
    """kiosk-1's secret as provisioned (a new one, so the test knows it)."""
    from sync.office.terminals import rotate_secret

    return rotate_secret(engine, "kiosk-1")


def test_find_a_submission_by_its_slips_reference(office_db) -> None:
    url, engine = office_db
    items = [submission(n) for n in range(3)]
    store_batch(engine, "kiosk-1", items)
    wanted = str(items[1].txn_id)
    printed = reference(wanted)
    [found] = lines(kiosk(url, "find", printed))
    assert (found["txn_id"], found["reference"], found["exported"]) == (wanted, printed, False)
    assert found["submission"]["meter"] == items[1].meter
    # as an operator may type it: lower case, spaces, Cyrillic look-alikes of A-F
    typed = printed.lower().replace("-", " ").replace("a", "а").replace("c", "с")
    assert [f["txn_id"] for f in lines(kiosk(url, "find", typed))] == [wanted]
    unknown = kiosk(url, "find", "00000-00000")
    assert unknown.returncode == 1 and "no submission" in unknown.stderr
    garbage = kiosk(url, "find", "3F2A9-1C0B")
    assert garbage.returncode == 2 and "not a slip's reference" in garbage.stderr
    assert slips.by_txn_id(engine, wanted).txn_id == wanted  # type: ignore[union-attr]
    for odd in ("", "nonsense", wanted.upper() + "x", "{" + wanted + "}", str(uuid.uuid4())):
        assert slips.by_txn_id(engine, odd) is None


def test_the_reference_search_is_one_range_on_the_primary_key(office_db) -> None:
    _, engine = office_db
    store_batch(engine, "kiosk-1", [submission(n) for n in range(5)])
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        slips.by_reference(engine, "3F2A9-1C0B7")
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    [(statement, parameters)] = [(s, p) for s, p in seen if "office_submissions" in s]
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        assert raw is not None
        cursor = raw.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            assert "SEARCH office_submissions USING INDEX" in plan and "txn_id>? AND txn_id<?" in plan, plan
        else:
            cursor.execute("SET enable_seqscan = off")  # a table this small would be scanned anyway
            cursor.execute("EXPLAIN " + statement, parameters)
            plan = " ".join(row[0] for row in cursor.fetchall())
            assert "Index" in plan and "office_submissions_pkey" in plan, plan
        connection.rollback()


def test_billing_takes_every_reading_once_by_cursor(office_db) -> None:
    url, engine = office_db
    first = [submission(n) for n in range(5)]
    store_batch(engine, "kiosk-1", first)
    page = lines(kiosk(url, "export", "--after", "0", "--limit", "3"))[0]
    assert (page["after"], page["more"], len(page["submissions"])) == (0, True, 3)
    again = lines(kiosk(url, "export", "--after", "0", "--limit", "3"))[0]
    assert again == page  # the same cursor, the same rows
    rest = export_after(engine, page["cursor"], acknowledge=True)
    assert [s["txn_id"] for s in page["submissions"] + rest.submissions] == [str(s.txn_id) for s in first]
    assert not rest.more and rest.submissions[0]["received_at"].endswith("Z")
    # stored since: after the rows already handed on, never among them
    later = [submission(n, value=3000) for n in range(5, 7)]
    store_batch(engine, "kiosk-1", later)
    assert [s["txn_id"] for s in export_after(engine, page["cursor"]).submissions] == (
        [str(s.txn_id) for s in first[3:] + later])
    final = export_after(engine, rest.cursor)
    assert [s["txn_id"] for s in final.submissions] == [str(s.txn_id) for s in later]
    assert export_after(engine, final.cursor).submissions == [] and export_after(engine, final.cursor).cursor == final.cursor
    bad = kiosk(url, "export", "--after", "-1")
    assert bad.returncode == 2 and "cursor" in bad.stderr
    assert kiosk(url, "export", "--peek").returncode == 2  # a peek is at a page after a cursor
    # asking from a cursor tells the office billing holds everything up to it
    assert exported_through(engine) == page["cursor"]
    assert slips.by_txn_id(engine, str(first[0].txn_id)).exported  # type: ignore[union-attr]
    assert not slips.by_txn_id(engine, str(later[0].txn_id)).exported  # type: ignore[union-attr]


def test_a_peek_at_billings_page_does_not_move_its_cursor(office_db) -> None:
    url, engine = office_db
    stored = [submission(n) for n in range(4)]
    store_batch(engine, "kiosk-1", stored)
    first = lines(kiosk(url, "export", "--after", "0", "--limit", "2"))[0]
    peeked = kiosk(url, "export", "--after", str(first["cursor"]), "--peek")
    assert peeked.returncode == 0, peeked.stderr
    [page] = lines(peeked)
    assert [s["txn_id"] for s in page["submissions"]] == [str(s.txn_id) for s in stored[2:]]
    assert exported_through(engine) == 0
    assert not slips.by_txn_id(engine, str(stored[0].txn_id)).exported  # type: ignore[union-attr]
    assert lines(kiosk(url, "export", "--after", str(first["cursor"]))) == [page]  # the same page, taken
    assert exported_through(engine) == first["cursor"]
    assert slips.by_txn_id(engine, str(stored[0].txn_id)).exported  # type: ignore[union-attr]
    lines(kiosk(url, "export", "--after", str(page["cursor"]), "--peek"))
    assert exported_through(engine) == first["cursor"]
    assert "--peek" in kiosk(url, "export", "--help").stdout


def test_billings_endpoint_needs_its_token(office_db) -> None:
    _, engine = office_db
    store_batch(engine, "kiosk-1", [submission(n) for n in range(4)])
    with OfficeServer(engine) as server:  # no billing_token: the endpoint is off
        assert requests.get(server.url + "/billing/v1/readings", timeout=10).status_code == 404
    with OfficeServer(engine, config=OfficeConfig(billing_token=TOKEN)) as server:
        endpoint = server.url + "/billing/v1/readings"
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN},
                        {"Authorization": f"Basic {TOKEN}"}):
            response = requests.get(endpoint, headers=headers, timeout=10)
            assert response.status_code == 401 and response.json()["detail"]["code"] == "unauthenticated", headers
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        for query in ("?after=-1", "?after=x", "?limit=0", "?limit=10001"):
            assert requests.get(endpoint + query, headers=bearer, timeout=10).status_code == 422, query
        page = requests.get(endpoint + "?after=0&limit=3", headers=bearer, timeout=10).json()
        assert (page["after"], page["more"], len(page["submissions"])) == (0, True, 3)
        assert requests.get(endpoint + "?after=0&limit=3", headers=bearer, timeout=10).json() == page
        rest = requests.get(endpoint, params={"after": page["cursor"]}, headers=bearer, timeout=10).json()
        assert (len(rest["submissions"]), rest["more"]) == (1, False)
    assert exported_through(engine) == page["cursor"]


def test_exports_while_terminals_upload_see_each_reading_exactly_once(office_db) -> None:
    _, engine = office_db
    for number in (2, 3):
        add_terminal(engine, f"kiosk-{number}")
    stored: list[str] = []
    lock = threading.Lock()

    def upload(terminal: str) -> None:
        for batch in range(8):
            items = [submission(n, terminal=terminal, value=4000 + batch) for n in range(4)]
            store_batch(engine, terminal, items)
            with lock:
                stored.extend(str(item.txn_id) for item in items)

    writers = [threading.Thread(target=upload, args=(f"kiosk-{n}",)) for n in (1, 2, 3)]
    for writer in writers:
        writer.start()
    taken: list[str] = []
    cursor = 0
    while any(writer.is_alive() for writer in writers) or cursor < _top(engine):
        page = export_after(engine, cursor, 7)
        taken.extend(item["txn_id"] for item in page.submissions)
        cursor = page.cursor
    for writer in writers:
        writer.join()
    assert len(taken) == len(set(taken)) == len(stored) == 96
    assert set(taken) == set(stored)


def _top(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT max(export_seq) FROM office_submissions")).scalar() or 0)


def test_conflicts_side_by_side_and_resolved_with_the_audit_log(office_db) -> None:
    url, engine = office_db
    kept, replaced = submission(1), submission(2)
    store_batch(engine, "kiosk-1", [kept, replaced])
    store_batch(engine, "kiosk-1", [submission(1, value=2500, txn_id=str(kept.txn_id)),
                                    submission(2, value=2600, txn_id=str(replaced.txn_id))])
    listed = lines(kiosk(url, "conflicts"))
    assert [(c["txn_id"], c["differs"]) for c in listed] == [(str(kept.txn_id), ["readings"]),
                                                             (str(replaced.txn_id), ["readings"])]
    assert listed[0]["stored"]["readings"][0]["value"] == 2002 and listed[0]["incoming"]["readings"][0]["value"] == 2501
    cursor = export_after(engine, 0).cursor

    done = kiosk(url, "conflicts", "resolve", str(listed[0]["id"]), "--keep", "stored", "--operator", "admin")
    assert done.returncode == 0, done.stderr
    assert lines(done)[0]["kept"] == "stored" and lines(done)[0]["resolved_by"] == "admin"
    done = kiosk(url, "conflicts", "resolve", str(listed[1]["id"]), "--keep", "incoming", "--operator", "admin")
    assert done.returncode == 0, done.stderr
    again = kiosk(url, "conflicts", "resolve", str(listed[1]["id"]), "--keep", "stored")
    assert again.returncode == 1 and "no open conflict" in again.stderr
    assert lines(kiosk(url, "conflicts")) == []
    assert len(lines(kiosk(url, "conflicts", "--all"))) == 2

    stored = {s.txn_id: s.submission for s in [slips.by_txn_id(engine, str(kept.txn_id)),
                                                 slips.by_txn_id(engine, str(replaced.txn_id))] if s}
    assert stored[str(kept.txn_id)]["readings"][0]["value"] == 2002
    assert stored[str(replaced.txn_id)]["readings"][0]["value"] == 2601
    # billing receives the replaced one again, after what it has already taken
    assert [s["txn_id"] for s in export_after(engine, cursor).submissions] == [str(replaced.txn_id)]
    assert [(e.actor, e.action, e.target) for e in audit.entries(engine)] == [
        ("admin", "conflict.resolve", f"conflict:{listed[1]['id']}"),
        ("admin", "conflict.resolve", f"conflict:{listed[0]['id']}")]


def test_keeping_the_incoming_reading_makes_it_the_meters_last_one(office_db) -> None:
    url, engine = office_db
    alone, earlier, later = submission(2), submission(4), submission(14, value=3000)  # meters 2, 4, 4
    store_batch(engine, "kiosk-1", [alone, earlier, later])
    served = _last_readings(engine)
    assert served["SN-0000002"] == ([2002], "2026-11-27") and served["SN-0000004"] == ([3001], "2026-11-27")
    store_batch(engine, "kiosk-1", [submission(2, value=2500, txn_id=str(alone.txn_id)),
                                    submission(4, value=2700, txn_id=str(earlier.txn_id))])
    version = json.loads(changes_page(engine, 0, 100))["version"]
    for pair in lines(kiosk(url, "conflicts")):
        done = kiosk(url, "conflicts", "resolve", str(pair["id"]), "--keep", "incoming", "--operator", "admin")
        assert done.returncode == 0, done.stderr
    # the terminals learn it with their next pull, as after an accepted reading
    changed = {entry["meter"]: entry["last"] for entry in json.loads(changes_page(engine, version, 100))["upserts"]}
    assert changed == {"SN-0000002": [2501]}
    # a later reading held stays the last one, as it would against a new upload
    assert _last_readings(engine)["SN-0000004"] == ([3001], "2026-11-27")

    # one the office would reject now is refused, and the stored one can still be kept
    odd = submission(6)
    store_batch(engine, "kiosk-1", [odd, submission(6, value=200_000, txn_id=str(odd.txn_id))])
    [pair] = lines(kiosk(url, "conflicts"))
    refused = kiosk(url, "conflicts", "resolve", str(pair["id"]), "--keep", "incoming")
    assert refused.returncode == 1 and "digits" in refused.stderr
    assert _last_readings(engine)["SN-0000006"][0] == [2002]
    assert lines(kiosk(url, "conflicts")) == [pair]


def _last_readings(engine: Engine) -> dict[str, tuple[list[int], str]]:
    return {entry["meter"]: (entry["last"], entry["last_date"])
            for entry in json.loads(changes_page(engine, 0, 1000))["upserts"]}


def test_the_fleet_with_its_alerts_the_worst_first(office_db) -> None:
    url, engine = office_db
    add_terminal(engine, "kiosk-0")
    healthy = {"app_version": "0.2.0", "queue_depth": 0, "oldest_pending_age": None,
               "printer": {"state": "ok", "paper": "ok"}, "interval_s": 60,
               "paper_roll": {"length_m": 80.0, "used_m": 20.0, "slips": 100}}
    fleet.record_heartbeat(engine, "kiosk-0", Heartbeat.model_validate(healthy))
    call = {"id": str(uuid.uuid4()), "at": "2026-11-27T18:41:00+03:00", "reference": "3F2A9-1C0B7"}
    fleet.record_heartbeat(engine, "kiosk-1", Heartbeat.model_validate(
        {**healthy, "printer": {"state": "ok", "paper": "out"}, "staff_calls": [call],
         "subsystems": [{"name": "printer", "level": "red", "reason": "paper out"}]}))
    listed = lines(kiosk(url, "fleet"))
    assert [row["id"] for row in listed] == ["kiosk-1", "kiosk-0"]
    assert [(a["kind"], a["subject"]) for a in listed[0]["alerts"]] == [
        ("staff_call", call["id"]), ("subsystem_red", "printer"), ("paper_out", "")]
    assert listed[1]["alerts"] == [] and listed[1]["paper_left_m"] == 60.0 and listed[1]["slips_left"] == 300
    assert listed[0]["subsystems"] == [{"name": "printer", "level": "red", "reason": "paper out"}]


def test_managing_terminals_is_in_the_audit_log(office_db) -> None:
    url, engine = office_db
    done = kiosk(url, "terminal", "disable", "kiosk-1", "--operator", "admin")
    assert done.returncode == 0, done.stderr
    from sync.office.terminals import add_terminal as provision, rotate_secret, set_enabled

    provision(engine, "kiosk-5", actor="ivanova")
    rotate_secret(engine, "kiosk-5", actor="ivanova")
    set_enabled(engine, "kiosk-1", True)  # no actor: a tool's own doing, not logged
    assert [(e.actor, e.action, e.target) for e in audit.entries(engine)][::-1] == [
        ("admin", "terminal.disable", "terminal:kiosk-1"), ("ivanova", "terminal.add", "terminal:kiosk-5"),
        ("ivanova", "terminal.rotate_secret", "terminal:kiosk-5")]


def test_staff_calls_acknowledged_from_the_command_line_and_the_audit_log_read(office_db) -> None:
    url, engine = office_db
    call = {"id": str(uuid.uuid4()), "at": "2026-11-27T18:41:00+03:00", "reference": "3F2A9-1C0B7"}
    fleet.record_heartbeat(engine, "kiosk-1", Heartbeat.model_validate(
        {"app_version": "0.2.0", "queue_depth": 0, "oldest_pending_age": None,
         "printer": {"state": "ok", "paper": "ok"}, "staff_calls": [call]}))
    [listed] = lines(kiosk(url, "calls", "--open"))
    assert (listed["id"], listed["reference"], listed["at"]) == (call["id"], "3F2A9-1C0B7", "2026-11-27T15:41:00Z")
    done = kiosk(url, "calls", "ack", call["id"], "--operator", "ivanova")
    assert done.returncode == 0, done.stderr
    again = kiosk(url, "calls", "ack", call["id"])
    assert again.returncode == 1 and "no open call" in again.stderr
    [entry] = lines(kiosk(url, "audit", "--target", "terminal:kiosk-1"))
    assert (entry["actor"], entry["action"]) == ("ivanova", "staff_call.acknowledge")
    assert fleet.staff_calls_of(engine, open_only=True) == []
