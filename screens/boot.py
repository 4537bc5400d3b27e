"""Kivy's start-up settings for a kiosk, applied before Kivy is first imported.

Kivy reads its configuration once, at import: so its environment (set when the ``screens``
package is imported, see ``screens/__init__.py``) and ``Config.set`` must come first. Nothing
may create the window before ``prepare`` runs; ``load`` calls it and imports the app's modules,
and the terminal does that before any of its threads starts.

``terminal_app`` is the UI's composition root: it wires a started terminal (``kiosk.wiring``) into
the App. The CLI imports this module lazily, the one import from the core up into ``screens``.
"""

from __future__ import annotations

import queue
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from kiosk.config import Config as TerminalConfig  # not kivy.config's Config, used below
from kiosk.intake import Intake
from kiosk.journey import PrintSlip, StatusProvider, office_notices
from kiosk.service.desk import ServiceDesk
from kiosk.store import Submission
from kiosk.wiring import Terminal
from screens.settings import UiSettings

if TYPE_CHECKING:
    from devices.printer import PrintOutcome
    from kiosk.billcode import ScanResult
    from screens.app import KioskApp


def prepare(settings: UiSettings, size: tuple[int, int] | None = None) -> None:
    if "kivy" in sys.modules and "kivy.core.window" in sys.modules:
        return  # too late to change anything; the window exists already
    from kivy.config import Config

    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "keyboard_mode", "system")  # never Kivy's on-screen keyboard
    Config.set("kivy", "log_level", "warning")
    Config.set("graphics", "show_cursor", "0")
    Config.set("graphics", "borderless", "1" if settings.fullscreen else "0")
    Config.set("graphics", "fullscreen", "auto" if settings.fullscreen else "0")
    Config.set("graphics", "resizable", "0" if settings.fullscreen else "1")
    if size is not None:
        Config.set("graphics", "width", str(size[0]))
        Config.set("graphics", "height", str(size[1]))
    # One finger is one touch: no red multitouch dots from the right mouse button.
    Config.set("input", "mouse", "mouse,disable_multitouch,disable_on_activity")
    Config.set("postproc", "double_tap_time", str(int(settings.double_tap_s * 1000)))


def load(settings: UiSettings, size: tuple[int, int] | None = None) -> None:
    """Import Kivy and the app's modules with the kiosk's settings. The terminal calls this before
    it starts its device and upload threads, so an import never runs beside them."""
    prepare(settings, size)
    import screens.app  # noqa: F401  (the import is the point: Kivy, its window provider, the kv files)


def create_app(
    intake: Intake,
    *,
    print_slip: PrintSlip | None,
    scans: "queue.Queue[ScanResult] | None" = None,
    status: StatusProvider | None = None,
    settings: UiSettings = UiSettings(),
    language: str = "ru",
    size: tuple[int, int] | None = None,
    clock: Callable[[], float] = time.monotonic,
    service: "ServiceDesk | None" = None,
):
    """The kiosk's App, built from injected parts; ``.run()`` it on the main thread.

    ``scans``: another thread puts each scan as parsed (bills, and codes that are none).
    ``status``: the attract screen's notices; it is called on the UI thread, so it must answer at
    once. ``service``: the technician's service desk; its terminal's ``service`` says who may
    enter, its ``config.service`` how. Without it there is no service mode and no out-of-service
    cover.
    """
    prepare(settings, size)
    from screens.app import KioskApp

    return KioskApp(intake, print_slip=print_slip, scans=scans, status=status,
                    settings=settings, language=language, service=service, clock=clock)


def terminal_app(terminal: Terminal, config: TerminalConfig, *, windowed: bool,
                 size: tuple[int, int] | None = None) -> KioskApp:
    """The touch screen's App on a started terminal: the customers' journey, and service mode."""

    def print_and_send(submission: Submission, language: str) -> PrintOutcome:
        outcome = terminal.slips.print_slip(submission, language)
        if terminal.uploader is not None:
            terminal.uploader.wake()  # a new reading: send it now, not at the next idle tick
        return outcome

    rules = config.rules
    status = office_notices(terminal.intake, (rules.window_start, rules.window_end),
                            terminal.printer_watch.ready)
    settings = UiSettings(**config.ui.model_dump(), fullscreen=not windowed)
    app = create_app(terminal.intake, print_slip=print_and_send, scans=terminal.scans, status=status,
                     settings=settings, language=config.terminal.language, size=size,
                     service=ServiceDesk(terminal))

    def restart() -> None:
        """The office's "restart": the app ends and systemd starts it again. Asked from the
        uploader's thread, so done on the UI thread."""
        from kivy.clock import Clock

        Clock.schedule_once(lambda _dt: app.stop())

    terminal.restart = restart
    if terminal.uploader is not None:  # without an office nobody would hear the call
        app.call_staff, app.staff_button = terminal.call_staff, True
    return app
