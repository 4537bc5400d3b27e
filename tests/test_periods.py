from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.periods import billing_period, in_window

DEFAULT = (15, 25)


@pytest.mark.parametrize(
    ("day", "window", "inside", "period"),
    [
        # The default window: before it still this month, after it the next one.
        (date(2025, 3, 1), DEFAULT, False, date(2025, 3, 1)),
        (date(2025, 3, 14), DEFAULT, False, date(2025, 3, 1)),
        (date(2025, 3, 15), DEFAULT, True, date(2025, 3, 1)),
        (date(2025, 3, 25), DEFAULT, True, date(2025, 3, 1)),
        (date(2025, 3, 26), DEFAULT, False, date(2025, 4, 1)),
        (date(2025, 3, 31), DEFAULT, False, date(2025, 4, 1)),
        # December rolls over into January of the next year.
        (date(2025, 12, 26), DEFAULT, False, date(2026, 1, 1)),
        (date(2025, 12, 20), DEFAULT, True, date(2025, 12, 1)),
        # Days beyond the month's length mean its last day.
        (date(2025, 2, 28), (20, 31), True, date(2025, 2, 1)),
        (date(2024, 2, 29), (20, 31), True, date(2024, 2, 1)),
        (date(2024, 2, 28), (20, 31), True, date(2024, 2, 1)),
        (date(2023, 2, 28), (30, 31), True, date(2023, 2, 1)),
        (date(2023, 2, 27), (30, 31), False, date(2023, 2, 1)),
        (date(2025, 4, 30), (1, 31), True, date(2025, 4, 1)),
        # A window wrapping over the month end: from the start on counts toward next month.
        (date(2025, 1, 25), (25, 5), True, date(2025, 2, 1)),
        (date(2025, 1, 31), (25, 5), True, date(2025, 2, 1)),
        (date(2025, 2, 1), (25, 5), True, date(2025, 2, 1)),
        (date(2025, 2, 5), (25, 5), True, date(2025, 2, 1)),
        (date(2025, 2, 6), (25, 5), False, date(2025, 3, 1)),
        (date(2025, 2, 24), (25, 5), False, date(2025, 3, 1)),
        (date(2025, 12, 28), (25, 5), True, date(2026, 1, 1)),
        (date(2025, 12, 10), (25, 5), False, date(2026, 1, 1)),
        (date(2025, 2, 28), (30, 5), True, date(2025, 3, 1)),  # the 30th is the 28th here
        (date(2025, 2, 27), (30, 5), False, date(2025, 3, 1)),
        # A one-day window.
        (date(2025, 5, 20), (20, 20), True, date(2025, 5, 1)),
        (date(2025, 5, 21), (20, 20), False, date(2025, 6, 1)),
    ],
)
def test_window_and_period(day: date, window: tuple[int, int], inside: bool, period: date) -> None:
    assert in_window(day, window) is inside
    assert billing_period(day, window) == period


_DAYS = st.integers(min_value=1, max_value=31)


@settings(max_examples=200)
@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)), _DAYS, _DAYS)
def test_period_is_this_month_or_the_next(day: date, start: int, end: int) -> None:
    period = billing_period(day, (start, end))
    next_month = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    assert period in (day.replace(day=1), next_month)
    # Inside a window that does not wrap, a reading always counts toward this month.
    if start <= end and in_window(day, (start, end)):
        assert period == day.replace(day=1)
