"""`kiosk status --prometheus FILE`: the terminal's facts for node_exporter's textfile collector,
the same the office shows per terminal (subsystem levels, queue, paper, last upload, out of
service), so a site that runs Prometheus can alert on a terminal without asking the office.

The file is replaced atomically (``prometheus_client.write_to_textfile`` writes a temporary file
beside it and renames it): the collector never reads half a file. A fact the store cannot give
right now (the storage line says why) is left out rather than reported as zero.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.config import Config
from kiosk.release import package_version
from kiosk.store import Store

if TYPE_CHECKING:
    from kiosk.service.health import Health

LEVELS = {"green": 0, "yellow": 1, "red": 2}


def write(path: Path, config: Config, healths: list[Health], store: Store | None) -> None:
    # The client library only for this command: nothing else on the terminal needs it.
    from prometheus_client import CollectorRegistry, Gauge, write_to_textfile

    from kiosk.fleet import paper_roll

    registry = CollectorRegistry()

    def gauge(name: str, documentation: str, labels: tuple[str, ...] = ()) -> Gauge:
        return Gauge(name, documentation, labels, registry=registry)

    gauge("kiosk_terminal_info", "This terminal: its id and software version", ("terminal", "version")) \
        .labels(config.terminal.id, package_version()).set(1)
    gauge("kiosk_status_checked_timestamp_seconds", "When these facts were gathered").set_to_current_time()
    level = gauge("kiosk_subsystem_level", "Each subsystem's health: 0 green, 1 yellow, 2 red", ("subsystem",))
    for line in healths:
        level.labels(line.subsystem).set(LEVELS[line.level])
    if store is None:
        write_to_textfile(str(path), registry)
        return
    gauge("kiosk_queue_depth", "Readings waiting to be sent to the office").set(store.outbox.depth())
    age = store.outbox.oldest_pending_age()
    gauge("kiosk_oldest_pending_age_seconds", "Age of the oldest reading waiting (0: none waits)").set(age or 0)
    delivered = store.service.delivery_facts().last_delivery
    if delivered:
        since = datetime.now(timezone.utc) - _utc(delivered)
        gauge("kiosk_last_upload_age_seconds", "Since the office last took a reading from this terminal") \
            .set(max(since.total_seconds(), 0))
    switched = store.service.out_of_service()
    gauge("kiosk_out_of_service", "1 while customers see the out-of-service cover").set(0 if switched is None else 1)
    roll = paper_roll(config, store)
    if roll is not None:
        gauge("kiosk_paper_roll_metres", "Length of the roll in the printer").set(roll.length_m)
        gauge("kiosk_paper_used_metres", "Paper the slips took since the roll was loaded").set(roll.used_m)
        gauge("kiosk_paper_left_metres", "Paper left on the roll, as counted") \
            .set(max(roll.length_m - roll.used_m, 0))
        gauge("kiosk_paper_slips", "Slips printed since the roll was loaded").set(roll.slips)
    write_to_textfile(str(path), registry)


def _utc(text: str) -> datetime:
    when = datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
