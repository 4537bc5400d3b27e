"""The kiosk's App: renders the journey, feeds it taps, scans and the clock, runs its jobs;
and, with a service desk, the technician's service mode and the customers' out-of-service cover.

Import this only through screens.boot.create_app: Kivy must be configured before its import.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import queue
import time
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.graphics.texture import Texture
from kivy.lang import Builder
from kivy.properties import AliasProperty, BooleanProperty, NumericProperty, StringProperty
from kivy.uix.floatlayout import FloatLayout

from kiosk.billcode import ScanResult
from kiosk import watchdog
from kiosk.intake import Intake
from kiosk.journey import Job, Journey, Notice, PrintSlip, StatusProvider, Step
from kiosk.service.presenter import ServiceMode
from screens import service_views
from screens import views  # noqa: F401  (registers the screen classes the kv file names)
from screens import meter_face, widgets  # noqa: F401
from screens.background import Background
from screens.qr import qr_texture
from screens.settings import UiSettings
from screens.texts import service_catalog, texts_for
from screens.theme import body_px

if TYPE_CHECKING:
    from kiosk.service.desk import ServiceDesk

Builder.load_file(str(Path(__file__).with_name("layout.kv")))
Builder.load_file(str(Path(__file__).with_name("service.kv")))

log = logging.getLogger(__name__)

POLL_S = 0.25  # scans, the countdown and timeouts are checked this often
NOTICES_S = 5.0  # how often the attract screen asks the status provider again

# The technician's screens, built when service mode or the out-of-service cover first shows one
# and dropped once the customers' journey is back: a terminal spends its days without them, and
# building them at start cost 30 ms of it and 5 MB of memory for good.
_SERVICE_SCREENS = {
    service_views.PIN: service_views.ServicePinScreen, service_views.OVERVIEW: service_views.ServiceOverviewScreen,
    service_views.PAGE: service_views.ServicePageScreen, service_views.REPRINT: service_views.ServiceReprintScreen,
    service_views.COVER: service_views.ServiceCoverScreen,
}

_SCREEN_OF = {
    Step.ATTRACT: "attract", Step.ACCOUNT: "account", Step.METER: "meter",
    Step.READING: "reading", Step.QUESTION: "question", Step.REVIEW: "review",
    Step.COMMITTING: "busy", Step.PRINTING: "busy", Step.RESULT: "result", Step.THANKS: "thanks",
}


def _freeze_start_up(_dt: float) -> None:
    """What start-up made (Kivy, the screens, the modules) lives as long as the app: moved out of
    the cycle collector's sight, the collection after each journey looks only at what came since
    (at 1920×1080 it took 176 ms of the UI thread with them, at the moment a next customer may
    tap)."""
    gc.collect()
    gc.freeze()


def _release_free_memory(_dt: float) -> None:
    """A journey is over: collect what it left (the customer's data with it, in cycles of widgets
    and bindings that only the cycle collector frees) and hand the freed memory back to the
    system. glibc's allocator keeps freed blocks (one arena per thread) for reuse: over hundreds
    of journeys that garbage and free space, not live data, made the resident memory creep up."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass  # another C library: nothing to trim


