"""What the fleet page shows of each terminal, read from its last heartbeat.

A terminal's state is the worst of what it says about itself and what its silence says: red
when a subsystem is red, its paper is out, it is out of service or it has not been heard for
``SILENT_AFTER_INTERVALS`` heartbeat intervals; yellow for any lesser trouble; green otherwise.
The worst come first, so the terminals that need someone are at the top of a long page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection, select

from sync.office.schema import terminals

SILENT_AFTER_INTERVALS = 3
DEFAULT_INTERVAL_S = 60
QUEUE_AGE_ALERT_S = 3600
STATES = ("red", "yellow", "green", "unknown")
_RANK = {state: rank for rank, state in enumerate(STATES)}


def N_(message: str) -> str:
    return message


STATE_WORDS = {"red": N_("needs attention"), "yellow": N_("warning"), "green": N_("working"),
               "unknown": N_("never heard")}
PAPER_WORDS = {"ok": N_("ok"), "near_end": N_("near end"), "out": N_("out"), "unknown": N_("unknown")}


@dataclass(frozen=True)
class Alert:
    terminal_id: str
    place: str
    level: str  # red, yellow
    message: str  # an English msgid with {placeholders}
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Subsystem:
    name: str
    level: str
    reason: str | None


@dataclass(frozen=True)
class Paper:
    state: str  # ok, near_end, out, unknown
    slips_left: int | None = None
    days_left: float | None = None


@dataclass
class TerminalRow:
    id: str
    place: str
    enabled: bool
    heartbeat_at: datetime | None
    silent: bool
    state: str
    subsystems: list[Subsystem] = field(default_factory=list)
    paper: Paper = Paper("unknown")
    queue_depth: int | None = None
    oldest_pending_s: float | None = None
    last_upload_at: datetime | None = None
    version: str | None = None
    out_of_service: str | None = None  # the reason, "" when none was given; None when in service
    staff_calls: int = 0
    interval_s: int = DEFAULT_INTERVAL_S

    @property
    def rank(self) -> int:
        return _RANK[self.state]


def rows(connection: Connection, now: datetime) -> list[TerminalRow]:
    """Every terminal, the worst first, then by id."""
    found = [
        row_of(record.id, record.place or "", bool(record.enabled), record.heartbeat_at, record.heartbeat, now)
        for record in connection.execute(select(terminals.c.id, terminals.c.place, terminals.c.enabled,
                                                terminals.c.heartbeat_at, terminals.c.heartbeat))
    ]
    found.sort(key=lambda row: (row.rank, row.id))
    return found


def row_of(terminal_id: str, place: str, enabled: bool, heartbeat_at: datetime | None, heartbeat: str | None,
           now: datetime) -> TerminalRow:
    beat: dict[str, Any] = json.loads(heartbeat) if heartbeat else {}
    interval = beat.get("interval_s") or DEFAULT_INTERVAL_S
    silent = heartbeat_at is None or (now - heartbeat_at).total_seconds() > SILENT_AFTER_INTERVALS * interval
    row = TerminalRow(terminal_id, place, enabled, heartbeat_at, silent, "unknown", interval_s=interval)
    if beat:
        row.subsystems = [Subsystem(item["name"], item["level"], item.get("reason"))
                          for item in beat.get("subsystems", [])]
        row.paper = _paper(beat)
        row.queue_depth = beat.get("queue_depth")
        row.oldest_pending_s = beat.get("oldest_pending_age")
        row.last_upload_at = _moment(beat.get("last_upload_at"))
        row.version = beat.get("app_version")
        if beat.get("out_of_service"):
            row.out_of_service = beat["out_of_service"].get("reason") or ""
        row.staff_calls = len(beat.get("staff_calls", []))
    row.state = _state(row)
    return row


def alerts(row: TerminalRow) -> list[Alert]:
    """What the top of the fleet page says about one terminal."""
    found: list[Alert] = []

    def add(level: str, message: str, **params: Any) -> None:
        found.append(Alert(row.id, row.place, level, message, params))

    if row.heartbeat_at is not None and row.silent:
        add("red", N_("no heartbeat for {intervals} intervals"), intervals=SILENT_AFTER_INTERVALS)
    for subsystem in row.subsystems:
        if subsystem.level == "red":
            add("red", N_("{subsystem}: {reason}"), subsystem=subsystem.name, reason=subsystem.reason or "")
    if row.paper.state == "out":
        add("red", N_("paper is out"))
    elif row.paper.state == "near_end":
        add("yellow", N_("paper is near its end"))
    if (row.oldest_pending_s or 0) > QUEUE_AGE_ALERT_S:
        add("yellow", N_("readings have waited over an hour to be sent"))
    if row.staff_calls:
        add("red", N_("a customer called for staff"))
    return found


def _paper(beat: dict[str, Any]) -> Paper:
    state = beat.get("printer", {}).get("paper", "unknown")
    roll = beat.get("paper_roll")
    slips_left = None
    if roll and roll.get("slips"):
        per_slip = roll["used_m"] / roll["slips"]
        if per_slip > 0:
            slips_left = max(0, int((roll["length_m"] - roll["used_m"]) / per_slip))
    return Paper(state, slips_left)


def _state(row: TerminalRow) -> str:
    if row.heartbeat_at is None:
        return "unknown"
    levels = {subsystem.level for subsystem in row.subsystems}
    if row.silent or "red" in levels or row.paper.state == "out" or row.out_of_service is not None:
        return "red"
    if ("yellow" in levels or row.paper.state == "near_end" or row.staff_calls
            or (row.oldest_pending_s or 0) > QUEUE_AGE_ALERT_S):
        return "yellow"
    return "green"


def _moment(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment
