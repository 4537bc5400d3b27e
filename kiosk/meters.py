"""Accounts, meters and their tariff zones as the rules and the screens see them.

Zone meanings belong to the formats exchanged with the office (``sync.zones``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sync.zones import ZoneMeaning


@dataclass(frozen=True, slots=True)
class TariffZone:
    position: int  # 1-based: T1, T2, T3
    meaning: ZoneMeaning
    previous: int | None  # last accepted reading; None for a meter never read

    @property
    def label(self) -> str:
        return f"T{self.position}"


@dataclass(frozen=True, slots=True)
class Meter:
    account: str
    serial: str
    digits: int  # whole digits of the register; tenths are never submitted
    zones: tuple[TariffZone, ...]
    last_date: date | None = None
    avg_kwh: int | None = None  # average monthly consumption, when the office knows it
    max_kwh: int | None = None  # per-meter ceiling for one submission's consumption
    window_start: int | None = None  # per-meter submission window, overriding the default
    window_end: int | None = None
    tariff: str | None = None  # the code of its prices, when billing gave one
    # Billed consumption of the last periods, oldest first: ("2026-10", (kWh T1, T2, ...)).
    history: tuple[tuple[str, tuple[int, ...]], ...] = ()

    @property
    def register_max(self) -> int:
        return 10**self.digits - 1

    @property
    def window(self) -> tuple[int, int] | None:
        if self.window_start is None or self.window_end is None:
            return None
        return (self.window_start, self.window_end)


@dataclass(frozen=True, slots=True)
class Account:
    number: str  # normalised
    holder: str  # masked already at the office: «И***в И. И.»
    address: str  # masked: street and house, never the flat
    meters: tuple[Meter, ...]
