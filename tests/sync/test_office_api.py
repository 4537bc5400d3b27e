"""The office over real HTTP: idempotent ingest, refusals, directory pages, heartbeats."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from typing import Any, Iterator

import pytest
import requests
from sqlalchemy import Engine, event

from sync import signing
from sync.zones import STANDARD_MEANINGS
from sync.office.directory import changes_page
from sync.office.reports import stats
from sync.wire import DirectoryPage
from tests.sync.support import OfficeServer, load_office_directory, meter_rows

API = "/api/v1"


def item(number: int = 0, **changes: Any) -> dict[str, Any]:
    zones = 1 + number % 2
    readings = [{"zone": z, "meaning": m, "value": 2000 + z, "consumption": 5}
                for z, m in zip(range(1, zones + 1), ("single",) if zones == 1 else ("day", "night"))]
    payload = {"txn_id": str(uuid.uuid4()), "seq": number + 1, "terminal_id": "kiosk-1",
               "account": f"{2200000000 + number}", "meter": f"SN-{number:07d}",
               "taken_at": "2026-11-27T18:40:00+03:00", "period": "2026-11", "readings": readings,
               "confirmed": []}
    payload.update(changes)
    return payload


@pytest.fixture
def office(office_engine: Engine) -> Iterator[tuple[OfficeServer, requests.Session]]:
    load_office_directory(office_engine, meter_rows(10))
    with OfficeServer(office_engine) as server:
        yield server, server.signed_session("kiosk-1", server.terminal("kiosk-1"))


def upload(office: tuple[OfficeServer, requests.Session], items: list[dict[str, Any]]) -> requests.Response:
    server, session = office
    return session.post(server.url + API + "/submissions", json={"items": items}, timeout=10)


def statuses(response: requests.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [result["status"] for result in response.json()["results"]]


def test_accepted_then_duplicate_then_conflict(office) -> None:
    first = item(0)
    assert statuses(upload(office, [first])) == ["accepted"]
    assert statuses(upload(office, [first])) == ["duplicate"]
    changed = {**first, "readings": [{"zone": 1, "meaning": "single", "value": 2002, "consumption": 6}]}
    answer = upload(office, [changed]).json()["results"][0]
    assert answer["status"] == "conflict" and answer["code"] == "txn_id_reused"
    summary = stats(office[0].engine)
    assert summary["submissions"] == 1 and summary["conflicts"] == 1


def test_a_batch_answers_per_item_in_order(office) -> None:
    good, repeated = item(1), item(2)
    batch = [good, item(3, meter="SN-NOPE"), item(4, terminal_id="kiosk-2"), repeated, repeated,
             item(5, readings=[{"zone": 1, "meaning": "day", "value": 1, "consumption": 1}]),
             item(6, readings=[{"zone": 1, "meaning": "single", "value": 100000, "consumption": 1}])]
    results = upload(office, batch).json()["results"]
    assert [(r["status"], r["code"]) for r in results] == [
        ("accepted", None), ("rejected", "meter_not_found"), ("rejected", "terminal_mismatch"),
        ("accepted", None), ("duplicate", None), ("rejected", "wrong_zone_count"),
        ("rejected", "too_many_digits"),
    ]


def test_an_accepted_reading_reaches_the_other_terminals(office) -> None:
    server, session = office
    version = session.get(server.url + API + "/directory", params={"since": 0}, timeout=10).json()["version"]
    upload(office, [item(3, readings=[{"zone": 1, "meaning": "day", "value": 4321, "consumption": 1},
                                      {"zone": 2, "meaning": "night", "value": 1234, "consumption": 2}])])
    page = session.get(server.url + API + "/directory", params={"since": version}, timeout=10).json()
    assert [(e["meter"], e["last"], e["last_date"]) for e in page["upserts"]] == [
        ("SN-0000003", [4321, 1234], "2026-11-27")]
    assert page["version"] > version and page["more"] is False


def test_directory_pages_and_removals(office) -> None:
    server, session = office

    def pull(since: int, limit: int) -> dict[str, Any]:
        response = session.get(server.url + API + "/directory", params={"since": since, "limit": limit}, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    seen, since, more = [], 0, True
    while more:
        page = pull(since, 4)
        seen += [entry["meter"] for entry in page["upserts"]]
        since, more = page["version"], page["more"]
    assert sorted(seen) == [f"SN-{n:07d}" for n in range(10)]
    load_office_directory(server.engine, meter_rows(8))  # meters 8 and 9 leave
    page = pull(since, 100)
    assert page["upserts"] == []
    assert sorted(r["meter"] for r in page["removed_meters"]) == ["SN-0000008", "SN-0000009"]
    assert sorted(page["removed_accounts"]) == ["2200000008", "2200000009"]
    assert pull(page["version"], 100) == {**page, "removed_meters": [], "removed_accounts": [], "more": False}


def test_a_batch_of_repeats_keeps_the_stored_content_and_the_newest_last_reading(office) -> None:
    server, session = office
    first = item(1)
    assert statuses(upload(office, [first])) == ["accepted"]
    version = session.get(server.url + API + "/directory", params={"since": 0}, timeout=10).json()["version"]

    def reading(number: int, value: int, day: int) -> dict[str, Any]:
        return item(number, taken_at=f"2026-11-{day}T10:00:00+03:00", readings=[
            {"zone": 1, "meaning": "day", "value": value, "consumption": 1},
            {"zone": 2, "meaning": "night", "value": value + 1, "consumption": 1}])

    changed = {**first, "readings": [{"zone": 1, "meaning": "day", "value": 9, "consumption": 1},
                                     {"zone": 2, "meaning": "night", "value": 9, "consumption": 1}]}
    newer, older = reading(3, 7000, 28), reading(3, 6000, 21)
    batch = [first, changed, newer, older, newer, {**newer, "seq": 99}]
    assert statuses(upload(office, batch)) == ["duplicate", "conflict", "accepted", "accepted", "duplicate", "conflict"]
    page = session.get(server.url + API + "/directory", params={"since": version}, timeout=10).json()
    assert [(e["meter"], e["last"], e["last_date"]) for e in page["upserts"]] == [
        ("SN-0000003", [7000, 7001], "2026-11-28")]
    upload(office, [reading(3, 5000, 20)])  # accepted, but older than what the office holds
    assert session.get(server.url + API + "/directory", params={"since": page["version"]},
                       timeout=10).json()["upserts"] == []
    summary = stats(server.engine)
    assert summary["submissions"] == 4 and summary["conflicts"] == 2


def test_directory_entries_carry_every_field_as_imported(office_engine: Engine) -> None:
    """The database writes each entry's JSON: odd text, missing values and three zones survive."""
    rows = [row._replace(meter=f'SN "{n}" \\ ✓', holder='К***а "Ё" \\ 😀', address="ул. <Ленина>/1", zones=3,
                         meanings=STANDARD_MEANINGS[3], last=(None, 12, 10**12 - 1) if n % 2 else (1, None, None),
                         last_date=None if n == 0 else row.last_date, max_kwh=10**9, avg_kwh=None if n else 0,
                         window_start=1 + n, window_end=31)
            for n, row in enumerate(meter_rows(3))] + meter_rows(2, start=3)
    load_office_directory(office_engine, rows)
    page = DirectoryPage.model_validate_json(changes_page(office_engine, 0, 100))
    assert [entry.to_row() for entry in page.upserts] == rows
    assert (page.more, page.removed_meters, page.removed_accounts) == (False, [], [])


