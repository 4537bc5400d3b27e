"""Helpers shared by the core's tests."""

from __future__ import annotations

import io
from datetime import date

from kiosk import demo_data

TODAY = date(2026, 11, 20)  # inside the default submission window


def directory_text(count: int, *, seed: int = 1) -> str:
    """The demo directory as file text, its last readings dated relative to TODAY."""
    stream = io.StringIO()
    demo_data.write_csv(stream, count, seed=seed, today=TODAY)
    return stream.getvalue()
