"""The account directory on the terminal: import, lookup, and the office's directory pages."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Iterable, Sequence

from sqlalchemy import Connection, Engine, func, select

from kiosk.meters import Account, Meter, TariffZone
from kiosk.store.database import writing
from kiosk.store.schema import accounts, directory_state, meters
from kiosk.store.tariffs import Tariffs
from sync.directory_file import DirectoryRow
from sync.ports import DirectoryChanges
from sync.history_file import HistoryPeriod, periods_of
from sync.semicolon_file import RowError
from sync.tariff_file import TariffPrice
from sync.zones import ZoneMeaning

# Rows go to SQLite in chunks: big enough to amortise the per-statement cost, small enough to
# keep memory flat on a million-row file.
CHUNK = 20_000

_UPSERT_ACCOUNT = (
    "INSERT INTO accounts (number, holder, address) VALUES (?, ?, ?) "
    "ON CONFLICT (number) DO UPDATE SET holder = excluded.holder, address = excluded.address"
)
# A last reading from the directory replaces the terminal's own only when it is newer: a reading
# accepted here today must not be undone by a directory file exported before it arrived.
_UPSERT_METER = (
    "INSERT INTO meters (account, serial, digits, zones, meanings, last_date, last_t1, last_t2, "
    "last_t3, avg_kwh, max_kwh, window_start, window_end, tariff, history) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (account, serial) DO UPDATE SET "
    "digits = excluded.digits, zones = excluded.zones, meanings = excluded.meanings, "
    "avg_kwh = excluded.avg_kwh, max_kwh = excluded.max_kwh, "
    "window_start = excluded.window_start, window_end = excluded.window_end, tariff = excluded.tariff, "
    # a directory file carries no history: the office's stays until its next page says otherwise
    "history = coalesce(excluded.history, meters.history), "
    "last_date = CASE WHEN {newer} THEN excluded.last_date ELSE meters.last_date END, "
    "last_t1 = CASE WHEN {newer} THEN excluded.last_t1 ELSE meters.last_t1 END, "
    "last_t2 = CASE WHEN {newer} THEN excluded.last_t2 ELSE meters.last_t2 END, "
    "last_t3 = CASE WHEN {newer} THEN excluded.last_t3 ELSE meters.last_t3 END"
).format(
    newer="(meters.last_date IS NULL OR excluded.last_date > meters.last_date "
    "OR excluded.zones <> meters.zones)"
)


class _RollBack(Exception):
    pass

_FIND_ACCOUNT = (
    "SELECT a.holder, a.address, m.serial, m.digits, m.zones, m.meanings, m.last_date, "
    "m.last_t1, m.last_t2, m.last_t3, m.avg_kwh, m.max_kwh, m.window_start, m.window_end, m.tariff, m.history "
    "FROM accounts a LEFT JOIN meters m ON m.account = a.number "
    "WHERE a.number = ? ORDER BY m.serial"
)


@dataclass(frozen=True, slots=True)
class ImportResult:
    imported: int
    errors: tuple[RowError, ...]
    skipped: int


@dataclass(frozen=True, slots=True)
class DirectoryStats:
    accounts: int
    meters: int
    version: int
    updated_at: str | None

    def as_dict(self) -> dict[str, object]:
        return {"accounts": self.accounts, "meters": self.meters, "version": self.version,
                "updated_at": self.updated_at}


class Directory:
    """Accounts and meters this terminal checks readings against.

    Also the kiosk's side of the office's directory pages (``sync.ports.DirectoryPort``).
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # --- reading -------------------------------------------------------------------------

    def find_account(self, number: str) -> Account | None:
        """The account with its meters, by normalised number; masked data only."""
        # One statement, as plain SQL: this runs while a customer waits on the account screen.
        with self._engine.connect() as connection:
            rows = connection.exec_driver_sql(_FIND_ACCOUNT, (number,)).all()
        if not rows:
            return None
        first = rows[0]
        meters_found = tuple(_meter(number, row) for row in rows if row.serial is not None)
        return Account(number=number, holder=first.holder, address=first.address, meters=meters_found)

    def stats(self) -> DirectoryStats:
        with self._engine.connect() as connection:
            account_count = connection.execute(select(func.count()).select_from(accounts)).scalar_one()
            meter_count = connection.execute(select(func.count()).select_from(meters)).scalar_one()
            state = connection.execute(select(directory_state)).first()
        return DirectoryStats(account_count, meter_count, state.version if state else 0,
                              state.updated_at if state else None)

    # --- writing -------------------------------------------------------------------------

    def import_rows(self, rows: Iterable[DirectoryRow | RowError], *, skip_bad: bool = False) -> ImportResult:
        """Upsert the good rows in one transaction, streaming. Unless ``skip_bad``, a single bad
        row rolls the whole import back, so the directory is never half replaced; a file that
        could not be read (``RowError.ends_reading``) is rolled back whatever ``skip_bad`` says.
        Nothing is removed here: only the office's pages remove meters."""
        imported = 0
        errors: list[RowError] = []
        # SQLite works on one chunk in a second thread (it releases the GIL while it writes)
        # while this one parses the next: an import takes about as long as the slower of the two.
        try:
            with writing(self._engine) as connection, ThreadPoolExecutor(1, "directory-import") as writer:
                in_flight: Future[int] | None = None
                chunk: list[DirectoryRow] = []
                for row in rows:
                    if isinstance(row, RowError):
                        errors.append(row)
                        continue
                    chunk.append(row)
                    if len(chunk) >= CHUNK:
                        imported += in_flight.result() if in_flight else 0
                        in_flight = writer.submit(_upsert, connection, chunk)
                        chunk = []
                imported += in_flight.result() if in_flight else 0
                imported += _upsert(connection, chunk)
                if errors and (not skip_bad or any(error.ends_reading for error in errors)):
                    raise _RollBack
                _touch_state(connection, version=None)
        except _RollBack:
            imported = 0
        return ImportResult(imported=imported, errors=tuple(errors), skipped=len(errors) if skip_bad else 0)

    # --- sync.ports.TariffPort ----------------------------------------------------------------

    def tariffs_version(self) -> str | None:
        return Tariffs(self._engine).version()

    def replace_tariffs(self, version: str, prices: list[TariffPrice]) -> None:
        Tariffs(self._engine).replace(version, prices)

    # --- sync.ports.DirectoryPort ----------------------------------------------------------

    def directory_version(self) -> int:
        with self._engine.connect() as connection:
            version = connection.execute(select(directory_state.c.version)).scalar()
        return version or 0

    def apply_directory_page(self, changes: DirectoryChanges) -> None:
        with writing(self._engine) as connection:
            _upsert(connection, changes.upserts)
            _offer_again(connection, changes.upserts)
            if changes.removed_meters:
                connection.exec_driver_sql(
                    "DELETE FROM meters WHERE account = ? AND serial = ?", list(changes.removed_meters)
                )
            if changes.removed_accounts:
                # meters go with their account (ON DELETE CASCADE)
                connection.exec_driver_sql(
                    "DELETE FROM accounts WHERE number = ?", [(number,) for number in changes.removed_accounts]
                )
            _touch_state(connection, version=changes.version)


