"""One screen per journey step: each only renders the journey's state in the current language."""

from __future__ import annotations

from datetime import date
from collections.abc import Sequence
from typing import TYPE_CHECKING, Callable

from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.screenmanager import Screen

from kiosk.estimate import bill_sum_words
from kiosk.slip_words import format_period
from kiosk.slips import SlipZone
from kiosk.i18n import N_, meaning_word, zone_label
from kiosk.journey import (
    ACCOUNT_EMPTY, COMMIT_FAILED, READING_EMPTY, SCAN_UNREADABLE, TOO_FEW_DIGITS, Journey, Notice,
    Prompt, Session, Step,
)
from kiosk.meters import Meter
from kiosk.rules import Finding
from kiosk.slip_words import month_names
from sync.zones import ZoneMeaning
from screens.history_chart import HistoryChart  # noqa: F401  (registers the widget the kv file names)
from screens.texts import screens_catalog
from screens.widgets import Cell, FitCell, KioskButton

if TYPE_CHECKING:
    from screens.app import KioskApp

Translate = Callable[[str], str]
NBSP = "\u00a0"

# What the screens say about the problems the journey itself finds.
_OWN_PROBLEMS = {
    ACCOUNT_EMPTY: N_("Type your account number first. It is printed on your bill."),
    READING_EMPTY: N_("Type the reading first: the black digits on the meter, from left to right."),
    SCAN_UNREADABLE: N_("This code is not from your bill. Please type the account number instead."),
    COMMIT_FAILED: N_("The readings could not be saved. Touch \u201cSend readings\u201d again; "
                   "if it happens again, please ask the staff."),
}
_NO_SLIPS = N_("Slips cannot be printed right now: the slip code and a QR code will be shown on "
               "the screen instead.")


def period_text(period: date, language: str, t: Translate) -> str:
    # The month as the slip names it (kiosk.slip_words.format_period): "декабрь 2026".
    return t("These readings count toward {period}.").format(period=format_period(period, language))


def problem_text(problem: Finding | None, language: str, t: Translate) -> str:
    if problem is None:
        return ""
    if problem.code == TOO_FEW_DIGITS:
        typed, digits = problem.params["typed"], problem.params["digits"]
        counted = screens_catalog(language).ngettext(
            "{typed} digit of {digits} typed.", "{typed} digits of {digits} typed.", typed)
        return counted.format(typed=typed, digits=digits) + " " + t(
            "Type every digit the meter shows, from left to right, zeros at the front included.")
    own = _OWN_PROBLEMS.get(problem.code)
    return t(own) if own else problem.message(language)


def notice_text(notice: Notice, journey: Journey, t: Translate) -> str:
    if notice is Notice.NEXT_PERIOD:
        return journey.next_period_notice().message(journey.language)
    return t(_NO_SLIPS)


def zones_text(meter: Meter, language: str, t: Translate) -> str:
    words = ", ".join(meaning_word(zone.meaning, language) for zone in meter.zones)
    if len(meter.zones) == 1:  # "single rate" says it all
        return t("Meter {serial}: {words}").format(serial=meter.serial, words=words)
    # Meters have two or three zones beyond one: the same plural form in both languages.
    return t("Meter {serial}: {count} zones \u2014 {words}").format(
        serial=meter.serial, count=len(meter.zones), words=words)


def estimate_text(journey: Journey, language: str) -> str:
    """«≈ 412,50 ₽ по тарифу с 01.07.2026 (предварительно)», or nothing without an estimate; on
    the review of a scanned bill, what the bill itself asks under it."""
    found = journey.estimate
    lines = [found.words(language)] if found else []
    bill_sum = journey.bill_sum
    if bill_sum is not None:
        lines.append(bill_sum_words(bill_sum, language))
    return "\n".join(lines)


def fill_table(table: GridLayout, rows: list[tuple[tuple[str, ...], bool]]) -> None:
    """Rows of (cells, bold): first a zone's label on one line, then figures right-aligned, so
    their digits line up as on the meter."""
    table.clear_widgets()
    for cells, bold in rows:
        table.add_widget(FitCell(text=cells[0], bold=bold))
        for cell in cells[1:]:
            table.add_widget(Cell(text=cell, bold=bold, halign="right"))