def test_heartbeat_is_recorded(office) -> None:
    server, session = office
    beat = {"app_version": "0.1.0", "queue_depth": 3, "oldest_pending_age": 12.5,
            "printer": {"state": "ok", "paper": "near_end"}, "last_error": None,
            "events": [{"at": "2026-11-27T18:40:00+03:00", "kind": "paper.loaded", "message": "technician"}]}
    response = session.post(server.url + API + "/heartbeat", json=beat, timeout=10)
    assert response.status_code == 200, response.text
    terminal = stats(server.engine)["terminals"][0]
    assert terminal["last_heartbeat"]["printer"]["paper"] == "near_end"
    assert terminal["last_heartbeat_at"] is not None


def _signed_headers(secret: str, method: str, path: str, body: bytes, *, timestamp: int | None = None,
                    nonce: str = "n" * 20, terminal: str = "kiosk-1") -> dict[str, str]:
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    return {signing.HEADER_TERMINAL: terminal, signing.HEADER_TIMESTAMP: stamp, signing.HEADER_NONCE: nonce,
            signing.HEADER_SIGNATURE: signing.signature(secret, method, path, stamp, nonce, body),
            "Content-Type": "application/json"}


def test_authentication_refusals(office_engine: Engine) -> None:
    with OfficeServer(office_engine) as server:
        secret = server.terminal("kiosk-1")
        path = API + "/submissions"
        body = json.dumps({"items": [item(0)]}).encode()

        def post(headers: dict[str, str], data: bytes = body) -> tuple[int, str]:
            response = requests.post(server.url + path, data=data, headers=headers, timeout=10)
            detail = response.json().get("detail")
            return response.status_code, detail["code"] if detail else ""

        assert post({}) == (401, "unauthenticated")
        assert post(_signed_headers("wrong", "POST", path, body)) == (401, "bad_signature")
        assert post(_signed_headers(secret, "POST", path, body, terminal="kiosk-9")) == (401, "bad_signature")
        assert post(_signed_headers(secret, "POST", path, body + b" ")) == (401, "bad_signature")
        stale = _signed_headers(secret, "POST", path, body, timestamp=int(time.time()) - 301)
        assert post(stale) == (401, "stale_timestamp")
        future = _signed_headers(secret, "POST", path, body, timestamp=int(time.time()) + 301)
        assert post(future) == (401, "stale_timestamp")
        once = _signed_headers(secret, "POST", path, body, nonce="replay-me-0123456789")
        assert post(once)[0] == 200
        assert post(once) == (401, "replay")
        # the query is signed too: a page cannot be swapped for another
        signed = _signed_headers(secret, "GET", API + "/directory?since=0", b"", nonce="q" * 20)
        response = requests.get(server.url + API + "/directory?since=5", headers=signed, timeout=10)
        assert response.status_code == 401


