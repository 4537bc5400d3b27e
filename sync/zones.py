"""Tariff zones as every file and message exchanged with the office and billing names them."""

from __future__ import annotations

from enum import StrEnum


class ZoneMeaning(StrEnum):
    """What a register counts. Stored by meaning, not only by position: sources number zones
    differently, and the slip and the screen name the meaning."""

    SINGLE = "single"  # однотарифный
    DAY = "day"  # 7–23
    NIGHT = "night"  # 23–7
    PEAK = "peak"  # 7–10, 17–21
    SEMI_PEAK = "semi_peak"  # 10–17, 21–23


# The federal convention for T1..Tn by the number of zones.
STANDARD_MEANINGS: dict[int, tuple[ZoneMeaning, ...]] = {
    1: (ZoneMeaning.SINGLE,),
    2: (ZoneMeaning.DAY, ZoneMeaning.NIGHT),
    3: (ZoneMeaning.PEAK, ZoneMeaning.NIGHT, ZoneMeaning.SEMI_PEAK),
}

MAX_ZONES = 3
