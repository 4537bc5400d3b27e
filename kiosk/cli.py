"""The `kiosk` command: a thin layer over the core, one module per command group.

Each module in ``kiosk.commands`` has ``register(subparsers)``, which adds its parsers and sets
``run`` to a function ``run(args, context) -> exit code``. Machine-readable commands print
JSON on stdout; messages for people go to stderr.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Sequence

from kiosk import config as config_module
from kiosk import logs
from kiosk.context import Context
from kiosk.release import DISTRIBUTION, package_version

# Exit codes shared by all commands (``kiosk submit`` adds 3 and 4, ``kiosk status`` 2). Any
# failure is one line on stderr and EXIT_FAILURE; the traceback goes to the log at DEBUG.
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2

# The packages only one side of the product installs, by the extra that brings them: a terminal
# has no web server, an office no Kivy.
EXTRA_OF_PACKAGE = {
    "kivy": "terminal", "qrcode": "terminal", "PIL": "terminal",
    "fastapi": "office", "starlette": "office", "uvicorn": "office", "psycopg": "office",
}

COMMAND_MODULES = (
    "kiosk.commands.database",
    "kiosk.commands.maintenance",  # adds "db backup" to the parser above
    "kiosk.commands.directory",
    "kiosk.commands.tariffs",
    "kiosk.commands.submit",
    "kiosk.commands.terminal",
    "kiosk.commands.devices",
    "kiosk.commands.sync",
    "kiosk.commands.office",
    "kiosk.commands.ui",
    "kiosk.commands.service",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk", description="Meter-reading kiosk")
    parser.add_argument("--config", metavar="FILE", help="TOML configuration (default: $KIOSK_CONFIG)")
    parser.add_argument("--version", action="version", version=f"kiosk {package_version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    context = Context(config_path=args.config)
    logs.configure()
    try:
        return int(args.run(args, context) or EXIT_OK)
    except ModuleNotFoundError as exc:
        extra = EXTRA_OF_PACKAGE.get((exc.name or "").partition(".")[0])
        if extra is None:
            return _failed(exc, args, context)
        print(f"kiosk: this command needs the {extra}'s packages ({exc.name} is not installed): "
              f"pip install '{DISTRIBUTION}[{extra}]'", file=sys.stderr)
        return EXIT_FAILURE
    except config_module.ConfigError as exc:
        print(f"kiosk: configuration: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader of stdout went away (`kiosk submissions | head`): nobody to tell. Point
        # stdout at /dev/null so the flush at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILURE
    except Exception as exc:  # noqa: BLE001 - a person gets one line and an exit code, never a traceback
        return _failed(exc, args, context)
    finally:
        context.close()


def _failed(exc: BaseException, args: argparse.Namespace, context: Context) -> int:
    from kiosk.failures import failure_line

    command = " ".join(filter(None, (args.command, getattr(args, "action", None))))
    print(failure_line(exc, command, context.loaded_config), file=sys.stderr)
    return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
