"""The customer's journey without a window: every path, against a real store."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError

from kiosk import demo_data
from kiosk.intake import Intake
from kiosk.journey import (
    ACCOUNT_EMPTY, COMMIT_FAILED, READING_EMPTY, SCAN_UNREADABLE, TOO_FEW_DIGITS, Journey, Notice,
    NotPrinted, Prompt, Step, Timeouts, office_notices,
)
from kiosk.store import Store, Submission
from tests.support import TODAY

MOSCOW = ZoneInfo("Europe/Moscow")
TIMEOUTS = Timeouts(idle=60, countdown=20, thanks=5)


class FixedIntake(Intake):
    """The intake on TODAY, inside the submission window, whatever the real date."""

    def now(self) -> datetime:
        return datetime(TODAY.year, TODAY.month, TODAY.day, 12, 0, tzinfo=MOSCOW)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass(frozen=True)
class Outcome:
    printed: bool
    reason: str | None = None


class Printer:
    def __init__(self, outcome: Outcome = Outcome(True)) -> None:
        self.outcome = outcome
        self.slips: list[tuple[Submission, str]] = []

    def __call__(self, submission: Submission, language: str) -> Outcome:
        self.slips.append((submission, language))
        return self.outcome


@pytest.fixture
def intake(seeded_store: Store, kiosk_config) -> FixedIntake:
    return FixedIntake(seeded_store, kiosk_config)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def printer() -> Printer:
    return Printer()


@pytest.fixture
def journey(intake: FixedIntake, printer: Printer, clock: FakeClock) -> Journey:
    return Journey(intake, printer, timeouts=TIMEOUTS, clock=clock)


def run_jobs(journey: Journey) -> None:
    """What the app's worker thread does, inline."""
    while (job := journey.take_job()) is not None:
        job.deliver(job.run())


def to_readings(journey: Journey, account: str = "2287008779") -> None:
    journey.start()
    journey.type_account(account)
    journey.submit_account()
    assert journey.step is Step.METER, journey.session and journey.session.problem
    journey.choose_meter(journey.other_meters()[0].serial)
    assert journey.step is Step.READING


def enter(journey: Journey, *values: str) -> None:
    for value in values:
        journey.type_digit(value)
        journey.next_zone()


def stored(store: Store) -> list[Submission]:
    return store.submissions.latest()


# -- the happy paths ---------------------------------------------------------------------------


def test_two_zone_meter_by_keypad_is_stored_printed_and_forgotten(journey, printer, seeded_store):
    to_readings(journey)
    session = journey.session
    assert session.account.holder == "И***в И. И."
    enter(journey, "12400", "06800")
    assert journey.step is Step.REVIEW
    assert session.verdict.consumption == (55, 11) and session.verdict.total == 66
    assert stored(seeded_store) == []  # nothing before the customer confirms the review
    journey.confirm_review()
    assert journey.step is Step.COMMITTING
    job = journey.take_job()
    assert job.name == "commit" and journey.take_job() is None  # handed out once
    job.deliver(job.run())
    assert journey.step is Step.PRINTING
    run_jobs(journey)
    assert journey.step is Step.RESULT and session.outcome.printed
    [submission] = stored(seeded_store)
    assert [r.value for r in submission.readings] == [12400, 6800] and submission.total == 66
    assert printer.slips == [(submission, "ru")]
    journey.finish()
    assert journey.step is Step.THANKS and journey.session is None
    assert "2287008779" not in repr(vars(journey))


def test_thanks_returns_to_attract(journey, clock):
    to_readings(journey, "1000000011")
    enter(journey, "05100")
    journey.confirm_review()
    run_jobs(journey)
    journey.finish()
    clock.advance(TIMEOUTS.thanks - 1)
    assert not journey.tick() and journey.step is Step.THANKS
    clock.advance(1)
    assert journey.tick() and journey.step is Step.ATTRACT


def test_unified_account_number_with_letters(journey):
    journey.start()
    for key in ("7", "7", "А", "В", *"123456"):
        journey.type_account(key)
    journey.submit_account()
    assert journey.step is Step.METER
    assert journey.session.account_number == "77АВ123456"


def test_typed_account_is_normalised(journey):
    journey.start()
    journey.type_account("2287 008-779")  # the keypad sends digits only; the rest is dropped
    assert journey.session.account_text == "2287008779"


# -- cancel and back ---------------------------------------------------------------------------