class KioskScreen(Screen):
    # Set by the kv rule: the room between the bars holds few lines of text (1024x768 in
    # landscape), so the screen sets its text smaller and closer rather than push it off the top.
    compact = BooleanProperty(False)
    # Set by the kv rule: an upright panel, whose screens without a keypad have height to spare.
    roomy = BooleanProperty(False)

    def show(self, app: "KioskApp", journey: Journey, t: Translate) -> None:
        raise NotImplementedError


class AttractScreen(KioskScreen):
    def show(self, app, journey, t):
        self.ids.start.text = t("Submit meter readings") + "\n\n" + t("Touch the screen to start")
        self.ids.notices.text = "\n".join(notice_text(n, journey, t) for n in app.notices())
        self.ids.scan_hint.text = t("Or hold the QR code on your bill to the scanner")


class AccountScreen(KioskScreen):
    def show(self, app, journey, t):
        s = journey.session
        assert s is not None
        self.ids.heading.text = t("Type your account number")
        self.ids.typed.text = s.account_text
        self.ids.problem.text = problem_text(s.problem, s.language, t)
        # One message at a time: a problem says itself what to do next.
        self.ids.hint.text = "" if s.problem else t(
            "It is printed at the top of your bill. "
            "For a number with letters, touch \u201cА\u2013Я\u201d.")
        self.ids.scan_hint.text = t("Or hold the QR code on your bill to the scanner")
        self.ids.keypad.captions = [t("Delete"), t("Clear all"), "\u0410\u2013\u042f", "0\u20139"]


class MeterScreen(KioskScreen):
    def show(self, app, journey, t):
        s = journey.session
        assert s is not None and s.account is not None
        account = s.account
        self.ids.heading.text = t("Is this your account?")
        self.ids.who.text = t("Account {number}\n{holder}\n{address}").format(
            number=account.number, holder=account.holder, address=account.address)
        meters = journey.other_meters()
        box = self.ids.meters
        box.clear_widgets()
        last = self.ids.last
        last.clear_widgets()
        self.ids.last_title.text = ""
        self.ids.hint.text = t("If this is not your account, touch \u201cBack\u201d and check the number.")
        if len(meters) == 1 and not s.done_meters:
            meter = meters[0]
            self.ids.choose.text = zones_text(meter, s.language, t)
            known = [zone for zone in meter.zones if zone.previous is not None]
            if known:
                self.ids.last_title.text = (
                    t("Previous readings on {date}:").format(date=meter.last_date.strftime("%d.%m.%Y"))
                    if meter.last_date is not None else t("Previous readings:"))
            for zone in known:
                last.add_widget(FitCell(text=zone_label(zone.position, zone.meaning, s.language)))
                last.add_widget(Cell(text=str(zone.previous)))
            return
        self.ids.choose.text = t("Choose the meter whose readings you are entering:")
        for index, meter in enumerate(meters):
            button = KioskButton(text=zones_text(meter, s.language, t), tag=f"meter_{index}",
                                 size_hint_y=None, height=app.target * 1.3, kind="primary")
            # As tall as its words when they take two lines (large text on a narrow screen).
            button.bind(texture_size=lambda b, size: setattr(
                b, "height", max(app.target * 1.3, size[1] + app.body * 0.5)))
            button.bind(on_release=lambda _b, serial=meter.serial: app.act("choose_meter", serial))
            box.add_widget(button)


class ReadingScreen(KioskScreen):
    def show(self, app, journey, t):
        s = journey.session
        assert s is not None and s.meter is not None
        meter, zone = s.meter, s.meter.zones[s.zone]
        if len(meter.zones) == 1:  # the meter's one reading: no zone to name, nothing to count
            self.ids.meter.text = t("Meter {serial}").format(serial=meter.serial)
            self.ids.zone.text = t("Meter reading")
        else:
            self.ids.meter.text = t("Meter {serial} \u2014 reading {n} of {count}").format(
                serial=meter.serial, n=s.zone + 1, count=len(meter.zones))
            self.ids.zone.text = zone_label(zone.position, zone.meaning, s.language)
        if zone.previous is None:
            self.ids.previous.text = t("No earlier reading is known.")
        elif meter.last_date is not None:
            self.ids.previous.text = t("Previous reading: {value} on {date}").format(
                value=zone.previous, date=meter.last_date.strftime("%d.%m.%Y"))
        else:
            self.ids.previous.text = t("Previous reading: {value}").format(value=zone.previous)
        self.ids.boxes.count = meter.digits
        self.ids.boxes.value = s.entered[s.zone]
        self.ids.problem.text = problem_text(s.problem, s.language, t)
        self.ids.hint.text = "" if s.problem else t(
            "Type the black digits from left to right. Leave out the red digits after the comma.")
        self.ids.keypad.captions = [t("Delete"), t("Clear all"), "", ""]


