"""The fleet as the office knows it from heartbeats: each terminal's latest state, its heartbeat
history, staff calls, and the commands operators send through heartbeat answers.

The API, for the command line and the web pages:

- ``record_heartbeat``: store a heartbeat; returns what to answer (the commands to send).
- ``fleet`` / ``terminal_state``: every terminal's (one terminal's) latest state, with its open
  staff calls and its recent paper use, ready for ``sync.office.alerts``.
- ``history``: a terminal's heartbeats since a moment, oldest first, for its chart; ``prune``.
- ``issue_command`` / ``commands_of``: send an operator's order; list orders and their results.
- ``staff_calls_of`` / ``acknowledge_staff_call``.

Every operator action writes the audit log (``sync.office.audit``) in its own transaction. Times
are naive UTC, as every DateTime column holds them.
"""

from __future__ import annotations


import itertools
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, get_args
from weakref import WeakKeyDictionary

from pydantic import ValidationError
from sqlalchemy import Connection, Engine, and_, case, delete, false, func, insert, or_, select, update

from sync.office import audit
from sync.office.database import is_sqlite, writing
from sync.office.schema import commands, heartbeats, paper_days, staff_calls, terminals
from sync.office.settings import OfficeConfig
from sync.office.terminals import UnknownTerminal, utc_now
from sync.wire import Command, CommandAction, Heartbeat

DEFAULT_HEARTBEAT_DAYS = OfficeConfig.heartbeat_days
DEFAULT_COMMAND_TTL = timedelta(hours=1)
DEFAULT_LOG_LINES = 200
COMMANDS_PER_ANSWER = 20  # HeartbeatAck's limit; more wait for the next heartbeat
# The paper forecast's rate is the paper printed over the last days, divided by the time
# observed, but never less than half a day: a terminal's first busy hour is not its day.
PAPER_RATE_DAYS = 7
PAPER_RATE_MIN_SPAN = timedelta(hours=12)
# Old heartbeats go every this many heartbeats a process stores: each time a few rows, never a
# long delete.
PRUNE_EVERY = 100

ACTIONS: tuple[str, ...] = get_args(CommandAction)
OPEN_STATES = ("pending", "sent")
STATES = ("pending", "sent", "done", "failed", "expired")
LEVELS = ("green", "yellow", "red")

_stored = itertools.count()


@dataclass(frozen=True)
class StaffCallRecord:
    id: str
    terminal_id: str
    at: datetime  # when the customer pressed the button, by the terminal's clock
    reference: str
    received_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None


@dataclass(frozen=True)
class TerminalState:
    id: str
    created_at: datetime
    enabled: bool
    last_seen_at: datetime | None
    heartbeat_at: datetime | None  # None: never heard from
    heartbeat: Heartbeat | None  # the last one, as sent (reasons and events masked by the terminal)
    clock_skew_s: float | None  # the terminal's clock minus the office's, at the last heartbeat
    paper_m_per_day: float | None  # recent rate of paper use; None without paper counts
    open_calls: tuple[StaffCallRecord, ...]  # unacknowledged staff calls, oldest first


@dataclass(frozen=True)
class HeartbeatPoint:
    received_at: datetime
    queue_depth: int
    oldest_pending_age: float | None
    paper: str  # ok, near_end, out, unknown
    paper_used_m: float | None
    paper_length_m: float | None
    worst_level: str | None  # of the subsystems sent; None when none were
    out_of_service: bool
    clock_skew_s: float | None


@dataclass(frozen=True)
class CommandRecord:
    id: int
    terminal_id: str
    action: str
    operator: str
    issued_at: datetime
    expires_at: datetime
    reason: str | None
    lines: int | None
    state: str  # pending, sent, done, failed, expired (a pending or sent one past its expiry reads expired)
    sent_at: datetime | None
    finished_at: datetime | None
    detail: str | None
    output: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "terminal_id": self.terminal_id, "action": self.action, "operator": self.operator,
                "issued_at": _iso(self.issued_at), "expires_at": _iso(self.expires_at), "reason": self.reason,
                "lines": self.lines, "state": self.state, "sent_at": _iso(self.sent_at),
                "finished_at": _iso(self.finished_at), "detail": self.detail, "output": self.output}


@dataclass(frozen=True)
class HeartbeatAnswer:
    received_at: datetime
    commands: list[Command]  # empty unless the terminal has the "commands" capability


