"""The office service's settings: each a ``kiosk office serve`` option and an environment
variable, which is also how worker processes receive them. No heavy imports: the CLI reads this
at every start."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, fields
from datetime import timedelta
from pathlib import Path

DATABASE_VARIABLE = "KIOSK_OFFICE_DB"
POOL_SIZE_VARIABLE = "KIOSK_OFFICE_POOL_SIZE"
CLOCK_SKEW_VARIABLE = "KIOSK_OFFICE_MAX_CLOCK_SKEW"
WORKERS_VARIABLE = "KIOSK_OFFICE_WORKERS"

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


CONFIG_VARIABLE = "KIOSK_OFFICE_CONFIG"


@dataclass(frozen=True)
class OfficeConfig:
    """The ``[office]`` table of the office's TOML file (``kiosk office serve --config FILE``)."""

    heartbeat_days: int = 30  # heartbeat history kept, in days
    paper_days_alert: float = 2.0  # alert when a roll will run out within this many days
    billing_token: str | None = None  # bearer token of GET /billing/v1/readings; unset: endpoint off
    metrics_token: str | None = None  # bearer token Prometheus sends to /metrics; unset: /metrics is open

    def __post_init__(self) -> None:
        if not (isinstance(self.heartbeat_days, int) and 1 <= self.heartbeat_days <= 3650):
            raise ValueError("heartbeat_days: a whole number of days from 1 to 3650")
        if not (isinstance(self.paper_days_alert, (int, float)) and 0 <= self.paper_days_alert <= 365):
            raise ValueError("paper_days_alert: a number of days from 0 to 365")
        if self.billing_token is not None and not (isinstance(self.billing_token, str)
                                                   and len(self.billing_token) >= 16):
            raise ValueError("billing_token: at least 16 characters (e.g. `openssl rand -hex 24`)")
        if self.metrics_token is not None and not (isinstance(self.metrics_token, str)
                                                   and len(self.metrics_token) >= 16):
            raise ValueError("metrics_token: at least 16 characters (e.g. `openssl rand -hex 24`)")


def load_config(path: str | Path | None) -> OfficeConfig:
    """The file's ``[office]`` table (keys as OfficeConfig's fields); defaults without a file.
    ValueError names the file and what is wrong."""
    if not path:
        return OfficeConfig()
    try:
        with open(path, "rb") as file:
            table = tomllib.load(file).get("office", {})
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path}: {exc}") from None
    if not isinstance(table, dict):
        raise ValueError(f"{path}: office must be a table, [office]")
    known = {field.name for field in fields(OfficeConfig)}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ValueError(f"{path}: [office] has unknown keys {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    try:
        return OfficeConfig(**table)
    except ValueError as exc:
        raise ValueError(f"{path}: [office] {exc}") from None