def test_a_request_is_authenticated_in_few_statements(office_engine: Engine) -> None:
    """Every request of every terminal pays it: on a server, one read and one statement spending
    the nonce (each its own transaction, so no BEGIN and ROLLBACK either)."""
    from sync.office.terminals import AuthError, Authenticator, SignedHeaders, add_terminal, list_terminals

    secret = add_terminal(office_engine, "kiosk-1")
    authenticator = Authenticator(office_engine)
    digest = hashlib.sha256(b"{}").hexdigest()

    def signed(nonce: str) -> SignedHeaders:
        stamp = str(int(time.time()))
        return SignedHeaders("POST", API + "/heartbeat", "kiosk-1", stamp, nonce,
                             signing.signature_of_digest(secret, "POST", API + "/heartbeat", stamp, nonce, digest))

    assert authenticator.verify(signed("a" * 20), digest) == "kiosk-1"  # the first also prunes old nonces
    seen: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "office_" in statement:
            seen.append(statement.split()[0])

    event.listen(office_engine, "before_cursor_execute", capture)
    try:
        assert authenticator.verify(signed("b" * 20), digest) == "kiosk-1"
    finally:
        event.remove(office_engine, "before_cursor_execute", capture)
    # SQLite has no INSERT inside a WITH, and no round trips to save
    assert seen == (["SELECT", "WITH"] if office_engine.dialect.name == "postgresql" else ["SELECT", "INSERT", "UPDATE"])
    assert list_terminals(office_engine)[0].last_seen_at is not None
    with pytest.raises(AuthError) as replayed:
        authenticator.verify(signed("b" * 20), digest)
    assert replayed.value.code == "replay"


def test_oversized_and_malformed_bodies_are_4xx(office) -> None:
    server, session = office
    url = server.url + API + "/submissions"
    big = b'{"items": [' + b" " * (3 * 1024 * 1024) + b"]}"
    assert session.post(url, data=big, headers={"Content-Type": "application/json"}, timeout=10).status_code == 413
    # streamed without a Content-Length (unsigned: the limit applies before authentication)
    chunked = requests.post(url, data=iter([b" " * 1024 * 1024] * 3), timeout=10)
    assert chunked.status_code == 413
    assert upload(office, [item(0)] * 1001).status_code == 422
    assert upload(office, []).status_code == 422
    for bad in (b"{", b"[]", b'{"items": [{"txn_id": 1}]}', b"\xff\xfe"):
        response = session.post(url, data=bad, headers={"Content-Type": "application/json"}, timeout=10)
        assert response.status_code == 422 and response.json()["detail"]["code"] == "invalid_request"
    assert upload(office, [item(0, extra="field")]).status_code == 422
    assert upload(office, [item(0, txn_id=str(uuid.uuid1()))]).status_code == 422
    assert upload(office, [item(0, taken_at="2026-11-27T18:40:00")]).status_code == 422  # no offset
    assert session.get(server.url + API + "/directory", params={"since": -1}, timeout=10).status_code == 422
    assert session.get(server.url + API + "/directory", params={"limit": 10**6}, timeout=10).status_code == 422
