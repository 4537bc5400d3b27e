"""Service mode on the touch screen: the PIN keypad, the overview, one detail screen for every
page of the service desk, and the cover customers see while the terminal is out of service.

``ServiceMode`` holds what these screens show. Every call into the desk or the PIN check runs on
a worker thread (scrypt takes ~0.1 s per role, the overview asks the office) and comes back
through Clock; an answer for a screen no longer shown is dropped. The screens only render it.
"""

from __future__ import annotations

import gettext
import logging
import threading
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable

from kivy.clock import Clock
from kivy.properties import OptionProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.screenmanager import Screen

from kiosk.billcode import ScanResult
from kiosk.config import Service
from kiosk.health import Health, storage_failure
from kiosk.i18n import N_
from kiosk.journey import Step
from kiosk.service_access import ADMINISTRATOR, SHELL, SYSTEM, TECHNICIAN, Entry, ServiceSession
from kiosk.service_desk import Done, title
from kiosk.store.service import OutOfService
from screens import theme
from screens.texts import service_catalog
from screens.widgets import KioskButton

if TYPE_CHECKING:
    from kiosk.service_desk import Page, ServiceDesk
    from screens.app import KioskApp

log = logging.getLogger(__name__)

OVERVIEW_S = 5.0  # the overview is checked again this often while it is shown
PAGE_S = 2.0  # a detail page likewise: the printer's status follows a fix within seconds
COVER_S = 2.0  # how often the out-of-service switch is read, for the customers' cover

# The screen names in the app's ScreenManager.
PIN, OVERVIEW, PAGE, COVER = "service_pin", "service_overview", "service_page", "service_cover"

# Every level is a word on a coloured mark, never the colour alone; each pair is 7:1 or more.
LEVEL_COLOURS: dict[str, tuple[theme.RGBA, theme.RGBA]] = {
    "green": (theme.ON_DARK, theme.AFFIRM),
    "yellow": (theme.INK, theme.HIGHLIGHT),
    "red": (theme.ON_DARK, theme.ERROR_INK),
}
GREYED_INK = theme.hex_colour("#4D4D4D")  # an action this role may not take, on BOX_EMPTY
LEVEL_WORDS = {"green": N_("OK"), "yellow": N_("Warning"), "red": N_("Fault")}
# The clock has no page of its own: the system page shows it with the rest of the terminal.
PAGE_OF = {"clock": "system"}
ROLE_NAMES = {TECHNICIAN: N_("technician"), ADMINISTRATOR: N_("administrator"),
              SHELL: N_("remote shell"), SYSTEM: N_("the terminal itself")}
# What a customer reads on the cover: why in plain words, never the technical detail.
COVER_REASONS = {
    SYSTEM: N_("Readings cannot be saved on this terminal at the moment. "
               "Please come back later or ask the staff."),
}
COVER_REASON_OTHERWISE = N_("Maintenance is in progress. Please come back a little later.")
PIN_MAX_DIGITS = 12  # the longest PIN `kiosk pin hash` makes


