"""``kiosk screenshots``: every screen and state, in both languages, at each screen size.

Drives the journey straight to each state (no taps: those are the UI tests' job), lets Kivy lay
the screen out for a few frames, and writes what the window shows to
``<size>/<language>-<nn>-<state>.png``. Both languages are taken from the same state, so the two
pictures of a state show the same figures. The service screens follow as
``<size>/<language>-service-<nn>-<state>.png``, shown by a demo terminal with emulated devices
(screens.service_screenshots).

With ``check``, each picture is also checked by machine as it is taken (screens.fit): every
problem is passed to ``check`` as a dict naming the state, the size and the language.

With ``large_text`` the customer's states are rendered with the customer's "Large text" on, into
``<size>-large/``, and the service screens (whose reader is a technician) are left out; the start
screen too, where no customer has chosen yet.
"""

from __future__ import annotations

import fnmatch
import tempfile
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk import demo_data
from kiosk.journey import Journey, Notice, NotPrinted, Step
from kiosk.store import Submission
from screens.settings import UiSettings

SIZES = ((1920, 1080), (1366, 768), (1280, 1024), (1024, 768), (800, 600), (1080, 1920))
FRAMES = 4  # frames for labels to get their textures and layouts to settle


@dataclass
class Printed:
    printed: bool = True
    reason: str | None = None


class Stage:
    """The parts a scenario may change: the printer's next outcome, the notices, the clock, and
    whether the account keypad shows its letters."""

    def __init__(self) -> None:
        self.outcome: Printed | NotPrinted = Printed()
        self.notices: tuple[Notice, ...] = ()
        self.now = 0.0
        self.letters = False

    def print_slip(self, submission: Submission, language: str) -> Printed | NotPrinted:
        return self.outcome

    def clock(self) -> float:
        return self.now


def _to_account(j: Journey, account: str) -> None:
    j.cancel()
    j.start()
    j.type_account(account)
    j.submit_account()


def _to_reading(j: Journey, account: str, zone: int = 0, typed: str = "") -> None:
    _to_account(j, account)
    j.choose_meter(j.other_meters()[0].serial)
    assert j.session is not None and j.session.meter is not None
    meter = j.session.meter
    for index in range(zone):
        # Every digit of the register, as the customer must type it ("06826").
        j.type_digit(str(meter.zones[index].previous + 37).zfill(meter.digits))
        j.next_zone()
    j.type_digit(typed)


def _enter_all(j: Journey, values: Callable[[int], str]) -> None:
    s = j.session
    assert s is not None and s.meter is not None
    for zone in s.meter.zones:
        j.type_digit(values(zone.previous or 0).zfill(s.meter.digits))
        j.next_zone()


def _past_sent_today(j: Journey) -> None:
    """Earlier states (and sizes) stored readings for the same meters today: the question they
    raise belongs to its own state, not to the one after it."""
    while j.question is not None and j.question.code == "already_submitted_today":
        j.answer(True)


def _review(j: Journey, account: str, used: int = 55) -> None:
    _to_account(j, account)
    j.choose_meter(j.other_meters()[0].serial)
    _enter_all(j, lambda previous: str(previous + used))
    while j.step is Step.QUESTION:
        j.answer(True)


def _run_jobs(j: Journey) -> None:
    while (job := j.take_job()) is not None:
        job.deliver(job.run())


def _result(stage: Stage, outcome: Printed | NotPrinted, account: str = "1000000011"):
    def go(j: Journey) -> None:
        stage.outcome = outcome
        _review(j, account)
        j.confirm_review()
        _run_jobs(j)

    return go


def _two_meter_account() -> str:
    counts = Counter(row[0] for row in demo_data.rows(300))
    return next(account for account, n in counts.items() if n == 2)


