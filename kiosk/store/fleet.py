"""What the terminal keeps for the office's fleet view: the commands it carried out, customers'
calls for staff, and the paper roll in the printer."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Engine, select

from kiosk.store.database import writing
from kiosk.store.schema import office_commands, paper_roll, staff_calls

_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def this_process() -> str:
    """This process as a claimant: the boot (a power cut starts a new one) and the pid."""
    try:
        boot = _BOOT_ID.read_text().strip()
    except OSError:
        boot = "?"
    return f"{boot}:{os.getpid()}"


def _gone(claimant: str | None) -> bool:
    """The process that claimed a command has ended: another boot, or no such pid any more."""
    if not claimant:
        return True
    boot, _, pid = claimant.rpartition(":")
    if boot != this_process().rpartition(":")[0]:
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, ValueError):
        return not pid.isdigit()
    return False


@dataclass(frozen=True)
class CommandOutcome:
    id: int
    action: str
    operator: str
    state: str  # started, done or failed
    finished_at: str | None
    detail: str | None
    output: list[str] = field(default_factory=list)


class CommandLog:
    """Each office command once: claimed in a transaction of its own before it is carried out."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def claim(self, command_id: int, action: str, operator: str) -> bool:
        """Record the command as being carried out by this process; False when it was seen before
        (carried out, failed, or under way): then it must not be carried out again."""
        with writing(self._engine) as connection:
            inserted = connection.execute(
                office_commands.insert().prefix_with("OR IGNORE").values(
                    id=command_id, action=action, operator=operator, state="started",
                    claimed_by=this_process(), started_at=_now()))
            return inserted.rowcount == 1

    def finish(self, command_id: int, *, done: bool, detail: str | None = None,
               output: list[str] | None = None) -> None:
        with writing(self._engine) as connection:
            connection.execute(office_commands.update().where(office_commands.c.id == command_id).values(
                state="done" if done else "failed", finished_at=_now(), detail=detail,
                output=json.dumps(output or [], ensure_ascii=False)))

    def refuse(self, command_id: int, action: str, operator: str, detail: str) -> bool:
        """A command not to be carried out at all (expired): recorded failed at once, unless seen before."""
        with writing(self._engine) as connection:
            inserted = connection.execute(
                office_commands.insert().prefix_with("OR IGNORE").values(
                    id=command_id, action=action, operator=operator, state="failed", started_at=_now(),
                    finished_at=_now(), detail=detail))
            return inserted.rowcount == 1

    def unreported(self, limit: int) -> list[CommandOutcome]:
        """Results the office has not had yet. A command whose process is gone (a power cut or a
        crash while it ran) is failed first: whether it took effect is unknown, and it is not
        carried out again."""
        with writing(self._engine) as connection:
            stuck = connection.execute(select(office_commands.c.id, office_commands.c.claimed_by)
                                       .where(office_commands.c.state == "started")).all()
            for row in stuck:
                if _gone(row.claimed_by):
                    connection.execute(office_commands.update().where(office_commands.c.id == row.id).values(
                        state="failed", finished_at=_now(),
                        detail="interrupted (power cut or crash) before its outcome was recorded; not repeated"))
            rows = connection.execute(
                select(office_commands).where(office_commands.c.reported_at.is_(None),
                                              office_commands.c.state != "started")
                .order_by(office_commands.c.id).limit(limit)).all()
        return [_outcome(row) for row in rows]

    def mark_reported(self, command_ids: list[int]) -> None:
        if not command_ids:
            return
        with writing(self._engine) as connection:
            connection.execute(office_commands.update().where(office_commands.c.id.in_(command_ids))
                               .values(reported_at=_now()))

    def get(self, command_id: int) -> CommandOutcome | None:
        with self._engine.connect() as connection:
            row = connection.execute(select(office_commands).where(office_commands.c.id == command_id)).first()
        return None if row is None else _outcome(row)


def _outcome(row) -> CommandOutcome:
    return CommandOutcome(row.id, row.action, row.operator, row.state, row.finished_at, row.detail,
                          json.loads(row.output or "[]"))


@dataclass(frozen=True)
class StaffCall:
    id: str
    at: str
    reference: str
    delivered_at: str | None = None


class StaffCalls:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, call_id: str, reference: str) -> StaffCall:
        at = _now()
        with writing(self._engine) as connection:
            connection.execute(staff_calls.insert().values(id=call_id, at=at, reference=reference))
        return StaffCall(call_id, at, reference)

    def undelivered(self, limit: int) -> list[StaffCall]:
        query = (select(staff_calls).where(staff_calls.c.delivered_at.is_(None))
                 .order_by(staff_calls.c.at).limit(limit))
        with self._engine.connect() as connection:
            return [StaffCall(r.id, r.at, r.reference, r.delivered_at) for r in connection.execute(query)]

    def mark_delivered(self, call_ids: list[str]) -> None:
        if not call_ids:
            return
        with writing(self._engine) as connection:
            connection.execute(staff_calls.update().where(staff_calls.c.id.in_(call_ids),
                                                          staff_calls.c.delivered_at.is_(None))
                               .values(delivered_at=_now()))

    def get(self, call_id: str) -> StaffCall | None:
        with self._engine.connect() as connection:
            row = connection.execute(select(staff_calls).where(staff_calls.c.id == call_id)).first()
        return None if row is None else StaffCall(row.id, row.at, row.reference, row.delivered_at)


@dataclass(frozen=True)
class Roll:
    length_mm: int
    used_mm: float
    slips: int
    loaded_at: str | None


class PaperCounter:
    """The roll in the printer: its length and what the slips printed since it was loaded took."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def roll(self) -> Roll | None:
        """None until a roll was loaded or a slip counted."""
        with self._engine.connect() as connection:
            row = connection.execute(select(paper_roll)).first()
        return None if row is None else Roll(row.length_mm, row.used_mm, row.slips, row.loaded_at)

    def new_roll(self, length_mm: int) -> Roll:
        loaded = _now()
        with writing(self._engine) as connection:
            connection.execute(paper_roll.delete())
            connection.execute(paper_roll.insert().values(id=1, length_mm=length_mm, used_mm=0, slips=0,
                                                          loaded_at=loaded))
        return Roll(length_mm, 0.0, 0, loaded)

    def count(self, used_mm: float, *, default_length_mm: int) -> None:
        """One slip's paper, in the same transaction as reading the roll: two printers' threads
        (a slip and a test page) never lose a count."""
        with writing(self._engine) as connection:
            connection.execute(paper_roll.insert().prefix_with("OR IGNORE").values(
                id=1, length_mm=default_length_mm, used_mm=0, slips=0))
            connection.execute(paper_roll.update().where(paper_roll.c.id == 1).values(
                used_mm=paper_roll.c.used_mm + used_mm, slips=paper_roll.c.slips + 1))
