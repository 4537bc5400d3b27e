"""What a crash or a power cut may not lose, shared by the SIGKILL crash test and the power-cut
test: the terminal's writes at random, each reported only once the store returned
(``Workload``), and the check of a database against those reports (``check``)."""

from __future__ import annotations

import io
import json
import random
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, NoReturn

from kiosk.config import Config
from sync.directory_file import REQUIRED_COLUMNS, read_directory
from kiosk.intake import Intake
from kiosk.store import Store

ACCOUNTS = ("2287008779", "1000000011", "1000000037", "1000000045", "77АВ123456")
# Accounts a workload imports start with this digit; the seeded directory has none.
IMPORTED = "9"

Report = dict[str, Any]


class Workload:
    """Submissions (each with its outbox entry and its meter's new last reading), event log
    entries and directory imports, in random order through the store's own API."""

    def __init__(self, store: Store, config: Config, seed: int) -> None:
        if not 0 <= seed < 100_000:
            raise ValueError("the seed names the imported accounts: 0 to 99999")
        self._store = store
        self._intake = Intake(store, config)
        self._rng = random.Random(seed)
        self._seed = seed
        self._count = 0

    def run(self, report: Callable[[Report], None]) -> NoReturn:
        """Write until killed; ``report`` hears of each write once the store returned it."""
        while True:
            self._count += 1
            roll = self._rng.random()
            item = self._import() if roll < 0.04 else self._event() if roll < 0.2 else self._submission()
            if item is not None:
                report(item)

    def _submission(self) -> Report | None:
        account = self._rng.choice(ACCOUNTS)
        meter = self._store.directory.find_account(account).meters[0]
        values = [str(zone.previous + self._rng.randint(1, 40)) for zone in meter.zones]
        result = self._intake.submit(account, None, values, confirm_all=True)
        if not result.ok:
            return None
        return {"kind": "submission", "txn_id": result.submission.txn_id, "meter": meter.serial,
                "values": [int(v) for v in values]}

    def _event(self) -> Report:
        detail = {"printed": True, "run": self._seed, "n": self._count}
        event_id = self._store.events.append("service_test_slip", role="technician", **detail)
        return {"kind": "event", "id": event_id, "detail": detail}

    def _import(self) -> Report:
        """A directory file with one new account and one to three meters: all or nothing."""
        account = f"{IMPORTED}{self._seed:05d}{self._count:04d}"[:12]
        serials = [f"PC-{account}-{n}" for n in range(1, self._rng.randint(1, 3) + 1)]
        lines = [";".join(REQUIRED_COLUMNS)] + [
            f"{account};{serial};1;6;2026-10-20;{self._rng.randint(0, 9999)};;;150;"
            f"Т***в А. Б.;ул. Лесн***, д. 5*;;" for serial in serials]
        result = self._store.directory.import_rows(read_directory(io.StringIO("\n".join(lines) + "\n")))
        if result.errors or result.imported != len(serials):
            raise AssertionError(f"the workload's own directory file was refused: {result}")
        return {"kind": "import", "account": account, "meters": serials}


@dataclass
class Verdict:
    damage: str | None = None  # why the database cannot be trusted at all, or None
    lost: list[Report] = field(default_factory=list)  # reported, then missing or not whole
    inconsistent: list[str] = field(default_factory=list)  # outbox or meters disagree with submissions
    unreported: int = 0  # writes present that were never reported: in flight at a kill

    @property
    def ok(self) -> bool:
        return self.damage is None and not self.lost and not self.inconsistent

    def __str__(self) -> str:
        if self.damage:
            return f"database damaged: {self.damage}"
        return f"lost {self.lost[:5]} ({len(self.lost)}); inconsistent {self.inconsistent[:5]}"


def check(path: Path, reported: list[Report]) -> Verdict:
    """Open the database as a reboot finds it (SQLite recovers its WAL, which writes), then
    compare it with every write reported committed."""
    try:
        connection = sqlite3.connect(f"file:{path}?mode=rw", uri=True)
    except sqlite3.OperationalError as exc:  # the file, or its folder, is gone
        return Verdict(damage=f"{exc}: {path}")
    try:
        return _check(connection, reported)
    except sqlite3.DatabaseError as exc:  # "file is not a database", "disk image is malformed"
        return Verdict(damage=str(exc))
    finally:
        connection.close()


def _check(connection: sqlite3.Connection, reported: list[Report]) -> Verdict:
    integrity = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    if integrity != ["ok"]:
        return Verdict(damage="; ".join(integrity[:3]))
    verdict = Verdict()
    submissions = {
        txn_id: (meter, [v for v in (v1, v2, v3) if v is not None])
        for txn_id, meter, v1, v2, v3 in connection.execute(
            "SELECT txn_id, meter, value_t1, value_t2, value_t3 FROM submissions")
    }
    events = {event_id: (kind, json.loads(detail))
              for event_id, kind, detail in connection.execute("SELECT id, kind, detail FROM events")}
    imported: dict[str, list[str]] = {}
    for account, serial in connection.execute(
            "SELECT account, serial FROM meters WHERE account LIKE ? ORDER BY serial", (f"{IMPORTED}%",)):
        imported.setdefault(account, []).append(serial)

    seen = {"submission": set(), "event": set(), "import": set()}
    for item in reported:
        kind = item["kind"]
        if kind == "submission":
            whole = submissions.get(item["txn_id"]) == (item["meter"], item["values"])
            seen[kind].add(item["txn_id"])
        elif kind == "event":
            whole = events.get(item["id"]) == ("service_test_slip", item["detail"])
            seen[kind].add(item["id"])
        else:
            whole = imported.get(item["account"]) == item["meters"]
            seen[kind].add(item["account"])
        if not whole:
            verdict.lost.append(item)
    verdict.unreported = (len(submissions.keys() - seen["submission"]) + len(events.keys() - seen["event"])
                          + len(imported.keys() - seen["import"]))

    # Each submission and its outbox entry were written together.
    for (seq,) in connection.execute(
            "SELECT s.seq FROM submissions s LEFT JOIN outbox o ON o.seq = s.seq WHERE o.seq IS NULL"):
        verdict.inconsistent.append(f"submission {seq} has no outbox entry")
    for row in connection.execute("PRAGMA foreign_key_check"):
        verdict.inconsistent.append(f"foreign key broken: {row}")
    # Each meter's last reading is the newest submission's, never a half-applied one.
    for meter, last, newest in connection.execute(
        "SELECT m.serial, json_array(m.last_t1, m.last_t2, m.last_t3), "
        "(SELECT json_array(value_t1, value_t2, value_t3) FROM submissions s "
        " WHERE s.meter = m.serial ORDER BY s.seq DESC LIMIT 1) "
        "FROM meters m WHERE m.serial IN (SELECT meter FROM submissions)"
    ):
        if json.loads(last) != json.loads(newest):
            verdict.inconsistent.append(f"meter {meter} reads {last}, its newest submission {newest}")
    return verdict
