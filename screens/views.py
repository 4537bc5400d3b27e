"""One screen per journey step: each only renders the journey's state in the current language."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from kivy.uix.floatlayout import FloatLayout
from kivy.uix.screenmanager import Screen

from kiosk.i18n import N_, meaning_word, zone_label
from kiosk.journey import (
    ACCOUNT_EMPTY, COMMIT_FAILED, READING_EMPTY, SCAN_UNREADABLE, Journey, Notice, Session, Step,
)
from kiosk.meters import Meter
from kiosk.rules import Finding
from screens.widgets import KioskButton, Txt

if TYPE_CHECKING:
    from screens.app import KioskApp

Translate = Callable[[str], str]

# What the screens say about the problems the journey itself finds.
_OWN_PROBLEMS = {
    ACCOUNT_EMPTY: N_("Type your account number first. It is printed on your bill."),
    READING_EMPTY: N_("Type the reading first: the black digits on the meter, from left to right."),
    SCAN_UNREADABLE: N_("This code is not from your bill. Please type the account number instead."),
    COMMIT_FAILED: N_("The readings could not be saved. Touch \u201cSend\u201d again; "
                   "if it happens again, please ask the staff."),
}
_NOTICES = {
    Notice.NO_SLIPS: N_("Slips cannot be printed right now. You will see your submission number "
                     "on the screen instead."),
    Notice.NEXT_PERIOD: N_("Readings given today count toward next month's bill."),
}


def problem_text(problem: Finding | None, language: str, t: Translate) -> str:
    if problem is None:
        return ""
    own = _OWN_PROBLEMS.get(problem.code)
    return t(own) if own else problem.message(language)


def notice_text(notice: Notice, t: Translate) -> str:
    return t(_NOTICES[notice])


def zones_text(meter: Meter, language: str, t: Translate) -> str:
    words = ", ".join(meaning_word(zone.meaning, language) for zone in meter.zones)
    return t("Meter {serial}: {count} zone(s) \u2014 {words}").format(
        serial=meter.serial, count=len(meter.zones), words=words)


class KioskScreen(Screen):
    def show(self, app: "KioskApp", journey: Journey, t: Translate) -> None:
        raise NotImplementedError


class AttractScreen(KioskScreen):
    def show(self, app, journey, t):
        self.ids.start.text = t("Submit meter readings") + "\n\n" + t("Touch the screen to start")
        self.ids.notices.text = "\n".join(notice_text(n, t) for n in app.notices())
        self.ids.scan_hint.text = t("Or hold the QR code on your bill to the scanner")


class AccountScreen(KioskScreen):
    def show(self, app, journey, t):
        s = journey.session
        assert s is not None
        self.ids.heading.text = t("Type your account number")
        self.ids.typed.text = s.account_text
        self.ids.problem.text = problem_text(s.problem, s.language, t)
        self.ids.hint.text = t("It is printed at the top of your bill. "
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
        if len(meters) == 1 and not s.done_meters:
            self.ids.choose.text = zones_text(meters[0], s.language, t) + "\n" + t(
                "If this is not your account, touch \u201cBack\u201d and check the number.")
            return
        self.ids.choose.text = t("Choose the meter whose readings you are entering:")
        for index, meter in enumerate(meters):
            button = KioskButton(text=zones_text(meter, s.language, t), tag=f"meter_{index}",
                                 size_hint_y=None, height=app.target * 1.3, kind="primary")
            button.bind(on_release=lambda _b, serial=meter.serial: app.act("choose_meter", serial))
            box.add_widget(button)


class ReadingScreen(KioskScreen):
    def show(self, app, journey, t):
        s = journey.session
        assert s is not None and s.meter is not None
        meter, zone = s.meter, s.meter.zones[s.zone]
        self.ids.meter.text = t("Meter {serial} \u2014 reading {n} of {count}").format(
            serial=meter.serial, n=s.zone + 1, count=len(meter.zones))
        self.ids.zone.text = zone_label(zone.position, zone.meaning, s.language)
        if zone.previous is None:
            self.ids.previous.text = t("No earlier reading is known.")
        elif meter.last_date is not None:
            self.ids.previous.text = t("Last reading: {value} on {date}").format(
                value=zone.previous, date=meter.last_date.strftime("%d.%m.%Y"))
        else:
            self.ids.previous.text = t("Last reading: {value}").format(value=zone.previous)
        self.ids.boxes.count = meter.digits
        self.ids.boxes.value = s.entered[s.zone]
        self.ids.hint.text = t("Type the black digits from left to right. "
                               "Leave out the red digits after the comma.")
        self.ids.problem.text = problem_text(s.problem, s.language, t)
        self.ids.keypad.captions = [t("Delete"), t("Clear all"), "", ""]


class QuestionScreen(KioskScreen):
    def show(self, app, journey, t):
        finding = journey.question
        assert finding is not None and journey.session is not None
        self.ids.heading.text = t("Please check this reading")
        self.ids.message.text = finding.message(journey.session.language)
        self.ids.again.text = t("Check again")
        self.ids.right.text = t("Yes, that is right")


class ReviewScreen(KioskScreen):
    def show(self, app, journey, t):
        s = journey.session
        assert s is not None and s.meter is not None and s.verdict is not None
        verdict = s.verdict
        self.ids.heading.text = t("Check and send your readings")
        self.ids.meter.text = t("Account {number}, meter {serial}").format(
            number=s.account_number, serial=s.meter.serial)
        table = self.ids.table
        table.clear_widgets()
        heads = (t("Zone"), t("Last"), t("Now"), t("Used, kWh"))
        for head in heads:
            table.add_widget(Txt(text=head, bold=True))
        for zone, value, used in zip(s.meter.zones, verdict.values, verdict.consumption):
            for cell in (zone_label(zone.position, zone.meaning, s.language),
                         "" if zone.previous is None else str(zone.previous), str(value),
                         "" if used is None else str(used)):
                table.add_widget(Txt(text=cell))
        if len(s.meter.zones) > 1 and verdict.total is not None:
            for cell in (t("Total"), "", "", str(verdict.total)):
                table.add_widget(Txt(text=cell, bold=True))
        self.ids.period.text = t("Counts toward the bill for {month:02d}.{year}").format(
            month=verdict.period.month, year=verdict.period.year)
        self.ids.notices.text = "\n".join(f.message(s.language) for f in verdict.notices)
        self.ids.problem.text = problem_text(s.problem, s.language, t)


class BusyScreen(KioskScreen):
    def show(self, app, journey, t):
        self.ids.heading.text = (t("Saving your readings\u2026") if journey.step is Step.COMMITTING
                                 else t("Printing your slip\u2026"))


class ResultScreen(KioskScreen):
    def show(self, app, journey, t):
        s: Session | None = journey.session
        assert s is not None and s.result is not None and s.result.submission is not None
        submission = s.result.submission
        printed = s.outcome is not None and s.outcome.printed
        if printed:
            self.ids.heading.text = t("Readings accepted")
            self.ids.slip.text = t("Please take your slip.")
            self.ids.number.text = ""
            self.ids.qr.texture = None
        else:
            self.ids.heading.text = t("Readings accepted")
            self.ids.slip.text = t("The slip could not be printed. Please note your number "
                                   "or photograph the code.")
            self.ids.number.text = t("Your number: {number}").format(number=submission.txn_id)
            self.ids.qr.texture = app.qr_texture(submission.txn_id)
        self.ids.notices.text = t("Counts toward the bill for {month:02d}.{year}").format(
            month=s.result.verdict.period.month, year=s.result.verdict.period.year)
        self.ids.another.text = t("Readings for another meter") if journey.other_meters() else ""


class ThanksScreen(KioskScreen):
    def show(self, app, journey, t):
        self.ids.heading.text = t("Thank you! Have a good day.")


class Countdown(FloatLayout):
    """"Are you still there?": any touch on it keeps the session."""

    def show(self, seconds: int | None, t: Translate) -> None:
        visible = seconds is not None
        self.opacity = 1 if visible else 0
        self.disabled = not visible
        if visible:
            self.ids.heading.text = t("Are you still there?")
            self.ids.seconds.text = str(seconds)
            self.ids.explain.text = t("The screen will return to the start and what you typed "
                                      "will be erased.")
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
