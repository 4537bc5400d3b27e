"""What the fleet page shows of each terminal: its latest state (``sync.office.fleet``) and its
alerts (``sync.office.alerts``), in words ready for a table row.

A terminal's state is the worst of its alerts and what it says of itself: red with a critical
alert, a red subsystem or when out of service; yellow with a warning or a yellow subsystem; green
otherwise; "unknown" while it has never been heard and is not yet overdue. The worst come first,
so the terminals that need someone are at the top of a long page.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from sqlalchemy import Engine, func, select

from sync.office import alerts as alert_rules
from sync.office import fleet
from sync.office.alerts import Alert, AlertRules
from sync.office.fleet import TerminalState
from sync.office.schema import audit
from sync.office.terminals import utc_now

STATES = ("red", "yellow", "green", "unknown")
_RANK = {state: rank for rank, state in enumerate(STATES)}


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


STATE_WORDS = {"red": N_("needs attention"), "yellow": N_("warning"), "green": N_("working"),
               "unknown": N_("never heard")}
PAPER_WORDS = {"ok": N_("ok"), "near_end": N_("near end"), "out": N_("out"), "unknown": N_("unknown")}
# Each alert's words; {subject}, {reason}, {days} and {duration} are filled in by ``Notice``.
ALERT_WORDS = {
    "staff_call": N_("a customer called for staff (reference {reason})"),
    "silent": N_("no heartbeat for {duration}"),
    "subsystem_red": N_("{subject}: {reason}"),
    "paper_out": N_("paper is out"),
    "paper_near_end": N_("paper is near its end"),
    "paper_running_out": N_("paper runs out in {days} days"),
    "queue_stuck": N_("readings have waited {duration} to be sent"),
    "clock_skew": N_("its clock is off by {duration}"),
}


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


@dataclass(frozen=True)
class Notice:
    """An alert as a line on the page: an English msgid and the values of its placeholders
    (``duration`` in seconds, turned into words by the template)."""

    terminal_id: str
    place: str
    level: str  # red (critical) or yellow (warning)
    kind: str
    message: str
    params: dict[str, Any]
    duration_s: float | None
    call_id: str | None  # a staff call's, for its acknowledge button


@dataclass
class TerminalRow:
    id: str
    place: str
    enabled: bool
    heartbeat_at: datetime | None
    silent: bool
    state: str
    notices: list[Notice] = field(default_factory=list)
    subsystems: list[Subsystem] = field(default_factory=list)
    paper: Paper = Paper("unknown")
    queue_depth: int | None = None
    oldest_pending_s: float | None = None
    last_upload_at: datetime | None = None
    version: str | None = None
    out_of_service: str | None = None  # the reason, "" when none was given; None when in service

    @property
    def trouble(self) -> list[Subsystem]:
        """The subsystems that are not green: the fleet page names these and counts the rest."""
        return [subsystem for subsystem in self.subsystems if subsystem.level != "green"]

    @property
    def fine(self) -> int:
        return sum(subsystem.level == "green" for subsystem in self.subsystems)

    @property
    def rank(self) -> int:
        return _RANK[self.state]


# Rows on one page of the fleet table: a screenful or two an operator reads from the top, the
# worst first; at 2,000 terminals the whole table was 900 KB of HTML that took most of the page's
# time to write and to send, for rows nobody scrolls to.
PAGE_ROWS = 100


@dataclass(frozen=True)
class Pager:
    """Which rows of the table one page shows: ``first`` to ``last`` (exclusive) of ``total``."""

    number: int
    pages: int
    first: int
    last: int
    total: int

    @classmethod
    def of(cls, total: int, asked: str, size: int = PAGE_ROWS) -> Pager:
        """The page asked for, as typed in an address: anything but a page number shows the
        first page, and a number past the end the last one."""
        pages = max(1, -(-total // size))
        number = min(int(asked), pages) if re.fullmatch(r"[0-9]{1,9}", asked) and int(asked) > 0 else 1
        first = (number - 1) * size
        return cls(number, pages, first, min(total, first + size), total)


# How old the fleet page's rows may be. Computing them is most of the page's time (every
# terminal's state and alerts: about 50 ms of CPU at 2,000 terminals), time in which the
# worker's heartbeats wait their turn for the interpreter. An operator who reloads the page, or
# several who watch it, share one computation a second; a heartbeat's news, a minute apart from
# the next one, reaches the page within that second.
FRESH_S = 1.0


class FleetBoard:
    """Every terminal's row (``rows``), as of a moment at most ``fresh_s`` ago, shared by the
    requests of one process. An operator's action anywhere (each writes the audit log, whichever
    worker or command line carried it out) makes the next look compute them anew: an operator
    who acknowledges a staff call sees it gone from the page at once."""

    def __init__(self, engine: Engine, rules: AlertRules, places: Callable[[], dict[str, str]], *,
                 fresh_s: float = FRESH_S, clock: Callable[[], float] = time.monotonic) -> None:
        self._engine = engine
        self._rules = rules
        self._places = places
        self._fresh_s = fresh_s
        self._clock = clock
        self._lock = threading.Lock()
        # (when the rows began to be read, by the clock; the audit log's last entry then; as of; rows)
        self._kept: tuple[float, int, datetime, list[TerminalRow]] | None = None

    def rows(self) -> tuple[datetime, list[TerminalRow]]:
        """The moment the rows are as of (naive UTC), and the rows, the worst first."""
        with self._lock:  # one computation at a time; a request that waited for it takes its rows
            with self._engine.connect() as connection:
                last_action = connection.execute(select(func.coalesce(func.max(audit.c.id), 0))).scalar_one()
            kept = self._kept
            if kept is not None and kept[1] == last_action and self._clock() - kept[0] < self._fresh_s:
                return kept[2], kept[3]
            began, now = self._clock(), utc_now()
            found = rows(fleet.fleet(self._engine, now=now), self._places(), now, self._rules)
            self._kept = (began, last_action, now, found)
            return now, found


def rows(states: list[TerminalState], places: dict[str, str], now: datetime, rules: AlertRules) -> list[TerminalRow]:
    """Every terminal, the worst first, then by id."""
    found = [row_of(state, places.get(state.id, ""), now, rules) for state in states]
    found.sort(key=lambda row: (row.rank, -sum(notice.level == "red" for notice in row.notices), row.id))
    return found


def row_of(state: TerminalState, place: str, now: datetime, rules: AlertRules) -> TerminalRow:
    alerts = alert_rules.alerts_of(state, now, rules)
    row = TerminalRow(state.id, place, state.enabled, state.heartbeat_at,
                      any(alert.kind == "silent" for alert in alerts), "unknown",
                      notices=[_notice(state.id, place, alert) for alert in alerts])
    beat = state.heartbeat
    if beat is not None:
        row.subsystems = [Subsystem(line.name, line.level, line.reason) for line in beat.subsystems]
        days = alert_rules.paper_days_left(state)
        row.paper = Paper(beat.printer.paper, alert_rules.slips_left(state), days)
        row.queue_depth = beat.queue_depth
        row.oldest_pending_s = beat.oldest_pending_age
        row.last_upload_at = _naive(beat.last_upload_at)
        row.version = beat.app_version
        if beat.out_of_service is not None:
            row.out_of_service = beat.out_of_service.reason or ""
    row.state = _state(row, alerts)
    return row


def _state(row: TerminalRow, alerts: list[Alert]) -> str:
    levels = {subsystem.level for subsystem in row.subsystems}
    if any(alert.severity == "critical" for alert in alerts) or "red" in levels or row.out_of_service is not None:
        return "red"
    if row.heartbeat_at is None:
        return "unknown"
    if alerts or "yellow" in levels:
        return "yellow"
    return "green"


def _notice(terminal_id: str, place: str, alert: Alert) -> Notice:
    params: dict[str, Any] = {"subject": alert.subject, "reason": alert.reason or ""}
    duration = None
    if alert.kind in ("silent", "queue_stuck", "clock_skew") and alert.value is not None:
        duration = abs(alert.value)
    if alert.kind == "paper_running_out" and alert.value is not None:
        params["days"] = f"{alert.value:.1f}"
    return Notice(terminal_id, place, "red" if alert.severity == "critical" else "yellow", alert.kind,
                  ALERT_WORDS[alert.kind], params, duration, alert.subject if alert.kind == "staff_call" else None)


def _naive(moment: datetime | None) -> datetime | None:
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment else None
