"""The terminal as the office's fleet view sees it: what each heartbeat tells (health lines,
out-of-service, the paper roll, customers' calls for staff, the results of commands), and the
office's commands, each carried out once.

A command arrives in the answer to a heartbeat and is claimed in the store (``CommandLog``)
before anything is done: the office sends it again until a heartbeat carries its result, and
every later copy finds the claim and is ignored, so a restart or a power cut between doing it and
reporting it never does it twice (a claim whose process is gone is reported failed, outcome
unknown). A command past its ``expires_at`` by the office's own clock (the answer's
``received_at``) is dropped and reported failed. Which commands a process can carry out is up to
it: the app does them all, `kiosk sync once` leaves a restart and the logs to the app.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable

from devices.profiles import get_profile
from devices.status import PrinterStatus
from kiosk.config import Config
from kiosk.masking import scrub
from kiosk.release import package_version
from kiosk.store import Store
from sync.directory_pull import DirectoryPuller
from sync.wire import (
    MAX_COMMAND_LINES,
    Command,
    CommandResult,
    Heartbeat,
    HeartbeatAck,
    OutOfService,
    PaperRoll,
    PrinterState,
    ServiceEvent,
    StaffCall,
    Subsystem,
)

if TYPE_CHECKING:
    from kiosk.service.health import Health
    from kiosk.service.access import ServiceAccess
    from kiosk.wiring import Terminal
    from sync.uploader import Uploader

log = logging.getLogger(__name__)

OFFICE = "office"  # the role in the event log and on the out-of-service switch
CAPABILITIES = ["commands"]
HEARTBEAT_EVENTS = 20
HEARTBEAT_RESULTS = 50
HEARTBEAT_CALLS = 20
SHORT = 200  # the wire's ShortText


class CommandFailed(Exception):
    """The command could not be carried out; the message goes to the office as its detail."""


@dataclass(frozen=True)
class Outcome:
    detail: str | None = None
    output: list[str] = field(default_factory=list)
    # Run after the result is stored: a restart must be on record as done before it happens.
    then: Callable[[], None] | None = None


Handler = Callable[[Command], Outcome]


class CommandDesk:
    """Carries out the commands in a heartbeat's answer with this process's ``handlers``."""

    def __init__(self, store: Store, handlers: dict[str, Handler]) -> None:
        self._store = store
        self._handlers = handlers
        self.carried: list[int] = []  # the commands carried out or dropped by this desk, in order

    def answered(self, beat: Heartbeat, ack: HeartbeatAck) -> bool:
        """The office took ``beat``: what it carried is delivered. Then its commands; True when
        any was carried out or dropped, so a heartbeat with the results should follow at once."""
        self._store.commands.mark_reported([result.id for result in beat.command_results])
        self._store.staff_calls.mark_delivered([str(call.id) for call in beat.staff_calls])
        news = False
        for command in ack.commands:
            news |= self.carry_out(command, office_now=ack.received_at)
        return news

    def carry_out(self, command: Command, *, office_now: datetime) -> bool:
        """True when this command was carried out (or dropped) now; False when it was seen before
        or is not for this process."""
        handler = self._handlers.get(command.action)
        if handler is None:
            return False
        commands = self._store.commands
        if command.expires_at <= office_now:
            if commands.refuse(command.id, command.action, command.operator, "expired"):
                self.carried.append(command.id)
                log.info("office command %d (%s by %s) expired before it arrived: dropped",
                         command.id, command.action, command.operator)
                return True
            return False
        if not commands.claim(command.id, command.action, command.operator):
            return False
        self.carried.append(command.id)
        log.info("office command %d: %s by operator %s%s", command.id, command.action, command.operator,
                 f" ({scrub(command.reason)})" if command.reason else "")
        self._store.events.append("office_command", role=OFFICE, command=command.id, action=command.action,
                                  operator=command.operator, reason=command.reason or "")
        try:
            outcome = handler(command)
        except CommandFailed as exc:
            commands.finish(command.id, done=False, detail=_short(str(exc)))
            log.warning("office command %d (%s) failed: %s", command.id, command.action, exc)
            return True
        except Exception as exc:  # a bug or the store: reported, never repeated
            log.exception("office command %d (%s) failed", command.id, command.action)
            commands.finish(command.id, done=False, detail=_short(f"{type(exc).__name__}: {exc}"))
            return True
        commands.finish(command.id, done=True, detail=_short(outcome.detail) if outcome.detail else None,
                        output=[_line(line) for line in outcome.output])
        if outcome.then is not None:
            outcome.then()
        return True


def _short(text: str) -> str:
    return scrub(" ".join(text.split()))[:SHORT]


def _line(text: str) -> str:
    return "".join(ch if ch.isprintable() else " " for ch in scrub(text))[:500]


# --- what the commands do --------------------------------------------------------------------

def handlers(store: Store, access: ServiceAccess, uploader: Uploader, *, log_tail: LogTail | None = None,
             restart: Callable[[], Callable[[], None] | None] | None = None) -> dict[str, Handler]:
    """The commands this process can carry out. They run on the uploader's thread (the answer
    arrives there), so they use its client. ``restart`` gives the way to end the app (systemd
    starts it again), or None while there is none."""

    def out_of_service(command: Command) -> Outcome:
        reason = command.reason or f"by the office ({command.operator})"
        access.switch_out_of_service(role=OFFICE, reason=reason)
        return Outcome()

    def in_service(command: Command) -> Outcome:
        access.switch_in_service(role=OFFICE)
        return Outcome()

    def send_now(command: Command) -> Outcome:
        summary = uploader.run_once()
        if summary.error:
            raise CommandFailed(f"{summary.pending} waiting: {summary.error}")
        return Outcome(f"sent {summary.sent}, {summary.pending} waiting")

    def update_directory(command: Command) -> Outcome:
        pulled = DirectoryPuller(store.directory, uploader.client).pull()
        if pulled.error:
            raise CommandFailed(f"directory at version {pulled.version}: {pulled.error}")
        pages = f"{pulled.pages} page" + ("" if pulled.pages == 1 else "s")
        return Outcome(f"directory at version {pulled.version} ({pages} pulled)")

    table: dict[str, Handler] = {"out_of_service": out_of_service, "in_service": in_service,
                                 "send_now": send_now, "update_directory": update_directory}
    if log_tail is not None:
        tail = log_tail

        def upload_logs(command: Command) -> Outcome:
            lines = tail.lines(command.lines or 100)
            return Outcome(f"{len(lines)} lines", lines)

        table["upload_logs"] = upload_logs
    if restart is not None:
        ending = restart

        def restart_app(command: Command) -> Outcome:
            end = ending()
            if end is None:
                raise CommandFailed("no touch screen runs here: nothing to restart")
            return Outcome("restarting", then=end)

        table["restart"] = restart_app
    return table


class LogTail(logging.Handler):
    """The last lines this process logged, masked, for the office's ``upload_logs``."""

    def __init__(self, capacity: int = MAX_COMMAND_LINES) -> None:
        super().__init__(logging.DEBUG)
        self._lines: collections.deque[str] = collections.deque(maxlen=capacity)
        self._guard = threading.Lock()
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception:  # a record that cannot be formatted is not worth a crash
            return
        with self._guard:
            self._lines.extend(_line(line) for line in text.splitlines())

    def lines(self, count: int) -> list[str]:
        with self._guard:
            return list(self._lines)[-count:]

    def attach(self) -> "LogTail":
        logging.getLogger().addHandler(self)
        return self

    def detach(self) -> None:
        logging.getLogger().removeHandler(self)