def scenarios(stage: Stage) -> list[tuple[str, Callable[[Journey], None]]]:
    def notices(*which: Notice) -> Callable[[Journey], None]:
        def go(j: Journey) -> None:
            j.cancel()
            stage.notices = which

        return go

    def typed(text: str, letters: bool = False) -> Callable[[Journey], None]:
        def go(j: Journey) -> None:
            j.cancel()
            j.start()
            j.type_account(text)
            stage.letters = letters

        return go

    def question(account: str, values: Callable[[int], str],
                 sent_today: bool = False) -> Callable[[Journey], None]:
        def go(j: Journey) -> None:
            _to_account(j, account)
            j.choose_meter(j.other_meters()[0].serial)
            _enter_all(j, values)
            if not sent_today:
                _past_sent_today(j)

        return go

    def looks_like_total(j: Journey) -> None:
        # T1 typed as the sum of the last readings, from whatever the store holds by now.
        _to_account(j, "2287008779")
        j.choose_meter(j.other_meters()[0].serial)
        assert j.session is not None and j.session.meter is not None
        zones = j.session.meter.zones
        total = sum(zone.previous or 0 for zone in zones)
        for index, zone in enumerate(zones):
            j.type_digit(str(total if index == 0 else (zone.previous or 0) + 10).zfill(
                j.session.meter.digits))
            j.next_zone()
        _past_sent_today(j)

    def commit_failed(j: Journey) -> None:
        _review(j, "2287008779")
        j.confirm_review()
        job = j.take_job()
        assert job is not None
        job.deliver(RuntimeError("disk full"))

    def busy(step: Step) -> Callable[[Journey], None]:
        def go(j: Journey) -> None:
            _review(j, "1000000011")
            j.confirm_review()
            job = j.take_job()
            if step is Step.PRINTING and job is not None:
                job.deliver(job.run())
                j.take_job()  # a picture of printing: the print job is never run

        return go

    def countdown(j: Journey) -> None:
        _to_reading(j, "2287008779", 0, "124")

    def another(j: Journey) -> None:
        stage.outcome = Printed()
        _to_account(j, _two_meter_account())
        j.choose_meter(j.other_meters()[0].serial)
        _enter_all(j, lambda previous: str(previous + 20))
        while j.step is Step.QUESTION:
            j.answer(True)
        j.confirm_review()
        _run_jobs(j)

    def asked(then: Callable[[Journey], None], ask: Callable[[Journey], object]) -> Callable[[Journey], None]:
        def go(j: Journey) -> None:
            then(j)
            ask(j)

        return go

    def sent_today(j: Journey) -> None:
        # The meter's first submission today, then the same customer back with new figures.
        _result(stage, Printed(), "1000000045")(j)
        j.reset()
        question("1000000045", lambda p: str(p + 12), sent_today=True)(j)

    def result_countdown(j: Journey) -> None:
        _result(stage, Printed())(j)

    def thanks(j: Journey) -> None:
        _result(stage, Printed())(j)
        j.finish()

    def scanned_bill(j: Journey) -> None:
        """The bill's holder: its sum and the consumption history beside the estimate."""
        j.cancel()
        j.scanned("2287008779", bill=True, bill_sum="125000")
        j.choose_meter(j.other_meters()[0].serial)
        _enter_all(j, lambda previous: str(previous + 55))
        while j.step is Step.QUESTION:  # readings of this meter taken in an earlier state today
            j.answer(True)

    unified_typing = typed("77АВ12", letters=True)
    return [
        ("attract", notices()),
        ("attract-notices", notices(Notice.NO_SLIPS, Notice.NEXT_PERIOD)),
        ("account-empty", typed("")),
        ("account-typing", typed("2287008")),
        ("account-letters", unified_typing),
        ("account-not-found", lambda j: (typed("9999999999")(j), j.submit_account())),
        ("account-invalid", lambda j: (typed("123")(j), j.submit_account())),
        ("scan-not-a-bill", lambda j: (j.cancel(), j.scanned(None))),
        ("scan-filled-meter", lambda j: (j.cancel(), j.scanned("1000000011"))),
        ("meter-two-zone", lambda j: _to_account(j, "2287008779")),
        ("meter-unified-account", lambda j: _to_account(j, "77АВ123456")),
        ("meter-choose-of-two", lambda j: _to_account(j, _two_meter_account())),
        ("reading-one-zone", lambda j: _to_reading(j, "1000000011", 0, "50")),
        ("reading-two-zone-t1", lambda j: _to_reading(j, "2287008779", 0, "12")),
        ("reading-two-zone-t2", lambda j: _to_reading(j, "2287008779", 1, "68")),
        ("reading-three-zone-t3", lambda j: _to_reading(j, "1000000037", 2, "612")),
        ("reading-eight-digits", lambda j: _to_reading(j, "1000000045", 0, "0123")),
        ("reading-empty-error", lambda j: (_to_reading(j, "1000000011"), j.next_zone())),
        ("reading-below-previous", lambda j: (_to_reading(j, "1000000011", 0, "1"), j.next_zone())),
        ("question-rollover", question("1000000029", lambda p: "00030")),
        ("question-unusually-high", question("1000000011", lambda p: str(p + 2000))),
        ("question-looks-like-total", looks_like_total),
        ("review-two-zone", lambda j: _review(j, "2287008779")),
        ("review-three-zone", lambda j: _review(j, "1000000037", 30)),
        ("review-zero-consumption", lambda j: _review(j, "1000000045", 0)),
        ("review-save-failed", commit_failed),
        ("busy-saving", busy(Step.COMMITTING)),
        ("busy-printing", busy(Step.PRINTING)),
        ("result-printed", _result(stage, Printed())),
        ("result-paper-out", _result(stage, Printed(False, "paper out"), "2287008779")),
        ("result-no-printer", _result(stage, NotPrinted("no printer"), "1000000037")),
        ("result-another-meter", another),
        ("thanks", thanks),
        ("countdown", countdown),
        ("reading-too-few-digits", lambda j: (_to_reading(j, "1000000011", 0, "051"), j.next_zone())),
        ("question-sent-today", sent_today),
        ("review-rollover", lambda j: (question("1000000029", lambda p: "00030")(j), j.answer(True))),
        ("ask-discard", asked(lambda j: _review(j, "2287008779"), lambda j: j.cancel())),
        ("ask-switch-account", asked(lambda j: _to_reading(j, "2287008779", 1, "68"),
                                     lambda j: j.scanned("1000000011"))),
        ("countdown-result", result_countdown),
        # Added last, so the earlier states keep their numbers (and the README its pictures).
        ("review-scanned-bill", scanned_bill),
    ]


