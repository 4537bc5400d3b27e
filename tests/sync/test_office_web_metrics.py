"""/metrics over real HTTP: the terminals' gauges from the database, the counters of every worker."""

from __future__ import annotations

import re
import sys
import time
import uuid

import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from sync.office.app import SWITCH_INTERVAL_S, tune_serving_process
from sync.office.database import open_engine
from sync.office.settings import OfficeConfig
from sync.signing import HmacAuth
from sync.office.terminals import Authenticator, SignedHeaders, add_terminal
from sync.office.web.pages import VERIFY_PER_MINUTE
from tests.sync.support import OfficeProcess, OfficeServer, load_office_directory, meter_rows, migrated
from tests.sync.test_office_api import API, item
from tests.sync.test_office_web import _beat

TOKEN = "metrics-token-0123456789"


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def test_metrics_name_each_terminal_and_count_the_uploads(office_engine: Engine) -> None:
    load_office_directory(office_engine, meter_rows(10))
    with OfficeServer(office_engine, config=OfficeConfig(metrics_token=TOKEN)) as office:
        terminal = office.signed_session("kiosk-1", office.terminal("kiosk-1"))
        office.terminal("kiosk-2")
        beat = _beat(queue_depth=4, printer={"state": "ok", "paper": "near_end"},
                     subsystems=[{"name": "printer", "level": "yellow", "reason": "near end"},
                                 {"name": "network", "level": "red", "reason": "no route"}])
        terminal.post(office.url + API + "/heartbeat", json=beat, timeout=10)
        assert requests.get(office.url + "/metrics", timeout=10).status_code == 401
        assert requests.get(office.url + "/metrics", headers={"Authorization": "Bearer wrong"},
                            timeout=10).status_code == 401
        scrape = lambda: requests.get(office.url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"},  # noqa: E731
                                      timeout=10)
        before = _samples(scrape().text).get(("kiosk_office_ingest_items_total", (("result", "accepted"),)), 0)
        batch = {"items": [item(0), item(1)]}
        terminal.post(office.url + API + "/submissions", json=batch, timeout=10)
        terminal.post(office.url + API + "/submissions", json=batch, timeout=10)
        answer = scrape()
        assert answer.headers["content-type"].startswith("text/plain")
        found = _samples(answer.text)
    one = (("terminal", "kiosk-1"),)
    assert found[("kiosk_office_ingest_items_total", (("result", "accepted"),))] == before + 2
    assert found[("kiosk_office_ingest_items_total", (("result", "duplicate"),))] >= 2
    assert found[("kiosk_office_terminal_queue_depth", one)] == 4
    assert 0 <= found[("kiosk_office_terminal_heartbeat_age_seconds", one)] < 60
    assert found[("kiosk_office_terminal_paper", (("state", "near_end"), ("terminal", "kiosk-1")))] == 1
    assert found[("kiosk_office_terminal_paper", (("state", "ok"), ("terminal", "kiosk-1")))] == 0
    assert found[("kiosk_office_terminal_subsystem_level", (("subsystem", "network"), ("terminal", "kiosk-1")))] == 2
    assert found[("kiosk_office_terminal_alert",
                  (("alert", "subsystem_red"), ("severity", "critical"), ("terminal", "kiosk-1")))] == 1
    assert ("kiosk_office_terminal_queue_depth", (("terminal", "kiosk-2"),)) not in found  # never heard
    routes = {dict(labels).get("route") for name, labels in found if name == "kiosk_office_request_seconds_count"}
    assert "/api/v1/submissions" in routes and "/metrics" in routes
    assert not any(route and re.search(r"[0-9a-f]{8}-", route) for route in routes)


def test_metrics_sum_the_workers(pg_office_url: str) -> None:
    migrated(pg_office_url)
    engine = open_engine(pg_office_url)
    load_office_directory(engine, meter_rows(10))
    secret = add_terminal(engine, "kiosk-1")
    engine.dispose()
    office = OfficeProcess(pg_office_url, "--workers", "2")
    try:
        session = requests.Session()
        session.auth = HmacAuth("kiosk-1", secret)
        # new connections each time: the kernel spreads them over both workers
        for number in range(10):
            session.post(office.url + API + "/submissions", json={"items": [item(number)]}, timeout=10,
                         headers={"Connection": "close"})
        accepted = [_samples(requests.get(office.url + "/metrics", timeout=10, headers={"Connection": "close"}).text)
                    [("kiosk_office_ingest_items_total", (("result", "accepted"),))] for _ in range(6)]
        # The public check page's limit is the office's, shared out among its workers: one
        # client gets no more from two workers than from one.
        checks = [requests.get(f"{office.url}/r/{uuid.uuid4()}", timeout=10, headers={"Connection": "close"})
                  for _ in range(2 * VERIFY_PER_MINUTE + 10)]
    finally:
        office.stop()
    assert accepted == [10.0] * 6  # whichever worker answered, it counted both workers' uploads
    answered = [check.status_code for check in checks]
    assert set(answered) == {404, 429}
    assert VERIFY_PER_MINUTE // 2 <= answered.count(404) <= VERIFY_PER_MINUTE


class _SlowAuthenticator(Authenticator):
    """Takes a known time to check a request, as a busy database would."""

    def verify(self, headers: SignedHeaders, body_digest: str) -> str:
        time.sleep(AUTH_DELAY_S)
        return super().verify(headers, body_digest)


AUTH_DELAY_S = 0.3


def test_request_time_includes_authentication(sqlite_office: Engine) -> None:
    """A terminal waits for its request's authentication too: the histogram counts it, and a
    request the Gate refuses counts as ``unmatched``."""
    def heartbeat_time(text: str) -> tuple[float, float]:
        found = _samples(text)
        key = (("method", "POST"), ("route", API + "/heartbeat"))
        return found.get(("kiosk_office_request_seconds_count", key), 0), found.get(("kiosk_office_request_seconds_sum", key), 0)

    def refused(text: str) -> float:
        return _samples(text).get(("kiosk_office_request_seconds_count", (("method", "POST"), ("route", "unmatched"))), 0)

    with OfficeServer(sqlite_office, authenticator=_SlowAuthenticator(sqlite_office)) as office:
        terminal = office.signed_session("kiosk-1", office.terminal("kiosk-1"))
        before = requests.get(office.url + "/metrics", timeout=10).text
        assert terminal.post(office.url + API + "/heartbeat", json=_beat(), timeout=10).status_code == 200
        assert requests.post(office.url + API + "/heartbeat", json=_beat(), timeout=10).status_code == 401
        after = requests.get(office.url + "/metrics", timeout=10).text
    (count_before, sum_before), (count_after, sum_after) = heartbeat_time(before), heartbeat_time(after)
    assert count_after == count_before + 1
    assert sum_after - sum_before >= AUTH_DELAY_S
    assert refused(after) == refused(before) + 1


def test_a_serving_process_lets_waiting_threads_in_sooner() -> None:
    """The office's processes hand the interpreter to a waiting thread within half a millisecond,
    not Python's 5 ms: a heartbeat's thread is not kept waiting by an operator's page."""
    before = sys.getswitchinterval()
    try:
        tune_serving_process()
        assert sys.getswitchinterval() == SWITCH_INTERVAL_S <= 0.001
    finally:
        sys.setswitchinterval(before)
