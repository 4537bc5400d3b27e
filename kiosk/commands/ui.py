"""``kiosk screenshots DIR``: every screen, the customer's and the technician's, as PNG files.

Kivy is imported only inside the commands (through ``screens``), so ``kiosk --help`` and every
other command start without it: these lazy imports are the one place the core reaches up into
``screens`` (with ``kiosk run`` and ``kiosk demo``, see ``kiosk.commands.terminal``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from kiosk.commands.output import emit, say
from kiosk.context import Context


def parse_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, got {text!r}") from None
    if not (320 <= width <= 7680 and 320 <= height <= 7680):
        raise argparse.ArgumentTypeError(f"size out of range: {text!r}")
    return width, height


def register(subparsers: argparse._SubParsersAction) -> None:
    shots = subparsers.add_parser("screenshots", help="render every screen and state to PNG files")
    shots.add_argument("dir", type=Path, metavar="DIR")
    shots.add_argument("--size", type=parse_size, action="append", metavar="WxH",
                       help="repeatable; default: 1920x1080 1366x768 1280x1024 1024x768 800x600 1080x1920")
    shots.add_argument("--only", action="append", default=[], metavar="NAME",
                       help="repeatable; only the screens so named, patterns allowed: attract, "
                            "'review-*', 'service-page-*' (default: every screen)")
    shots.add_argument("--check-fit", action="store_true",
                       help="check every state by machine: text inside its widget, no overlaps, touch "
                            "targets, text size, contrast; one JSON line per problem, exit 1 if any")
    shots.add_argument("--large-text", action="store_true",
                       help="the customer's screens with their \"Large text\" option on, into DIR/WxH-large "
                            "(the start and service screens are left out)")
    shots.set_defaults(run=_screenshots)


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _screenshots(args: argparse.Namespace, context: Context) -> int:
    if not has_display():
        # A kiosk image rarely has a display; a virtual one is just as good for pictures.
        xvfb_run = shutil.which("xvfb-run")
        if xvfb_run is None:
            say("kiosk: no display and no xvfb-run; install the xvfb package or set DISPLAY")
            return 1
        # -P: the installed package, never a kiosk folder in the working directory.
        command = [xvfb_run, "-a", "-s", "-screen 0 1920x1920x24", sys.executable, "-P", "-m", "kiosk",
                   *sys.argv[1:]]
        os.execv(xvfb_run, command)
    from screens.screenshots import SIZES, shoot  # the allowed upward import: see the module's doc

    sizes = tuple(args.size) if args.size else SIZES
    problems = 0

    def problem(found: dict) -> None:
        nonlocal problems
        problems += 1
        emit(found)

    written = shoot(args.dir, sizes, args.only, problem if args.check_fit else None, args.large_text)
    emit({"dir": str(args.dir), "files": len(written), **({"problems": problems} if args.check_fit else {})})
    return 0 if written and not problems else 1
