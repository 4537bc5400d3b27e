"""The customer's journey at the touch screen, as a state machine without a window.

The screens only render ``Journey.step`` and ``Journey.session`` and call the methods below when
the customer taps; the journey decides what comes next. Everything the customer typed or was
shown lives in one ``Session`` object, so ending a session (finish, cancel, timeout) drops all
customer data by dropping that one reference.

Nothing waits here: storing the readings and printing the slip are handed out as ``Job``s that
the app runs off the UI thread and feeds back (``Job.deliver``), so the journey stays
synchronous and every path is testable with a fake clock.

Typed input is hostile: every method accepts any string and never raises on it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy.exc import SQLAlchemyError

from sync.accounts import normalise_account
from kiosk.errors import StoreError
from kiosk.estimate import Estimate
from kiosk.i18n import DEFAULT_LANGUAGE, LANGUAGES
from kiosk.intake import Intake, IntakeResult
from kiosk.meters import Account, Meter
from kiosk.periods import in_window
from kiosk.rules import Finding, Kind, Verdict, outside_window
from kiosk.slips import SlipData, slip_data
from kiosk.store import Submission


class Step(StrEnum):
    ATTRACT = "attract"  # "touch to start"
    ACCOUNT = "account"  # typing the account number (or scanning the bill)
    METER = "meter"  # the masked holder and address; confirm, or choose one of several meters
    READING = "reading"  # one zone at a time
    QUESTION = "question"  # "is this really right?" for a reading that needs confirmation
    REVIEW = "review"  # everything with its consumption, before anything is stored
    COMMITTING = "committing"  # a worker stores the submission
    PRINTING = "printing"  # a worker prints the slip
    RESULT = "result"  # accepted; take the slip, or note the number
    THANKS = "thanks"  # the session's data is gone already; back to ATTRACT shortly


class Prompt(StrEnum):
    """A question over the current screen that must be answered before anything else."""

    DISCARD = "discard"  # "Cancel" after every reading was typed: throw them away?
    SWITCH_ACCOUNT = "switch_account"  # a bill of another account was scanned mid-way


class Notice(StrEnum):
    """What the attract screen tells every customer before they start."""

    NO_SLIPS = "no_slips"  # the printer is missing or not ready
    NEXT_PERIOD = "next_period"  # today is outside the submission window


# Problems the journey itself finds (the rules' findings carry their own codes and wording).
ACCOUNT_EMPTY = "account_empty"
READING_EMPTY = "reading_empty"
# Fewer digits than the register shows: "051" on a 5-digit meter is most likely "05100" cut
# short, not 51, so the count is told before any rule compares the value.
TOO_FEW_DIGITS = "too_few_digits"
SCAN_UNREADABLE = "scan_unreadable"
COMMIT_FAILED = "commit_failed"

ACCOUNT_MAX_CHARS = 20  # longer than any account format; the keypad stops there
QUESTION_CODES = ("already_submitted_today", "possible_rollover", "unusually_high",
                  "looks_like_total")
# Steps where every reading has been typed: leaving them throws work away, so it is asked first.
_ASK_BEFORE_DISCARD = frozenset({"question", "review"})
# Steps where a bill scanned for another account asks whether to switch to it.
_ASK_BEFORE_SWITCH = frozenset({"meter", "reading", "question", "review", "result"})


class PrintOutcome(Protocol):
    # Read-only: the printer's and the journey's outcomes are frozen dataclasses.
    @property
    def printed(self) -> bool: ...

    @property
    def reason(self) -> str | None: ...


PrintSlip = Callable[[Submission, str], PrintOutcome]
StatusProvider = Callable[[], Collection[Notice]]
# What a commit raises when the readings cannot be stored at all (disk full, database damaged or
# read-only), as opposed to a fault in this one submission.
STORE_ERRORS = (StoreError, SQLAlchemyError, OSError)


@dataclass(frozen=True)
class NotPrinted:
    """The outcome when there is no printer, or the printer raised instead of reporting."""

    reason: str
    printed: bool = False


@dataclass(frozen=True)
class Timeouts:
    """Seconds of inactivity; the screens' UiSettings fill these from configuration."""

    idle: float = 60.0  # before "Are you still there?"
    countdown: float = 20.0  # the visible countdown after it
    thanks: float = 6.0  # how long the thank-you screen stays


