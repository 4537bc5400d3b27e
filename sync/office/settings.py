"""The office service's settings: each a ``kiosk office serve`` option and an environment
variable, which is also how worker processes receive them. No heavy imports: the CLI reads this
at every start."""

from __future__ import annotations

import re
from datetime import timedelta

DATABASE_VARIABLE = "KIOSK_OFFICE_DB"
POOL_SIZE_VARIABLE = "KIOSK_OFFICE_POOL_SIZE"
CLOCK_SKEW_VARIABLE = "KIOSK_OFFICE_MAX_CLOCK_SKEW"

# Connections per worker process: the pool, and as many again for bursts. The documented set-up
# (deploy/office: 4 workers per instance, two instances on one server) opens at most
# 2 × 4 × (5 + 5) = 80, under PostgreSQL's default max_connections of 100, leaving room for
# migrations, the CLI and psql.
DEFAULT_POOL_SIZE = 5

# How far ahead of the office's clock an item's taken_at may be: a terminal's clock may be a
# little wrong, but a reading "from next year" would stay its meter's last reading until then.
DEFAULT_MAX_CLOCK_SKEW = timedelta(days=1)

_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*([smhd]?)")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """``90``, ``90s``, ``15m``, ``6h``, ``1d``."""
    found = _DURATION.fullmatch(text.strip().lower())
    if not found:
        raise ValueError(f"not a duration like 90s, 15m, 6h or 1d: {text!r}")
    return timedelta(seconds=float(found.group(1)) * _UNITS[found.group(2)])
