"""A realistic synthetic account directory, for the demo, the tests and the benchmarks.

The first rows are fixed sample accounts, one for each kind of meter the README lists; the rest
are random but reproducible from a seed: 1-, 2- and 3-zone meters with 5 to 8 digits, some
accounts with two meters, some last readings just below the register's rollover.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import IO, Iterator

from sync.directory_file import REQUIRED_COLUMNS, DirectoryRow, RowError, read_directory
from sync.history_file import HistoryRow, history_text
from sync.tariff_file import TariffPrice, read_tariffs


@dataclass(frozen=True)
class Sample:
    account: str
    meter: str
    zones: int
    digits: int
    last: tuple[int, ...]
    avg_kwh: int | None
    holder: str
    address: str
    what: str  # what the README says this sample is for


SAMPLES = (
    Sample("2287008779", "CE-00012345", 2, 5, (12345, 6789), 120, "И***в И. И.", "ул. Лени***, д. 1*",
           "two zones (day/night), 5 digits"),
    Sample("1000000011", "ME-00000011", 1, 5, (5000,), 150, "П***а М. С.", "ул. Садо***, д. 2*",
           "one zone, 5 digits"),
    Sample("1000000029", "ME-00000029", 1, 5, (99950,), 100, "С***в А. П.", "пр. Мира***, д. 4*",
           "one zone, near rollover (99950)"),
    Sample("1000000037", "TR-00000037", 3, 6, (104500, 88000, 61200), 260, "К***а Е. В.",
           "ул. Гага***, д. 7*", "three zones (peak/night/semi-peak), 6 digits"),
    Sample("1000000045", "NV-00000045", 1, 8, (1234567,), 200, "Н***н Д. О.", "ул. Школ***, д. 3*",
           "one zone, 8 digits"),
    Sample("77АВ123456", "CE-77123456", 2, 6, (54321, 12345), 180, "Ф***а О. Н.", "ул. Цвет***, д. 9*",
           "unified account number (ЕЛС), two zones"),
)

_SURNAMES = ("Иванов", "Петрова", "Смирнов", "Кузнецова", "Попов", "Соколова", "Лебедев", "Козлова",
             "Новиков", "Морозова", "Волков", "Алексеева", "Зайцев", "Павлова", "Семёнов", "Голубева")
_INITIALS = "АБВГДЕИКЛМНОПРСТ"
_STREETS = ("ул. Ленина", "ул. Садовая", "пр. Мира", "ул. Гагарина", "ул. Школьная", "ул. Цветочная",
            "ул. Молодёжная", "ул. Лесная", "пер. Почтовый", "наб. Речная", "ул. Советская")
_PREFIXES = ("CE", "ME", "TR", "NV", "SE", "EM")


def _mask_name(rng: random.Random) -> str:
    surname = rng.choice(_SURNAMES)
    return f"{surname[0]}***{surname[-1]} {rng.choice(_INITIALS)}. {rng.choice(_INITIALS)}."


def _mask_address(rng: random.Random) -> str:
    street = rng.choice(_STREETS)
    kind, name = street.split(" ", 1)
    return f"{kind} {name[:4]}***, д. {rng.randint(1, 9)}*"


def rows(count: int, *, seed: int = 1, today: date | None = None) -> Iterator[tuple[str, ...]]:
    """``count`` meter rows (samples included) as tuples in the order of REQUIRED_COLUMNS."""
    today = today or date.today()
    rng = random.Random(seed)
    for sample in SAMPLES[:count]:
        last = (*map(str, sample.last), "", "", "")[:3]
        yield (sample.account, sample.meter, str(sample.zones), str(sample.digits),
               (today - timedelta(days=31)).isoformat(), *last, str(sample.avg_kwh or ""),
               sample.holder, sample.address, "", "")
    produced = min(count, len(SAMPLES))
    number = 2_000_000_000
    while produced < count:
        number += rng.randint(1, 97)
        account = str(number)
        holder, address = _mask_name(rng), _mask_address(rng)
        for _ in range(1 if rng.random() < 0.9 else 2):
            if produced >= count:
                break
            produced += 1
            yield _random_meter(rng, account, holder, address, produced, today)


def _random_meter(rng: random.Random, account: str, holder: str, address: str, n: int,
                  today: date) -> tuple[str, ...]:
    zones = rng.choices((1, 2, 3), weights=(50, 35, 15))[0]
    digits = rng.choices((5, 6, 7, 8), weights=(45, 35, 10, 10))[0]
    top = 10**digits
    near_rollover = rng.random() < 0.02
    last = []
    for _ in range(zones):
        last.append(top - rng.randint(1, top // 200) if near_rollover else rng.randint(0, top // 2))
    avg = rng.choice((None, *range(60, 700, 20)))
    window = ("", "") if rng.random() < 0.95 else ("20", "26")
    last_date = today - timedelta(days=rng.randint(25, 120))
    values = (*map(str, last), "", "", "")[:3]
    return (account, f"{rng.choice(_PREFIXES)}-{n:08d}", str(zones), str(digits), last_date.isoformat(),
            *values, "" if avg is None else str(avg), holder, address, *window)


def write_csv(stream: IO[str], count: int, *, seed: int = 1, today: date | None = None) -> int:
    stream.write(";".join(REQUIRED_COLUMNS) + "\n")
    written = 0
    for row in rows(count, seed=seed, today=today):
        stream.write(";".join(row) + "\n")
        written += 1
    return written


def directory(count: int, *, seed: int = 1, today: date | None = None) -> Iterator[DirectoryRow | RowError]:
    """The demo directory as the directory file's reader yields it, ready for an import."""
    text = io.StringIO()
    write_csv(text, count, seed=seed, today=today)
    text.seek(0)
    return read_directory(text)