class ServiceMode:
    """The technician's side of the app: entry, the pages, leaving, and the cover's state."""

    def __init__(self, app: "KioskApp", desk: "ServiceDesk", now: Callable[[], datetime]) -> None:
        """``now`` gives the terminal's local time (``Intake.now``)."""
        self.app = app
        self.desk = desk
        self.access = desk.terminal.service
        self._now = now
        self.screen: str | None = None  # PIN, OVERVIEW or PAGE while service mode is shown
        self.language = app.journey.language
        self.via = "corner"
        self.pin = ""
        self.pin_message = ""
        self.checking = False
        self.session: ServiceSession | None = None
        self.healths: list[Health] | None = None
        self.checked = False  # the overview shown is from since it was opened
        self.page_name: str | None = None
        self.page: Page | None = None
        self.done: Done | None = None  # the last action's outcome, shown where it was taken
        self.working: str | None = None  # the action running now
        self.out_of_service: OutOfService | None = None
        self._touched_at = time.monotonic()
        self._asked_at: dict[str, float] = {}
        self._asking: set[str] = set()
        self._stale: set[str] = set()  # asked before something changed: ask again on arrival
        # Bumped by close(): an answer to a question asked before it describes a service mode that
        # is gone (a page of the last session, an overview of devices since mended) and is dropped.
        self._epoch = 0

    # -- what the app asks ---------------------------------------------------------------------

    @property
    def active(self) -> bool:
        return self.screen is not None

    def screen_name(self) -> str | None:
        """The screen to show instead of the journey's, or None."""
        if self.screen is not None:
            return self.screen
        if self.out_of_service is not None and self.app.journey.step is Step.ATTRACT:
            return COVER  # a customer already inside finishes first
        return None

    def may_open(self) -> bool:
        """Entry is offered on the attract screen or the cover, never over a customer's journey,
        and only when some role has a PIN."""
        journey = self.app.journey
        return (self.screen is None and journey.session is None
                and journey.step in (Step.ATTRACT, Step.THANKS) and self.access.open_to_anyone)

    @property
    def settings(self) -> Service:
        """[service] of the desk's terminal: the corner's hold time, the idle time."""
        return self.desk.terminal.config.service

    @property
    def corner_hold_s(self) -> float:
        return self.settings.corner_hold_s

    def catalog(self, language: str | None = None) -> gettext.NullTranslations:
        return service_catalog(language or self.language)

    def touched(self) -> None:
        self._touched_at = time.monotonic()
        if self.session is not None:
            self.session.touch()

    def takes_scan(self, result: ScanResult) -> bool:
        """True when a scan is service mode's and must not reach the journey: a service card
        anywhere, anything while service mode or the cover is shown."""
        if self.access.is_service_code(result.raw):
            if self.may_open():
                self.open_pin("card")
            return True
        if self.screen == PAGE and self.page_name == "scanner":
            self._ask("scan", lambda: self.desk.scan_seen(result), lambda _none: self._refresh("page"))
            return True
        return self.screen_name() is not None

    def tick(self) -> bool:
        """A few times a second: leave when idle, refresh what is shown. True when the screen
        must be drawn again now."""
        now = time.monotonic()
        self._ask_every("cover", COVER_S, self.desk.out_of_service, self._cover_read)
        if self.session is not None and self.session.expired:
            self.leave(idle=True)
            return True
        if self.screen == PIN and now - self._touched_at >= self.settings.idle_s and not self.checking:
            self.close()
            return True
        if self.screen == OVERVIEW:
            self._ask_every("overview", OVERVIEW_S, self._read_overview, self._overview_read)
        elif self.screen == PAGE and self.working is None:
            self._ask_every("page", PAGE_S, self._read_page, self._page_read)
        return False

    def storage_failed(self, error: Exception) -> None:
        """A reading could not be stored: out of service now, for every customer after this one."""
        self._ask("storage_failed", lambda: self.access.storage_failed(error), self._cover_read)

    # -- entry ---------------------------------------------------------------------------------

    def open_pin(self, via: str) -> None:
        if not self.may_open():
            return
        self.app.journey.reset()
        self.screen, self.via = PIN, via
        self.pin, self.pin_message, self.checking = "", "", False
        self.language = self.app.journey.language
        self.touched()
        self._ask("lock", self.access.locked_until, self._lock_read)
        self.app.render()

    def pin_key(self, key: str) -> None:
        if self.screen != PIN or self.checking:
            return
        if key == "erase":
            self.pin = self.pin[:-1]
        elif key == "clear":
            self.pin = ""
        elif key.isdigit() and len(self.pin) < PIN_MAX_DIGITS:
            self.pin += key
        self.app.render()

    def pin_ok(self) -> None:
        if self.screen != PIN or self.checking:
            return
        if not self.pin:
            self.pin_message = self.catalog().gettext("Type the PIN first.")
            self.app.render()
            return
        pin, via = self.pin, self.via
        self.checking = True
        self._ask("entry", lambda: self.access.enter(pin, via=via), self.entry_answered, self._entry_failed)
        self.app.render()

    def close(self) -> None:
        """Back to the customers' screens, from the PIN screen or after leaving."""
        self.screen = None
        self.pin, self.pin_message, self.checking = "", "", False
        self.session, self.healths, self.page, self.page_name, self.done = None, None, None, None, None
        self.working, self.checked = None, False
        self._asked_at.clear()
        self._asking.clear()
        self._stale.clear()
        self._epoch += 1
        self.app.journey.reset()  # the office's language for the next customer
        self.app.render()

    def leave(self, *, idle: bool = False) -> None:
        session = self.session
        if session is not None:
            self._ask("leave", lambda: session.leave(idle=idle), lambda _none: None)
        self.close()

    def _lock_read(self, until: datetime | None) -> None:
        if self.screen == PIN and until is not None and not self.checking:
            self.pin_message = self._locked_text(until)
            self.app.render()

    def entry_answered(self, entry: Entry) -> None:
        """What the PIN check said (on the UI thread)."""
        self.checking = False
        self.pin = ""
        if self.screen != PIN:
            return
        catalog = self.catalog()
        if entry.granted:
            assert entry.role is not None
            self.session = self.access.session(entry.role)
            self.screen = OVERVIEW
            self.healths, self.done, self.checked = None, None, False
            self._asked_at.clear()
            self.tick()
        elif entry.locked_until is not None:
            self.pin_message = self._locked_text(entry.locked_until)
        else:
            left = entry.attempts_left or 0
            self.pin_message = catalog.ngettext("Wrong PIN. {n} try left.", "Wrong PIN. {n} tries left.",
                                                left).format(n=left)
        self.app.render()

    def _entry_failed(self, error: Exception) -> None:
        # A fault in the check itself, never the store (ServiceAccess goes on without a store
        # that cannot record): nobody enters, and the technician learns why instead of waiting.
        self.checking, self.pin = False, ""
        if self.screen == PIN:
            self.pin_message = self.catalog().gettext("The PIN cannot be checked now: {error}").format(
                error=_one_line(error))
            self.app.render()

    def _locked_text(self, until: datetime) -> str:
        return self.catalog().gettext("Entry locked until {time}.").format(time=self.local_time(until))

    def title(self) -> str:
        """The top bar's words: the mode, and who is in it."""
        t = self.catalog().gettext
        if self.session is None:
            return t("Service mode")
        return t("Service mode: {role}").format(role=self.role_name(self.session.role))

    def role_name(self, role: str) -> str:
        return self.catalog().gettext(ROLE_NAMES[role]) if role in ROLE_NAMES else role

    def local_time(self, moment: datetime) -> str:
        return moment.astimezone(self._now().tzinfo).strftime("%H:%M")

    # -- the overview and the pages -------------------------------------------------------------

    def set_language(self, language: str) -> None:
        self.language = language
        for name in ("overview", "page"):  # the desk words them: ask again in this language
            self._refresh(name)
        self.tick()

    def open_page(self, name: str) -> None:
        if self.session is None:
            return
        self.screen, self.page_name, self.page, self.done = PAGE, name, None, None
        self._asked_at.pop("page", None)
        self.tick()
        self.app.render()

    def to_overview(self) -> None:
        if self.session is None or self.working is not None:
            return
        self.screen, self.page_name, self.page, self.done = OVERVIEW, None, None, None
        self.checked = False
        self._asked_at.pop("overview", None)
        self.tick()
        self.app.render()

    def act(self, action: str) -> None:
        """An action button: "working..." until the desk answers, then what happened."""
        session = self.session
        if session is None or self.working is not None:
            return
        self.working, self.done = action, None
        language, screen = self.language, self.screen
        self._ask("act", lambda: self.desk.act(action, session, language),
                  lambda done: self._acted(screen, done),
                  lambda error: self._acted(screen, Done(False, _one_line(error))))
        self.app.render()

    def switch_service(self) -> None:
        self.act("in_service" if self.out_of_service is not None else "out_of_service")

    def _acted(self, screen: str | None, done: Done) -> None:
        self.working = None
        if self.session is None:
            return
        if self.screen == screen:
            self.done = done
        for name in ("overview", "page", "cover"):  # what the action changed shows at once
            self._refresh(name)
        self.tick()
        self.app.render()

    def _read_overview(self) -> tuple[list[Health], OutOfService | None]:
        return self.desk.overview(self.language), self.desk.out_of_service()

    def _overview_read(self, answer: tuple[list[Health], OutOfService | None]) -> None:
        self.healths, self.out_of_service = answer
        self.checked = True
        if self.screen == OVERVIEW:
            self.app.render()

    def _read_page(self) -> Page:
        assert self.session is not None and self.page_name is not None
        return self.desk.page(self.page_name, self.session.role, self.language)

    def _page_read(self, page: Page) -> None:
        if self.screen == PAGE and page.name == self.page_name:
            self.page = page
            self.app.render()

    def _cover_read(self, state: OutOfService | None) -> None:
        if state != self.out_of_service:
            self.out_of_service = state
            self.app.render()

    # -- workers -------------------------------------------------------------------------------

    def _refresh(self, name: str) -> None:
        """Ask again at the next tick, or as soon as the answer under way arrives."""
        self._asked_at.pop(name, None)
        if name in self._asking:
            self._stale.add(name)

    def _ask_every(self, name: str, period: float, work: Callable[[], Any],
                   deliver: Callable[[Any], None]) -> None:
        if name in self._asking or time.monotonic() - self._asked_at.get(name, -1e9) < period:
            return
        self._asked_at[name] = time.monotonic()
        self._ask(name, work, deliver)

    def _ask(self, name: str, work: Callable[[], Any], deliver: Callable[[Any], None],
             failed: Callable[[Exception], None] | None = None) -> None:
        """Run ``work`` on a thread and hand its answer to ``deliver`` on the UI thread; an
        exception goes to ``failed`` (without one, what is shown stays as it was and a periodic
        question is asked again at its next turn)."""
        self._asking.add(name)
        epoch = self._epoch

        def run() -> None:
            try:
                value = work()
            except Exception as exc:  # a database that cannot be written, or a bug: never the UI's end
                log.exception("service %s failed", name)
                Clock.schedule_once(lambda _dt, error=exc: self._answered(name, epoch, failed, error))
                return
            Clock.schedule_once(lambda _dt: self._answered(name, epoch, deliver, value))

        threading.Thread(target=run, name=f"service-{name}", daemon=True).start()

    def _answered(self, name: str, epoch: int, deliver: Callable[[Any], None] | None, value: Any) -> None:
        if epoch != self._epoch:
            return
        self._asking.discard(name)
        if name in self._stale:
            self._stale.discard(name)
            self._asked_at.pop(name, None)
        if deliver is not None:
            deliver(value)


