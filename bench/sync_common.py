"""Shared by the sync benchmarks: an office under uvicorn in a thread, seeded terminal stores, a
throttled link."""

from __future__ import annotations

import sys
from pathlib import Path

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
    wait_until_answering,
)

__all__ = ["Link", "OfficeProcess", "OfficeServer", "client", "load_office_directory", "meter_rows", "migrated",
           "queue_submissions", "wait_until_answering"]