class KioskRoot(FloatLayout):
    """Drops taps that arrive right after the screen changed (a double tap on "Next"), and
    watches the top-left corner: held there long enough, a finger asks for the service PIN."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._hold: tuple[Any, Any] | None = None  # (the finger's uid, the timer)

    def on_touch_down(self, touch):
        app = App.get_running_app()
        service = app.service
        if service is not None:
            service.touched()
            if self._hold is None and self._in_corner(touch) and service.may_open():
                self._hold = (touch.uid, Clock.schedule_once(self._held, service.corner_hold_s))
        if time.monotonic() - app.changed_at < app.settings.double_tap_s:
            return True
        return super().on_touch_down(touch)

    def on_touch_move(self, touch):
        if self._hold is not None and touch.uid == self._hold[0] and not self._in_corner(touch):
            self._let_go()
        return super().on_touch_move(touch)

    def on_touch_up(self, touch):
        if self._hold is not None and touch.uid == self._hold[0]:
            self._let_go()
        return super().on_touch_up(touch)

    def _in_corner(self, touch) -> bool:
        side = App.get_running_app().target  # one touch target square
        return touch.x <= self.x + side and touch.y >= self.top - side

    def _held(self, _dt: float) -> None:
        self._hold = None
        App.get_running_app().service.open_pin("corner")

    def _let_go(self) -> None:
        assert self._hold is not None
        self._hold[1].cancel()
        self._hold = None


class KioskApp(App):
    language = StringProperty("ru")
    portrait = BooleanProperty(False)
    # The customer's "Large text": every text size times theme.LARGE_TEXT, the touch targets as
    # they are; for this customer only, off again when the journey is back at its start.
    large_text = BooleanProperty(False)
    target = NumericProperty(80)  # the smallest touch target, px
    body = NumericProperty(32)
    big = NumericProperty(40)
    heading = NumericProperty(48)
    key_font = NumericProperty(56)
    digit_box = NumericProperty(120)
    digit_font = NumericProperty(90)
    staff_button = BooleanProperty(False)  # «Позвать сотрудника» offered: see call_staff
    technician = BooleanProperty(False)  # service mode is up: the customers' options are not
    # The button in the top bar: for customers, never over the technician's screens.
    staff_shown = AliasProperty(lambda self: self.staff_button and not self.technician,
                                bind=("staff_button", "technician"), cache=True)

    def __init__(
        self,
        intake: Intake,
        *,
        print_slip: PrintSlip | None,
        scans: "queue.Queue[ScanResult] | None",
        status: StatusProvider | None,
        settings: UiSettings,
        language: str,
        service: "ServiceDesk | None" = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.title = "Kiosk"  # the window caption
        self.settings = settings
        self.scans = scans
        self._status = status
        self.journey = Journey(intake, print_slip, language=language, timeouts=settings.timeouts,
                               clock=clock,
                               on_storage_failure=self._storage_failed if service is not None else None)
        self.language = self.journey.language
        self.background = Background()
        self.service: ServiceMode | None = None
        if service is not None:
            self.service = ServiceMode(self.journey, service, now=intake.now, render=self.render,
                                       run=self.background.run, catalog=service_catalog)
        self.changed_at = 0.0
        self._shown: tuple[Any, ...] = ()
        self._notices: tuple[Notice, ...] = ()
        self._notices_at = -NOTICES_S
        self._qr: tuple[str, Texture] | None = None
        self.root_widget: KioskRoot | None = None
        # A customer's call for staff: stores it, tells the office, returns the reference to show
        # (screens.boot sets it on a terminal with an office). Blocks briefly: off the UI thread.
        self.call_staff: Callable[[], str] | None = None
        # One pending drop at a time, however often the journey's screens are drawn meanwhile.
        self._drop_service_screens_later = Clock.create_trigger(self._drop_service_screens, 1.0)
        self.bind(large_text=lambda *_args: self._resized(Window, Window.size))

    # -- building ------------------------------------------------------------------------------

    def build(self) -> KioskRoot:
        Window.clearcolor = (1, 1, 1, 1)
        # A kiosk never closes from the keyboard or the window manager; technicians stop the service.
        Window.bind(on_request_close=lambda *_a, **_k: True)
        Window.bind(on_keyboard=self._keyboard, size=self._resized)
        self.root_widget = KioskRoot()
        self._resized(Window, Window.size)
        self.render(force=True)
        Clock.schedule_interval(self._poll, POLL_S)
        return self.root_widget

    def on_start(self) -> None:
        Clock.schedule_once(_freeze_start_up, 0)
        # systemd's watchdog is fed from this thread only: a frozen screen stops the pings and
        # the service is restarted. READY means the attract screen is up.
        watchdog.ready()
        period = watchdog.interval()
        if period:
            Clock.schedule_interval(lambda _dt: watchdog.alive(), period)

    def on_stop(self) -> None:
        watchdog.stopping()

    def _keyboard(self, _window: Any, key: int, *_args: Any) -> bool:
        return key == 27  # Escape: swallowed

    def _resized(self, _window: Any, size: tuple[int, int]) -> None:
        width, height = int(size[0]), int(size[1])
        self.portrait = height > width
        self.target = self.settings.target_px(width, height)
        self.body = body_px(width, height, self.settings.px_per_mm(width, height), self.large_text)
        self.big = round(self.body * 1.25)
        # Large text makes body text the most of it: headings, already large, grow less.
        self.heading = round(self.body * (1.25 if self.large_text else 1.5))
        self.key_font = max(self.body * 1.5, self.target * 0.5)
        self.digit_box = max(self.target * 1.3, self.body * 3.2)
        self.digit_font = self.digit_box * 0.7

    # -- input ---------------------------------------------------------------------------------

    def act(self, method: str, *args: Any) -> None:
        """Pass a tap to the journey, then show what it decided."""
        if method == "set_language" and self.service is not None and self.service.active:
            self.service.set_language(*args)  # the technician's language, not the next customer's
        else:
            getattr(self.journey, method)(*args)
        self.render()

    def staff_pressed(self) -> None:
        call = self.call_staff
        if call is None:
            return

        def failed(_exc: Exception) -> None:  # the call was not stored: the customer is told to ask at the desk
            self.root_widget.ids.staff.show(None, texts_for(self.language))

        self.background.run(call, lambda reference: self.root_widget.ids.staff.show(reference, texts_for(self.language)),
                            failed)
    def toggle_large_text(self) -> None:
        """On the start screen the toggle also starts the journey: the size is the customer's."""
        if self.journey.step is Step.ATTRACT:
            self.journey.start()
        self.large_text = not self.large_text
        self.render()

    def account_key(self, key: str) -> None:
        {"erase": self.journey.erase_account, "clear": self.journey.clear_account}.get(
            key, lambda: self.journey.type_account(key))()
        self.render()

    def reading_key(self, key: str) -> None:
        {"erase": self.journey.erase_digit, "clear": self.journey.clear_reading}.get(
            key, lambda: self.journey.type_digit(key))()
        self.render()

    def next_pressed(self) -> None:
        journey = self.journey
        step = journey.step
        if step is Step.ACCOUNT:
            journey.submit_account()
        elif step is Step.METER and journey.other_meters():
            journey.choose_meter(journey.other_meters()[0].serial)
        elif step is Step.READING:
            journey.next_zone()
        elif step is Step.QUESTION:
            journey.answer(True)
        elif step is Step.REVIEW:
            journey.confirm_review()
        elif step is Step.RESULT:
            journey.finish()
        self.render()

    # -- the clock, scans and jobs -------------------------------------------------------------

    def _poll(self, _dt: float) -> None:
        changed = self.journey.tick()
        while self.scans is not None:
            try:
                result = self.scans.get_nowait()
            except queue.Empty:
                break
            changed = self._scanned(result) or changed
        service_screen = None
        if self.service is not None:
            changed = self.service.tick() or changed
            service_screen = self.service.screen_name()
        if (self.journey.step is Step.ATTRACT and service_screen is None
                and time.monotonic() - self._notices_at >= NOTICES_S):
            changed = True
        self.render(force=changed)

    def _scanned(self, result: ScanResult) -> bool:
        # A service card, or any scan while service mode or the cover is up, is not a customer's.
        if self.service is not None and self.service.takes_scan(result):
            return True
        return self.journey.scanned(result.account if result.kind in ("bill", "barcode") else None,
                                    bill=result.kind == "bill", bill_sum=result.fields.get("Sum"))

    def _storage_failed(self, error: Exception) -> None:
        assert self.service is not None
        self.service.storage_failed(error)

    def _start_job(self, job: Job) -> None:
        self.background.run(job.run, lambda value: self._deliver(job, value))

    def _deliver(self, job: Job, value: Any) -> None:
        job.deliver(value)
        self.render()

    # -- rendering -----------------------------------------------------------------------------

    def refresh_notices(self) -> None:
        """Ask the status provider again at the next render, not when the next look is due."""
        self._notices_at = -NOTICES_S

    def notices(self) -> Collection[Notice]:
        if time.monotonic() - self._notices_at >= NOTICES_S:
            self._notices_at = time.monotonic()
            try:
                self._notices = tuple(self._status()) if self._status else ()
            except Exception:  # a status check must never take the screen down
                self._notices = ()
        return self._notices

    def qr_texture(self, text: str) -> Texture:
        if self._qr is None or self._qr[0] != text:
            self._qr = (text, qr_texture(text))
        return self._qr[1]

    def render(self, force: bool = True) -> None:
        root = self.root_widget
        if root is None:
            return
        journey = self.journey
        service_screen = self.service.screen_name() if self.service is not None else None
        # The cover is the customers' screen, and a customer before it may still call staff.
        self.technician = self.service is not None and self.service.active
        if service_screen is not None:
            self._render_service(service_screen, force)
        else:
            self._render_journey(force)
        if journey.session is None:
            self._qr = None  # the last customer's number leaves memory with the session
        job = journey.take_job()
        if job is not None:
            self._start_job(job)

    def _render_journey(self, force: bool) -> None:
        root, journey = self.root_widget, self.journey
        t = texts_for(journey.language)
        self.language = journey.language
        name = _SCREEN_OF[journey.step]
        if journey.step is Step.ATTRACT:
            self.large_text = False
            if self._shown[:1] not in ((Step.ATTRACT,), ()):
                Clock.schedule_once(_release_free_memory, 1.0)  # after the start screen is drawn
        manager = root.ids.screens
        # A question popping up over the screen is a change too: a double tap must not answer it.
        if manager.current != name or self._shown[:1] != (journey.step,) or (
                self._shown[2:] != (journey.prompt,)):
            self.changed_at = time.monotonic()
        if force or self._shown != (journey.step, journey.language, journey.prompt):
            manager.get_screen(name).show(self, journey, t)
            self._bars(t)
        manager.current = name
        self._shown = (journey.step, journey.language, journey.prompt)
        root.ids.countdown.show(journey, t)
        root.ids.ask.show(journey, t)
        if any(manager.has_screen(name) for name in _SERVICE_SCREENS):
            self._drop_service_screens_later()  # after the customers' screen is drawn

    def _drop_service_screens(self, _dt: float) -> None:
        manager = self.root_widget.ids.screens
        if (self.service is not None and self.service.screen_name() is not None) or manager.transition.is_active:
            return  # service mode came back meanwhile, or the screen is still changing
        for screen in [screen for screen in manager.screens if screen.name in _SERVICE_SCREENS]:
            manager.remove_widget(screen)

    def _render_service(self, name: str, force: bool) -> None:
        """Service mode, or the cover: the journey's top bar with the language switch, no
        bottom bar, no countdown."""
        root, service = self.root_widget, self.service
        assert service is not None
        language = service.language if service.active else self.journey.language
        self.language = language
        manager = root.ids.screens
        if not manager.has_screen(name):
            manager.add_widget(_SERVICE_SCREENS[name](name=name))
            force = True
        if manager.current != name:
            self.changed_at = time.monotonic()
        if force or self._shown != (name, language):
            manager.get_screen(name).show(self, service)
            t = texts_for(language)
            self._bars(t)  # the journey is at its start: only the title and the language switch
            if service.active:
                root.ids.title.text = service.title()
            root.ids.large.opacity, root.ids.large.disabled = 0, True  # the customer's option
        manager.current = name
        self._shown = (name, language)
        root.ids.countdown.show(None, texts_for(language))
        root.ids.ask.show(None, texts_for(language))

    def _bars(self, t: Any) -> None:
        ids = self.root_widget.ids
        journey, step = self.journey, self.journey.step
        ids.title.text = {
            Step.ACCOUNT: t("Step 1 of 4: your account"),
            Step.METER: t("Step 2 of 4: your meter"),
            Step.READING: t("Step 3 of 4: readings"),
            Step.QUESTION: t("Step 3 of 4: readings"),
            Step.REVIEW: t("Step 4 of 4: check and send"),
        }.get(step, t("Meter readings"))
        single = (step is Step.METER and len(journey.other_meters()) == 1
                  and not (journey.session and journey.session.done_meters))
        next_text = {
            Step.ACCOUNT: t("Next"),
            Step.READING: self._reading_next(t),
            Step.QUESTION: t("Yes, that is right"),
            Step.REVIEW: t("Send readings"),
            Step.RESULT: t("Done"),
        }.get(step, t("Yes, continue") if single else "")
        shown = {
            "cancel": step in (Step.ACCOUNT, Step.METER, Step.READING, Step.QUESTION, Step.REVIEW),
            "back": step in (Step.METER, Step.READING, Step.QUESTION, Step.REVIEW),
            "next": bool(next_text),
        }
        ids.call_staff.text = t("Call staff")
        ids.large.text = t("Large text")
        ids.large.opacity, ids.large.disabled = 1, False
        ids.cancel.text = t("Cancel")
        # The way back from the question and the review is to change what was typed.
        ids.back.text = t("Change") if step in (Step.QUESTION, Step.REVIEW) else t("Back")
        ids.next.text = next_text
        for key, visible in shown.items():
            ids[key].opacity = 1 if visible else 0
            ids[key].disabled = not visible
        ids.bottom.opacity = 1 if any(shown.values()) else 0

    def _reading_next(self, t: Any) -> str:
        s = self.journey.session
        if s is None or s.meter is None or s.zone + 1 < len(s.meter.zones):
            return t("Next")
        return t("Check")
