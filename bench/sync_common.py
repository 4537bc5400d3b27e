"""Shared by the sync benchmarks: an office under uvicorn in a thread, seeded terminal stores, a
throttled link."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.sync.link import Link  # noqa: E402
from tests.sync.support import (  # noqa: E402  (the tests' real-parts helpers serve here too)
    OfficeProcess,
    OfficeServer,
    client,
    load_office_directory,
    meter_rows,
    migrated,
    queue_submissions,
)

__all__ = ["Link", "OfficeProcess", "OfficeServer", "client", "load_office_directory", "meter_rows", "migrated",
           "queue_submissions"]


def wait_until_answering(url: str, seconds: float = 60) -> None:
    """Until a server just started answers ``url`` at all (whatever its status)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            requests.get(url, timeout=2)
            return
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
