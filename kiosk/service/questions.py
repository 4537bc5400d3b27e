"""The questions service mode asks off the UI thread, and the rules for their answers: one
question of each name under way at a time, a periodic one asked again once its period is over (at
once when refreshed), and every answer to a question asked before ``forget`` dropped: it describes
a service mode that is gone (a page of the last session, an overview of devices since mended)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Run = Callable[[Callable[[], Any], Callable[[Any], None], Callable[[Exception], None]], None]
"""``run(work, deliver, failed)``: call ``work`` off the UI thread, then ``deliver`` its value or
``failed`` its exception on the UI thread."""


class Questions:
    def __init__(self, run: Run, clock: Callable[[], float]) -> None:
        self._run = run
        self._clock = clock
        self._asked_at: dict[str, float] = {}
        self._asking: set[str] = set()
        self._stale: set[str] = set()  # asked before something changed: ask again on arrival
        self._epoch = 0  # bumped by forget()

    def ask(self, name: str, work: Callable[[], Any], deliver: Callable[[Any], None],
            failed: Callable[[Exception], None] | None = None) -> None:
        """Run ``work`` off the UI thread and hand its answer to ``deliver`` on the UI thread; an
        exception goes to ``failed`` (without one, what is shown stays as it was and a periodic
        question is asked again at its next turn)."""
        self._asking.add(name)
        epoch = self._epoch

        def broke(error: Exception) -> None:
            # A database that cannot be written, or a bug: told in the log, never the UI's end.
            log.error("service %s failed", name, exc_info=error)
            self._answered(name, epoch, failed, error)

        self._run(work, lambda value: self._answered(name, epoch, deliver, value), broke)

    def ask_every(self, name: str, period: float, work: Callable[[], Any], deliver: Callable[[Any], None]) -> None:
        """Ask unless this question is under way or was asked less than ``period`` ago."""
        if name in self._asking or self._clock() - self._asked_at.get(name, -1e9) < period:
            return
        self._asked_at[name] = self._clock()
        self.ask(name, work, deliver)

    def due(self, *names: str) -> None:
        """Ask these at their next turn, whatever their period; with no name, every one."""
        for name in names or tuple(self._asked_at):
            self._asked_at.pop(name, None)

    def refresh(self, name: str) -> None:
        """Ask again at the next turn, or as soon as the answer under way arrives."""
        self._asked_at.pop(name, None)
        if name in self._asking:
            self._stale.add(name)

    def forget(self) -> None:
        """Service mode closed: the answers under way are dropped when they come."""
        self._asked_at.clear()
        self._asking.clear()
        self._stale.clear()
        self._epoch += 1

    def _answered(self, name: str, epoch: int, deliver: Callable[[Any], None] | None, value: Any) -> None:
        if epoch != self._epoch:
            return
        self._asking.discard(name)
        if name in self._stale:
            self._stale.discard(name)
            self._asked_at.pop(name, None)
        if deliver is not None:
            deliver(value)
