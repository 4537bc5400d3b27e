"""Service mode as the technician goes through it, without a window: the PIN keypad, the
overview, one page at a time, the actions, leaving; and the cover customers see while the
terminal is out of service. The service screens (``screens.service_views``) render what this
holds and call its methods on taps; ``tick`` is called a few times a second.

What it asks of the desk or the PIN check may take a while (scrypt takes ~0.1 s per role, the
overview asks the office), so every question goes to ``run``, which does the work off the UI
thread and hands the answer back on it (``kiosk.service.questions`` keeps the order). An answer
for a screen no longer shown is dropped, and so is every answer to a question asked before
service mode closed.
"""

from __future__ import annotations

import gettext
import time
from collections.abc import Callable
from datetime import datetime

from kiosk.billcode import ScanResult
from kiosk.config import Service
from kiosk.journey import Journey, Step
from kiosk.service.access import Entry, ServiceSession
from kiosk.service.desk import ServiceDesk
from kiosk.service.health import Health
from kiosk.service.questions import Questions, Run
from kiosk.service.view import Done, Page, error_line, role_name
from kiosk.store.service import OutOfService

OVERVIEW_S = 5.0  # the overview is checked again this often while it is shown
PAGE_S = 2.0  # a detail page likewise: the printer's status follows a fix within seconds
COVER_S = 2.0  # how often the out-of-service switch is read, for the customers' cover

# The screen names in the app's ScreenManager.
PIN, OVERVIEW, PAGE, COVER = "service_pin", "service_overview", "service_page", "service_cover"
REPRINT = "service_reprint"  # the number or reference of a slip to copy, over the printer page
PIN_MAX_DIGITS = 12  # the longest PIN `kiosk pin hash` makes
SLIP_KEYS = "0123456789ABCDEF"  # a slip's number, or its reference as printed (3F2A9-1C0B7)
SLIP_MAX_CHARS = 10  # a reference's ten digits; a number is shorter