class QuestionScreen(KioskScreen):
    def show(self, app, journey, t):
        finding = journey.question
        s = journey.session
        assert finding is not None and s is not None and s.meter is not None
        self.ids.heading.text = t("Please check this reading")
        self.ids.message.text = finding.message(s.language)
        rows = [((t("Zone"), t("Previous"), t("New")), True)]
        for zone, typed in zip(s.meter.zones, s.entered):
            # As the message and the review write it: 30, not the register's 00030.
            rows.append(((zone_label(zone.position, zone.meaning, s.language),
                          "" if zone.previous is None else str(zone.previous),
                          typed.lstrip("0") or "0" if typed else ""),
                         zone.position == finding.zone))
        fill_table(self.ids.figures, rows)


class ReviewScreen(KioskScreen):
    def show(self, app, journey, t):
        s = journey.session
        assert s is not None and s.meter is not None and s.verdict is not None
        verdict = s.verdict
        self.ids.heading.text = t("Check and send your readings")
        self.ids.meter.text = t("Account {number}, meter {serial}").format(
            number=s.account_number, serial=s.meter.serial)
        zones = [SlipZone(zone_label(zone.position, zone.meaning, s.language), zone.previous,
                          value or 0, used)
                 for zone, value, used in zip(s.meter.zones, verdict.values, verdict.consumption)]
        fill_table(self.ids.table, figures_rows(zones, verdict.total, t))
        notices = verdict.notices
        # The window's notice names the month already: the period line would say it twice.
        self.ids.period.text = "" if any(f.code == "outside_window" for f in notices) else (
            period_text(verdict.period, s.language, t))
        self._history(journey, verdict.total, verdict.period, s.language, t)
        # One message at a time: while the readings could not be saved, that alone is said.
        self.ids.estimate.text = "" if s.problem else estimate_text(journey, s.language)
        self.ids.notices.text = "\n".join(
            [rollover_text(f, s.language, t) for f in verdict.warnings if f.code == "possible_rollover"]
            + notices_text(notices, s.language, t))
        self.ids.problem.text = problem_text(s.problem, s.language, t)


    def _history(self, journey: Journey, total: int | None, period: date, language: str, t: Translate) -> None:
        """The year's bars and this period's beside them: only for the scanned bill's holder."""
        history = journey.history
        chart = self.ids.chart
        if not history or total is None:
            chart.bars = []
            self.ids.chart_title.text = ""
            return
        months = month_names(language)
        bars = [(months[int(month) - 1][0].upper(), kwh, False)
                for month, kwh in ((item.split("-")[1], kwh) for item, kwh in history)]
        chart.bars = [*bars, (months[period.month - 1][0].upper(), total, True)]
        self.ids.chart_title.text = t("Your consumption by month, kWh")


def notices_text(notices: Sequence[Finding], language: str, t: Translate) -> list[str]:
    """One line per notice, but one line for every zone that used nothing: two or three alike
    sentences in a row read as an error."""
    unused = [f for f in notices if f.code == "zero_consumption"]
    lines = [f.message(language) for f in notices if f.code != "zero_consumption" or len(unused) < 2]
    if len(unused) >= 2:
        zones = ", ".join(zone_label(f.zone or 1, ZoneMeaning(f.params["meaning"]), language)
                          for f in unused)
        lines.insert(0, t("No electricity was used in {zones}: the readings are the same as the "
                          "previous ones. That is fine to send.").format(zones=zones))
    return lines


