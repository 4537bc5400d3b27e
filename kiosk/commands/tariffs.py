"""``kiosk tariffs import FILE`` on a terminal without an office; ``kiosk office tariffs import``
and ``kiosk office history import`` at the office (registered by ``kiosk.commands.office``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Callable

from kiosk.commands.output import emit, row_errors_json, say, say_row_errors
from kiosk.context import Context
from sync.history_file import read_history
from sync.semicolon_file import RowError
from sync.tariff_file import read_tariffs

Run = Callable[[argparse.Namespace, Any], int]


def register(subparsers: argparse._SubParsersAction) -> None:
    tariffs = subparsers.add_parser("tariffs", help="the prices per kWh estimates are made from")
    actions = tariffs.add_subparsers(dest="action", metavar="ACTION", required=True)
    load = actions.add_parser(
        "import", help="replace the tariffs by a tariff file (DOMAIN.md format); JSON summary",
        description="For a terminal without an office (one with an office gets its tariffs with the "
                    "directory, and the office's replace a file's at the next pull). Every bad row is "
                    "reported with its line and column. Exit 1 when nothing was imported.")
    load.add_argument("file", type=Path)
    load.add_argument("--skip-bad", action="store_true",
                      help="import the good rows and report the bad ones (default: all or nothing)")
    load.set_defaults(run=_import)


def register_office(actions: argparse._SubParsersAction,
                    with_db: Callable[[argparse.ArgumentParser], argparse.ArgumentParser],
                    guarded: Callable[[Run], Run], engine: Callable[[argparse.Namespace], Any]) -> None:
    """``kiosk office tariffs import`` and ``kiosk office history import``; ``engine`` opens the
    office's database at this release's schema."""
    tariffs = actions.add_parser("tariffs", help="the tariffs the terminals estimate with")
    load = with_db(tariffs.add_subparsers(dest="tariffs_action", metavar="ACTION", required=True).add_parser(
        "import", help="replace the tariffs by a tariff file (DOMAIN.md format); JSON summary",
        description="The prices of every tariff in the file replace the ones held; tariffs absent from "
                    "it are removed. A tariff named by a bad row keeps every price it had. Exit 1 when "
                    "nothing was imported."))
    load.add_argument("file", type=Path)
    load.add_argument("--skip-bad", action="store_true",
                      help="import the good rows and report the bad ones (default: all or nothing)")
    load.set_defaults(run=guarded(_office_tariffs), office_engine=engine)

    history = actions.add_parser("history", help="the billed consumption terminals show a bill's holder")
    load = with_db(history.add_subparsers(dest="history_action", metavar="ACTION", required=True).add_parser(
        "import", help="add billed periods from a history file (DOMAIN.md format); JSON summary",
        description="Each meter keeps its last 12 periods; a period given again replaces the one held. "
                    "Exit 1 when nothing was imported."))
    load.add_argument("file", type=Path)
    load.add_argument("--skip-bad", action="store_true",
                      help="import the good rows and report the bad ones (default: all or nothing)")
    load.set_defaults(run=guarded(_office_history), office_engine=engine)


def _import(args: argparse.Namespace, context: Context) -> int:
    if not args.file.is_file():
        say(f"kiosk: tariff file not found: {args.file}")
        return 1
    store = context.store()
    result = store.tariffs.import_rows(read_tariffs(args.file), skip_bad=args.skip_bad)
    say_row_errors(args.file, list(result.errors))
    if result.problem:
        say(f"kiosk: {result.problem}")
    elif not result.imported:
        _say_refused(result.errors)
    emit({"ok": result.imported, "prices": result.prices, "tariffs": result.tariffs,
          "bad_rows": len(result.errors), "errors": row_errors_json(list(result.errors)),
          "held": store.tariffs.counts()})
    return 0 if result.imported else 1


def _office_tariffs(args: argparse.Namespace, _context: object) -> int:
    from sync.office.money import import_tariffs

    return _office_import(args, "tariff", read_tariffs, import_tariffs,
                          held_back="no tariff was removed: {} bad row(s) name no tariff for certain")


def _office_history(args: argparse.Namespace, _context: object) -> int:
    from sync.office.money import import_history

    return _office_import(args, "history", read_history, import_history)


def _office_import(args: argparse.Namespace, kind: str, read: Callable[[Path], Any], load: Callable[..., Any],
                   held_back: str | None = None) -> int:
    """Import a file of ``kind`` into the office: ``read`` yields its rows and bad rows, ``load``
    takes them in one transaction or raises Refused; ``held_back`` words the removals a bad row
    that names nothing for certain held back (the tariffs')."""
    from sync.office.money import Refused

    if not args.file.is_file():
        say(f"kiosk: {kind} file not found: {args.file}")
        return 1
    try:
        summary = load(args.office_engine(args), read(args.file), skip_bad=args.skip_bad)
    except Refused as refused:
        say_row_errors(args.file, refused.summary.errors)
        _say_refused(refused.summary.errors)
        emit({"ok": False, "bad_rows": refused.summary.bad_rows, "errors": row_errors_json(refused.summary.errors)})
        return 1
    say_row_errors(args.file, summary.errors)
    if held_back is not None and summary.removals_held_back_by:
        say("kiosk: " + held_back.format(summary.removals_held_back_by))
    emit({"ok": True, **summary.as_dict(), "errors": row_errors_json(summary.errors)})
    return 0


def _say_refused(errors: tuple[RowError, ...] | list[RowError]) -> None:
    if any(error.ends_reading for error in errors):
        say("kiosk: nothing was imported: the file cannot be read as this kind of file")
    else:
        say("kiosk: nothing was imported; fix these rows, or use --skip-bad to import the good ones")