class ServiceMode:
    """The technician's side of the app: entry, the pages, leaving, and the cover's state."""

    def __init__(self, journey: Journey, desk: ServiceDesk, *, now: Callable[[], datetime],
                 render: Callable[[], None], run: Run, catalog: Callable[[str], gettext.NullTranslations],
                 clock: Callable[[], float] = time.monotonic) -> None:
        """``now`` gives the terminal's local time (``Intake.now``); ``render`` draws what changed;
        ``catalog`` gives the service screens' words in a language; ``clock`` says when to ask again."""
        self.journey = journey
        self.desk = desk
        self.access = desk.terminal.service
        self._now = now
        self._render = render
        self._catalog = catalog
        self._clock = clock
        self.screen: str | None = None  # PIN, OVERVIEW, PAGE or REPRINT while service mode is shown
        self.language = journey.language
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
        self.slip = ""  # typed on the reprint screen
        self.slip_message = ""
        self._touched_at = self._clock()
        self._questions = Questions(run, clock)

    # -- what the app asks ---------------------------------------------------------------------

    @property
    def active(self) -> bool:
        return self.screen is not None

    def screen_name(self) -> str | None:
        """The screen to show instead of the journey's, or None."""
        if self.screen is not None:
            return self.screen
        if self.out_of_service is not None and self.journey.step is Step.ATTRACT:
            return COVER  # a customer already inside finishes first
        return None

    def may_open(self) -> bool:
        """Entry is offered on the attract screen or the cover, never over a customer's journey,
        and only when some role has a PIN."""
        journey = self.journey
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
        return self._catalog(language or self.language)

    def touched(self) -> None:
        self._touched_at = self._clock()
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
            self._questions.ask("scan", lambda: self.desk.scan_seen(result),
                                lambda _none: self._questions.refresh("page"))
            return True
        return self.screen_name() is not None

    def tick(self) -> bool:
        """A few times a second: leave when idle, refresh what is shown. True when the screen
        must be drawn again now."""
        now = self._clock()
        self._questions.ask_every("cover", COVER_S, self.desk.out_of_service, self._cover_read)
        if self.session is not None and self.session.expired:
            self.leave(idle=True)
            return True
        if self.screen == PIN and now - self._touched_at >= self.settings.idle_s and not self.checking:
            self.close()
            return True
        # What a question needs is read here, on the UI thread: by the time a worker runs it the
        # technician may have moved on.
        language = self.language
        if self.screen == OVERVIEW:
            self._questions.ask_every("overview", OVERVIEW_S, lambda: self._read_overview(language),
                                      self._overview_read)
        elif self.screen == PAGE and self.working is None and self.session is not None and self.page_name:
            name, role = self.page_name, self.session.role
            self._questions.ask_every("page", PAGE_S, lambda: self.desk.page(name, role, language),
                                      self._page_read)
        return False

    def storage_failed(self, error: Exception) -> None:
        """A reading could not be stored: out of service now, for every customer after this one."""
        self._questions.ask("storage_failed", lambda: self.access.storage_failed(error), self._cover_read)

    # -- entry ---------------------------------------------------------------------------------

    def open_pin(self, via: str) -> None:
        if not self.may_open():
            return
        self.journey.reset()
        self.screen, self.via = PIN, via
        self.pin, self.pin_message, self.checking = "", "", False
        self.language = self.journey.language
        self.touched()
        self._questions.ask("lock", self.access.locked_until, self._lock_read)
        self._render()

    def pin_key(self, key: str) -> None:
        if self.screen != PIN or self.checking:
            return
        if key == "erase":
            self.pin = self.pin[:-1]
        elif key == "clear":
            self.pin = ""
        elif key.isdigit() and len(self.pin) < PIN_MAX_DIGITS:
            self.pin += key
        self._render()

    def pin_ok(self) -> None:
        if self.screen != PIN or self.checking:
            return
        if not self.pin:
            self.pin_message = self.catalog().gettext("Type the PIN first.")
            self._render()
            return
        pin, via = self.pin, self.via
        self.checking = True
        self._questions.ask("entry", lambda: self.access.enter(pin, via=via), self.entry_answered,
                            self._entry_failed)
        self._render()

    def close(self) -> None:
        """Back to the customers' screens, from the PIN screen or after leaving."""
        self.screen = None
        self.pin, self.pin_message, self.checking = "", "", False
        self.session, self.healths, self.page, self.page_name, self.done = None, None, None, None, None
        self.working, self.checked = None, False
        self.slip, self.slip_message = "", ""
        self._questions.forget()
        self.journey.reset()  # the office's language for the next customer
        self._render()

    def leave(self, *, idle: bool = False) -> None:
        session = self.session
        if session is not None:
            self._questions.ask("leave", lambda: session.leave(idle=idle), lambda _none: None)
        self.close()

    def _lock_read(self, until: datetime | None) -> None:
        if self.screen == PIN and until is not None and not self.checking:
            self.pin_message = self._locked_text(until)
            self._render()

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
            self._questions.due()
            self.tick()
        elif entry.locked_until is not None:
            self.pin_message = self._locked_text(entry.locked_until)
        else:
            left = entry.attempts_left or 0
            self.pin_message = catalog.ngettext("Wrong PIN. {n} try left.", "Wrong PIN. {n} tries left.",
                                                left).format(n=left)
        self._render()

    def _entry_failed(self, error: Exception) -> None:
        # A fault in the check itself, never the store (ServiceAccess goes on without a store
        # that cannot record): nobody enters, and the technician learns why instead of waiting.
        self.checking, self.pin = False, ""
        if self.screen == PIN:
            self.pin_message = self.catalog().gettext("The PIN cannot be checked now: {error}").format(
                error=error_line(error))
            self._render()

    def _locked_text(self, until: datetime) -> str:
        return self.catalog().gettext("Entry locked until {time}.").format(time=self.local_time(until))

    def title(self) -> str:
        """The top bar's words: the mode, and who is in it."""
        t = self.catalog().gettext
        if self.session is None:
            return t("Service mode")
        return t("Service mode: {role}").format(role=self.role_name(self.session.role))

    def role_name(self, role: str) -> str:
        return role_name(role, self.catalog().gettext)

    def local_time(self, moment: datetime) -> str:
        return moment.astimezone(self._now().tzinfo).strftime("%H:%M")

    # -- the overview and the pages -------------------------------------------------------------

    def set_language(self, language: str) -> None:
        self.language = language
        for name in ("overview", "page"):  # the desk words them: ask again in this language
            self._questions.refresh(name)
        self.tick()

    def open_page(self, name: str) -> None:
        if self.session is None:
            return
        self.screen, self.page_name, self.page, self.done = PAGE, name, None, None
        self._questions.due("page")
        self.tick()
        self._render()

    def to_overview(self) -> None:
        if self.session is None or self.working is not None:
            return
        self.screen, self.page_name, self.page, self.done = OVERVIEW, None, None, None
        self.checked = False
        self._questions.due("overview")
        self.tick()
        self._render()

    def act(self, action: str) -> None:
        """An action button: "working..." until the desk answers, then what happened. Reprint
        asks which slip first."""
        session = self.session
        if session is None or self.working is not None:
            return
        if action == "reprint":
            self.screen, self.slip, self.slip_message, self.done = REPRINT, "", "", None
            self._render()
            return
        self.working, self.done = action, None
        language, screen = self.language, self.screen
        self._questions.ask("act", lambda: self.desk.act(action, session, language),
                            lambda done: self._acted(screen, done),
                            lambda error: self._acted(screen, Done(False, error_line(error))))
        self._render()

    def slip_key(self, key: str) -> None:
        if self.screen != REPRINT or self.working is not None:
            return
        if key == "erase":
            self.slip = self.slip[:-1]
        elif key == "clear":
            self.slip = ""
        elif key in SLIP_KEYS and len(key) == 1 and len(self.slip) < SLIP_MAX_CHARS:
            self.slip += key
        self._render()

    def reprint(self) -> None:
        """Print a copy of the slip typed, or of the last one when nothing is typed."""
        session = self.session
        if self.screen != REPRINT or session is None or self.working is not None:
            return
        slip, language = self.slip or None, self.language
        self.working, self.slip_message = "reprint", ""
        self._questions.ask("act", lambda: self.desk.act("reprint", session, language, slip=slip),
                            self._reprinted, lambda error: self._reprinted(Done(False, error_line(error))))
        self._render()

    def back_to_page(self) -> None:
        if self.screen == REPRINT and self.working is None:
            self.screen = PAGE
            self._render()

    def _reprinted(self, done: Done) -> None:
        self.working = None
        if self.session is None or self.screen != REPRINT:
            return
        if done.ok:  # back on the printer page, with what was printed
            self.screen, self.done = PAGE, done
            self._questions.refresh("page")
            self.tick()
        else:  # the number stays, to be corrected
            self.slip_message = done.message
        self._render()

    def switch_service(self) -> None:
        self.act("in_service" if self.out_of_service is not None else "out_of_service")

    def _acted(self, screen: str | None, done: Done) -> None:
        self.working = None
        if self.session is None:
            return
        if self.screen == screen:
            self.done = done
        for name in ("overview", "page", "cover"):  # what the action changed shows at once
            self._questions.refresh(name)
        self.tick()
        self._render()

    def _read_overview(self, language: str) -> tuple[list[Health], OutOfService | None]:
        return self.desk.overview(language), self.desk.out_of_service()

    def _overview_read(self, answer: tuple[list[Health], OutOfService | None]) -> None:
        self.healths, self.out_of_service = answer
        self.checked = True
        if self.screen == OVERVIEW:
            self._render()

    def _page_read(self, page: Page) -> None:
        if self.screen == PAGE and page.name == self.page_name:
            self.page = page
            self._render()

    def _cover_read(self, state: OutOfService | None) -> None:
        if state != self.out_of_service:
            self.out_of_service = state
            self._render()