def _reach(journey: Journey, step: Step) -> None:
    if step is Step.ATTRACT:
        return
    journey.start()
    if step is Step.ACCOUNT:
        return
    journey.type_account("1000000029")
    journey.submit_account()
    if step is Step.METER:
        return
    journey.choose_meter("ME-00000029")
    if step is Step.READING:
        return
    enter(journey, "00030")
    if step is Step.QUESTION:
        return
    journey.answer(True)
    assert journey.step is Step.REVIEW


@pytest.mark.parametrize("step", [Step.ACCOUNT, Step.METER, Step.READING, Step.QUESTION, Step.REVIEW])
def test_cancel_at_each_step_drops_everything_and_stores_nothing(journey, seeded_store, step):
    _reach(journey, step)
    assert journey.step is step
    journey.cancel()
    if step in (Step.QUESTION, Step.REVIEW):  # every reading typed: asked first
        assert journey.prompt is Prompt.DISCARD and journey.step is step
        journey.reply(True)
    assert journey.step is Step.ATTRACT and journey.session is None
    assert journey.take_job() is None
    assert stored(seeded_store) == []


def test_back_walks_every_step_to_the_start_keeping_input(journey):
    to_readings(journey)
    enter(journey, "12400", "06800")
    assert journey.step is Step.REVIEW
    journey.back()
    assert journey.step is Step.READING and journey.session.zone == 1
    journey.back()
    assert journey.session.zone == 0 and journey.session.entered == ["12400", "06800"]
    journey.back()
    assert journey.step is Step.METER
    journey.back()
    assert journey.step is Step.ACCOUNT and journey.session.account_text == "2287008779"
    journey.back()
    assert journey.step is Step.ATTRACT and journey.session is None


def test_back_from_question_returns_to_the_reading(journey):
    _reach(journey, Step.QUESTION)
    journey.back()
    assert journey.step is Step.READING and journey.session.entered == ["00030"]


def test_cancel_is_refused_while_storing(journey, seeded_store):
    _reach(journey, Step.REVIEW)
    journey.confirm_review()
    journey.cancel()
    assert journey.step is Step.COMMITTING
    run_jobs(journey)
    assert journey.step is Step.RESULT and len(stored(seeded_store)) == 1


# -- inactivity --------------------------------------------------------------------------------


@pytest.mark.parametrize("step", [Step.ACCOUNT, Step.METER, Step.READING, Step.QUESTION, Step.REVIEW])
def test_every_step_times_out_after_a_visible_countdown(journey, clock, seeded_store, step):
    _reach(journey, step)
    clock.advance(TIMEOUTS.idle - 1)
    assert not journey.tick() and journey.countdown is None
    clock.advance(1)
    assert journey.tick() and journey.countdown == TIMEOUTS.countdown
    clock.advance(TIMEOUTS.countdown - 0.5)
    assert journey.countdown == 1 and journey.step is step
    clock.advance(0.5)
    assert journey.tick()
    assert journey.step is Step.ATTRACT and journey.session is None and journey.countdown is None
    assert stored(seeded_store) == []


def test_still_here_stops_the_countdown_and_keeps_input(journey, clock):
    _reach(journey, Step.READING)
    journey.type_digit("123")
    clock.advance(TIMEOUTS.idle + 5)
    assert journey.countdown is not None
    journey.still_here()
    assert journey.countdown is None and journey.session.entered == ["123"]


def test_typing_resets_the_inactivity_clock(journey, clock):
    _reach(journey, Step.ACCOUNT)
    for _ in range(5):
        clock.advance(TIMEOUTS.idle - 1)
        journey.type_account("1")
        assert not journey.tick()
    assert journey.step is Step.ACCOUNT


def test_result_times_out_too_and_forgets_the_number(journey, clock):
    _reach(journey, Step.REVIEW)
    journey.confirm_review()
    run_jobs(journey)
    assert journey.step is Step.RESULT
    clock.advance(TIMEOUTS.idle + TIMEOUTS.countdown)
    journey.tick()
    assert journey.step is Step.ATTRACT and journey.session is None


def test_no_timeout_while_a_worker_stores(journey, clock):
    _reach(journey, Step.REVIEW)
    journey.confirm_review()
    job = journey.take_job()
    clock.advance(1000)
    assert not journey.tick() and journey.countdown is None
    job.deliver(job.run())
    assert journey.step is Step.PRINTING


