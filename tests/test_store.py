"""The local store on real SQLite files: durability settings, migrations, the directory,
submissions with their outbox, and the append-only event log."""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import sys
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from kiosk.config import Config
from sync.directory_file import read_directory
from kiosk.intake import Intake
from kiosk.store import MeterChanged, Store, StoreError
from kiosk.store.database import MIGRATIONS, _alembic_config, head_revision
from kiosk.store.schema import metadata
from sync.ports import DirectoryChanges
from tests.support import directory_text


@dataclass(frozen=True)
class Result:
    txn_id: str
    status: str
    code: str | None = None
    message: str | None = None


def test_pragmas_and_schema_revision(store: Store) -> None:
    with store.engine.connect() as connection:
        pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("synchronous") == 2  # FULL
        assert pragma("foreign_keys") == 1
        assert connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == head_revision()


def test_migrations_and_table_definitions_agree(store: Store) -> None:
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_upgrade_is_idempotent_and_keeps_rows(seeded_store: Store, kiosk_config: Config) -> None:
    meters = seeded_store.directory.stats().meters
    seeded_store.close()
    again = Store.open(kiosk_config.database_path)
    assert again.upgrade() == (head_revision(), head_revision())
    assert again.directory.stats().meters == meters
    again.close()


def test_the_head_revision_is_alembics() -> None:
    from alembic.script import ScriptDirectory

    assert head_revision() == ScriptDirectory(str(MIGRATIONS)).get_current_head()


def _open_in_a_fresh_process(path: Path) -> dict:
    """What a start sees: a new interpreter opens the store as ``kiosk run`` does."""
    script = ("import json, sys; from kiosk.store import Store; store = Store.open(sys.argv[1]); "
              "print(json.dumps({'revision': store.service.schema_revision(), 'alembic': 'alembic' in sys.modules}))")
    opened = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=60)
    assert opened.returncode == 0, opened.stderr
    return json.loads(opened.stdout)


def test_a_current_database_opens_without_alembic_and_an_older_one_is_migrated(kiosk_config: Config) -> None:
    from alembic import command

    path = kiosk_config.database_path
    Store.open(path).close()
    assert _open_in_a_fresh_process(path) == {"revision": head_revision(), "alembic": False}
    older = Store.open(path)
    with older.engine.connect() as connection:
        command.downgrade(_alembic_config(connection), "0004")
        connection.commit()
    assert older.service.schema_revision() == "0004"
    older.close()
    assert _open_in_a_fresh_process(path) == {"revision": head_revision(), "alembic": True}


def test_an_unusable_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match=str(path)):
        Store.open(path)


def test_lookup_returns_masked_account_with_meters(seeded_store: Store) -> None:
    account = seeded_store.directory.find_account("2287008779")
    assert account is not None
    assert account.holder == "И***в И. И." and "кв" not in account.address
    [meter] = account.meters
    assert meter.serial == "CE-00012345" and meter.digits == 5
    assert [(z.label, z.meaning.value, z.previous) for z in meter.zones] == [
        ("T1", "day", 12345), ("T2", "night", 6789)]
    assert seeded_store.directory.find_account("0000000000") is None


def test_import_is_all_or_nothing_unless_skipping(store: Store) -> None:
    text = directory_text(50)
    broken = text.replace("\n2000", "\nnot-an-account", 1)
    result = store.directory.import_rows(read_directory(io.StringIO(broken)))
    assert result.imported == 0 and len(result.errors) == 1
    assert store.directory.stats().meters == 0
    result = store.directory.import_rows(read_directory(io.StringIO(broken)), skip_bad=True)
    assert result.imported == 49 and result.skipped == 1
    assert store.directory.stats().meters == 49


def test_reimport_updates_without_duplicating(seeded_store: Store) -> None:
    before = seeded_store.directory.stats()
    seeded_store.directory.import_rows(read_directory(io.StringIO(directory_text(300))))
    after = seeded_store.directory.stats()
    assert (after.accounts, after.meters) == (before.accounts, before.meters)


def test_accepted_submission_becomes_the_last_reading_and_is_queued(
        seeded_store: Store, kiosk_config: Config) -> None:
    intake = Intake(seeded_store, kiosk_config)
    result = intake.submit("2287008779", None, ["12400", "6800"])
    assert result.ok
    submission = seeded_store.submissions.get(txn_id=result.submission.txn_id)
    assert submission is not None and submission.seq == result.submission.seq
    assert [(r.previous, r.value, r.consumption) for r in submission.readings] == [
        (12345, 12400, 55), (6789, 6800, 11)]
    assert submission.total == 66
    assert submission.taken_at[-6] in "+-"  # the zone offset is kept
    meter = seeded_store.directory.find_account("2287008779").meters[0]
    assert [z.previous for z in meter.zones] == [12400, 6800]
    assert seeded_store.outbox.depth() == 1
    [payload] = seeded_store.outbox.pending(10)
    assert payload["txn_id"] == submission.txn_id and payload["readings"][0]["meaning"] == "day"
    # the next reading is checked against the one just given
    again = intake.submit("2287008779", None, ["12390", "6800"])
    assert not again.ok and [f.code for f in again.verdict.errors] == ["below_previous"]