# --- customers' calls for staff --------------------------------------------------------------

def call_staff(store: Store, uploader: Uploader | None) -> str:
    """A customer asks for help: stored (sent with every heartbeat until one is answered) and
    sent at once; returns the reference shown on the screen for the staff to match."""
    call_id = str(uuid.uuid4())
    reference = call_id[:4].upper() + "-" + call_id[4:8].upper()
    store.staff_calls.add(call_id, reference)
    store.events.append("staff_called", reference=reference)
    log.info("a customer called for staff (%s)", reference)
    if uploader is not None:
        uploader.beat_now()
    return reference


# --- the heartbeat ---------------------------------------------------------------------------

def heartbeat(config: Config, store: Store, *, printer: PrinterState, subsystems: list[Health],
              out_of_service: tuple[datetime, str] | None, last_error: str | None,
              interval_s: float | None) -> Heartbeat:
    """What the office learns of this terminal: every piece of free text masked."""
    age = store.outbox.oldest_pending_age()
    events = [
        # The log stores free text masked; masked again here so no older row or new field
        # can carry a customer's number to the office.
        ServiceEvent(at=_utc(event.at), kind=event.kind,
                     message=scrub(f"{event.role or '-'}: {event.detail}")[:SHORT])
        for event in store.events.recent(HEARTBEAT_EVENTS)
    ]
    delivered = store.service.delivery_facts().last_delivery
    return Heartbeat(
        app_version=package_version(),
        queue_depth=store.outbox.depth(),
        oldest_pending_age=age,
        printer=printer,
        last_error=scrub(last_error)[:500] if last_error else None,
        events=events,
        interval_s=max(1, round(interval_s)) if interval_s else None,
        subsystems=[Subsystem(name=line.subsystem, level=line.level, reason=_short(line.reason))
                    for line in subsystems],
        out_of_service=None if out_of_service is None else OutOfService(
            since=out_of_service[0], reason=_short(out_of_service[1]) or None),
        paper_roll=paper_roll(config, store),
        last_upload_at=_utc(delivered) if delivered else None,
        staff_calls=[StaffCall(id=uuid.UUID(call.id), at=_utc(call.at), reference=call.reference)
                     for call in store.staff_calls.undelivered(HEARTBEAT_CALLS)],
        command_results=[CommandResult(id=result.id, state="done" if result.state == "done" else "failed",
                                       at=_utc(result.finished_at or _now()), detail=result.detail,
                                       output=result.output)
                         for result in store.commands.unreported(HEARTBEAT_RESULTS)],
        capabilities=CAPABILITIES,
    )


