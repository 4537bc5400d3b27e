"""Alerts, derived: a pure function of a terminal's state (``sync.office.fleet``) and the time.

Nothing is stored: an alert shows while its condition holds and is gone when it does not, so the
fleet page, the metrics and any other reader agree without anyone clearing anything. A staff
call is the one alert a person ends, by acknowledging the call.

A disabled terminal raises none: it is shut out on purpose, and its silence is expected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sync.office.fleet import TerminalState
from sync.office.settings import OfficeConfig

# Each alert's kind, in the order the fleet page shows them within a severity.
KINDS = ("staff_call", "silent", "subsystem_red", "paper_out", "paper_near_end", "paper_running_out",
         "queue_stuck", "clock_skew")
SEVERITIES = ("critical", "warning")


@dataclass(frozen=True)
class AlertRules:
    silent_intervals: int = 3  # no heartbeat for this many of the terminal's intervals
    default_interval_s: int = 60  # for a terminal that does not send its interval
    queue_age_s: float = 3600.0  # the oldest queued reading older than this
    clock_skew_s: float = 60.0  # the terminal's clock this far from the office's, either way
    paper_days: float = 2.0  # [office] paper_days_alert: the roll runs out within this many days


@dataclass(frozen=True)
class Alert:
    kind: str  # one of KINDS
    severity: str  # critical or warning
    subject: str = ""  # the subsystem's name, or the staff call's id
    value: float | None = None  # seconds silent, queue age (s), clock skew (s) or days of paper left
    reason: str | None = None  # the subsystem's reason, or the reference the caller was shown
    since: datetime | None = None  # when known: the last heartbeat, or the staff call

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "severity": self.severity, "subject": self.subject, "value": self.value,
                "reason": self.reason, "since": self.since.isoformat(timespec="seconds") + "Z" if self.since else None}


DEFAULT_RULES = AlertRules()


def rules_for(config: OfficeConfig) -> AlertRules:
    """The rules with the office's settings in them."""
    return AlertRules(paper_days=config.paper_days_alert)


def alerts_of(state: TerminalState, now: datetime, rules: AlertRules = DEFAULT_RULES) -> list[Alert]:
    """The terminal's alerts at ``now`` (naive UTC), critical first, then in KINDS order."""
    if not state.enabled:
        return []
    found = [Alert("staff_call", "critical", call.id, reason=call.reference, since=call.at)
             for call in state.open_calls]
    interval = timedelta(seconds=_interval(state, rules))
    heard = state.heartbeat_at or state.created_at
    if now - heard > rules.silent_intervals * interval:
        found.append(Alert("silent", "critical", value=(now - heard).total_seconds(), since=state.heartbeat_at))
    beat = state.heartbeat
    if beat is not None and state.heartbeat_at is not None:
        found += [Alert("subsystem_red", "critical", line.name, reason=line.reason)
                  for line in beat.subsystems if line.level == "red"]
        if beat.printer.paper == "out":
            found.append(Alert("paper_out", "critical"))
        elif beat.printer.paper == "near_end":
            found.append(Alert("paper_near_end", "warning"))
        days = paper_days_left(state)
        if days is not None and beat.printer.paper != "out" and days <= rules.paper_days:
            found.append(Alert("paper_running_out", "warning", value=days))
        if beat.oldest_pending_age is not None and beat.queue_depth > 0:
            # the age it reported, and the time since: nothing has been heard of an upload since
            age = beat.oldest_pending_age + (now - state.heartbeat_at).total_seconds()
            if age > rules.queue_age_s:
                found.append(Alert("queue_stuck", "warning", value=age))
        if state.clock_skew_s is not None and abs(state.clock_skew_s) > rules.clock_skew_s:
            found.append(Alert("clock_skew", "warning", value=state.clock_skew_s))
    return sorted(found, key=lambda alert: (SEVERITIES.index(alert.severity), KINDS.index(alert.kind)))


def _interval(state: TerminalState, rules: AlertRules) -> int:
    if state.heartbeat is not None and state.heartbeat.interval_s is not None:
        return state.heartbeat.interval_s
    return rules.default_interval_s


def paper_left_m(state: TerminalState) -> float | None:
    """Metres left on the roll at the last heartbeat; None when the terminal does not count paper."""
    roll = state.heartbeat.paper_roll if state.heartbeat else None
    return None if roll is None else max(roll.length_m - roll.used_m, 0.0)


def slips_left(state: TerminalState) -> int | None:
    """Slips the rest of the roll will print, at this roll's average slip so far."""
    roll = state.heartbeat.paper_roll if state.heartbeat else None
    left = paper_left_m(state)
    if roll is None or left is None or roll.slips == 0 or roll.used_m <= 0:
        return None
    return int(left / (roll.used_m / roll.slips))


def paper_days_left(state: TerminalState) -> float | None:
    """Days until the roll runs out at the terminal's recent rate; None without a rate (no paper
    counts, or nothing printed lately)."""
    left = paper_left_m(state)
    rate = state.paper_m_per_day
    if left is None or rate is None or rate <= 0:
        return None
    return left / rate


def severity_rank(alerts: list[Alert]) -> int:
    """For "the worst first": 0 with a critical alert, 1 with warnings only, 2 with none."""
    return min((SEVERITIES.index(alert.severity) for alert in alerts), default=len(SEVERITIES))
