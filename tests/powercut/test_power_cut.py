"""Power cuts while the terminal writes (see tests/powercut/harness.py for one round): after
each reboot the database passes its integrity check and holds every write that was reported
committed, whole and consistent with its outbox entry and its meter. The second test shows
that the first can fail: the same writer with its fsyncs weakened (synchronous=OFF) loses
reported commits at the same cuts. bench/power_cut.py runs hundreds of cuts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.powercut import harness

CUTS = 20

pytestmark = pytest.mark.skipif(harness.missing() is not None, reason=str(harness.missing()))


def test_power_cut_loses_no_reported_write(tmp_path: Path) -> None:
    tally = harness.run(tmp_path, CUTS, synchronous="FULL", seed=20261201)
    assert tally.problems == [], tally.as_dict()
    assert tally.cuts == CUTS
    # The cuts landed mid-work, with unsynced pages to lose, some of them written back in part.
    assert tally.reported > 5 * CUTS, tally.as_dict()
    assert tally.dirty_pages_at_cut > 0 and tally.pages_written_back_at_cut > 0, tally.as_dict()


def test_power_cut_catches_a_store_that_does_not_fsync(tmp_path: Path) -> None:
    tally = harness.run(tmp_path, 3, synchronous="OFF", seed=20261201)
    assert tally.reported > 0, tally.as_dict()
    assert tally.lost + tally.malformed > 0, tally.as_dict()
