"""``/metrics`` for Prometheus: what the office did (counters, kept per process) and what each
terminal last said (read from the database at each scrape).

Counters and the latency histogram live in the worker that counted them. With several workers
(``kiosk office serve --workers N``) the server gives every worker one directory in
``PROMETHEUS_MULTIPROC_DIR`` before they start, prometheus-client writes each worker's values
there, and a scrape that lands on any worker sums them all. The terminals' gauges are not counted
anywhere: they come from the database at the scrape, so every worker answers alike and a
restart loses nothing.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import REGISTRY, Collector
from sqlalchemy import Engine
from starlette.types import Scope

from sync.office import alerts, fleet
from sync.office.alerts import AlertRules
from sync.office.terminals import utc_now

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LEVELS = {"green": 0, "yellow": 1, "red": 2}
PAPER_STATES = ("ok", "near_end", "out", "unknown")

INGESTED = Counter("kiosk_office_ingest_items_total", "Submissions received, by the office's answer to each",
                   ["result"])
LATENCY = Histogram("kiosk_office_request_seconds", "Time to answer a request, by route",
                    ["method", "route"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))


def count_ingest(results: Iterable[str]) -> None:
    for result in results:
        INGESTED.labels(result).inc()


def observe(scope: Scope, seconds: float) -> None:
    """Count one HTTP request's time by its route's template (``/terminals/{terminal_id}``), never
    its path: a path label would make a series per txn_id. The Gate (``sync.office.app``) calls
    it for every request, authentication included."""
    route = scope.get("route")
    LATENCY.labels(scope["method"], getattr(route, "path", "unmatched")).observe(seconds)


class FleetCollector(Collector):
    """Each terminal's last word, by label ``terminal``: seconds since its heartbeat, queue depth,
    paper state, subsystem levels (0 green, 1 yellow, 2 red), out of service, active alerts."""

    def __init__(self, engine: Engine, rules: AlertRules) -> None:
        self._engine = engine
        self._rules = rules

    def collect(self) -> Iterable[Metric]:
        now = utc_now()
        age = GaugeMetricFamily("kiosk_office_terminal_heartbeat_age_seconds",
                                "Seconds since the terminal's last heartbeat", labels=["terminal"])
        queue = GaugeMetricFamily("kiosk_office_terminal_queue_depth",
                                  "Readings waiting on the terminal at its last heartbeat", labels=["terminal"])
        oldest = GaugeMetricFamily("kiosk_office_terminal_oldest_pending_seconds",
                                   "Age of the oldest waiting reading at the last heartbeat", labels=["terminal"])
        paper = GaugeMetricFamily("kiosk_office_terminal_paper", "1 for the paper state the printer reports",
                                  labels=["terminal", "state"])
        paper_days = GaugeMetricFamily("kiosk_office_terminal_paper_days_left",
                                       "Days until the roll runs out at the recent rate", labels=["terminal"])
        level = GaugeMetricFamily("kiosk_office_terminal_subsystem_level",
                                  "0 green, 1 yellow, 2 red", labels=["terminal", "subsystem"])
        out = GaugeMetricFamily("kiosk_office_terminal_out_of_service", "1 while out of service",
                                labels=["terminal"])
        alert = GaugeMetricFamily("kiosk_office_terminal_alert", "1 for each active alert",
                                  labels=["terminal", "alert", "severity"])
        for state in fleet.fleet(self._engine, now=now):
            terminal = state.id
            if state.heartbeat_at is not None:
                age.add_metric([terminal], _seconds(now, state.heartbeat_at))
            for found in alerts.alerts_of(state, now, self._rules):
                alert.add_metric([terminal, found.kind, found.severity], 1)
            beat = state.heartbeat
            if beat is None:
                continue
            queue.add_metric([terminal], beat.queue_depth)
            if beat.oldest_pending_age is not None:
                oldest.add_metric([terminal], beat.oldest_pending_age)
            for name in PAPER_STATES:
                paper.add_metric([terminal, name], 1 if beat.printer.paper == name else 0)
            days = alerts.paper_days_left(state)
            if days is not None:
                paper_days.add_metric([terminal], days)
            for line in beat.subsystems:
                level.add_metric([terminal, line.name], LEVELS[line.level])
            out.add_metric([terminal], 1 if beat.out_of_service is not None else 0)
        yield from (age, queue, oldest, paper, paper_days, level, out, alert)


def _seconds(now: datetime, then: datetime) -> float:
    return round((now - then).total_seconds(), 1)


def exposition(engine: Engine, rules: AlertRules) -> bytes:
    """The text a scrape gets: this process's counters (or every worker's), and the fleet's gauges."""
    registry = CollectorRegistry()
    if os.environ.get(MULTIPROCESS_VARIABLE):
        multiprocess.MultiProcessCollector(registry)
        text = generate_latest(registry)
    else:
        text = generate_latest(REGISTRY)
    fleet_registry = CollectorRegistry()
    fleet_registry.register(FleetCollector(engine, rules))
    return text + generate_latest(fleet_registry)
