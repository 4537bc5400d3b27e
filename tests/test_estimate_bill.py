"""The scanned bill's own sum: shown to the bill's holder on the review of that session only,
never stored, printed or sent."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from kiosk.config import Config
from kiosk.intake import Intake
from kiosk.journey import Journey, NotPrinted, Step, Timeouts
from kiosk.slips import SlipDesk
from kiosk.store import Store, Submission
from tests.test_estimate import priced_store  # noqa: F401  (the fixture)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def to_review(journey: Journey) -> None:
    journey.choose_meter(journey.other_meters()[0].serial)
    for value in ("12400", "06800"):
        journey.type_digit(value)
        journey.next_zone()
    while journey.step is Step.QUESTION:  # the same readings again, the same day: yes, send them
        journey.answer(True)
    assert journey.step is Step.REVIEW


def end(journey: Journey) -> None:
    """Cancel, and say yes to discarding what was typed."""
    journey.cancel()
    if journey.session is not None and journey.session.prompt is not None:
        journey.reply(True)
    assert journey.session is None


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def journey(priced_store: Store, kiosk_config: Config, clock: Clock) -> Journey:  # noqa: F811
    return Journey(Intake(priced_store, kiosk_config), lambda submission, language: NotPrinted("no paper"),
                   timeouts=Timeouts(idle=60, countdown=20, thanks=5), clock=clock)


def test_the_bills_sum_is_shown_on_the_review_of_a_scanned_bill(journey: Journey) -> None:
    journey.scanned("2287008779", bill=True, bill_sum="125000")
    assert journey.from_bill and journey.bill_sum is None  # not before the review
    to_review(journey)
    assert journey.bill_sum == Decimal("1250.00")


@pytest.mark.parametrize("bill_sum", [None, "", "12,50", "-100", "0", "1" * 13, "１２３", "12 50"])
def test_a_bill_without_a_sum_that_reads_shows_none(journey: Journey, bill_sum: str | None) -> None:
    journey.scanned("2287008779", bill=True, bill_sum=bill_sum)
    to_review(journey)
    assert journey.from_bill and journey.bill_sum is None


def test_a_typed_number_or_a_plain_barcode_shows_no_sum(journey: Journey) -> None:
    journey.start()
    journey.type_account("2287008779")
    journey.submit_account()
    to_review(journey)
    assert not journey.from_bill and journey.bill_sum is None
    end(journey)
    journey.scanned("2287008779")  # a barcode of digits proves no bill
    to_review(journey)
    assert not journey.from_bill and journey.bill_sum is None


def test_typing_after_the_scan_takes_the_bill_away(journey: Journey) -> None:
    journey.scanned("2287008779", bill=True, bill_sum="125000")
    journey.back()  # to the account screen, the scanned number still there
    journey.erase_account()
    journey.type_account("9")
    journey.submit_account()
    to_review(journey)
    assert not journey.from_bill and journey.bill_sum is None
    # another account typed over a scanned one is no holder's either
    end(journey)
    journey.scanned("2287008779", bill=True, bill_sum="125000")
    journey.back()
    journey.clear_account()
    journey.type_account("77АВ123456")
    journey.submit_account()
    assert not journey.from_bill


def test_the_sum_is_never_stored_printed_or_sent_and_goes_with_the_session(
        journey: Journey, priced_store: Store, kiosk_config: Config, clock: Clock) -> None:  # noqa: F811
    journey.scanned("2287008779", bill=True, bill_sum="125077")
    to_review(journey)
    assert journey.bill_sum == Decimal("1250.77")
    journey.confirm_review()
    while (job := journey.take_job()) is not None:
        job.deliver(job.run())
    assert journey.step is Step.RESULT and journey.bill_sum is None  # the review only
    session = journey.session
    assert session is not None and session.result is not None
    submission: Submission = session.result.submission  # type: ignore[assignment]
    journey.finish()
    assert journey.session is None and journey.bill_sum is None
    stored = json.dumps(priced_store.submissions.get(seq=submission.seq).as_dict())  # type: ignore[union-attr]
    sent = json.dumps(priced_store.outbox.pending(10))
    slip = SlipDesk(priced_store, kiosk_config, None).slip_for(submission, "ru")
    for text in (stored, sent, repr(slip)):
        assert "125077" not in text and "1250.77" not in text and "1 250,77" not in text and "1\u00a0250,77" not in text
    # the next customer starts without it
    clock.now += 10
    journey.tick()
    assert journey.step is Step.ATTRACT
    journey.scanned("2287008779")
    to_review(journey)
    assert journey.bill_sum is None


def test_the_history_is_the_bills_holders_only(journey: Journey, priced_store: Store) -> None:  # noqa: F811
    row = priced_store.directory.find_account("2287008779")
    assert row is not None
    journey.scanned("2287008779", bill=True)
    assert journey.history == ()  # not before the review
    to_review(journey)
    meter = journey.session.meter  # type: ignore[union-attr]
    assert meter is not None
    assert journey.history == tuple((period, sum(kwh)) for period, kwh in meter.history)
    end(journey)
    journey.start()
    journey.type_account("2287008779")
    journey.submit_account()
    to_review(journey)
    assert journey.history == ()


def test_a_bill_scanned_mid_way_makes_its_holder_after_the_switch(journey: Journey) -> None:
    journey.start()
    journey.type_account("1000000011")
    journey.submit_account()
    journey.choose_meter(journey.other_meters()[0].serial)
    assert journey.scanned("2287008779", bill=True, bill_sum="125000")  # asks whether to switch
    journey.reply(True)
    to_review(journey)
    assert journey.from_bill and journey.bill_sum == Decimal("1250.00") and journey.history
    end(journey)
    journey.start()
    journey.type_account("1000000011")
    journey.submit_account()
    journey.choose_meter(journey.other_meters()[0].serial)
    assert journey.scanned("2287008779")  # a barcode: the switch proves no bill
    journey.reply(True)
    to_review(journey)
    assert not journey.from_bill and journey.history == ()