@dataclass(frozen=True)
class Job:
    """Work for a worker thread: ``run`` touches no journey state; ``deliver`` must be called
    on the UI thread with what ``run`` returned. A job from an ended session is ignored."""

    name: str  # "commit" or "print"
    run: Callable[[], Any]
    deliver: Callable[[Any], None]


@dataclass(frozen=True)
class Bill:
    """The paper bill the customer scanned: holding it is the proof of being its customer."""

    account: str  # the account it named, normalised
    sum_kopecks: int | None  # what the bill asks (its Sum): shown in this session, never stored


@dataclass
class Session:
    """One customer's data. Nothing else in the journey holds any of it."""

    language: str
    account_text: str = ""
    account_number: str | None = None
    account: Account | None = None
    meter: Meter | None = None
    entered: list[str] = field(default_factory=list)  # one string per zone of the meter
    zone: int = 0  # index into meter.zones
    verdict: Verdict | None = None
    questions: list[Finding] = field(default_factory=list)
    question: int = 0
    confirmed: set[str] = field(default_factory=set)
    problem: Finding | None = None  # what the customer should fix on the current screen
    result: IntakeResult | None = None
    outcome: PrintOutcome | None = None
    done_meters: list[str] = field(default_factory=list)  # serials submitted in this session
    scanned: bool = False
    prompt: Prompt | None = None  # asked over the current screen
    scanned_number: str | None = None  # the other account a mid-way scan named
    estimate: Estimate | None = None  # what the readings under review will roughly cost
    bill: Bill | None = None  # the bill the account came from; None once a number is typed
    scanned_bill: Bill | None = None  # the mid-way scan's bill, until the customer answers


