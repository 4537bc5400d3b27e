"""A reading the office refused because its directory had lost the meter reaches it after the
meter comes back, and the directory crosses the wire compressed; the real office over loopback
HTTP, the terminal's real store, SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import io
import json

from sqlalchemy import Engine

from kiosk.store import Store
from sync.directory_file import read_directory
from sync.directory_pull import DirectoryPuller
from sync.office.directory import import_rows
from sync.office.reports import stats
from sync.uploader import Uploader
from tests.sync.link import Link
from tests.sync.support import OfficeServer, client, directory_csv, meter_rows, queue_submissions


def test_a_reading_refused_for_a_lost_meter_is_delivered_when_the_meter_comes_back(
        office_engine: Engine, kiosk_store: Store) -> None:
    rows = meter_rows(20)
    import_rows(office_engine, rows)
    with OfficeServer(office_engine) as office:
        office_client = client(office.url, "kiosk-1", office.terminal())
        DirectoryPuller(kiosk_store.directory, office_client).pull()
        [txn_id] = queue_submissions(kiosk_store, "kiosk-1", rows[7:8], 1)

        # A damaged billing file, imported without --skip-bad's protection in an older office,
        # dropped the meter: the reading is refused.
        import_rows(office_engine, rows[:7] + rows[8:])
        uploader = Uploader(kiosk_store.outbox, office_client)
        assert uploader.run_once().rejected == 1
        refused = kiosk_store.submissions.get(txn_id=txn_id)
        assert (refused.sync_state, refused.sync_code) == ("rejected", "meter_not_found")
        assert DirectoryPuller(kiosk_store.directory, office_client).pull().removed_meters == 1
        assert kiosk_store.submissions.get(txn_id=txn_id).sync_state == "rejected"  # still visible
        assert uploader.run_once().sent == 0  # and not sent again while the meter is gone

        # The good file again: the next directory update brings the meter back, and the reading.
        import_rows(office_engine, read_directory(io.BytesIO(directory_csv(rows).encode())))
        pulled = DirectoryPuller(kiosk_store.directory, office_client).pull()
        assert pulled.upserts == 1
        again = kiosk_store.submissions.get(txn_id=txn_id)
        assert again.sync_state == "pending" and "offered again" in (again.sync_message or "")
        assert kiosk_store.outbox.depth() == 1
        summary = uploader.run_once()
        assert (summary.sent, summary.accepted) == (1, 1)
        assert kiosk_store.submissions.get(txn_id=txn_id).sync_state == "delivered"
        assert stats(office_engine)["submissions"] == 1


def test_directory_pages_cross_the_wire_gzipped_when_the_terminal_asks(
        office_engine: Engine, kiosk_store: Store) -> None:
    import_rows(office_engine, meter_rows(3000))
    with OfficeServer(office_engine) as office, Link(office.port) as link:
        office_client = client(link.url, "kiosk-1", office.terminal())
        summary = DirectoryPuller(kiosk_store.directory, office_client, page_size=1000).pull()
        office_client.close()
    assert (summary.pages, summary.upserts, summary.error) == (3, 3000, None)  # signed, verified, applied
    assert kiosk_store.directory.stats().meters == 3000
    request, answer = bytes(link.heads[0]["to_office"]), bytes(link.heads[0]["to_terminal"])
    assert b"GET /api/v1/directory?since=0" in request
    assert "gzip" in _header(request, b"accept-encoding")  # requests asks for it by default
    assert _header(answer, b"content-encoding") == "gzip"
    assert link.bytes["to_terminal"] < 3000 * 40  # plain JSON is about 260 bytes a meter

    # The same page without the terminal asking: plain JSON, and the gzipped one decodes to it.
    with OfficeServer(office_engine) as office:
        secret = office.terminal("kiosk-2")
        plain = office.signed_session("kiosk-2", secret).get(
            f"{office.url}/api/v1/directory?since=0&limit=1000", headers={"Accept-Encoding": "identity"})
        zipped = office.signed_session("kiosk-2", secret).get(
            f"{office.url}/api/v1/directory?since=0&limit=1000", headers={"Accept-Encoding": "gzip"}, stream=True)
        raw = zipped.raw.read(decode_content=False)
    assert plain.status_code == zipped.status_code == 200
    assert "Content-Encoding" not in plain.headers and zipped.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(raw)) == plain.json() and len(raw) * 4 < len(plain.content)


def _header(head: bytes, name: bytes) -> str:
    for line in head.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip().decode("latin-1")
    return ""