def _one_line(error: Exception) -> str:
    orig = getattr(error, "orig", None)  # SQLAlchemy's wrapper: the driver's words, not the SQL
    text = str(orig if orig is not None else error)
    return text.splitlines()[0][:200] if text else type(error).__name__


# -- widgets --------------------------------------------------------------------------------------

class LevelMark(Label):
    """Green, yellow or red, with its word on it."""

    level = OptionProperty("green", options=tuple(LEVEL_COLOURS))


class ServiceLine(ButtonBehavior, BoxLayout):
    """One subsystem on the overview: its mark, its name and the reason; a touch opens its page."""

    tag = StringProperty("")


class PageRow(BoxLayout):
    """A label and its value on a detail page; a long value wraps beside its label."""


class ServiceAction(KioskButton):
    """A button that can be greyed: an action this role may not take (said so beside it), or
    any button while an action runs."""


class ActionColumn(BoxLayout):
    """An action's button with the note under it that says who may take it."""

    tag = StringProperty("")


# -- screens --------------------------------------------------------------------------------------

class ServiceScreen(Screen):
    def show(self, app: "KioskApp", mode: ServiceMode) -> None:
        raise NotImplementedError


class ServicePinScreen(ServiceScreen):
    def show(self, app, mode):
        t = mode.catalog().gettext
        self.ids.heading.text = t("Type your PIN")
        self.ids.prompt.text = t("Service card read.") if mode.via == "card" else ""
        self.ids.dots.text = " ".join("\u2022" * len(mode.pin))
        self.ids.message.text = mode.pin_message
        self.ids.hint.text = t("Every entry and every wrong PIN is recorded.")
        self.ids.keypad.captions = [t("Delete"), t("Clear all"), "", ""]
        self.ids.cancel.text = t("Cancel")
        self.ids.ok.text = t("Checking\u2026") if mode.checking else t("Enter")
        self.ids.ok.disabled = mode.checking


