"""``kiosk run`` (the terminal on its configured devices), ``kiosk demo`` (everything on this
machine) and ``kiosk demo-data`` (a synthetic directory file).

The touch screen is wired in ``screens.boot``, the composition root of the UI. These commands
import it lazily, inside the function that shows it: the one place the core reaches up into
``screens`` (with ``kiosk screenshots``), so every other command starts without Kivy.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk import demo_data, logs
from kiosk.commands.output import emit, say
from kiosk.commands.ui import has_display, parse_size
from kiosk.context import Context

if TYPE_CHECKING:  # imported where used: every other command starts without them
    from kiosk.demo import DemoTerminal
    from kiosk.wiring import Terminal


def register(subparsers: argparse._SubParsersAction) -> None:
    run = subparsers.add_parser("run", help="the terminal: touch screen, devices and uploads from the configuration")
    run.add_argument("--windowed", action="store_true", help="a window instead of full screen")
    run.set_defaults(run=_run)

    demo = subparsers.add_parser(
        "demo", help="the terminal with an emulated printer and scanner and a local office")
    demo.add_argument("--data-dir", type=Path, default=Path("var/demo"),
                      help="where the demo keeps its databases and slips (default: var/demo)")
    demo.add_argument("--language", choices=("ru", "en"), default="ru")
    demo.add_argument("--size", type=parse_size, default=DEMO_WINDOW, metavar="WxH",
                      help=f"the window's size (default: {DEMO_WINDOW[0]}x{DEMO_WINDOW[1]}, where the whole screen shows)")
    demo.set_defaults(run=_demo)

    data = subparsers.add_parser("demo-data", help="write a realistic synthetic directory file")
    data.add_argument("--accounts", type=int, default=1000, metavar="N", help="meter rows to write")
    data.add_argument("--out", type=Path, metavar="FILE", help="default: standard output")
    data.add_argument("--seed", type=int, default=1)
    data.set_defaults(run=_demo_data)


# The demo's window: the layout is drawn for a kiosk's panel (1920×1080 and the like) and fits
# at this size and above; Kivy's own default, 800×600, clips it.
DEMO_WINDOW = (1280, 800)


def _run(args: argparse.Namespace, context: Context) -> int:
    if not has_display():
        say("kiosk: no display to show the touch screen on (DISPLAY is not set)")
        return 1
    config = context.config
    logs.configure(config.terminal.log_level)
    from kiosk.wiring import assemble

    terminal = assemble(config)
    try:
        # Kivy is imported before the device and upload threads start: see screens.boot.prepare.
        from screens.boot import terminal_app  # the allowed upward import: see the module's doc

        app = terminal_app(terminal, config, windowed=args.windowed)
        terminal.start()
        _show(app, terminal)
    finally:
        terminal.close()
    return 0


def _show(app: Any, terminal: Terminal) -> None:  # app: a screens.app.KioskApp, untyped Kivy
    """The touch screen on the main thread, until the window closes."""
    from kiosk.service.live_status import LiveStatusWriter

    # What `kiosk status` in another shell reads instead of opening the ports this app holds.
    live = LiveStatusWriter(terminal)
    live.start()
    try:
        app.run()
    finally:
        live.stop()


def _demo(args: argparse.Namespace, context: Context) -> int:
    from kiosk.demo import demo_terminal

    if has_display():
        from screens.boot import load  # the allowed upward import: see the module's doc
        from screens.settings import UiSettings

        # Before the emulators' and the terminal's threads start: see screens.boot.prepare.
        load(UiSettings(fullscreen=False), args.size)
    with demo_terminal(args.data_dir, language=args.language) as demo:
        say(demo.guide(args.size if has_display() else None))
        if has_display():
            from screens.boot import terminal_app

            app = terminal_app(demo.terminal, demo.terminal.config, windowed=True, size=args.size)
            _show(app, demo.terminal)
            return 0
        say("\nThere is no display here (DISPLAY is not set), so the touch screen cannot open.\n"
            "  See it on a virtual display:  xvfb-run -a -s '-screen 0 1920x1080x24' make demo\n"
            "  (and take a look with a VNC viewer, or render every screen to PNG files with\n"
            "   .venv/bin/kiosk screenshots var/screens).\n"
            "Meanwhile, the sample customers walk through the same terminal without a screen:\n")
        _walk_through(demo)
    return 0


def _walk_through(demo: DemoTerminal) -> None:
    terminal = demo.terminal
    customers = (
        ("л/с 2287 008-779", ["12400", "6800"], False),
        ("1000000011", ["5010,7"], False),
        ("1000000029", ["00030"], True),
        ("1000000037", ["104600", "88050", "61300"], False),
    )
    for account, readings, confirm in customers:
        result = terminal.intake.submit(account, None, readings, confirm_all=confirm)
        line = result.as_dict()
        if result.submission is not None:
            outcome = terminal.slips.print_slip(result.submission, terminal.config.terminal.language)
            line["slip"] = {"printed": outcome.printed, "reason": outcome.reason}
        emit(line)
    if terminal.uploader is not None:
        emit({"upload": terminal.uploader.run_once().as_dict()})
    say(f"\nSlips printed by the emulated printer: {demo.printer.out}")


def _demo_data(args: argparse.Namespace, context: Context) -> int:
    if args.accounts < 1:
        say("kiosk: --accounts must be at least 1")
        return 2
    if args.out is None:
        demo_data.write_csv(sys.stdout, args.accounts, seed=args.seed)
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8", newline="") as stream:
        written = demo_data.write_csv(stream, args.accounts, seed=args.seed)
    emit({"file": str(args.out), "rows": written})
    return 0
