"""What the app drivers share: a script of taps played on Kivy's clock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


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


def tagged(tag: str, *roots: Any) -> list[Any]:
    """The widgets tagged so that a finger could reach: shown and enabled, under ``roots``."""
    found = []

    def walk(widget: Any) -> None:
        if widget.opacity == 0 or widget.disabled:
            return
        if getattr(widget, "tag", "") == tag:
            found.append(widget)
        for child in widget.children:
            walk(child)

    for root in roots:
        walk(root)
    return found