def _upsert(connection: Connection, rows: Sequence[DirectoryRow]) -> int:
    if not rows:
        return 0
    account_rows = {row.account: (row.account, row.holder, row.address) for row in rows}
    connection.exec_driver_sql(_UPSERT_ACCOUNT, list(account_rows.values()))
    connection.exec_driver_sql(_UPSERT_METER, [_meter_params(row) for row in rows])
    return len(rows)


def _offer_again(connection: Connection, upserts: Sequence[DirectoryRow]) -> None:
    """Queue again the readings the office refused as ``meter_not_found`` for meters this page
    brings back.

    The terminal, not the office, gives such a reading its second chance: it took the reading
    against a meter its own directory held, so a refusal means the two directories disagreed for
    a while (an import at the office that dropped the meter, later undone). The office's page is
    the very news that they agree again; an office-side grace period would instead have to guess
    how long a removal may be wrong, and would take readings for meters that really are gone.
    Each page that brings the meter offers the reading once more; it stays visible meanwhile."""
    if not upserts:
        return
    refused = connection.exec_driver_sql(
        "SELECT seq, account, meter FROM submissions "
        "WHERE sync_state = 'rejected' AND sync_code = 'meter_not_found'"
    ).all()
    if not refused:
        return
    brought = {(row.account, row.meter) for row in upserts}
    again = [(seq,) for seq, account, meter in refused if (account, meter) in brought]
    if not again:
        return
    now = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    connection.exec_driver_sql(
        "UPDATE submissions SET sync_state = 'pending', sync_message = ? WHERE seq = ?",
        [(f"offered again on {now}: the office's directory has the meter again", seq) for (seq,) in again],
    )
    connection.exec_driver_sql(
        "INSERT INTO outbox (seq, enqueued_at, attempts) VALUES (?, ?, 0)", [(seq, now) for (seq,) in again]
    )


def _meter_params(row: DirectoryRow) -> tuple[object, ...]:
    last = (*row.last, None, None, None)[:3]
    return (
        row.account, row.meter, row.digits, row.zones, ",".join(row.meanings),
        row.last_date.isoformat() if row.last_date else None, *last,
        row.avg_kwh, row.max_kwh, row.window_start, row.window_end, row.tariff,
        row.history,
    )


def _touch_state(connection: Connection, *, version: int | None) -> None:
    """Record when the directory last changed and, for office pages, its version."""
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    connection.exec_driver_sql(
        "INSERT INTO directory_state (id, version, updated_at) VALUES (1, coalesce(?, 0), ?) "
        "ON CONFLICT (id) DO UPDATE SET version = coalesce(?, directory_state.version), "
        "updated_at = excluded.updated_at",
        (version, now, version),
    )


def _history(text: str | None) -> tuple[HistoryPeriod, ...]:
    try:
        return periods_of(text)
    except ValueError:  # checked on its way in; a damaged one must not keep the customer out
        return ()


def _meter(account: str, row) -> Meter:
    meanings = row.meanings.split(",")
    previous = (row.last_t1, row.last_t2, row.last_t3)
    return Meter(
        account=account,
        serial=row.serial,
        digits=row.digits,
        zones=tuple(
            TariffZone(position=i + 1, meaning=ZoneMeaning(meanings[i]), previous=previous[i])
            for i in range(row.zones)
        ),
        last_date=date.fromisoformat(row.last_date) if row.last_date else None,
        avg_kwh=row.avg_kwh,
        max_kwh=row.max_kwh,
        window_start=row.window_start,
        window_end=row.window_end,
        tariff=row.tariff,
        history=_history(row.history),
    )