class Journey:
    def __init__(
        self,
        intake: Intake,
        print_slip: PrintSlip | None,
        *,
        language: str = DEFAULT_LANGUAGE,
        timeouts: Timeouts = Timeouts(),
        clock: Callable[[], float] = time.monotonic,
        on_storage_failure: Callable[[Exception], None] | None = None,
    ) -> None:
        """``on_storage_failure`` hears of a commit that failed with a store error (called on
        the thread that delivers the commit job), so the terminal can stop taking readings."""
        self._intake = intake
        self._print_slip = print_slip
        self._default_language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        self._timeouts = timeouts
        self._clock = clock
        self._on_storage_failure = on_storage_failure
        self.step = Step.ATTRACT
        self.language = self._default_language
        self.session: Session | None = None
        self._last_activity = clock()
        self._generation = 0  # bumped when a session ends, to drop stale jobs
        self._job: Job | None = None
        self._job_taken = False

    # -- what the screens read ----------------------------------------------------------------

    @property
    def has_printer(self) -> bool:
        return self._print_slip is not None

    @property
    def countdown(self) -> int | None:
        """Whole seconds left while "Are you still there?" is shown, else None."""
        if not self._times_out():
            return None
        idle = self._clock() - self._last_activity
        if idle < self._timeouts.idle:
            return None
        left = self._timeouts.idle + self._timeouts.countdown - idle
        return max(0, int(left + 0.999))

    @property
    def question(self) -> Finding | None:
        s = self.session
        if self.step is not Step.QUESTION or s is None or s.question >= len(s.questions):
            return None
        return s.questions[s.question]

    @property
    def receipt(self) -> SlipData | None:
        """On the result: what the slip says (or would have said), for the screen to show the
        same readings, code, QR and hotline, printed or not."""
        s = self.session
        if self.step is not Step.RESULT or s is None or s.result is None or s.result.submission is None:
            return None
        return slip_data(s.result.submission, self._intake.config, s.language)

    def next_period_notice(self) -> Finding:
        """What the start screen says when today is outside the office's submission window:
        the review's ``outside_window`` notice, word for word, with the same month."""
        rules = self._intake.config.rules
        return outside_window(self._intake.now().date(), (rules.window_start, rules.window_end))

    @property
    def slip_slot(self) -> str:
        """Where the slip comes out of the terminal: "below" the screen, "right" or "left"."""
        return self._intake.config.slip.slot

    def other_meters(self) -> tuple[Meter, ...]:
        """Meters of the account not yet submitted in this session."""
        s = self.session
        if s is None or s.account is None:
            return ()
        return tuple(m for m in s.account.meters if m.serial not in s.done_meters)

    @property
    def estimate(self) -> Estimate | None:
        """What the readings roughly cost, on the review (as checked) and the result (as stored)."""
        s = self.session
        if s is None:
            return None
        if self.step is Step.REVIEW:
            return s.estimate
        if self.step is Step.RESULT and s.result is not None:
            return s.result.estimate
        return None

    @property
    def from_bill(self) -> bool:
        """The account on screen came from the scanned paper bill, not from typed digits: only
        then may its holder see what a stranger must not (the bill's sum, the consumption history)."""
        s = self.session
        return s is not None and s.bill is not None and s.bill.account == s.account_number

    @property
    def bill_sum(self) -> Decimal | None:
        """What the scanned bill asks, in roubles, on the review; None for a typed account."""
        s = self.session
        if self.step is not Step.REVIEW or not self.from_bill or s is None or s.bill is None:
            return None
        return None if s.bill.sum_kopecks is None else Decimal(s.bill.sum_kopecks) / 100

    @property
    def history(self) -> tuple[tuple[str, int], ...]:
        """The meter's billed consumption per period ("2026-10", kWh of all zones), oldest first,
        on the review of an account from the scanned bill; nothing for a typed one. A year of
        consumption tells a stranger when a home stands empty: holding the bill is the proof."""
        s = self.session
        if self.step is not Step.REVIEW or not self.from_bill or s is None or s.meter is None:
            return ()
        return tuple((period, sum(kwh)) for period, kwh in s.meter.history)

    def take_job(self) -> Job | None:
        """The commit or print job once; the app runs it in a worker thread."""
        if self._job is None or self._job_taken:
            return None
        self._job_taken = True
        return self._job

    # -- anywhere ------------------------------------------------------------------------------

    def set_language(self, language: str) -> None:
        """Switch the language; everything typed stays."""
        self._touch()
        if language in LANGUAGES:
            self.language = language
            if self.session is not None:
                self.session.language = language

    def still_here(self) -> None:
        """The customer answered "Are you still there?"."""
        self._touch()

    def tick(self) -> bool:
        """Called a few times a second; True when the screen must change (countdown or timeout)."""
        now = self._clock()
        idle = now - self._last_activity
        if self.step is Step.THANKS:
            if idle >= self._timeouts.thanks:
                self._end()
                return True
            return False
        if self.step is Step.ATTRACT:
            # Nothing to drop, but the next customer should find the office's language again.
            if self.language != self._default_language and idle >= self._timeouts.idle:
                self._end()
                return True
            return False
        if not self._times_out():
            return False
        if idle >= self._timeouts.idle + self._timeouts.countdown:
            self._end()
            return True
        return idle >= self._timeouts.idle

    @property
    def prompt(self) -> Prompt | None:
        return self.session.prompt if self.session is not None else None

    def cancel(self) -> None:
        """Back to the start from anywhere; nothing is stored unless the commit already ran.
        Once every reading is typed, the customer is asked first (``reply``)."""
        if self.step in (Step.COMMITTING, Step.PRINTING):
            return  # the readings are being stored or printed; the result screen follows
        s = self.session
        if s is not None and self.step in _ASK_BEFORE_DISCARD and s.prompt is None:
            self._touch()
            s.prompt = Prompt.DISCARD
            return
        self._end()

    def reply(self, yes: bool) -> None:
        """The answer to the prompt: "Yes, discard" / "Go to that account" (True) or "No, stay"
        (False), which leaves everything as it was."""
        self._touch()
        s = self.session
        if s is None or s.prompt is None:
            return
        prompt, number, bill = s.prompt, s.scanned_number, s.scanned_bill
        s.prompt, s.scanned_number, s.scanned_bill = None, None, None
        if not yes:
            return
        if prompt is Prompt.DISCARD:
            self._end()
        elif number is not None:
            # A new customer's session in all but the language: nothing of the old account stays.
            self._drop_session()
            self.session = fresh = Session(self.language, scanned=True)
            self.step = Step.ACCOUNT
            fresh.account_text = number[:ACCOUNT_MAX_CHARS]
            fresh.bill = bill
            self._look_up(fresh, fresh.account_text)

    def reset(self) -> None:
        """Drop everything at once, whatever the step: the app is stopping or being re-staged.
        A job still running is ignored when it comes back."""
        self._end()

    def back(self) -> None:
        self._touch()
        s = self.session
        if s is None:
            return
        s.problem = None
        if self.step is Step.ACCOUNT:
            self._end()
        elif self.step is Step.METER:
            self.step = Step.ACCOUNT
        elif self.step is Step.READING:
            if s.zone > 0:
                s.zone -= 1
            else:
                self.step = Step.METER
        elif self.step is Step.QUESTION:
            self.answer(False)  # the question's one way back: to the reading it is about
        elif self.step is Step.REVIEW:
            assert s.meter is not None
            s.zone = len(s.meter.zones) - 1
            self.step = Step.READING

    # -- attract and account -------------------------------------------------------------------

    def start(self) -> None:
        self._touch()
        if self.step is Step.ATTRACT:
            self.session = Session(self.language)
            self.step = Step.ACCOUNT

    def type_account(self, text: str) -> None:
        """Keys from the keypad: digits and Cyrillic letters; anything else is ignored."""
        self._touch()
        s = self.session
        if self.step is not Step.ACCOUNT or s is None:
            return
        allowed = "".join(ch for ch in str(text).upper() if ch.isdigit() and ch.isascii()
                          or "А" <= ch <= "Я" or ch == "Ё")
        s.account_text = (s.account_text + allowed)[:ACCOUNT_MAX_CHARS]
        s.problem = None
        s.bill = None

    def erase_account(self) -> None:
        self._touch()
        if self.step is Step.ACCOUNT and self.session is not None:
            self.session.account_text = self.session.account_text[:-1]
            self.session.problem = None
            self.session.bill = None

    def clear_account(self) -> None:
        self._touch()
        if self.step is Step.ACCOUNT and self.session is not None:
            self.session.account_text = ""
            self.session.problem = None
            self.session.bill = None

    def submit_account(self) -> None:
        self._touch()
        s = self.session
        if self.step is not Step.ACCOUNT or s is None:
            return
        if not s.account_text:
            s.problem = Finding(ACCOUNT_EMPTY, Kind.ERROR, None)
            return
        if s.bill is not None and s.bill.account != normalise_account(s.account_text):
            s.bill = None
        self._look_up(s, s.account_text)

    def scanned(self, text: str | None, *, bill: bool = False, bill_sum: str | None = None) -> bool:
        """A bill scanned; None for a code that is no bill. On the attract or account screen it
        fills in the account; past it, a bill of another account asks whether to switch to it.
        ``bill``: the code was the bill's payment QR code, and ``bill_sum`` its Sum (kopecks).

        Returns False when the scan was ignored (the same account, no bill, or while the
        readings are stored and printed)."""
        if self.step.value in _ASK_BEFORE_SWITCH:
            return self._scanned_mid_way(text, Bill(normalise_account(str(text)) or "", _kopecks(bill_sum))
                                         if bill and text is not None else None)
        if self.step not in (Step.ATTRACT, Step.ACCOUNT):
            return False
        self._touch()
        if self.session is None:
            self.session = Session(self.language)
        s = self.session
        self.step = Step.ACCOUNT
        s.scanned = True
        number = normalise_account(str(text)) if text is not None else None
        if number is None:
            s.problem = Finding(SCAN_UNREADABLE, Kind.ERROR, None)
            return True
        s.account_text = number[:ACCOUNT_MAX_CHARS]
        s.bill = Bill(number, _kopecks(bill_sum)) if bill else None
        self._look_up(s, s.account_text)
        return True

    def _scanned_mid_way(self, text: str | None, bill: Bill | None) -> bool:
        s = self.session
        number = normalise_account(str(text)) if text is not None else None
        if s is None or number is None or number == s.account_number:
            return False
        self._touch()
        s.prompt, s.scanned_number, s.scanned_bill = Prompt.SWITCH_ACCOUNT, number, bill
        return True

    def _look_up(self, s: Session, typed: str) -> None:
        number, account, problem = self._intake.find_account(typed)
        if problem is not None or account is None:
            s.problem = problem
            return
        s.account_number, s.account, s.problem = number, account, None
        s.done_meters = []
        s.meter = None
        self.step = Step.METER

    # -- meter ---------------------------------------------------------------------------------

    def choose_meter(self, serial: str) -> None:
        """The customer confirmed the account and picked this meter (the only one, or one of many)."""
        self._touch()
        s = self.session
        if self.step is not Step.METER or s is None:
            return
        meter = next((m for m in self.other_meters() if m.serial == serial), None)
        if meter is None:
            return
        if s.meter is None or s.meter.serial != meter.serial:
            s.meter = meter
            s.entered = [""] * len(meter.zones)
            s.zone = 0
            s.confirmed = set()
        s.problem = None
        self.step = Step.READING

    # -- readings ------------------------------------------------------------------------------

    def type_digit(self, text: str) -> None:
        """Digits into the current zone; the register's digit count is the limit."""
        self._touch()
        s = self._reading_session()
        if s is None:
            return
        assert s.meter is not None
        digits = "".join(ch for ch in str(text) if ch.isascii() and ch.isdigit())
        s.entered[s.zone] = (s.entered[s.zone] + digits)[:s.meter.digits]
        self._edited(s)

    def erase_digit(self) -> None:
        self._touch()
        s = self._reading_session()
        if s is not None:
            s.entered[s.zone] = s.entered[s.zone][:-1]
            self._edited(s)

    def clear_reading(self) -> None:
        self._touch()
        s = self._reading_session()
        if s is not None:
            s.entered[s.zone] = ""
            self._edited(s)

    def next_zone(self) -> None:
        """Check this zone; go on to the next zone, or after the last to questions or review."""
        self._touch()
        s = self._reading_session()
        if s is None:
            return
        assert s.meter is not None
        typed = len(s.entered[s.zone])
        if not typed:
            s.problem = Finding(READING_EMPTY, Kind.ERROR, s.zone + 1)
            return
        if typed < s.meter.digits:
            s.problem = Finding(TOO_FEW_DIGITS, Kind.ERROR, s.zone + 1,
                                {"typed": typed, "digits": s.meter.digits})
            return
        verdict = self._intake.check(s.meter, s.entered)
        own_errors = [f for f in verdict.errors if f.zone == s.zone + 1]
        if own_errors:
            s.problem = own_errors[0]
            return
        s.problem = None
        if s.zone + 1 < len(s.meter.zones):
            s.zone += 1
            return
        self._after_readings(s, verdict)

    def _after_readings(self, s: Session, verdict: Verdict) -> None:
        s.verdict = verdict
        if verdict.errors:
            # Only whole-submission errors are left here; show them on the zone they name.
            first = verdict.errors[0]
            s.zone = (first.zone - 1) if first.zone else 0
            s.problem = first
            self.step = Step.READING
            return
        s.estimate = self._estimate(s, verdict)
        s.questions = [f for f in verdict.warnings if f.code not in s.confirmed]
        s.question = 0
        self.step = Step.QUESTION if s.questions else Step.REVIEW

    def _estimate(self, s: Session, verdict: Verdict) -> Estimate | None:
        assert s.meter is not None
        try:
            return self._intake.estimate(s.meter, verdict, self._intake.now())
        except STORE_ERRORS:  # no estimate is better than no review; the commit will tell
            return None

    def _reading_session(self) -> Session | None:
        s = self.session
        if self.step is not Step.READING or s is None or s.meter is None:
            return None
        return s

    def _edited(self, s: Session) -> None:
        # A changed reading is a new question: earlier confirmations no longer apply.
        s.problem = None
        s.confirmed = set()
        s.verdict = None
        s.estimate = None

    # -- questions and review ------------------------------------------------------------------

    def answer(self, right: bool) -> None:
        """"Yes, that is right" (True) or "Change" (False), the bottom bar's way back."""
        self._touch()
        s = self.session
        finding = self.question
        if s is None or finding is None:
            return
        if not right:
            s.zone = (finding.zone - 1) if finding.zone else 0
            self.step = Step.READING
            return
        s.confirmed.add(finding.code)
        s.question += 1
        if s.question >= len(s.questions):
            self.step = Step.REVIEW

    def confirm_review(self) -> None:
        """The customer confirmed: store the readings (in a worker, see take_job)."""
        self._touch()
        s = self.session
        if self.step is not Step.REVIEW or s is None or s.meter is None or s.account_number is None:
            return
        account, serial = s.account_number, s.meter.serial
        entered, confirmed, language = tuple(s.entered), tuple(s.confirmed), s.language
        intake = self._intake

        def commit() -> IntakeResult | Exception:
            try:
                return intake.submit(account, serial, entered, confirmed=confirmed,
                                     language=language)
            except Exception as exc:  # a full disk or a locked database must not kill the UI
                return exc

        s.problem = None
        self.step = Step.COMMITTING
        self._give_job("commit", commit, self.committed)

    def committed(self, result: IntakeResult | Exception) -> None:
        s = self.session
        if self.step is not Step.COMMITTING or s is None:
            return
        self._touch()
        self._job = None
        if isinstance(result, Exception):
            # The customer stays on the review with everything typed and learns the readings
            # were not saved; the next customers will not be let in to try.
            s.problem = Finding(COMMIT_FAILED, Kind.ERROR, None, {"reason": str(result)})
            self.step = Step.REVIEW
            if isinstance(result, STORE_ERRORS) and self._on_storage_failure is not None:
                self._on_storage_failure(result)
            return
        if not result.ok or result.submission is None:
            self._refused(s, result)
            return
        s.result = result
        assert s.meter is not None
        s.done_meters.append(s.meter.serial)
        if self._print_slip is None:
            s.outcome = NotPrinted("no printer")
            self.step = Step.RESULT
            return
        submission, language, print_slip = result.submission, s.language, self._print_slip

        def print_job() -> PrintOutcome:
            try:
                return print_slip(submission, language)
            except Exception as exc:  # a driver bug must still leave the customer a number
                return NotPrinted(f"printer error: {exc}")

        self.step = Step.PRINTING
        self._give_job("print", print_job, self.printed)

    def _refused(self, s: Session, result: IntakeResult) -> None:
        """The store saw different figures than the check (another terminal, a directory update):
        ask again or show the error where it belongs."""
        if result.verdict is not None and not result.verdict.errors and result.needs_confirmation:
            self._after_readings(s, result.verdict)
            return
        errors = [f for f in result.findings if f.kind is Kind.ERROR]
        problem = errors[0] if errors else Finding(COMMIT_FAILED, Kind.ERROR, None)
        s.problem = problem
        if problem.zone is not None and s.meter is not None:
            s.zone = min(problem.zone, len(s.meter.zones)) - 1
            self.step = Step.READING
        elif problem.code in ("account_not_found", "account_invalid", "meter_not_found"):
            self.step = Step.ACCOUNT
        else:
            self.step = Step.REVIEW

    def printed(self, outcome: PrintOutcome) -> None:
        s = self.session
        if self.step is not Step.PRINTING or s is None:
            return
        self._touch()
        self._job = None
        s.outcome = outcome
        self.step = Step.RESULT

    # -- the end -------------------------------------------------------------------------------

    def another_meter(self) -> None:
        """From the result: readings for the account's next meter, without typing it again."""
        self._touch()
        s = self.session
        if self.step is not Step.RESULT or s is None or not self.other_meters():
            return
        s.meter, s.entered, s.verdict, s.result, s.outcome, s.estimate = None, [], None, None, None, None
        s.questions, s.confirmed, s.problem = [], set(), None
        self.step = Step.METER

    def finish(self) -> None:
        """"Done": drop the session and thank the customer."""
        if self.step is not Step.RESULT:
            return
        self._drop_session()
        self.step = Step.THANKS
        self._touch()

    # -- internals -----------------------------------------------------------------------------

    def _times_out(self) -> bool:
        # A worker is storing or printing: its own bounds end it, and the result must be seen.
        return self.step not in (Step.ATTRACT, Step.THANKS, Step.COMMITTING, Step.PRINTING)

    def _touch(self) -> None:
        self._last_activity = self._clock()

    def _give_job(self, name: str, run: Callable[[], Any], deliver: Callable[[Any], None]) -> None:
        generation = self._generation

        def deliver_if_current(value: Any) -> None:
            if generation == self._generation:
                deliver(value)

        self._job = Job(name, run, deliver_if_current)
        self._job_taken = False

    def _drop_session(self) -> None:
        self.session = None
        self._job = None
        self._generation += 1

    def _end(self) -> None:
        self._drop_session()
        self.step = Step.ATTRACT
        self.language = self._default_language
        self._touch()


def _kopecks(text: str | None) -> int | None:
    """A bill's Sum: whole kopecks, as GOST R 56042 writes it ("125000" is 1 250,00 ₽); None for
    anything else, so a damaged or hostile code shows no sum rather than a wrong one."""
    if text is None:
        return None
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 12 or int(text) == 0:
        return None
    return int(text)


def office_notices(
    intake: Intake, window: tuple[int, int], printer_ready: Callable[[], bool] | None
) -> StatusProvider:
    """The attract screen's notices from the submission window and a printer readiness check.

    ``printer_ready`` must answer at once (a cached status): it is called on the UI thread."""

    def notices() -> Collection[Notice]:
        found: list[Notice] = []
        if printer_ready is None or not printer_ready():
            found.append(Notice.NO_SLIPS)
        today: date = intake.now().date()
        if not in_window(today, window):
            found.append(Notice.NEXT_PERIOD)
        return found

    return notices
