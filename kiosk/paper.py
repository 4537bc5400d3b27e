"""The paper the slips take, counted slip by slip, so the office can tell a technician a day
ahead that a roll will run out (a printer's near-end sensor fires with a few metres left).

A slip's length is what its layout moves the paper (``devices.escpos.EscPos``: line feeds at the
profile's line spacing, double-height lines twice, the QR code's dots, and the feed that brings
the last line past the cutter; the cut itself takes none). The count lives in the store with
the roll's length; `kiosk service new-roll` and the service printer page's «Новый рулон» start
it again.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError

from devices.escpos import EscPos
from devices.profiles import PrinterProfile
from devices.slip import SlipData, render_slip, render_test_page
from kiosk.store import Store
from kiosk.store.fleet import Roll

log = logging.getLogger(__name__)


def job_length_mm(job: EscPos, profile: PrinterProfile) -> float:
    """How far a job moves the paper on a printer of this profile."""
    return (job.line_feeds * profile.line_dots + job.drawn_dots) / profile.dots_per_mm


def slip_length_mm(slip: SlipData, profile: PrinterProfile) -> float:
    return job_length_mm(render_slip(slip, profile), profile)


def count_slip(store: Store, slip: SlipData, profile: PrinterProfile) -> None:
    """A printed slip's paper onto the roll. A count that cannot be stored costs the forecast a
    slip, never the customer's print."""
    _count(store, slip_length_mm(slip, profile), profile)


def count_test_page(store: Store, profile: PrinterProfile, terminal_id: str) -> None:
    """A technician's test slip takes paper from the same roll."""
    _count(store, job_length_mm(render_test_page(profile, terminal_id), profile), profile)


def _count(store: Store, length_mm: float, profile: PrinterProfile) -> None:
    try:
        store.paper.count(length_mm, default_length_mm=profile.roll_m * 1000)
    except (SQLAlchemyError, OSError) as exc:
        log.warning("paper not counted: %s", exc)


def new_roll(store: Store, profile: PrinterProfile, length_m: float | None = None) -> Roll:
    """A new roll loaded: the count starts again; its length the profile's usual roll unless told."""
    length_mm = round((length_m if length_m is not None else profile.roll_m) * 1000)
    if not 1000 <= length_mm <= 10_000_000:
        raise ValueError("a roll is 1 to 10,000 metres long")
    return store.paper.new_roll(length_mm)