# --- heartbeats ---------------------------------------------------------------------------------

def record_heartbeat(engine: Engine, terminal_id: str, beat: Heartbeat, *, terminal_clock: float | None = None,
                     keep_days: int = DEFAULT_HEARTBEAT_DAYS, now: datetime | None = None) -> HeartbeatAnswer:
    """Store a heartbeat: the terminal's latest state, a history row, the paper it used, its staff
    calls (each once) and its command results; expire its overdue commands and return the ones to
    send. ``terminal_clock``: the terminal's time (its signed timestamp, Unix seconds)."""
    now = now or utc_now()
    skew = None if terminal_clock is None else round(terminal_clock - _unix(now), 1)
    roll = beat.paper_roll
    loaded = _utc(roll.loaded_at) if roll and roll.loaded_at else None
    with writing(engine) as connection:
        if not (beat.staff_calls or beat.command_results or is_sqlite(engine)):
            # A heartbeat of state alone is repeated a minute later, and what it adds (paper
            # used) is counted from totals: committed without waiting for the disk, it cannot
            # be lost in a way that matters, and waiting for the flush was most of its time on
            # a busy office. A staff call or a command's result is answered only once durable.
            connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
        if roll is not None:  # before the terminal's row takes this heartbeat's figures: it reads the previous ones
            _add_paper(connection, terminal_id, now, roll.used_m, loaded)
        connection.execute(update(terminals).where(terminals.c.id == terminal_id).values(
            # its command results live with their commands: upload_logs' lines are not kept twice
            heartbeat_at=now, heartbeat=beat.model_dump_json(exclude={"command_results"}), clock_skew_s=skew,
            paper_used_m=roll.used_m if roll else None, paper_loaded_at=loaded))
        connection.execute(insert(heartbeats).values(
            terminal_id=terminal_id, received_at=now, queue_depth=beat.queue_depth,
            oldest_pending_age=beat.oldest_pending_age, paper=beat.printer.paper,
            paper_used_m=roll.used_m if roll else None, paper_length_m=roll.length_m if roll else None,
            worst_level=_worst(beat), out_of_service=beat.out_of_service is not None, clock_skew_s=skew))
        _store_calls(connection, terminal_id, beat, now)
        _store_results(connection, terminal_id, beat)
        to_send = _commands_to_send(connection, terminal_id, now) if "commands" in beat.capabilities else []
        if next(_stored) % PRUNE_EVERY == 0:
            _prune(connection, now - timedelta(days=keep_days))
    return HeartbeatAnswer(now, to_send)


def prune(engine: Engine, *, keep_days: int = DEFAULT_HEARTBEAT_DAYS, now: datetime | None = None) -> None:
    """Drop the heartbeat history older than ``keep_days`` (heartbeats also do it now and then)."""
    with writing(engine) as connection:
        _prune(connection, (now or utc_now()) - timedelta(days=keep_days))


def _worst(beat: Heartbeat) -> str | None:
    if not beat.subsystems:
        return None
    return max((line.level for line in beat.subsystems), key=LEVELS.index)


def _add_paper(connection: Connection, terminal_id: str, now: datetime, used_m: float, loaded: datetime | None) -> None:
    """Add the paper printed since the previous heartbeat to the day's; the day's row exists from
    its first heartbeat that reports paper, so the forecast knows how long the terminal was
    watched, not only when it printed.

    The previous heartbeat's figures are read from the terminal's row in this same statement,
    which saves a round trip. A new roll (another load time, or less used than before) counts
    what it has used so far; the first count ever heard counts nothing, as nobody knows over what
    time it was printed."""
    t = terminals.c
    since_previous = select(case(
        (t.paper_used_m.is_(None), 0.0),
        (or_(t.paper_loaded_at.is_distinct_from(loaded), t.paper_used_m > used_m), used_m),
        else_=used_m - t.paper_used_m)).where(t.id == terminal_id).scalar_subquery()
    statement = _dialect_insert(connection, paper_days).values(
        terminal_id=terminal_id, day=now.date(), used_m=func.coalesce(since_previous, 0.0), first_at=now)
    connection.execute(statement.on_conflict_do_update(
        index_elements=["terminal_id", "day"], set_={"used_m": paper_days.c.used_m + statement.excluded.used_m}))


