"""The terminal's uploader and directory puller against the real office, with the real store."""

from __future__ import annotations

import random
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from kiosk.store import Store
from sync.backoff import Backoff
from sync.client import OfficeClient, OfficeUnavailable, _retry_after
from sync.directory_pull import DirectoryPuller
from sync.office.reports import stats
from sync.uploader import Uploader
from sync.wire import DirectoryPage, Heartbeat, PrinterState
from tests.sync.faulty_proxy import FaultyProxy
from tests.sync.support import OfficeServer, client, load_office_directory, meter_rows, queue_submissions


def test_full_jitter_stays_under_the_growing_ceiling_and_obeys_retry_after() -> None:
    backoff = Backoff(base=1.0, cap=8.0, rng=random.Random(3))
    ceilings = [1, 2, 4, 8, 8, 8]
    delays = [backoff.next_delay() for _ in ceilings]
    assert all(0 <= delay <= ceiling for delay, ceiling in zip(delays, ceilings))
    assert backoff.next_delay(retry_after=30) >= 30
    assert Backoff(retry_after_cap=60).next_delay(retry_after=10**6) == 60
    backoff.reset()
    assert backoff.next_delay() <= 1


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert _retry_after("120") == 120
    assert 55 <= _retry_after(time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 60))) <= 60
    assert _retry_after("soon") is None and _retry_after("") is None
    assert _retry_after("99999999") == 3600  # a hostile office cannot park the terminal for years


def test_one_pass_drains_and_keeps_rejected_items_visible(sqlite_office: Engine, kiosk_store: Store) -> None:
    rows = meter_rows(12)
    kiosk_store.directory.import_rows(rows)
    load_office_directory(sqlite_office, rows[:10])  # the office does not know meters 10 and 11
    txn_ids = queue_submissions(kiosk_store, "kiosk-1", rows, 24)
    with OfficeServer(sqlite_office) as office:
        uploader = Uploader(kiosk_store.outbox, client(office.url, "kiosk-1", office.terminal()), batch_size=5)
        summary = uploader.run_once()
        assert summary.as_dict() == {"sent": 24, "accepted": 20, "duplicate": 0, "rejected": 4, "conflict": 0,
                                     "pending": 0, "error": None}
        assert uploader.run_once().sent == 0
    rejected = kiosk_store.submissions.get(txn_id=txn_ids[10])
    assert rejected.sync_state == "rejected" and rejected.sync_code == "meter_not_found"


def test_a_malformed_item_is_isolated_and_does_not_block_the_queue(sqlite_office: Engine, kiosk_store: Store) -> None:
    rows = meter_rows(5)
    kiosk_store.directory.import_rows(rows)
    load_office_directory(sqlite_office, rows)
    txn_ids = queue_submissions(kiosk_store, "kiosk-1", rows, 9)
    with kiosk_store.engine.begin() as connection:  # a row the office's schema refuses outright
        connection.exec_driver_sql("UPDATE submissions SET period = '2026-13' WHERE txn_id = ?", (txn_ids[4],))
    with OfficeServer(sqlite_office) as office:
        summary = Uploader(kiosk_store.outbox, client(office.url, "kiosk-1", office.terminal()), batch_size=8).run_once()
    assert (summary.accepted, summary.rejected, summary.pending) == (8, 1, 0)
    assert kiosk_store.submissions.get(txn_id=txn_ids[4]).sync_code == "refused_by_office"


def test_retry_after_of_a_429_reaches_the_backoff(sqlite_office: Engine, kiosk_store: Store) -> None:
    rows = meter_rows(2)
    kiosk_store.directory.import_rows(rows)
    queue_submissions(kiosk_store, "kiosk-1", rows, 2)
    with OfficeServer(sqlite_office) as office, \
            FaultyProxy(office.port, fault_rate=1.0, faults={"too_many": 1.0}, retry_after="7") as proxy:
        summary = Uploader(kiosk_store.outbox, client(proxy.url, "kiosk-1", office.terminal())).run_once()
    assert summary.retry_after == 7 and summary.pending == 2 and "429" in (summary.error or "")
    assert Backoff(rng=random.Random(0)).next_delay(summary.retry_after) >= 7


def test_unreachable_office_and_timeouts_are_reported_not_raised(kiosk_store: Store) -> None:
    rows = meter_rows(1)
    kiosk_store.directory.import_rows(rows)
    queue_submissions(kiosk_store, "kiosk-1", rows, 1)
    dead = client("http://127.0.0.1:9", "kiosk-1", "secret", connect_timeout=0.5)
    summary = Uploader(kiosk_store.outbox, dead).run_once()
    assert summary.pending == 1 and summary.error and summary.sent == 0


