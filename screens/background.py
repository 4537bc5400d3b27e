"""Work the screens must not wait for (storing readings, printing, a PIN's scrypt, a service
page that asks the printer and the office), run on a few worker threads; each answer comes back
on the UI thread through ``Clock.schedule_once``, where it may touch widgets and the journey.

The workers are daemon threads of our own rather than ``concurrent.futures``: that pool's
threads are joined when Python exits, so a service action waiting on a slow office (up to half a
minute) would hold up the kiosk's exit.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from kivy.clock import Clock

log = logging.getLogger(__name__)

# At most one customer job runs at a time (the journey waits for its answer), and service mode
# asks at most one question of each kind (the overview or a page, the cover's switch, an action):
# four workers keep a slow question (an action that waits on the office) from holding up the rest.
WORKERS = 4

Task = tuple[Callable[[], Any], Callable[[Any], None], Callable[[Exception], None] | None]


class Background:
    def __init__(self, workers: int = WORKERS) -> None:
        self._workers = workers
        self._tasks: queue.SimpleQueue[Task] = queue.SimpleQueue()
        self._started = 0
        self._idle = 0  # workers waiting for a task
        self._lock = threading.Lock()

    def run(self, work: Callable[[], Any], deliver: Callable[[Any], None],
            failed: Callable[[Exception], None] | None = None) -> None:
        """Call ``work`` on a worker, then ``deliver(value)`` on the UI thread; when ``work``
        raises, ``failed(error)`` on the UI thread, or only the log without ``failed``."""
        with self._lock:  # a worker per waiting task, up to the limit; idle ones are reused
            self._tasks.put((work, deliver, failed))
            if self._started < self._workers and self._tasks.qsize() > self._idle:
                self._started += 1
                threading.Thread(target=self._serve, name=f"kiosk-worker-{self._started}", daemon=True).start()

    def _serve(self) -> None:
        while True:
            with self._lock:
                self._idle += 1
            work, deliver, failed = self._tasks.get()
            with self._lock:
                self._idle -= 1
            try:
                value = work()
            except Exception as exc:  # a database that cannot be written, or a bug: never the UI's end
                log.exception("background work failed")
                if failed is not None:
                    Clock.schedule_once(lambda _dt, call=failed, error=exc: call(error))
                continue
            Clock.schedule_once(lambda _dt, call=deliver, value=value: call(value))