def _store_calls(connection: Connection, terminal_id: str, beat: Heartbeat, now: datetime) -> None:
    if not beat.staff_calls:
        return
    rows = [{"id": str(call.id), "terminal_id": terminal_id, "at": _utc(call.at), "reference": call.reference,
             "received_at": now} for call in beat.staff_calls]
    # a call is sent until a heartbeat carrying it is answered: the repeats are kept once
    connection.execute(_dialect_insert(connection, staff_calls).on_conflict_do_nothing(index_elements=["id"]), rows)


def _store_results(connection: Connection, terminal_id: str, beat: Heartbeat) -> None:
    """A result is taken once, and only for this terminal's own commands; it overrides an expiry
    the office recorded (the terminal may have carried the command out just before it)."""
    for result in beat.command_results:
        connection.execute(
            update(commands)
            .where(commands.c.id == result.id, commands.c.terminal_id == terminal_id,
                   commands.c.state.in_((*OPEN_STATES, "expired")))
            .values(state=result.state, finished_at=_utc(result.at), detail=result.detail,
                    output=json.dumps(result.output, ensure_ascii=False) if result.output else None))


def _commands_to_send(connection: Connection, terminal_id: str, now: datetime) -> list[Command]:
    """The terminal's pending and sent commands that have not expired, oldest first; sent again
    until their results come back. Expired ones are marked so and dropped."""
    open_here = and_(commands.c.terminal_id == terminal_id, commands.c.state.in_(OPEN_STATES))
    expired = commands.c.expires_at <= now
    # Most heartbeats find no open command: one look, with the expired ones first, tells whether
    # there is anything to expire before the UPDATE is paid for.
    rows = connection.execute(select(commands, expired.label("overdue")).where(open_here)
                              .order_by(expired.desc(), commands.c.id).limit(COMMANDS_PER_ANSWER)).all()
    if rows and rows[0].overdue:
        connection.execute(update(commands).where(open_here, expired).values(state="expired"))
        rows = connection.execute(select(commands).where(open_here).order_by(commands.c.id)
                                  .limit(COMMANDS_PER_ANSWER)).all()
    fresh = [row.id for row in rows if row.state == "pending"]
    if fresh:
        connection.execute(update(commands).where(commands.c.id.in_(fresh)).values(state="sent", sent_at=now))
    return [Command(id=row.id, action=row.action, operator=row.operator, issued_at=_aware(row.issued_at),
                    expires_at=_aware(row.expires_at), reason=row.reason, lines=row.lines) for row in rows]


def _prune(connection: Connection, before: datetime) -> None:
    connection.execute(delete(heartbeats).where(heartbeats.c.received_at < before))
    connection.execute(delete(paper_days).where(paper_days.c.day < before.date()))


def history(engine: Engine, terminal_id: str, since: datetime) -> list[HeartbeatPoint]:
    """The terminal's heartbeats received since ``since``, oldest first."""
    h = heartbeats.c
    with engine.connect() as connection:
        rows = connection.execute(
            select(h.received_at, h.queue_depth, h.oldest_pending_age, h.paper, h.paper_used_m, h.paper_length_m,
                   h.worst_level, h.out_of_service, h.clock_skew_s)
            .where(h.terminal_id == terminal_id, h.received_at >= since).order_by(h.received_at, h.id)
        ).all()
    return [HeartbeatPoint(row.received_at, row.queue_depth, row.oldest_pending_age, row.paper, row.paper_used_m,
                           row.paper_length_m, row.worst_level, bool(row.out_of_service), row.clock_skew_s)
            for row in rows]


# --- the fleet's state --------------------------------------------------------------------------

def fleet(engine: Engine, *, now: datetime | None = None) -> list[TerminalState]:
    """Every provisioned terminal's latest state, by id: three queries whatever the fleet's size."""
    return _states(engine, None, now or utc_now())


def terminal_state(engine: Engine, terminal_id: str, *, now: datetime | None = None) -> TerminalState | None:
    states = _states(engine, terminal_id, now or utc_now())
    return states[0] if states else None


