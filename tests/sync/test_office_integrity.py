"""The office against a wrong clock, a hostile client and a muddled batch, over real HTTP, on
SQLite and on PostgreSQL when it answers."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests
from sqlalchemy import Engine

from sync.office.database import open_engine
from sync.office.reports import stats
from sync.office.terminals import Authenticator, add_terminal, list_terminals, rotate_secret, set_enabled
from tests.sync.support import OfficeServer, load_office_directory, meter_rows
from tests.sync.test_office_api import API, _signed_headers, item, statuses, upload


@pytest.fixture
def office(office_engine: Engine) -> Iterator[tuple[OfficeServer, requests.Session]]:
    load_office_directory(office_engine, meter_rows(10))
    with OfficeServer(office_engine) as server:
        yield server, server.signed_session("kiosk-1", server.terminal("kiosk-1"))


def reading(value: int, taken_at: str, *, seq: int = 1, **changes: Any) -> dict[str, Any]:
    """A reading of meter 0 (one zone)."""
    return item(0, seq=seq, taken_at=taken_at,
                readings=[{"zone": 1, "meaning": "single", "value": value, "consumption": 1}], **changes)


def last_reading(office: tuple[OfficeServer, requests.Session]) -> tuple[list[int], str]:
    server, session = office
    since, entry = 0, None
    while True:
        page = session.get(server.url + API + "/directory", params={"since": since}, timeout=10).json()
        entry = next((e for e in page["upserts"] if e["meter"] == "SN-0000000"), entry)
        if not page["more"]:
            return entry["last"], entry["last_date"]
        since = page["version"]


def codes(response: requests.Response) -> list[tuple[str, str | None]]:
    assert response.status_code == 200, response.text
    return [(result["status"], result["code"]) for result in response.json()["results"]]


def moment(offset: timedelta) -> str:
    return (datetime.now(timezone.utc) + offset).isoformat()


# --- time bounds --------------------------------------------------------------------------------

def test_a_reading_from_the_far_future_is_refused_and_does_not_freeze_the_meter(office) -> None:
    assert codes(upload(office, [reading(9999, "9999-12-31T23:59:00+03:00")])) == [("rejected", "taken_at_in_future")]
    assert codes(upload(office, [reading(2100, "2026-11-27T10:00:00+03:00")])) == [("accepted", None)]
    assert last_reading(office) == ([2100], "2026-11-27")
    assert stats(office[0].engine)["submissions"] == 1


def test_the_future_bound_is_the_office_clock_plus_the_allowed_skew(office) -> None:
    ahead, too_far, old = (reading(3000, moment(timedelta(hours=23)), seq=1), reading(3001, moment(timedelta(hours=25)), seq=2),
                           reading(1500, "2019-01-15T12:00:00+03:00", seq=3))
    assert codes(upload(office, [ahead, too_far, old])) == [
        ("accepted", None), ("rejected", "taken_at_in_future"), ("accepted", None)]


def test_the_allowed_skew_is_a_setting(sqlite_office: Engine) -> None:
    load_office_directory(sqlite_office, meter_rows(1))
    with OfficeServer(sqlite_office, max_clock_skew=timedelta(minutes=10)) as server:
        office = (server, server.signed_session("kiosk-1", server.terminal("kiosk-1")))
        batch = [reading(3000, moment(timedelta(minutes=5)), seq=1), reading(3001, moment(timedelta(minutes=15)), seq=2)]
        assert codes(upload(office, batch)) == [("accepted", None), ("rejected", "taken_at_in_future")]


def test_a_morning_reading_sent_after_the_afternoon_one_does_not_replace_it(office) -> None:
    assert statuses(upload(office, [reading(2300, "2026-11-27T15:00:00+03:00", seq=2)])) == ["accepted"]
    assert statuses(upload(office, [reading(2200, "2026-11-27T09:00:00+03:00", seq=1)])) == ["accepted"]
    assert last_reading(office) == ([2300], "2026-11-27")
    # the same in one batch, in either order, and a later one still wins
    assert statuses(upload(office, [reading(2500, "2026-11-28T16:00:00+03:00", seq=4),
                                    reading(2400, "2026-11-28T08:00:00+03:00", seq=3)])) == ["accepted", "accepted"]
    assert last_reading(office) == ([2500], "2026-11-28")
    # the full time counts, whatever the offset it is written with: 17:30 at +05:00 is 15:30 at +03:00
    assert statuses(upload(office, [reading(2450, "2026-11-28T17:30:00+05:00", seq=5)])) == ["accepted"]
    assert last_reading(office) == ([2500], "2026-11-28")


def test_two_readings_at_the_same_time_are_ordered_by_the_terminal_sequence(office) -> None:
    same = "2026-11-27T12:00:00+03:00"
    assert statuses(upload(office, [reading(2300, same, seq=8)])) == ["accepted"]
    assert statuses(upload(office, [reading(2200, same, seq=7)])) == ["accepted"]
    assert last_reading(office) == ([2300], "2026-11-27")
    assert statuses(upload(office, [reading(2400, same, seq=9)])) == ["accepted"]
    assert last_reading(office) == ([2400], "2026-11-27")


def test_every_answer_carries_the_office_date(office) -> None:
    server, session = office
    answers = [
        session.get(server.url + "/healthz", timeout=10),
        upload(office, [item(1)]),
        requests.post(server.url + API + "/submissions", data=b"{", timeout=10),  # 401
        session.post(server.url + API + "/submissions", data=b"{", timeout=10),  # 422
        requests.post(server.url + API + "/submissions", data=b" " * (3 << 20), timeout=10),  # 413
        session.get(server.url + "/nowhere", timeout=10),
    ]
    assert [answer.status_code for answer in answers] == [200, 200, 401, 422, 413, 404]
    for answer in answers:
        office_time = datetime.strptime(answer.headers["Date"], "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=timezone.utc)
        assert abs(office_time - datetime.now(timezone.utc)) < timedelta(minutes=1)


# --- one batch ----------------------------------------------------------------------------------

def test_a_rejected_item_does_not_make_a_later_one_with_its_txn_id_a_conflict(office) -> None:
    txn_id = str(uuid.uuid4())
    bad = item(1, txn_id=txn_id, meter="SN-NOPE")
    good = item(1, txn_id=txn_id)
    other = item(1, txn_id=txn_id, seq=50)
    assert codes(upload(office, [bad, good, good, bad, other])) == [
        ("rejected", "meter_not_found"), ("accepted", None), ("duplicate", None),
        ("conflict", "txn_id_reused"), ("conflict", "txn_id_reused")]
    summary = stats(office[0].engine)
    assert summary["submissions"] == 1 and summary["conflicts"] == 2
    # a batch holding only rejected items under one txn_id stores nothing and records no conflict
    lone = str(uuid.uuid4())
    assert codes(upload(office, [item(2, txn_id=lone, meter="SN-NOPE"), reading(1, "9999-01-01T00:00:00Z", txn_id=lone)])) == [
        ("rejected", "meter_not_found"), ("rejected", "taken_at_in_future")]
    assert stats(office[0].engine)["conflicts"] == 2


# --- authentication first ------------------------------------------------------------------------

def test_an_unsigned_body_is_refused_401_whatever_it_holds(office) -> None:
    server, session = office
    url = server.url + API + "/submissions"
    for body in (b"{", b"\xff\xfe", b'{"items": []}', json.dumps({"items": [item(0)]}).encode(), b""):
        response = requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=10)
        assert (response.status_code, response.json()["detail"]["code"]) == (401, "unauthenticated"), body
    # forged headers of a real terminal: the same, the body is still never parsed
    forged = _signed_headers("not-the-secret", "POST", API + "/submissions", b"{")
    response = requests.post(url, data=b"{", headers=forged, timeout=10)
    assert (response.status_code, response.json()["detail"]["code"]) == (401, "bad_signature")
    assert requests.get(server.url + API + "/directory?since=-1", timeout=10).status_code == 401
    # signed, the same malformed body is a 422 that says where
    assert session.post(url, data=b"{", headers={"Content-Type": "application/json"}, timeout=10).status_code == 422
    for public in ("/healthz", "/openapi.json", "/docs"):
        assert requests.get(server.url + public, timeout=10).status_code == 200, public


def test_health_is_public_and_says_only_its_status(office) -> None:
    server, _ = office
    response = requests.get(server.url + "/healthz", timeout=10)
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_health_is_503_when_the_database_does_not_answer(sqlite_office: Engine) -> None:
    with OfficeServer(sqlite_office) as server:
        path = Path(sqlite_office.url.database)
        sqlite_office.dispose()
        for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            name.unlink(missing_ok=True)
        path.write_bytes(b"this is no database" * 100)
        response = requests.get(server.url + "/healthz", timeout=10)
        assert (response.status_code, response.json()) == (503, {"status": "unavailable"})


# --- terminal lifecycle ---------------------------------------------------------------------------

def test_a_disabled_terminal_is_refused_and_keeps_its_data(office) -> None:
    server, session = office
    assert statuses(upload(office, [item(1)])) == ["accepted"]
    set_enabled(server.engine, "kiosk-1", False)
    response = upload(office, [item(2)])
    assert (response.status_code, response.json()["detail"]["code"]) == (401, "terminal_disabled")
    assert session.get(server.url + API + "/directory", timeout=10).status_code == 401
    assert stats(server.engine)["submissions"] == 1
    assert [(t.id, t.enabled) for t in list_terminals(server.engine)] == [("kiosk-1", False)]
    set_enabled(server.engine, "kiosk-1", True)
    assert statuses(upload(office, [item(2)])) == ["accepted"]
    assert list_terminals(server.engine)[0].last_seen_at is not None


def test_a_rotated_secret_replaces_the_old_one_at_once(office) -> None:
    server, old = office
    new_secret = rotate_secret(server.engine, "kiosk-1")
    response = upload(office, [item(1)])
    assert (response.status_code, response.json()["detail"]["code"]) == (401, "bad_signature")
    renewed = (server, server.signed_session("kiosk-1", new_secret))
    assert statuses(upload(renewed, [item(1)])) == ["accepted"]


def test_a_terminal_id_with_a_line_break_is_refused(office_engine: Engine) -> None:
    for bad in ("kiosk-1\n", "kiosk-1\r\n", "\nkiosk-1", "kiosk 1", ""):
        with pytest.raises(ValueError, match="line break"):
            add_terminal(office_engine, bad)
    assert list_terminals(office_engine) == []


def test_a_database_that_does_not_answer_during_authentication_is_503_later(sqlite_office: Engine) -> None:
    unreachable = open_engine("postgresql://postgres@127.0.0.1:1/none", connect_args={"connect_timeout": 2})
    with OfficeServer(sqlite_office, authenticator=Authenticator(unreachable)) as server:
        session = server.signed_session("kiosk-1", server.terminal("kiosk-1"))
        response = session.post(server.url + API + "/submissions", json={"items": [item(0)]}, timeout=30)
        assert (response.status_code, response.json()["detail"]["code"]) == (503, "busy")
        assert response.headers["Retry-After"] == "5"
    unreachable.dispose()
