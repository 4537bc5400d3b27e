"""Tariffs and a year of history per meter: what they cost in storage, on a first pull, and in
the account lookup.

The office holds a realistic directory (``kiosk demo-data``) in which every meter has a tariff
(one per zone count) and 12 billed periods, imported through the office's own commands' code
(``import_rows``, ``import_tariffs``, ``import_history``); it serves in its own process, and a new
terminal pulls everything, money included (``include=money`` and the tariffs), through a
loopback link that counts the bytes. Prints JSON: both databases' sizes per million meters,
the pull's time and bytes on the wire, and the lookup's p50/p99 on the pulled store (goal: p99
≤ 1 ms). Figures for fewer meters than a million are extrapolated linearly, and say so.

    python bench/money.py [--meters 1000000 | --quick] [--lookups 20000]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests  # noqa: E402
from sync_common import Link, wait_until_answering  # noqa: E402

from bench.common import percentile, report  # noqa: E402
from kiosk import demo_data  # noqa: E402
from kiosk.store import Store  # noqa: E402
from sync.client import OfficeClient, OfficeRefused, OfficeSettings  # noqa: E402
from sync.directory_file import DirectoryRow, RowError, read_directory  # noqa: E402
from sync.directory_pull import DirectoryPuller  # noqa: E402
from sync.history_file import HistoryRow  # noqa: E402
from sync.office.database import migrate, open_engine  # noqa: E402
from sync.office.directory import import_rows  # noqa: E402
from sync.office.local import free_port  # noqa: E402
from sync.office.money import import_history, import_tariffs  # noqa: E402
from sync.office.terminals import add_terminal  # noqa: E402
from sync.tariff_file import read_tariffs  # noqa: E402
from sync.wire import DEFAULT_DIRECTORY_PAGE, DirectoryPage, TariffList  # noqa: E402

QUICK_METERS = 100_000
TARIFFS = {1: "BENCH-SINGLE", 2: "BENCH-DAY-NIGHT", 3: "BENCH-THREE-ZONE"}
TARIFF_FILE = "tariff;zone;price;valid_from\n" + "".join(
    f"{code};{zone};{price};{day}\n"
    for day, bump in (("2026-01-01", 0), ("2026-07-01", 0.4))
    for code, zone, price in (
        ("BENCH-SINGLE", "single", 6.43 + bump), ("BENCH-DAY-NIGHT", "day", 7.01 + bump),
        ("BENCH-DAY-NIGHT", "night", 2.54 + bump), ("BENCH-THREE-ZONE", "peak", 7.72 + bump),
        ("BENCH-THREE-ZONE", "night", 2.77 + bump), ("BENCH-THREE-ZONE", "semi_peak", 6.43 + bump))
)
PERIODS = tuple(f"{2025 + (month - 1) // 12}-{(month - 1) % 12 + 1:02d}" for month in range(12, 24))


def priced(rows: Iterator[DirectoryRow | RowError]) -> Iterator[DirectoryRow]:
    for row in rows:
        assert isinstance(row, DirectoryRow), row
        yield row._replace(tariff=TARIFFS[row.zones])


def history(rows: list[tuple[str, str, int]], seed: int = 3) -> Iterator[HistoryRow]:
    """12 billed periods per meter: realistic figures, a winter peak, some noise."""
    rng = random.Random(seed)
    for account, meter, zones in rows:
        base = rng.randint(60, 400)
        for index, period in enumerate(PERIODS):
            season = 1.0 + 0.35 * abs(6 - index) / 6
            total = int(base * season * rng.uniform(0.85, 1.15))
            split = {1: (1.0,), 2: (0.7, 0.3), 3: (0.3, 0.25, 0.45)}[zones]
            yield HistoryRow(account, meter, period, tuple(int(total * share) for share in split))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--meters", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_METERS:,} meters, figures extrapolated")
    parser.add_argument("--lookups", type=int, default=20_000)
    parser.add_argument("--page", type=int, default=10_000)
    args = parser.parse_args()
    meters = QUICK_METERS if args.quick else args.meters
    scale = 1_000_000 / meters
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        text = io.StringIO()
        demo_data.write_csv(text, meters)
        text.seek(0)
        office_db = work / "office.sqlite3"
        engine = open_engine(str(office_db))
        migrate(engine)
        started = time.perf_counter()
        import_rows(engine, priced(read_directory(text)))
        directory_s = time.perf_counter() - started
        import_tariffs(engine, read_tariffs(io.StringIO(TARIFF_FILE)))
        text.seek(0)
        keys = [(row.account, row.meter, row.zones) for row in read_directory(text)
                if isinstance(row, DirectoryRow)]
        started = time.perf_counter()
        summary = import_history(engine, history(keys))
        history_s = time.perf_counter() - started
        assert summary.meters_changed == len(keys), summary
        secret = add_terminal(engine, "kiosk-1")
        engine.dispose()
        office_bytes = _sqlite_bytes(office_db)

        port = free_port()
        office = subprocess.Popen([sys.executable, "-m", "kiosk", "office", "serve", "--db", str(office_db),
                                   "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
        try:
            wait_until_answering(f"http://127.0.0.1:{port}/healthz")
            # The same office pulled twice, one after the other on this loaded machine: as a
            # terminal before tariffs asks, and as one that asks for money.
            plain = _pull(work / "plain.sqlite3", port, secret, args.page, PlainClient)
            money = _pull(work / "kiosk.sqlite3", port, secret, args.page, OfficeClient)
        finally:
            office.terminate()
            office.wait(30)
        accounts = [account for account, _, _ in keys]
        samples = _lookups(work / "kiosk.sqlite3", work / "plain.sqlite3", accounts, args.lookups)
    report({
        "benchmark": "money", "meters": meters, "periods_per_meter": len(PERIODS),
        "extrapolated_to_1m": meters != 1_000_000,
        "office_directory_import_s": round(directory_s, 1), "office_history_import_s": round(history_s, 1),
        "office_history_rows": len(keys) * len(PERIODS),
        "office_db_mb_per_1m": round(office_bytes * scale / 1e6),
        "terminal_db_mb_per_1m": round(money["db_bytes"] * scale / 1e6),
        "terminal_db_mb_per_1m_without_money": round(plain["db_bytes"] * scale / 1e6),
        "terminal_history_mb_per_1m": round(money["history_chars"] * scale / 1e6),
        "pull_s": money["seconds"], "pull_s_without_money": plain["seconds"],
        "pull_s_per_1m": round(money["seconds"] * scale), "pull_pages": money["pages"],
        "tariff_prices_pulled": money["tariff_prices"],
        "wire_mb_to_terminal_per_1m": round(money["wire"] * scale / 1e6, 1),
        "wire_mb_to_terminal_per_1m_without_money": round(plain["wire"] * scale / 1e6, 1),
        "wire_bytes_per_meter": round(money["wire"] / meters, 1),
        "wire_bytes_per_meter_without_money": round(plain["wire"] / meters, 1),
        # Alternating between the two stores, so the machine's load weighs on both alike.
        "lookup_p50_ms": round(percentile(samples["money"], 0.50) * 1000, 3),
        "lookup_p99_ms": round(percentile(samples["money"], 0.99) * 1000, 3),
        "lookup_p50_ms_without_money": round(percentile(samples["plain"], 0.50) * 1000, 3),
        "lookup_p99_ms_without_money": round(percentile(samples["plain"], 0.99) * 1000, 3),
        "goal_lookup_p99_ms": 1.0,
        "load_average": round(os.getloadavg()[0], 1),
    })


class PlainClient(OfficeClient):
    """A terminal from before tariffs: it asks for the directory alone."""

    def directory(self, since: int, limit: int = DEFAULT_DIRECTORY_PAGE) -> DirectoryPage:
        return self._call("GET", "/directory", DirectoryPage, params={"since": since, "limit": limit})

    def tariffs(self) -> TariffList:
        raise OfficeRefused(404, "not_found", "a terminal from before tariffs does not ask")


def _pull(database: Path, port: int, secret: str, page: int, kind: type[OfficeClient]) -> dict[str, Any]:
    store = Store.open(database)
    with Link(port, bits_per_second=None) as link:
        session = requests.Session()
        settings = replace(OfficeSettings(url=link.url, terminal_id="kiosk-1", secret=secret), read_timeout=300)
        started = time.perf_counter()
        pulled = DirectoryPuller(store.directory, kind(settings, session), page_size=page).pull()
        seconds = time.perf_counter() - started
        session.close()
        wire = link.bytes["to_terminal"]
    assert pulled.error is None, pulled.error
    with store.engine.connect() as connection:
        history_chars = connection.exec_driver_sql("SELECT sum(length(history)) FROM meters").scalar() or 0
    store.close()  # checkpoints the WAL: the file's size is the real one
    return {"seconds": round(seconds, 1), "pages": pulled.pages, "tariff_prices": pulled.tariff_prices,
            "wire": wire, "history_chars": history_chars, "db_bytes": database.stat().st_size}


def _lookups(money: Path, plain: Path, accounts: list[str], count: int) -> dict[str, list[float]]:
    rng = random.Random(7)
    stores = {"money": Store.open(money), "plain": Store.open(plain)}
    samples: dict[str, list[float]] = {name: [] for name in stores}
    for _ in range(count):
        number = rng.choice(accounts)
        for name, store in stores.items():
            started = time.perf_counter()
            found = store.directory.find_account(number)
            samples[name].append(time.perf_counter() - started)
            assert found is not None and bool(found.meters[0].history) == (name == "money")
    for store in stores.values():
        store.close()
    return samples


def _sqlite_bytes(path: Path) -> int:
    return sum(part.stat().st_size for part in path.parent.glob(path.name + "*"))


if __name__ == "__main__":
    main()