Check = Callable[[dict[str, Any]], None]


def shoot(out: Path, sizes: tuple[tuple[int, int], ...] = SIZES, only: Collection[str] = (),
          check: Check | None = None, large_text: bool = False) -> list[Path]:
    """Render everything into ``out``, or the screens whose names match one of the ``only``
    patterns (``attract``, ``service-page-*``), passing each state's fit problems to ``check``;
    runs a Kivy App, so call it once per process."""
    from kivy.config import Config

    # No frame pacing: each state is drawn as soon as the one before it is taken. First, before
    # anything imports Kivy's clock, which reads it once.
    Config.set("graphics", "maxfps", "0")
    from screens import service_screenshots
    from screens.boot import create_app
    from screens.demo_store import demo_intake

    stage = Stage()
    data = Path(tempfile.mkdtemp(prefix="kiosk-screens-"))
    intake, store = demo_intake(data)
    with service_screenshots.service_stage(data / "service") as service:
        app = create_app(intake, print_slip=stage.print_slip, status=lambda: stage.notices,
                         settings=UiSettings(fullscreen=False), size=sizes[0], clock=stage.clock,
                         **service.app_options())
        # The bar as a terminal with an office has it: «Позвать сотрудника» in it, its words
        # checked with every other label's (the pictures never press it).
        app.staff_button = True
        written = _run(app, stage, service, out, sizes, only, check, large_text)
    store.close()
    return written