def test_an_older_directory_does_not_undo_a_reading_given_here(
        seeded_store: Store, kiosk_config: Config) -> None:
    assert Intake(seeded_store, kiosk_config).submit("2287008779", None, ["12400", "6800"]).ok
    seeded_store.directory.import_rows(read_directory(io.StringIO(directory_text(10))))
    meter = seeded_store.directory.find_account("2287008779").meters[0]
    assert [z.previous for z in meter.zones] == [12400, 6800]


def test_a_stale_check_is_refused(seeded_store: Store, kiosk_config: Config) -> None:
    from kiosk.store import NewSubmission

    intake = Intake(seeded_store, kiosk_config)
    meter = seeded_store.directory.find_account("1000000011").meters[0]
    assert intake.submit("1000000011", None, ["5010"]).ok
    with pytest.raises(MeterChanged):
        seeded_store.submissions.record(NewSubmission(
            terminal_id="t", meter=meter, values=(5020,), consumption=(20,), total=20, confirmed=(),
            notices=(), taken_at=intake.now(), period=date(2026, 11, 1)))
    assert seeded_store.outbox.depth() == 1


def test_concurrent_submissions_for_one_meter_never_both_use_the_same_previous(
        seeded_store: Store, kiosk_config: Config) -> None:
    intakes = [Intake(seeded_store, kiosk_config) for _ in range(4)]
    results = []

    def give(intake: Intake, value: int) -> None:
        results.append(intake.submit("1000000011", None, [str(value)]))

    threads = [threading.Thread(target=give, args=(intake, 5100 + 10 * i)) for i, intake in enumerate(intakes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored = seeded_store.submissions.latest(limit=10)
    # each stored submission's previous is the value stored just before it
    chain = sorted(stored, key=lambda s: s.seq)
    assert chain[0].readings[0].previous == 5000
    for earlier, later in zip(chain, chain[1:]):
        assert later.readings[0].previous == earlier.readings[0].value
    assert len(stored) == sum(r.ok for r in results)


def test_office_results_deliver_or_keep_visible(seeded_store: Store, kiosk_config: Config) -> None:
    intake = Intake(seeded_store, kiosk_config)
    ids = [intake.submit(account, None, values).submission.txn_id for account, values in (
        ("2287008779", ["12400", "6800"]), ("1000000011", ["5010"]),
        ("1000000045", ["1234600"]), ("77АВ123456", ["54400", "12400"]))]
    seeded_store.outbox.record_results([
        Result(ids[0], "accepted"), Result(ids[1], "duplicate"),
        Result(ids[2], "rejected", "meter_unknown", "no such meter at the office"),
        Result(ids[3], "conflict", None, "same id, other content"),
    ])
    assert seeded_store.outbox.depth() == 0
    states = {s.txn_id: (s.sync_state, s.sync_code) for s in seeded_store.submissions.latest()}
    assert states[ids[0]] == ("delivered", "accepted")
    assert states[ids[1]] == ("delivered", "duplicate")
    assert states[ids[2]] == ("rejected", "meter_unknown")
    assert states[ids[3]][0] == "conflict"
    # an answer repeated after delivery changes nothing
    seeded_store.outbox.record_results([Result(ids[2], "accepted")])
    assert seeded_store.submissions.get(txn_id=ids[2]).sync_state == "rejected"


def test_print_outcome_is_recorded_and_a_failed_reprint_keeps_printed(
        seeded_store: Store, kiosk_config: Config) -> None:
    seq = Intake(seeded_store, kiosk_config).submit("1000000011", None, ["5010"]).submission.seq
    seeded_store.submissions.record_print(seq, printed=False, reason="paper out")
    assert seeded_store.submissions.get(seq=seq).print_state == "failed"
    seeded_store.submissions.record_print(seq, printed=True, reason=None)
    seeded_store.submissions.record_print(seq, printed=False, reason="cover open")
    submission = seeded_store.submissions.get(seq=seq)
    assert (submission.print_state, submission.print_count, submission.print_reason) == (
        "printed", 1, "cover open")


def test_event_log_is_append_only(store: Store) -> None:
    store.events.append("service_entry", role="technician", pin_ok=True)
    [event] = store.events.recent()
    assert (event.kind, event.role, event.detail) == ("service_entry", "technician", {"pin_ok": True})
    raw = sqlite3.connect(store.path)
    for statement in ("UPDATE events SET kind = 'x'", "DELETE FROM events"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw.execute(statement)
    raw.close()


def test_directory_pages_apply_in_one_transaction(seeded_store: Store) -> None:
    rows = [r for r in read_directory(io.StringIO(directory_text(3)))]
    seeded_store.directory.apply_directory_page(DirectoryChanges(
        7, upserts=rows[:1], removed_meters=[("1000000011", "ME-00000011")], removed_accounts=["1000000029"]))
    assert seeded_store.directory.directory_version() == 7
    assert seeded_store.directory.find_account("1000000011").meters == ()
    assert seeded_store.directory.find_account("1000000029") is None