def _states(engine: Engine, terminal_id: str | None, now: datetime) -> list[TerminalState]:
    t = terminals.c
    query = select(t.id, t.created_at, t.enabled, t.last_seen_at, t.heartbeat_at, t.clock_skew_s)
    calls_query = select(staff_calls).where(staff_calls.c.acknowledged_at.is_(None))
    paper_since = now.date() - timedelta(days=PAPER_RATE_DAYS - 1)
    paper_query = (select(paper_days.c.terminal_id, func.sum(paper_days.c.used_m).label("used_m"),
                          func.min(paper_days.c.first_at).label("first_at"))
                   .where(paper_days.c.day >= paper_since).group_by(paper_days.c.terminal_id))
    if terminal_id is not None:
        query = query.where(t.id == terminal_id)
        calls_query = calls_query.where(staff_calls.c.terminal_id == terminal_id)
        paper_query = paper_query.where(paper_days.c.terminal_id == terminal_id)
    with engine.connect() as connection:
        rows = connection.execute(query.order_by(t.id)).all()
        beats = _heartbeats(connection, [(row.id, row.heartbeat_at) for row in rows if row.heartbeat_at])
        calls: dict[str, list[StaffCallRecord]] = {}
        for call in connection.execute(calls_query.order_by(staff_calls.c.at, staff_calls.c.id)):
            calls.setdefault(call.terminal_id, []).append(_call(call))
        rates = {row.terminal_id: _rate(row.used_m, row.first_at, now) for row in connection.execute(paper_query)}
    states = []
    for row in rows:
        heard, beat = beats.get(row.id, (row.heartbeat_at, None))
        states.append(TerminalState(row.id, row.created_at, bool(row.enabled), row.last_seen_at, heard, beat,
                                    row.clock_skew_s, rates.get(row.id), tuple(calls.get(row.id, ()))))
    return states


# Each terminal's last heartbeat parsed, with when it was received: a heartbeat is parsed once
# per process, not at every look at the fleet (most terminals have sent no new one since the
# last look). One entry per terminal, for each database.
_parsed: WeakKeyDictionary[Engine, dict[str, tuple[datetime, Heartbeat | None]]] = WeakKeyDictionary()


def _heartbeats(connection: Connection, heard: list[tuple[str, datetime]]) -> dict[str, tuple[datetime, Heartbeat | None]]:
    """Each terminal's last heartbeat, as of when it was received; only those not parsed before
    are read from the database. One that arrived since the terminal's row was read replaces
    it whole, with its own time."""
    parsed = _parsed.setdefault(connection.engine, {})
    found = {terminal: parsed[terminal] for terminal, at in heard if terminal in parsed and parsed[terminal][0] == at}
    missing = [terminal for terminal, _ in heard if terminal not in found]
    for start in range(0, len(missing), 1000):
        for row in connection.execute(select(terminals.c.id, terminals.c.heartbeat_at, terminals.c.heartbeat)
                                      .where(terminals.c.id.in_(missing[start:start + 1000]))):
            found[row.id] = parsed[row.id] = (row.heartbeat_at, _heartbeat(row.heartbeat))
    return found


def _rate(used_m: float, first_at: datetime, now: datetime) -> float:
    span = max(now - first_at, PAPER_RATE_MIN_SPAN)
    return used_m / (span / timedelta(days=1))


def _heartbeat(text: str | None) -> Heartbeat | None:
    if not text:
        return None
    try:
        return Heartbeat.model_validate_json(text)
    except ValidationError:  # stored by an older release in a form this one no longer takes
        return None


# --- staff calls --------------------------------------------------------------------------------

def staff_calls_of(engine: Engine, terminal_id: str | None = None, *, open_only: bool = False,
                   limit: int = 100) -> list[StaffCallRecord]:
    """Newest first."""
    query = select(staff_calls).order_by(staff_calls.c.at.desc(), staff_calls.c.id).limit(limit)
    if terminal_id is not None:
        query = query.where(staff_calls.c.terminal_id == terminal_id)
    if open_only:
        query = query.where(staff_calls.c.acknowledged_at.is_(None))
    with engine.connect() as connection:
        return [_call(row) for row in connection.execute(query)]


def acknowledge_staff_call(engine: Engine, call_id: str, operator: str, *, now: datetime | None = None) -> bool:
    """Mark a call seen to; False when there is no such open call (already acknowledged, or unknown)."""
    now = now or utc_now()
    with writing(engine) as connection:
        row = connection.execute(select(staff_calls.c.terminal_id, staff_calls.c.reference)
                                 .where(staff_calls.c.id == call_id, staff_calls.c.acknowledged_at.is_(None))).first()
        if row is None:
            return False
        connection.execute(update(staff_calls).where(staff_calls.c.id == call_id)
                           .values(acknowledged_at=now, acknowledged_by=operator))
        audit.record(connection, now, operator, "staff_call.acknowledge", f"terminal:{row.terminal_id}",
                     f"call {call_id}, reference {row.reference}")
    return True