class ServiceOverviewScreen(ServiceScreen):
    def show(self, app, mode):
        t = mode.catalog().gettext
        self.ids.heading.text = t("Touch a line for its details and tests.")
        self.ids.waiting.text = "" if mode.checked else t("Checking the terminal\u2026")
        healths = mode.healths or []
        box = self.ids.lines
        # The lines are kept and filled in, not rebuilt: a refresh must not swallow a finger
        # that is pressing one of them.
        if [line.tag for line in reversed(box.children)] != [f"line_{h.subsystem}" for h in healths]:
            box.clear_widgets()
            for health in healths:
                line = ServiceLine(tag=f"line_{health.subsystem}")
                page = PAGE_OF.get(health.subsystem, health.subsystem)
                line.bind(on_release=lambda _w, page=page: mode.open_page(page))
                box.add_widget(line)
        for line, health in zip(reversed(box.children), healths):
            line.ids.mark.level = health.level
            line.ids.mark.text = t(LEVEL_WORDS[health.level])
            line.ids.name.text = title(health.subsystem, mode.language)
            line.ids.reason.text = health.text(mode.language)
        state = mode.out_of_service
        if state is None:
            self.ids.state.kind = "info"
            self.ids.state.text = t("Customers are being served.")
        else:
            self.ids.state.kind = "warning"
            if state.by == SYSTEM:
                self.ids.state.text = t("Out of service since {time}: {reason}").format(
                    time=mode.local_time(state.since), reason=storage_failure(state.reason).text(mode.language))
            else:
                self.ids.state.text = t("Out of service since {time}, switched off by the {role}.").format(
                    time=mode.local_time(state.since), role=mode.role_name(state.by))
        if mode.done is not None and not mode.done.ok:  # done, the state above says so already
            self.ids.state.kind = "error"
            self.ids.state.text += "\n" + mode.done.message
        switch = self.ids.switch
        switch.text = (t("Working\u2026") if mode.working else
                       t("Return to service") if state is not None else t("Take out of service"))
        switch.disabled = mode.working is not None
        self.ids.leave.text = t("Leave service mode")


