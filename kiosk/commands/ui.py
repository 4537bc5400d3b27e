"""``kiosk ui``: the touch screen on the configured terminal; ``kiosk screenshots DIR``.

Kivy is imported only inside the commands (through screens.boot), so ``kiosk --help`` and every
other command start without it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from kiosk.commands.output import emit, say
from kiosk.context import Context
from kiosk.intake import Intake
from kiosk.journey import office_notices


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, got {text!r}") from None
    if not (320 <= width <= 7680 and 320 <= height <= 7680):
        raise argparse.ArgumentTypeError(f"size out of range: {text!r}")
    return width, height


def register(subparsers: argparse._SubParsersAction) -> None:
    ui = subparsers.add_parser("ui", help="the customer's touch screen on the configured terminal")
    ui.add_argument("--windowed", action="store_true", help="a window instead of full screen")
    ui.add_argument("--size", type=_size, metavar="WxH", help="window size, e.g. 1280x1024")
    ui.set_defaults(run=_ui)

    shots = subparsers.add_parser("screenshots", help="render every screen and state to PNG files")
    shots.add_argument("dir", type=Path, metavar="DIR")
    shots.add_argument("--size", type=_size, action="append", metavar="WxH",
                       help="repeatable; default: 1920x1080 1280x1024 1024x768 1080x1920")
    shots.set_defaults(run=_screenshots)


def _has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _ui(args: argparse.Namespace, context: Context) -> int:
    if not _has_display():
        say("kiosk: no display. Run it under a virtual one: "
            "xvfb-run -a -s '-screen 0 1920x1080x24' kiosk ui --windowed\n"
            "or render the screens to files: kiosk screenshots DIR")
        return 1
    from screens.boot import create_app
    from screens.settings import UiSettings

    config = context.config
    intake = Intake(context.store(), config)
    # No printer here: `kiosk run` and `kiosk demo` wire the real and the emulated one.
    status = office_notices(intake, (config.rules.window_start, config.rules.window_end), None)
    app = create_app(intake, print_slip=None, status=status, language=config.terminal.language,
                     settings=UiSettings(fullscreen=not args.windowed), size=args.size)
    app.run()
    return 0


def _screenshots(args: argparse.Namespace, context: Context) -> int:
    if not _has_display():
        # A kiosk image rarely has a display; a virtual one is just as good for pictures.
        xvfb_run = shutil.which("xvfb-run")
        if xvfb_run is None:
            say("kiosk: no display and no xvfb-run; install the xvfb package or set DISPLAY")
            return 1
        command = [xvfb_run, "-a", "-s", "-screen 0 1920x1920x24", sys.executable, "-m", "kiosk",
                   *sys.argv[1:]]
        os.execv(xvfb_run, command)
    from screens.screenshots import SIZES, shoot

    sizes = tuple(args.size) if args.size else SIZES
    written = shoot(args.dir, sizes)
    emit({"dir": str(args.dir), "files": len(written)})
    return 0 if written else 1
