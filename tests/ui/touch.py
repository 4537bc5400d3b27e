"""What the app drivers share: a script of taps played on Kivy's clock."""

from __future__ import annotations

from collections.abc import Iterator


def play(script: Iterator[float], start_after: float = 0.5) -> None:
    """Run ``script`` on the UI thread, step by step: each number it yields is how long to wait
    before its next step, so the app draws and handles its jobs in between. Call before run()."""
    from kivy.clock import Clock

    def advance(_dt: float) -> None:
        try:
            Clock.schedule_once(advance, next(script))
        except StopIteration:
            pass

    Clock.schedule_once(advance, start_after)