def rollover_text(finding: Finding, language: str, t: Translate) -> str:
    """The review names a confirmed rollover, so "10" after "99950" is not read as a typo."""
    text = t("The meter passed {register_max} and started again from zero, so {consumption} kWh "
             "were used.").format(register_max=finding.params["register_max"],
                                  consumption=finding.params["consumption"])
    meaning = ZoneMeaning(finding.params["meaning"])
    if meaning is ZoneMeaning.SINGLE:
        return text
    return f"{zone_label(finding.zone or 1, meaning, language)}: {text}"


class BusyScreen(KioskScreen):
    def show(self, app, journey, t):
        self.ids.heading.text = (t("Saving your readings\u2026") if journey.step is Step.COMMITTING
                                 else t("Printing your slip\u2026"))
        self.ids.wait.text = t("Please wait a moment.")


_SLOTS = {
    "below": N_("Please take your slip from the slot below the screen."),
    "right": N_("Please take your slip from the slot to the right of the screen."),
    "left": N_("Please take your slip from the slot to the left of the screen."),
}


def figures_rows(zones: Sequence[SlipZone], total: int | None,
                 t: Translate) -> list[tuple[tuple[str, ...], bool]]:
    """The slip's table: the same columns, and the total with its unit."""
    rows: list[tuple[tuple[str, ...], bool]] = [
        ((t("Zone"), t("Previous"), t("New"), t("Used")), True)]
    for zone in zones:
        rows.append(((zone.label, "" if zone.previous is None else str(zone.previous), str(zone.new),
                      "" if zone.consumption is None else str(zone.consumption)), False))
    if total is not None:
        rows.append(((t("Total, kWh"), "", "", str(total)), True))
    return rows


class ResultScreen(KioskScreen):
    """What was sent, for which month, where the slip is, and the code to quote on the hotline:
    the slip's own content (``Journey.receipt``), so the screen and the slip never differ."""

    narrow = BooleanProperty(False)  # set by the kv rule: one column instead of two
    code_word = StringProperty("")  # the slip's word for its code
    code = StringProperty("")  # under that word, or beside it where one column is short of height

    def show(self, app, journey, t):
        s: Session | None = journey.session
        receipt = journey.receipt
        assert s is not None and receipt is not None
        printed = s.outcome is not None and s.outcome.printed
        words = receipt.words
        self.ids.heading.text = t("Readings accepted")
        self.ids.slip.text = t(_SLOTS[journey.slip_slot]) if printed else t(
            "The slip could not be printed. Please write down the slip code or photograph "
            "the QR code.")
        fill_table(self.ids.sent, figures_rows(receipt.zones, receipt.total, t))
        self.ids.period.text = t("These readings count toward {period}.").format(period=receipt.period)
        self.code_word, self.code = words.code, receipt.reference
        # The number is one word on the screen: no line break in the middle of it.
        self.ids.hotline.text = f"{words.quote}\n{words.hotline}: {receipt.hotline.replace(' ', NBSP)}"
        # The slip carries the QR code; without one it is here, with the same content.
        self.ids.qr.texture = None if printed else app.qr_texture(receipt.qr)
        self.ids.estimate.text = estimate_text(journey, s.language)
        self.ids.another.text = t("Readings for another meter") if journey.other_meters() else ""


class ThanksScreen(KioskScreen):
    def show(self, app, journey, t):
        self.ids.heading.text = t("Thank you! Have a good day.")


def typed_so_far(journey: Journey, t: Translate) -> str:
    """What the customer has typed, repeated on the countdown's card that covers it."""
    s = journey.session
    if s is None or journey.step is Step.RESULT:
        return ""
    if s.meter is not None and any(s.entered) and journey.step is not Step.METER:
        if len(s.meter.zones) == 1:
            return t("Typed: {readings}").format(readings=s.entered[0])
        return t("Typed: {readings}").format(readings=", ".join(
            f"{zone_label(zone.position, zone.meaning, s.language)}: {typed}"
            for zone, typed in zip(s.meter.zones, s.entered) if typed))
    if s.account_text:
        return t("Typed: account {number}").format(number=s.account_text)
    return ""


