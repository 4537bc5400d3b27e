"""The screens' background helper: work runs off the UI thread, its answer comes back on the
thread that ticks Kivy's clock, and a slow piece of work does not hold up the others. Kivy's
clock runs without a window."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import screens  # noqa: F401  (Kivy's environment, before Kivy is imported)
from kivy.clock import Clock

from screens.background import Background


def tick_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "no answer in time"
        Clock.tick()
        time.sleep(0.01)


def test_answers_come_back_on_the_ticking_thread_and_a_slow_job_holds_up_nothing() -> None:
    background = Background(workers=2)
    answers: list[tuple[str, object, str]] = []
    release = threading.Event()

    def deliver(name: str) -> Callable[[object], None]:
        return lambda value: answers.append((name, value, threading.current_thread().name))

    background.run(lambda: release.wait(5) and "slow", deliver("slow"))
    background.run(lambda: threading.current_thread().name, deliver("quick"))
    tick_until(lambda: len(answers) == 1)
    name, worker, delivered_on = answers[0]
    assert name == "quick" and worker != threading.current_thread().name
    assert delivered_on == threading.current_thread().name
    release.set()
    tick_until(lambda: len(answers) == 2)
    assert answers[1][:2] == ("slow", "slow")


def test_a_failure_goes_to_failed_and_the_worker_serves_on() -> None:
    background = Background(workers=1)
    failures: list[Exception] = []
    values: list[int] = []
    background.run(lambda: 1 / 0, values.append, failures.append)
    background.run(lambda: 1 / 0, values.append)  # without failed: the log only
    background.run(lambda: 7, values.append)
    tick_until(lambda: values == [7])
    assert [type(error) for error in failures] == [ZeroDivisionError]