def test_attract_goes_back_to_the_office_language(journey, clock):
    journey.set_language("en")
    clock.advance(TIMEOUTS.idle)
    assert journey.tick() and journey.language == "ru"


# -- confirmation questions --------------------------------------------------------------------


def test_rollover_confirmed_is_stored_with_the_confirmation(journey, seeded_store):
    _reach(journey, Step.QUESTION)
    assert journey.question.code == "possible_rollover"
    assert "80" in journey.question.message("ru")
    journey.answer(True)
    assert journey.step is Step.REVIEW and journey.session.verdict.total == 80
    journey.confirm_review()
    run_jobs(journey)
    [submission] = stored(seeded_store)
    assert submission.confirmed == ("possible_rollover",) and submission.total == 80


def test_rollover_check_again_goes_back_to_the_reading(journey):
    _reach(journey, Step.QUESTION)
    journey.answer(False)
    assert journey.step is Step.READING and journey.session.entered == ["00030"]
    journey.clear_reading()
    enter(journey, "99990")
    assert journey.step is Step.REVIEW and journey.session.verdict.total == 40


def test_unusually_high_confirmed_and_rejected(journey, seeded_store):
    to_readings(journey, "1000000011")
    enter(journey, "06000")
    assert journey.question.code == "unusually_high"
    journey.answer(False)
    assert journey.step is Step.READING and journey.session.zone == 0
    journey.next_zone()
    journey.answer(True)
    journey.confirm_review()
    run_jobs(journey)
    assert stored(seeded_store)[0].confirmed == ("unusually_high",)


def test_looks_like_total_asks_each_question_in_turn(journey, seeded_store):
    to_readings(journey)
    enter(journey, "19134", "06800")  # T1 is T1 + T2 of last time: the meter's total
    codes = [f.code for f in journey.session.questions]
    assert codes == ["looks_like_total", "unusually_high"]
    journey.answer(True)
    assert journey.question.code == "unusually_high"
    journey.answer(True)
    journey.confirm_review()
    run_jobs(journey)
    assert set(stored(seeded_store)[0].confirmed) == {"looks_like_total", "unusually_high"}


def test_looks_like_total_rejected_goes_to_its_zone(journey):
    to_readings(journey)
    enter(journey, "19134", "06800")
    journey.answer(False)
    assert journey.step is Step.READING and journey.session.zone == 0


def test_a_changed_reading_must_be_confirmed_again(journey):
    _reach(journey, Step.QUESTION)
    journey.answer(True)
    journey.back()
    journey.erase_digit()
    journey.type_digit("1")  # 00031: still a rollover, a new figure
    journey.next_zone()
    assert journey.step is Step.QUESTION


# -- wrong input -------------------------------------------------------------------------------


def test_empty_and_unknown_accounts_say_what_to_do(journey):
    journey.start()
    journey.submit_account()
    assert journey.session.problem.code == ACCOUNT_EMPTY
    journey.type_account("123")
    journey.submit_account()
    assert journey.session.problem.code == "account_invalid"
    journey.clear_account()
    journey.type_account("9999999999")
    journey.submit_account()
    problem = journey.session.problem
    assert problem.code == "account_not_found" and journey.step is Step.ACCOUNT
    assert "bill" in problem.message("en")
    journey.erase_account()
    assert journey.session.account_text == "999999999" and journey.session.problem is None


def test_below_previous_keeps_the_customer_on_the_zone(journey):
    to_readings(journey, "1000000011")
    enter(journey, "04000")
    assert journey.step is Step.READING
    assert journey.session.problem.code == "below_previous"
    assert "5000" in journey.session.problem.message("ru")


def test_empty_reading_is_refused(journey):
    to_readings(journey)
    journey.next_zone()
    assert journey.session.problem.code == READING_EMPTY and journey.session.zone == 0


def test_keypad_stops_at_the_registers_digits(journey):
    to_readings(journey)  # 5 digits
    journey.type_digit("1234567")
    assert journey.session.entered[0] == "12345"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(keys=st.lists(st.one_of(st.text(max_size=6), st.sampled_from(["0", "9", "А", "\x00", "١"])),
                     max_size=12),
       actions=st.lists(st.sampled_from(["next", "back", "erase", "clear", "scan", "answer"]),
                        max_size=10))
