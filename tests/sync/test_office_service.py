"""``kiosk office serve`` as deployed: its own processes, the real terminal uploader, one
database shared by several instances, and what unauthenticated traffic costs it."""

from __future__ import annotations

import json
import threading
from typing import Iterator

import pytest
import requests

from kiosk.store import Store
from sync.office.database import open_engine
from sync.office.directory import import_rows
from sync.office.reports import stats
from sync.office.terminals import add_terminal
from sync.signing import HmacAuth
from sync.uploader import Uploader
from sync.wire import MAX_BODY_BYTES
from tests.sync.support import OfficeProcess, client, meter_rows, migrated, queue_submissions
from tests.sync.test_office_api import API, _signed_headers, item

@pytest.fixture
def instance(office_url: str) -> Iterator[OfficeProcess]:
    migrated(office_url)
    engine = open_engine(office_url)
    import_rows(engine, meter_rows(5))
    add_terminal(engine, "kiosk-1")
    engine.dispose()
    office = OfficeProcess(office_url)
    try:
        yield office
    finally:
        office.stop()


def test_unsigned_bodies_cost_the_office_no_memory(instance: OfficeProcess) -> None:
    office = instance
    url = office.url + API + "/submissions"
    body = b"[" * MAX_BODY_BYTES  # as large as allowed, and as hard to parse as it gets
    answers: list[tuple[int, str]] = []

    def send(headers: dict[str, str]) -> None:
        response = requests.post(url, data=body, headers=headers, timeout=60)
        answers.append((response.status_code, response.json()["detail"]["code"]))

    def at_once(headers: dict[str, str], count: int = 10) -> None:
        threads = [threading.Thread(target=send, args=(headers,)) for _ in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)

    forged = _signed_headers("not-the-secret", "POST", API + "/submissions", body)
    at_once({}, 2)  # warm-up: the first requests load code and fill the server's buffers
    at_once(forged, 2)
    before = office.resident_kb()
    at_once({"Content-Type": "application/json"})
    at_once(forged)
    grown_kb = office.resident_kb() - before
    assert answers[4:] == [(401, "unauthenticated")] * 10 + [(401, "bad_signature")] * 10
    # unchecked, ten such bodies grew the office by 277 MB and kept it
    assert grown_kb < 8 * 1024, f"the office grew by {grown_kb} kB"


def test_two_instances_share_one_database(pg_office_url: str, kiosk_store: Store) -> None:
    migrated(pg_office_url)
    engine = open_engine(pg_office_url)
    rows = meter_rows(6)
    import_rows(engine, rows)
    secret = add_terminal(engine, "kiosk-1")
    kiosk_store.directory.import_rows(rows)
    first, second = OfficeProcess(pg_office_url, "--workers", "2"), OfficeProcess(pg_office_url)
    try:
        # a load balancer that sends each round of the terminal's uploads to the other instance
        uploaders = [Uploader(kiosk_store.outbox, client(office.url, "kiosk-1", secret), batch_size=4)
                     for office in (first, second)]
        queued = []
        for round_number in range(6):
            queued += queue_submissions(kiosk_store, "kiosk-1", rows, 5)
            summary = uploaders[round_number % 2].run_once()
            assert (summary.accepted, summary.pending, summary.error) == (5, 0, None), summary
        assert stats(engine)["submissions"] == len(queued) == 30

        # one item sent to both at the same moment is stored once
        session = requests.Session()
        session.auth = HmacAuth("kiosk-1", secret)
        twin = item(1, terminal_id="kiosk-1")
        results: list[str] = []

        def post(office: OfficeProcess) -> None:
            answer = session.post(office.url + API + "/submissions", json={"items": [twin]}, timeout=30)
            results.append(answer.json()["results"][0]["status"])

        threads = [threading.Thread(target=post, args=(office,)) for office in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(results) == ["accepted", "duplicate"]
        assert stats(engine)["submissions"] == 31

        # a request captured on its way to one instance and replayed to the other
        body = json.dumps({"items": [item(2, terminal_id="kiosk-1")]}).encode()
        headers = _signed_headers(secret, "POST", API + "/submissions", body, nonce="replayed-nonce-0123456789")
        assert requests.post(first.url + API + "/submissions", data=body, headers=headers, timeout=30).status_code == 200
        replay = requests.post(second.url + API + "/submissions", data=body, headers=headers, timeout=30)
        assert (replay.status_code, replay.json()["detail"]["code"]) == (401, "replay")
    finally:
        first.stop()
        second.stop()
        engine.dispose()
