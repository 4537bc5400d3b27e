"""Alerts as a pure function of a terminal's state and the time, at their boundaries."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from sync.office.alerts import DEFAULT_RULES, AlertRules, alerts_of, paper_days_left, severity_rank, slips_left
from sync.office.fleet import StaffCallRecord, TerminalState
from sync.wire import Heartbeat

NOW = datetime(2026, 11, 27, 12, 0, 0)
SECOND = timedelta(seconds=1)


def heartbeat(**changes: Any) -> Heartbeat:
    body: dict[str, Any] = {"app_version": "0.2.0", "queue_depth": 0, "oldest_pending_age": None,
                            "printer": {"state": "ok", "paper": "ok"}, "interval_s": 60}
    body.update(changes)
    return Heartbeat.model_validate(body)


def terminal(beat: Heartbeat | None = None, *, heard: datetime | None = NOW, **changes: Any) -> TerminalState:
    state = TerminalState(id="kiosk-1", created_at=NOW - timedelta(days=10), enabled=True, last_seen_at=heard,
                          heartbeat_at=heard, heartbeat=beat or heartbeat(), clock_skew_s=0.0, paper_m_per_day=None,
                          open_calls=())
    return replace(state, **changes)


def kinds(state: TerminalState, now: datetime = NOW, rules: AlertRules = DEFAULT_RULES) -> list[str]:
    return [alert.kind for alert in alerts_of(state, now, rules)]


def test_a_healthy_terminal_has_no_alerts() -> None:
    assert kinds(terminal()) == []
    assert severity_rank(alerts_of(terminal(), NOW)) == 2


def test_silent_after_three_of_its_intervals() -> None:
    state = terminal(heartbeat(interval_s=120), heard=NOW)
    assert kinds(state, NOW + 360 * SECOND) == []
    [alert] = alerts_of(state, NOW + 361 * SECOND)
    assert (alert.kind, alert.severity, alert.value, alert.since) == ("silent", "critical", 361.0, NOW)
    # an older terminal that does not send its interval: the default, 60 s
    older = terminal(heartbeat(interval_s=None))
    assert kinds(older, NOW + 180 * SECOND) == [] and kinds(older, NOW + 181 * SECOND) == ["silent"]


def test_never_heard_from_is_silent_once_provisioned_long_enough() -> None:
    state = terminal(heard=None, heartbeat=None, created_at=NOW)
    assert kinds(state, NOW + 180 * SECOND) == []
    [alert] = alerts_of(state, NOW + 181 * SECOND)
    assert (alert.kind, alert.since) == ("silent", None)


def test_a_disabled_terminal_raises_nothing() -> None:
    assert kinds(terminal(heard=NOW - timedelta(days=3), enabled=False)) == []


def test_each_red_subsystem_is_an_alert_yellow_is_not() -> None:
    beat = heartbeat(subsystems=[{"name": "printer", "level": "yellow", "reason": "paper near end"},
                                 {"name": "network", "level": "red", "reason": "no route"},
                                 {"name": "storage", "level": "red"}])
    alerts = alerts_of(terminal(beat), NOW)
    assert [(a.kind, a.subject, a.reason) for a in alerts] == [
        ("subsystem_red", "network", "no route"), ("subsystem_red", "storage", None)]


@pytest.mark.parametrize(("paper", "expected"), [("ok", []), ("unknown", []), ("near_end", ["paper_near_end"]),
                                                  ("out", ["paper_out"])])
def test_paper_state(paper: str, expected: list[str]) -> None:
    assert kinds(terminal(heartbeat(printer={"state": "ok", "paper": paper}))) == expected


def test_the_queue_is_stuck_past_an_hour_counting_the_time_since_the_heartbeat() -> None:
    beat = heartbeat(queue_depth=3, oldest_pending_age=3000.0, interval_s=3600)
    assert kinds(terminal(beat), NOW + 600 * SECOND) == []
    [alert] = alerts_of(terminal(beat), NOW + 601 * SECOND)
    assert (alert.kind, alert.value) == ("queue_stuck", 3601.0)
    # an empty queue is never stuck, whatever age it names
    assert kinds(terminal(heartbeat(queue_depth=0, oldest_pending_age=9999.0))) == []


@pytest.mark.parametrize(("skew", "alerted"), [(60.0, False), (-60.0, False), (60.5, True), (-61.0, True),
                                                (None, False)])
def test_clock_skew_either_way(skew: float | None, alerted: bool) -> None:
    assert kinds(terminal(clock_skew_s=skew)) == (["clock_skew"] if alerted else [])


def test_paper_running_out_at_the_terminals_recent_rate() -> None:
    beat = heartbeat(paper_roll={"length_m": 80.0, "used_m": 60.0, "slips": 400})
    # 20 m left at 10 m a day: 2 days, the default threshold, alerts; at 9.9 m a day it does not
    state = terminal(beat, paper_m_per_day=10.0)
    assert paper_days_left(state) == pytest.approx(2.0)
    [alert] = alerts_of(state, NOW)
    assert (alert.kind, alert.severity, alert.value) == ("paper_running_out", "warning", pytest.approx(2.0))
    assert kinds(replace(state, paper_m_per_day=9.9)) == []
    assert kinds(replace(state, paper_m_per_day=9.9), rules=AlertRules(paper_days=3)) == ["paper_running_out"]
    # no rate (nothing printed lately, or no counts): no forecast
    assert paper_days_left(replace(state, paper_m_per_day=0.0)) is None
    assert paper_days_left(replace(state, paper_m_per_day=None)) is None
    assert slips_left(state) == 133  # 20 m at 0.15 m a slip
    # once out, the paper is out: the forecast says nothing more
    out = terminal(heartbeat(printer={"state": "ok", "paper": "out"},
                             paper_roll={"length_m": 80.0, "used_m": 80.0, "slips": 533}), paper_m_per_day=10.0)
    assert kinds(out) == ["paper_out"]


def test_an_open_staff_call_comes_first() -> None:
    call = StaffCallRecord("6f1c0000-0000-4000-8000-000000000000", "kiosk-1", NOW - 30 * SECOND, "3F2A9-1C0B7",
                           NOW, None, None)
    state = terminal(heartbeat(printer={"state": "ok", "paper": "near_end"}), open_calls=(call,))
    alerts = alerts_of(state, NOW)
    assert [(a.kind, a.severity) for a in alerts] == [("staff_call", "critical"), ("paper_near_end", "warning")]
    assert (alerts[0].subject, alerts[0].reason, alerts[0].since) == (call.id, "3F2A9-1C0B7", call.at)
    assert severity_rank(alerts) == 0 and severity_rank(alerts[1:]) == 1