def _call(row: Any) -> StaffCallRecord:
    return StaffCallRecord(row.id, row.terminal_id, row.at, row.reference, row.received_at, row.acknowledged_at,
                           row.acknowledged_by)


# --- commands -----------------------------------------------------------------------------------

def issue_command(engine: Engine, terminal_id: str, action: str, operator: str, *, reason: str | None = None,
                  lines: int | None = None, ttl: timedelta = DEFAULT_COMMAND_TTL,
                  now: datetime | None = None) -> CommandRecord:
    """Queue an order for the terminal's next heartbeat and log it. ValueError says what is wrong
    with the order; UnknownTerminal when the terminal is not provisioned."""
    now = now or utc_now()
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}: one of {', '.join(ACTIONS)}")
    if action == "out_of_service" and not (reason and reason.strip()):
        raise ValueError("out_of_service needs a reason: the terminal shows it to its technician")
    if lines is not None and action != "upload_logs":
        raise ValueError("only upload_logs takes a number of lines")
    if action == "upload_logs" and lines is None:
        lines = DEFAULT_LOG_LINES
    if not timedelta(seconds=10) <= ttl <= timedelta(days=7):
        raise ValueError("a command lives from 10 seconds to 7 days")
    try:
        # the wire's own limits, checked before anything is stored (the id is a placeholder)
        Command.model_validate({"id": 1, "action": action, "operator": operator, "issued_at": _aware(now),
                                "expires_at": _aware(now + ttl), "reason": reason, "lines": lines})
    except ValidationError as exc:
        problem = exc.errors()[0]
        raise ValueError(f"{'.'.join(str(p) for p in problem['loc'])}: {problem['msg']}") from None
    with writing(engine) as connection:
        if connection.execute(select(terminals.c.id).where(terminals.c.id == terminal_id)).first() is None:
            raise UnknownTerminal(f"no terminal {terminal_id!r} is provisioned (see `kiosk office terminal list`)")
        command_id = connection.execute(insert(commands).values(
            terminal_id=terminal_id, action=action, operator=operator, issued_at=now, expires_at=now + ttl,
            reason=reason, lines=lines, state="pending").returning(commands.c.id)).scalar_one()
        audit.record(connection, now, operator, "command.issue", f"terminal:{terminal_id}",
                     f"#{command_id} {action}" + (f": {reason}" if reason else "")
                     + (f" ({lines} lines)" if lines else ""))
    return CommandRecord(command_id, terminal_id, action, operator, now, now + ttl, reason, lines, "pending",
                         None, None, None, [])


def commands_of(engine: Engine, terminal_id: str | None = None, *, states: Iterable[str] | None = None,
                limit: int = 100, now: datetime | None = None) -> list[CommandRecord]:
    """Newest first; a pending or sent command past its expiry reads ``expired`` (the next
    heartbeat records it so). ``states`` filters on the state as read."""
    now = now or utc_now()
    c = commands.c
    query = select(commands).order_by(c.id.desc()).limit(limit)
    if terminal_id is not None:
        query = query.where(c.terminal_id == terminal_id)
    if states is not None:
        wanted = set(states)
        live = [state for state in OPEN_STATES if state in wanted]
        finished = [state for state in ("done", "failed", "expired") if state in wanted]
        either = [and_(c.state.in_(live), c.expires_at > now)] if live else []
        if finished:
            either.append(c.state.in_(finished))
        if "expired" in wanted:
            either.append(and_(c.state.in_(OPEN_STATES), c.expires_at <= now))
        query = query.where(or_(*either) if either else false())
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [CommandRecord(row.id, row.terminal_id, row.action, row.operator, row.issued_at, row.expires_at,
                          row.reason, row.lines,
                          "expired" if row.state in OPEN_STATES and row.expires_at <= now else row.state,
                          row.sent_at, row.finished_at, row.detail, json.loads(row.output) if row.output else [])
            for row in rows]


# --- small helpers ------------------------------------------------------------------------------

def _dialect_insert(connection: Connection, table: Any) -> Any:
    """An INSERT with ON CONFLICT, which both dialects have under the same names."""
    from sqlalchemy.dialects import postgresql, sqlite

    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc)


def _unix(moment: datetime) -> float:
    return _aware(moment).timestamp()


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") + "Z" if moment else None
