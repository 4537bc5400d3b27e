"""``kiosk directory import FILE`` and ``kiosk directory lookup ACCOUNT``."""

from __future__ import annotations

import argparse
from pathlib import Path

from kiosk.commands.output import emit, row_errors_json, say, say_row_errors
from kiosk.context import Context
from sync.directory_file import read_directory
from kiosk.i18n import zone_label
from kiosk.intake import Intake


def register(subparsers: argparse._SubParsersAction) -> None:
    directory = subparsers.add_parser("directory", help="the account directory on this terminal")
    actions = directory.add_subparsers(dest="action", metavar="ACTION", required=True)

    load = actions.add_parser(
        "import", help="load a directory file (DOMAIN.md format); JSON summary",
        description="Adds and updates meters; removes none (removals reach a terminal only in the "
                    "office's directory pages). Every bad row is reported with its line. Exit 1 when "
                    "nothing was imported.")
    load.add_argument("file", type=Path)
    load.add_argument("--skip-bad", action="store_true",
                      help="import the good rows and report the bad ones; a bad row's meter stays as it "
                           "was (default: all or nothing)")
    load.set_defaults(run=_import)

    lookup = actions.add_parser("lookup", help="an account and its meters, masked (JSON)")
    lookup.add_argument("account")
    lookup.set_defaults(run=_lookup)


def _import(args: argparse.Namespace, context: Context) -> int:
    rules = context.config.rules
    if not args.file.is_file():
        say(f"kiosk: directory file not found: {args.file}")
        return 1
    store = context.store()
    result = store.directory.import_rows(
        read_directory(args.file, min_digits=rules.account_min_digits, max_digits=rules.account_max_digits),
        skip_bad=args.skip_bad,
    )
    say_row_errors(args.file, result.errors)
    unreadable = any(error.ends_reading for error in result.errors)
    failed = unreadable or (bool(result.errors) and not args.skip_bad)
    if unreadable:
        say("kiosk: nothing was imported: the file cannot be read as a directory file")
    elif failed:
        say("kiosk: nothing was imported; fix these rows, or use --skip-bad to import the good ones")
    emit({
        "ok": not failed,
        "imported": result.imported,
        "bad_rows": len(result.errors),
        "errors": row_errors_json(result.errors),
        "directory": store.directory.stats().as_dict(),
    })
    return 1 if failed else 0


def _lookup(args: argparse.Namespace, context: Context) -> int:
    language = context.config.terminal.language
    number, account, problem = Intake(context.store(), context.config).find_account(args.account)
    if problem is not None:
        emit({"found": False, "account": number, "error": problem.as_dict(language)})
        return 1
    assert account is not None
    emit({
        "found": True,
        "account": account.number,
        "holder": account.holder,
        "address": account.address,
        "meters": [
            {
                "serial": meter.serial,
                "digits": meter.digits,
                "last_date": meter.last_date.isoformat() if meter.last_date else None,
                "window": list(meter.window) if meter.window else None,
                "zones": [
                    {"zone": zone.position, "meaning": zone.meaning.value,
                     "label": zone_label(zone.position, zone.meaning, language), "previous": zone.previous}
                    for zone in meter.zones
                ],
            }
            for meter in account.meters
        ],
    })
    return 0