class Countdown(FloatLayout):
    """"Are you still there?": any touch on it keeps the session."""

    def show(self, journey: Journey | None, t: Translate) -> None:
        """Over the journey's screens when it counts down; ``None`` hides it (service mode)."""
        seconds = journey.countdown if journey is not None else None
        visible = seconds is not None
        self.opacity = 1 if visible else 0
        self.disabled = not visible
        if journey is not None and seconds is not None:
            self.ids.heading.text = t("Are you still there?")
            self.ids.seconds.text = screens_catalog(journey.language).ngettext(
                "{n} second", "{n} seconds", seconds).format(n=seconds)
            self.ids.typed.text = typed_so_far(journey, t)
            # After the readings are stored, the start screen takes nothing away from them.
            self.ids.explain.text = (
                t("Your readings are saved: nothing will be lost. The screen will return to the start.")
                if journey.step is Step.RESULT else
                t("Then the screen will return to the start and what you typed will be erased."))
            self.ids.here.text = t("Yes, I am here")

    def on_touch_down(self, touch):
        if self.disabled:
            return False
        from kivy.app import App

        App.get_running_app().act("still_here")
        return True

    def on_touch_up(self, touch):
        return not self.disabled

    def on_touch_move(self, touch):
        return not self.disabled


class Card(FloatLayout):
    """A card over the screens: while shown, it alone takes touches; hidden, it takes none."""

    # Hidden, it is disabled, and a disabled widget would swallow every touch over it (Kivy's
    # default): it must let them through to the screen below.
    def on_touch_down(self, touch):
        if self.disabled:
            return False
        super().on_touch_down(touch)
        return True  # nothing under the card takes the touch

    def on_touch_up(self, touch):
        if self.disabled:
            return False
        super().on_touch_up(touch)
        return True

    def on_touch_move(self, touch):
        return not self.disabled


class StaffCalled(Card):
    """«Сотрудник уже идёт»: shown over any screen once a customer's call for staff is stored,
    with its reference, until the customer closes it or ``SHOWN_S`` pass."""

    SHOWN_S = 60.0

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.hide()

    def show(self, reference: str | None, t: Translate) -> None:
        """``reference``: the call's, or None when it could not be stored."""
        from kivy.clock import Clock

        self.opacity, self.disabled = 1, False
        if reference is None:
            self.ids.heading.text = t("The call did not go through")
            self.ids.reference.text = ""
            self.ids.explain.text = t("Please ask at the service desk.")
        else:
            self.ids.heading.text = t("Staff are on their way")
            self.ids.reference.text = t("Call {reference}").format(reference=reference)
            self.ids.explain.text = t("Please wait here: a member of staff will come to this terminal.")
        self.ids.close.text = t("OK")
        Clock.unschedule(self._time_up)
        Clock.schedule_once(self._time_up, self.SHOWN_S)

    def hide(self) -> None:
        self.opacity, self.disabled = 0, True

    def _time_up(self, _dt: float) -> None:
        self.hide()


class Ask(Card):
    """A question over the screen (``Journey.prompt``), answered before anything else: the
    journey's one way to confirm that work is thrown away or the account changes."""

    def show(self, journey: Journey | None, t: Translate) -> None:
        """Over the journey's screens while it asks; ``None`` hides it (service mode)."""
        prompt = journey.prompt if journey is not None else None
        s = journey.session if journey is not None else None
        visible = prompt is not None and s is not None and journey is not None and journey.countdown is None
        self.opacity = 1 if visible else 0
        self.disabled = not visible
        if not visible or s is None or journey is None:
            return
        if prompt is Prompt.DISCARD:
            self.ids.heading.text = t("Cancel and erase the readings?")
            self.ids.message.text = t("The readings you typed will not be sent.")
            self.ids.stay.text = t("No, go back")
            self.ids.go.text = t("Yes, erase")
            return
        self.ids.heading.text = t("Go to another account?")
        scanned = t("You scanned the bill for account {number}.").format(number=s.scanned_number)
        lost = (t("The readings for account {number} are already accepted.")
                if journey.step is Step.RESULT else
                t("What you typed for account {number} will be erased."))
        self.ids.message.text = scanned + " " + lost.format(number=s.account_number)
        self.ids.stay.text = t("No, stay")
        self.ids.go.text = t("Go to that account")