def test_hostile_keys_never_crash(journey, keys, actions):
    journey.cancel()
    journey.start()
    for key in keys:
        journey.type_account(key)
    journey.submit_account()
    if journey.step is Step.METER:
        journey.choose_meter(journey.other_meters()[0].serial)
    for key, action in zip(keys, actions):
        journey.type_digit(key)
        {"next": journey.next_zone, "back": journey.back, "erase": journey.erase_digit,
         "clear": journey.clear_reading, "scan": lambda: journey.scanned(key),
         "answer": lambda: journey.answer(True)}[action]()
    session = journey.session
    if session is not None:
        assert len(session.account_text) <= 20
        if session.meter is not None:
            assert all(len(e) <= session.meter.digits and e.isdigit() or e == ""
                       for e in session.entered)


# -- scanning ----------------------------------------------------------------------------------


def test_scan_on_attract_starts_and_fills_the_account(journey):
    assert journey.scanned("1000000011")
    assert journey.step is Step.METER and journey.session.account_number == "1000000011"
    journey.choose_meter("ME-00000011")
    enter(journey, "05010")
    assert journey.step is Step.REVIEW


def test_scan_on_account_replaces_what_was_typed(journey):
    journey.start()
    journey.type_account("123")
    assert journey.scanned("2287008779")
    assert journey.session.account_text == "2287008779" and journey.step is Step.METER


def test_scan_of_no_bill_asks_to_type(journey):
    assert journey.scanned(None)
    assert journey.step is Step.ACCOUNT and journey.session.problem.code == SCAN_UNREADABLE


def test_scan_of_unknown_account_says_so(journey):
    journey.scanned("5555555555")
    assert journey.step is Step.ACCOUNT and journey.session.problem.code == "account_not_found"


def test_scan_of_the_same_account_past_the_account_step_is_ignored(journey):
    _reach(journey, Step.READING)
    assert not journey.scanned("1000000029") and not journey.scanned(None)
    assert journey.step is Step.READING and journey.prompt is None


@pytest.mark.parametrize("step", [Step.METER, Step.READING, Step.QUESTION, Step.REVIEW])
def test_a_bill_scanned_mid_way_asks_before_switching(journey, step):
    _reach(journey, step)
    typed = list(journey.session.entered)
    assert journey.scanned("2287008779")
    assert journey.prompt is Prompt.SWITCH_ACCOUNT and journey.step is step
    journey.reply(False)  # "No, stay": everything as it was
    assert journey.prompt is None and journey.step is step
    assert journey.session.account_number == "1000000029" and journey.session.entered == typed
    journey.scanned("2287008779")
    journey.reply(True)
    assert journey.step is Step.METER and journey.session.account_number == "2287008779"
    assert journey.session.entered == [] and journey.session.scanned


def test_a_bill_scanned_on_the_result_asks_and_starts_afresh(journey):
    _reach(journey, Step.REVIEW)
    journey.confirm_review()
    run_jobs(journey)
    assert journey.step is Step.RESULT
    assert journey.scanned("1000000011")
    journey.reply(True)
    assert journey.step is Step.METER and journey.session.done_meters == []
    assert journey.session.result is None


def test_a_scan_while_storing_is_ignored(journey):
    _reach(journey, Step.REVIEW)
    journey.confirm_review()
    assert not journey.scanned("2287008779") and journey.prompt is None


def test_a_switch_to_an_unknown_account_says_so_on_the_account_step(journey):
    _reach(journey, Step.READING)
    journey.scanned("5555555555")
    journey.reply(True)
    assert journey.step is Step.ACCOUNT and journey.session.problem.code == "account_not_found"


@pytest.mark.parametrize("step", [Step.QUESTION, Step.REVIEW])
def test_cancel_after_every_reading_asks_and_no_keeps_everything(journey, seeded_store, step):
    _reach(journey, step)
    journey.cancel()
    assert journey.prompt is Prompt.DISCARD
    journey.reply(False)
    assert journey.step is step and journey.prompt is None
    assert journey.session.entered == ["00030"]
    journey.cancel()
    journey.reply(True)
    assert journey.step is Step.ATTRACT and journey.session is None and stored(seeded_store) == []


def test_cancel_before_the_readings_are_all_typed_does_not_ask(journey):
    _reach(journey, Step.READING)
    journey.type_digit("000")
    journey.cancel()
    assert journey.step is Step.ATTRACT and journey.prompt is None


def test_a_question_times_out_like_any_screen(journey, clock):
    _reach(journey, Step.REVIEW)
    journey.cancel()
    clock.advance(TIMEOUTS.idle + TIMEOUTS.countdown)
    assert journey.tick() and journey.step is Step.ATTRACT and journey.session is None