def test_directory_pull_resumes_page_by_page(office_engine: Engine, kiosk_store: Store) -> None:
    load_office_directory(office_engine, meter_rows(25))
    with OfficeServer(office_engine) as office:
        office_client = client(office.url, "kiosk-1", office.terminal())
        first = DirectoryPuller(kiosk_store.directory, office_client, page_size=10, max_pages=1).pull()
        assert (first.pages, first.upserts) == (1, 10)  # "power cut" after one page
        rest = DirectoryPuller(kiosk_store.directory, office_client, page_size=10).pull()
        assert (rest.pages, rest.upserts, rest.error) == (2, 15, None)
        assert kiosk_store.directory.directory_version() == rest.version
        assert kiosk_store.directory.stats().meters == 25
        load_office_directory(office_engine, meter_rows(20))
        removal = DirectoryPuller(kiosk_store.directory, office_client).pull()
        assert (removal.removed_meters, removal.removed_accounts) == (5, 5)
        assert kiosk_store.directory.find_account("2200000024") is None
        assert DirectoryPuller(kiosk_store.directory, office_client).pull().pages == 0


def test_a_pull_cut_short_keeps_the_pages_applied(sqlite_office: Engine, kiosk_store: Store) -> None:
    """Pages are fetched ahead of applying: an office lost mid-pull or a page that fails to apply
    still leaves the directory at the last page applied, never past it."""

    class Failing:
        def __init__(self, office_client: OfficeClient, fail_at: int) -> None:
            self.office_client, self.fail_at, self.calls = office_client, fail_at, 0

        def directory(self, since: int, limit: int) -> DirectoryPage:
            self.calls += 1
            if self.calls == self.fail_at:
                raise OfficeUnavailable("the office went away")
            return self.office_client.directory(since, limit)

    class BrokenDisk:
        def directory_version(self) -> int:
            return kiosk_store.directory.directory_version()

        def apply_directory_page(self, *page: object) -> None:
            raise OSError("disk full")

    load_office_directory(sqlite_office, meter_rows(25))
    with OfficeServer(sqlite_office) as office:
        office_client = client(office.url, "kiosk-1", office.terminal())
        flaky = Failing(office_client, fail_at=3)
        cut = DirectoryPuller(kiosk_store.directory, flaky, page_size=10).pull()  # type: ignore[arg-type]
        assert (cut.pages, cut.upserts, cut.error) == (2, 20, "the office went away")
        assert kiosk_store.directory.directory_version() == cut.version
        with pytest.raises(OSError):
            DirectoryPuller(BrokenDisk(), office_client, page_size=10).pull()  # type: ignore[arg-type]
        assert kiosk_store.directory.directory_version() == cut.version
        rest = DirectoryPuller(kiosk_store.directory, office_client, page_size=10).pull()
        assert (rest.pages, rest.upserts, rest.error) == (1, 5, None)
    assert kiosk_store.directory.stats().meters == 25


def test_the_background_uploader_sends_heartbeats(sqlite_office: Engine, kiosk_store: Store) -> None:
    def beat() -> Heartbeat:
        return Heartbeat(app_version="0.1.0", queue_depth=kiosk_store.outbox.depth(),
                         oldest_pending_age=kiosk_store.outbox.oldest_pending_age(),
                         printer=PrinterState(state="ok", paper="ok"))

    with OfficeServer(sqlite_office) as office:
        uploader = Uploader(kiosk_store.outbox, client(office.url, "kiosk-1", office.terminal()),
                            heartbeat=beat, idle_interval=0.05)
        uploader.start()
        deadline = time.monotonic() + 10
        while stats(sqlite_office)["terminals"][0]["last_heartbeat"] is None and time.monotonic() < deadline:
            time.sleep(0.05)
        uploader.stop(timeout=5)
    assert stats(sqlite_office)["terminals"][0]["last_heartbeat"]["queue_depth"] == 0


def _certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A private CA and a server certificate for 127.0.0.1 signed by it."""
    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=Test office CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    (folder / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf")
    return folder / "ca.pem", folder / "server.pem", folder / "server.key"


@pytest.mark.skipif(subprocess.run(["which", "openssl"], capture_output=True).returncode != 0,
                    reason="openssl is needed to make test certificates")
def test_tls_is_verified_against_the_configured_ca_bundle(sqlite_office: Engine, tmp_path: Path) -> None:
    ca, certificate, key = _certificates(tmp_path)
    with OfficeServer(sqlite_office, tls=(str(certificate), str(key))) as office:
        secret = office.terminal()
        url = office.url.replace("http://", "https://")
        assert client(url, "kiosk-1", secret, ca_bundle=str(ca)).directory(0).version == 0
        with pytest.raises(OfficeUnavailable, match="SSL"):
            client(url, "kiosk-1", secret).directory(0)  # the system store does not know our CA


from hypothesis import given, settings, strategies as st  # noqa: E402

from sync.client import _problem  # noqa: E402
from sync.wire import UploadResults  # noqa: E402
from pydantic import ValidationError  # noqa: E402

_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                     max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(body=st.one_of(st.binary(max_size=200), _json.map(lambda v: __import__("json").dumps(v).encode())))
def test_whatever_the_office_answers_the_terminal_only_refuses_it(body: bytes) -> None:
    for model in (UploadResults, DirectoryPage):
        try:
            model.model_validate_json(body)
        except ValidationError:
            pass
    code, message = _problem(body)
    assert isinstance(code, str) and isinstance(message, str)
