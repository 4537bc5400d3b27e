"""The estimate of a stored submission: what its slip prints.

The slip is made from the stored row, never from what the screen holds, so its estimate is made
again from the row: the consumption and date stored, the meter's tariff and the prices the
terminal holds. A meter gone from the directory, or a tariff without a price in force on the
reading's date, prints no estimate.
"""

from __future__ import annotations

from datetime import datetime

from kiosk.estimate import Estimate, estimate
from kiosk.store import Store, Submission
from sync.zones import ZoneMeaning


def submission_estimate(store: Store, submission: Submission) -> Estimate | None:
    account = store.directory.find_account(submission.account)
    meter = next((m for m in account.meters if m.serial == submission.meter), None) if account else None
    if meter is None or meter.tariff is None:
        return None
    usage = [(ZoneMeaning(reading.meaning), reading.consumption) for reading in submission.readings]
    return estimate(meter.tariff, usage, datetime.fromisoformat(submission.taken_at).date(),
                    store.tariffs.prices(meter.tariff))
