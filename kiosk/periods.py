"""The submission window and the billing period a reading counts toward.

A window is (start, end) days of the month. Days beyond a month's length mean its last day
("day 31" in February is the 28th or 29th). A window with start > end wraps over the month end
(25..5): its days from the start on belong to the next month's period.
"""

from __future__ import annotations

import calendar
from datetime import date


def in_window(day: date, window: tuple[int, int]) -> bool:
    """Whether readings are due on this day."""
    start, end = _clamped(day, window)
    if window[0] <= window[1]:
        return start <= day.day <= end
    return day.day >= start or day.day <= end


def billing_period(day: date, window: tuple[int, int]) -> date:
    """The first day of the month whose bill a reading taken on this day counts toward.

    Up to the window's end a reading counts toward this month (also before the window opens:
    too early is still this month). After the end it counts toward the next month; in a
    wrapping window that covers both the days between end and start and the days from the start
    on, which is why one comparison serves both kinds of window.
    """
    _, end = _clamped(day, window)
    if day.day <= end:
        return day.replace(day=1)
    if day.month == 12:
        return date(day.year + 1, 1, 1)
    return date(day.year, day.month + 1, 1)


def _clamped(day: date, window: tuple[int, int]) -> tuple[int, int]:
    last = calendar.monthrange(day.year, day.month)[1]
    start, end = window
    return max(1, min(start, last)), max(1, min(end, last))