class ServicePageScreen(ServiceScreen):
    def show(self, app, mode):
        t = mode.catalog().gettext
        page = mode.page
        self.ids.back.text = t("Back to overview")
        self.ids.back.disabled = mode.working is not None
        rows, actions = self.ids.rows, self.ids.actions
        if page is None or page.name != getattr(self, "_page_name", None):
            actions.clear_widgets()
        self._page_name = page.name if page is not None else None
        rows.clear_widgets()
        if page is None:
            self.ids.mark.opacity = 0
            self.ids.title.text = t("Checking\u2026")
            self.ids.reason.text = ""
            self.ids.result.text = ""
            return
        self.ids.mark.opacity = 1
        self.ids.mark.level = page.level
        self.ids.mark.text = t(LEVEL_WORDS[page.level])
        self.ids.title.text = page.title
        self.ids.reason.text = page.reason
        for label, value in page.rows:
            row = PageRow()
            row.ids.label.text, row.ids.value.source = label, value
            rows.add_widget(row)
        self._actions(app, mode, page, t)
        result = self.ids.result
        if mode.working is not None:
            result.kind, result.text = "info", t("Working\u2026")
        elif mode.done is not None:
            result.kind, result.text = ("info" if mode.done.ok else "error"), mode.done.message
        else:
            result.text = ""

    def _actions(self, app, mode, page, t) -> None:
        # Kept while the page refreshes, for the same reason as the overview's lines.
        box = self.ids.actions
        if [c.tag for c in reversed(box.children)] != [a.name for a in page.actions]:
            box.clear_widgets()
            for action in page.actions:
                column = ActionColumn(tag=action.name)
                column.ids.button.tag = f"action_{action.name}"
                column.ids.button.bind(on_release=lambda _b, name=action.name: mode.act(name))
                box.add_widget(column)
        for column, action in zip(reversed(box.children), page.actions):
            button = column.ids.button
            button.text = action.caption
            button.disabled = not action.allowed or mode.working is not None
            column.ids.note.text = "" if action.allowed else t("Administrators only")


class ServiceCoverScreen(ServiceScreen):
    def show(self, app, mode):
        t = mode.catalog(app.journey.language).gettext
        state = mode.out_of_service
        self.ids.heading.text = t("Terminal temporarily unavailable")
        why = COVER_REASONS.get(state.by, COVER_REASON_OTHERWISE) if state else COVER_REASON_OTHERWISE
        self.ids.reason.text = t(why)
        self.ids.sorry.text = t("We apologise for the inconvenience.")