@pytest.mark.parametrize(("typed", "count"), [("051", 3), ("5", 1), ("0510", 4)])
def test_fewer_digits_than_the_register_are_told_before_any_rule(journey, typed, count):
    to_readings(journey, "1000000011")  # 5 digits, last 5000: 51 would be "below the last one"
    enter(journey, typed)
    problem = journey.session.problem
    assert journey.step is Step.READING and problem.code == TOO_FEW_DIGITS
    assert problem.params == {"typed": count, "digits": 5} and problem.zone == 1
    journey.clear_reading()
    enter(journey, "05100")
    assert journey.step is Step.REVIEW


def test_a_second_submission_the_same_day_shows_the_first_and_asks(journey, seeded_store):
    to_readings(journey)
    enter(journey, "12400", "06800")
    journey.confirm_review()
    run_jobs(journey)
    journey.finish()
    journey.reset()  # the next customer, or the same one again
    to_readings(journey)
    enter(journey, "12410", "06810")
    finding = journey.question
    assert journey.step is Step.QUESTION and finding.code == "already_submitted_today"
    assert finding.message("ru") == ("Сегодня показания этого счётчика уже передали: "
                                     "T1 (день) 12400, T2 (ночь) 6800. Если нужно передать новые, "
                                     "подтвердите их.")
    assert "T1 (day) 12400, T2 (night) 6800" in finding.message("en")
    journey.answer(True)
    journey.confirm_review()
    run_jobs(journey)
    second = stored(seeded_store)[0]
    assert second.confirmed == ("already_submitted_today",) and second.total == 20


def test_back_on_a_question_is_check_again(journey):
    to_readings(journey)
    enter(journey, "19134", "06800")  # T1 looks like the meter's total
    assert journey.step is Step.QUESTION
    journey.back()
    assert journey.step is Step.READING and journey.session.zone == 0


# -- language ----------------------------------------------------------------------------------


def test_language_switch_keeps_everything_typed(journey, printer):
    to_readings(journey)
    journey.type_digit("124")
    journey.set_language("en")
    assert journey.language == "en" and journey.session.entered == ["124", ""]
    journey.type_digit("00")
    journey.next_zone()
    journey.set_language("xx")  # unknown: ignored
    enter(journey, "06800")
    journey.confirm_review()
    run_jobs(journey)
    assert printer.slips[0][1] == "en"
    journey.finish()
    assert journey.language == "en"  # the thank-you is still in the customer's language
    journey.tick()


# -- printing ----------------------------------------------------------------------------------


def test_printer_failure_still_accepts_and_shows_the_number(intake, clock, seeded_store):
    journey = Journey(intake, Printer(Outcome(False, "paper out")), timeouts=TIMEOUTS, clock=clock)
    _reach(journey, Step.REVIEW)
    journey.confirm_review()
    run_jobs(journey)
    assert journey.step is Step.RESULT
    assert not journey.session.outcome.printed and journey.session.outcome.reason == "paper out"
    assert journey.session.result.submission.txn_id == stored(seeded_store)[0].txn_id


def test_printer_that_raises_is_a_failure_not_a_crash(intake, clock):
    def broken(submission, language):
        raise OSError("port vanished")

    journey = Journey(intake, broken, timeouts=TIMEOUTS, clock=clock)
    _reach(journey, Step.REVIEW)
    journey.confirm_review()
    run_jobs(journey)
    assert journey.step is Step.RESULT and "port vanished" in journey.session.outcome.reason


def test_no_printer_goes_straight_to_the_result(intake, clock):
    journey = Journey(intake, None, timeouts=TIMEOUTS, clock=clock)
    assert not journey.has_printer
    _reach(journey, Step.REVIEW)
    journey.confirm_review()
    job = journey.take_job()
    job.deliver(job.run())
    assert journey.step is Step.RESULT and journey.session.outcome == NotPrinted("no printer")
    assert journey.take_job() is None


def test_a_commit_exception_is_reported(journey):
    _reach(journey, Step.REVIEW)
    journey.confirm_review()
    journey.take_job().deliver(RuntimeError("disk full"))
    assert journey.step is Step.REVIEW and journey.session.problem.code == COMMIT_FAILED