def paper_roll(config: Config, store: Store) -> PaperRoll | None:
    """The roll as counted; None without a printer. Before the first roll is loaded by hand,
    the profile's usual roll length."""
    if not config.printer.port:
        return None
    roll = store.paper.roll()
    if roll is None:
        return PaperRoll(length_m=get_profile(config.printer.profile).roll_m, used_m=0.0, slips=0)
    return PaperRoll(length_m=roll.length_mm / 1000, used_m=round(roll.used_mm / 1000, 3), slips=roll.slips,
                     loaded_at=_utc(roll.loaded_at) if roll.loaded_at else None)


def printer_state(status: PrinterStatus | None) -> PrinterState:
    """ok, or what stops it: offline, unreachable, disconnected, or error (online but jammed,
    cover open, ...); the words are in detail. None: no printer configured."""
    if status is None:
        return PrinterState(state="absent", paper="unknown", detail=None)
    if status.ok:
        state = "ok"
    else:
        state = "error" if status.state == "online" else status.state
    detail = status.problem or status.notice
    return PrinterState(state=state, paper=status.paper, detail=_short(detail) if detail else None)


def _utc(text: str) -> datetime:
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


class HealthLines:
    """The app's health lines for each heartbeat, from cached device facts and the store (as the
    service overview's, without asking the office: the heartbeat itself is that test). The
    storage line runs SQLite's quick check, so it is made again only every ``storage_every_s``."""

    def __init__(self, storage_every_s: float = 3600.0) -> None:
        self._storage_every_s = storage_every_s
        self._storage: Health | None = None
        self._storage_at = float("-inf")

    def __call__(self, terminal: Terminal) -> list[Health]:
        from kiosk.service import health  # it imports kiosk.wiring, which imports this module

        devices = health.Devices(
            printer=terminal.printer_watch.status if terminal.printer else None,
            scanner_connected=terminal.scanner.connected if terminal.scanner else None,
            upload_error=terminal.uploader.last_error if terminal.uploader else None,
            source="app",
            office_time=terminal.uploader.office_time if terminal.uploader else None,
        )
        config, store = terminal.config, terminal.store
        now = time.monotonic()
        if self._storage is None or now - self._storage_at >= self._storage_every_s:
            self._storage, self._storage_at = health.storage_health(config, store), now
        return [health.printer_health(config, devices, store), health.scanner_health(config, devices),
                health.upload_health(config, devices, store), health.directory_health(store, None),
                self._storage, health.clock_health(config, store, None, devices.office_time)]


def heartbeat_from_outside(config: Config, store: Store, uploader: Uploader) -> Heartbeat:
    """The heartbeat of `kiosk sync once`, in a process of its own: the health lines of `kiosk
    status`, and the printer as the running app last saw it (unknown when no app runs)."""
    from kiosk.service import health, live_status  # the drivers load only for this

    live = live_status.read(live_status.path_for(config))
    if not config.printer.port:
        printer = printer_state(None)
    elif live is not None and live.fresh:
        printer = printer_state(live.printer)
    else:
        printer = PrinterState(state="unknown", paper="unknown", detail="no app running")
    switched = store.service.out_of_service()
    return heartbeat(config, store, printer=printer, subsystems=health.check_from_config(config),
                     out_of_service=None if switched is None else (switched.since, switched.reason),
                     last_error=uploader.last_error, interval_s=None)