# Tariffs of the samples, as billing would send them: what the estimate is shown for. The one-zone
# samples have none, so the screens are seen without an estimate too.
SAMPLE_TARIFFS = {"2287008779": "MSK-DAY-NIGHT", "1000000037": "MSK-THREE-ZONE", "77АВ123456": "MSK-DAY-NIGHT"}
TARIFF_FILE = """tariff;zone;price;valid_from
MSK-DAY-NIGHT;day;6,43;2026-01-01
MSK-DAY-NIGHT;night;2,54;2026-01-01
MSK-DAY-NIGHT;day;7,0150;2026-07-01
MSK-DAY-NIGHT;night;2,7700;2026-07-01
MSK-THREE-ZONE;peak;7,72;2026-07-01
MSK-THREE-ZONE;night;2,77;2026-07-01
MSK-THREE-ZONE;semi_peak;6,43;2026-07-01
"""
# A year of the first sample's billed consumption (day, night), oldest first: more in winter.
_SAMPLE_YEAR = ((150, 62), (138, 58), (121, 50), (102, 41), (88, 36), (80, 33), (84, 35), (90, 38),
                (104, 43), (126, 52), (141, 60), (156, 66))


def tariffs() -> Iterator[TariffPrice | RowError]:
    """The demo's tariff file as its reader yields it."""
    return read_tariffs(io.StringIO(TARIFF_FILE))


def with_money(found: Iterator[DirectoryRow | RowError], *,
               today: date | None = None) -> Iterator[DirectoryRow | RowError]:
    """The demo directory with the samples' tariffs, and a year of history for the first sample."""
    today = today or date.today()
    for row in found:
        if isinstance(row, DirectoryRow) and row.account in SAMPLE_TARIFFS:
            history = None
            if row.account == SAMPLES[0].account:
                periods = [_month_before(today, months) for months in range(len(_SAMPLE_YEAR), 0, -1)]
                history = history_text(zip(periods, _SAMPLE_YEAR))
            row = row._replace(tariff=SAMPLE_TARIFFS[row.account], history=history)
        yield row


def history(*, today: date | None = None) -> Iterator[HistoryRow]:
    """The first sample's year as billing's history file gives it, for the demo's office."""
    today = today or date.today()
    sample = SAMPLES[0]
    for months, kwh in zip(range(len(_SAMPLE_YEAR), 0, -1), _SAMPLE_YEAR):
        yield HistoryRow(sample.account, sample.meter, _month_before(today, months), kwh)


def _month_before(today: date, months: int) -> str:
    index = today.year * 12 + today.month - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"