def test_a_store_that_refuses_the_commit_is_reported_as_a_storage_failure(intake, printer, clock, seeded_store):
    failures: list[Exception] = []
    journey = Journey(intake, printer, timeouts=TIMEOUTS, clock=clock, on_storage_failure=failures.append)
    to_readings(journey, "1000000011")
    enter(journey, "05100")

    def read_only(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.execute("PRAGMA query_only = ON")  # SQLite itself refuses every write

    event.listen(seeded_store.engine, "connect", read_only)
    seeded_store.engine.dispose()
    try:
        journey.confirm_review()
        run_jobs(journey)
    finally:
        event.remove(seeded_store.engine, "connect", read_only)
        seeded_store.engine.dispose()
    # The customer keeps everything typed and is told the readings were not saved.
    assert journey.step is Step.REVIEW and journey.session.problem.code == COMMIT_FAILED
    assert journey.session.entered == ["05100"]
    assert len(failures) == 1 and isinstance(failures[0], SQLAlchemyError)
    assert "readonly" in str(failures[0])
    assert stored(seeded_store) == [] and printer.slips == []


def test_a_fault_that_is_no_store_error_is_not_a_storage_failure(intake, printer, clock):
    failures: list[Exception] = []
    journey = Journey(intake, printer, timeouts=TIMEOUTS, clock=clock, on_storage_failure=failures.append)
    _reach(journey, Step.REVIEW)
    journey.confirm_review()
    journey.take_job().deliver(RuntimeError("a bug, not the disk"))
    assert journey.step is Step.REVIEW and journey.session.problem.code == COMMIT_FAILED
    assert failures == []
    journey.confirm_review()
    journey.take_job().deliver(OSError(28, "No space left on device"))
    assert [str(f) for f in failures] == ["[Errno 28] No space left on device"]


def test_a_concurrent_reading_is_checked_again(journey, intake):
    to_readings(journey, "1000000011")
    enter(journey, "05100")
    intake.submit("1000000011", None, ["5090"])  # another front end got there first
    journey.confirm_review()
    run_jobs(journey)
    # Sent today already: the customer is shown the first one's figures and asked.
    assert journey.question.code == "already_submitted_today"
    assert "5090" in journey.question.message("ru")
    journey.answer(True)
    journey.confirm_review()
    run_jobs(journey)
    assert journey.step is Step.RESULT and journey.session.result.verdict.total == 10


def test_a_concurrent_higher_reading_turns_this_one_into_an_error(journey, intake):
    to_readings(journey, "1000000011")
    enter(journey, "05100")
    intake.submit("1000000011", None, ["5200"])
    journey.confirm_review()
    run_jobs(journey)
    assert journey.step is Step.READING and journey.session.problem.code == "below_previous"


def test_a_stale_job_from_an_ended_session_is_ignored(journey, clock):
    _reach(journey, Step.REVIEW)
    journey.confirm_review()
    job = journey.take_job()
    journey.reset()  # e.g. the app shut down mid-commit
    job.deliver(job.run())
    assert journey.step is Step.ATTRACT and journey.session is None


# -- several meters ----------------------------------------------------------------------------


def _two_meter_account() -> tuple[str, list[str]]:
    counts = Counter(row[0] for row in demo_data.rows(300, today=TODAY))
    account = next(a for a, n in counts.items() if n == 2)
    return account, [row[1] for row in demo_data.rows(300, today=TODAY) if row[0] == account]


def test_multi_meter_account_choose_then_the_other(journey, seeded_store):
    account, serials = _two_meter_account()
    journey.start()
    journey.type_account(account)
    journey.submit_account()
    assert sorted(m.serial for m in journey.other_meters()) == sorted(serials)
    journey.choose_meter(serials[1])
    meter = journey.session.meter
    assert meter.serial == serials[1]
    for zone in meter.zones:
        enter(journey, str(zone.previous + 10))
    while journey.step is Step.QUESTION:
        journey.answer(True)
    journey.confirm_review()
    run_jobs(journey)
    assert [m.serial for m in journey.other_meters()] == serials[:1]
    journey.another_meter()
    assert journey.step is Step.METER
    journey.choose_meter(serials[1])  # done already: not offered
    assert journey.step is Step.METER
    journey.choose_meter(serials[0])
    assert journey.step is Step.READING and journey.session.entered == [""] * len(
        journey.session.meter.zones)


# -- attract notices ---------------------------------------------------------------------------


def test_office_notices(intake):
    assert set(office_notices(intake, (15, 25), lambda: True)()) == set()
    assert set(office_notices(intake, (1, 5), None)()) == {Notice.NO_SLIPS, Notice.NEXT_PERIOD}