def _run(app, stage: Stage, service, out: Path,
         sizes: tuple[tuple[int, int], ...], only: Collection[str], check: Check | None = None,
         large: bool = False) -> list[Path]:
    from screens.service_screenshots import scenarios as service_scenarios

    written: list[Path] = []

    def wanted(name: str) -> bool:
        return not only or any(fnmatch.fnmatchcase(name, pattern) for pattern in only)

    from kivy.core.window import Window

    def take(path: Path, state: str, language: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        picture = _window_picture()
        # zlib's fastest level: a fifth of the default's time for files about a third larger
        picture.save(path.with_suffix(".tmp.png"), compress_level=1)
        path.with_suffix(".tmp.png").replace(path)
        written.append(path)
        if check is not None:
            from screens import fit

            size = f"{int(Window.width)}x{int(Window.height)}"
            extra = {"large_text": True} if large else {}
            for problem in fit.check(app.root_widget, app, picture):
                check({"state": state, "size": size, "language": language, **extra, **problem})

    def plan() -> Iterator[int]:
        for width, height in sizes:
            Window.size = (width, height)
            folder = out / (f"{width}x{height}-large" if large else f"{width}x{height}")
            yield FRAMES
            for number, (name, go) in enumerate(scenarios(stage), start=1):
                if not wanted(name):
                    continue
                journey = app.journey
                stage.letters = False
                journey.reset()
                go(journey)
                if large and journey.step is Step.ATTRACT:
                    continue
                for language in ("ru", "en"):
                    journey.set_language(language)
                    if name.startswith("countdown"):
                        stage.now += app.settings.idle_s + 7  # 13 s left on the overlay
                    app.refresh_notices()
                    app.large_text = large
                    app.render(force=True)
                    app.root_widget.ids.account.ids.keypad.showing_letters = stage.letters
                    yield FRAMES
                    take(folder / f"{language}-{number:02d}-{name}.png", name, language)
                stage.now += 1
            app.journey.cancel()
            if large:
                continue
            for number, (name, setup) in enumerate(service_scenarios(service), start=1):
                if not wanted(f"service-{name}"):
                    continue
                for language in ("ru", "en"):
                    setup(app, language)
                    app.render(force=True)
                    yield FRAMES
                    take(out / f"{width}x{height}" / f"{language}-service-{number:02d}-{name}.png",
                         f"service-{name}", language)
            service.reset()  # devices mended and customers served again,
            app.service.close()  # and back to the customers' screens for the next size
        app.stop()
        yield 0

    run_by_frames(app, plan())
    return written


def run_by_frames(app: Any, steps: Iterator[int]) -> None:
    """Run ``app`` with ``steps`` driving it from its own thread: each step does its work and
    says how many frames to draw before the next; the app stops when the steps do."""
    from kivy.clock import Clock

    def advance(_dt: float = 0.0, frames_left: int = 0) -> None:
        if frames_left > 0:
            Clock.schedule_once(lambda dt: advance(dt, frames_left - 1), 0)
            return
        try:
            wait = next(steps)
        except StopIteration:
            return
        Clock.schedule_once(lambda dt: advance(dt, wait), 0)

    Clock.schedule_once(advance, 0.5)
    app.run()


def _window_picture() -> Any:
    """What the window shows (an RGB PIL image), not an off-screen render of the widget tree.
    Read here with rows packed tight: Kivy's own Window.screenshot shears a picture whose row is
    no multiple of 4 bytes (1366 pixels × 3)."""
    from kivy.core.window import Window
    from kivy.graphics.opengl import GL_PACK_ALIGNMENT, GL_RGB, GL_UNSIGNED_BYTE, glPixelStorei, glReadPixels
    from PIL import Image

    width, height = int(Window.width), int(Window.height)
    glPixelStorei(GL_PACK_ALIGNMENT, 1)
    data = glReadPixels(0, 0, width, height, GL_RGB, GL_UNSIGNED_BYTE)
    return Image.frombytes("RGB", (width, height), data).transpose(Image.Transpose.FLIP_TOP_BOTTOM)
