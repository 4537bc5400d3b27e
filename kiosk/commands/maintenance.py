"""``kiosk db backup DIR [--keep N]``: a consistent copy of the terminal's database while it runs.

The daily ``kiosk-backup.timer`` and ``deploy/upgrade.sh`` call it. The database is read as it is,
never migrated: an upgrade backs up the old schema before the new release migrates it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from kiosk.backup import BackupError, backup
from kiosk.commands.output import emit, say
from kiosk.context import Context

DEFAULT_KEEP = 14


def register(subparsers: argparse._SubParsersAction) -> None:
    actions = _db_actions(subparsers)
    command = actions.add_parser(
        "backup", help="copy the database into DIR with SQLite's online backup; keep the newest N (JSON)")
    command.add_argument("dir", type=Path, metavar="DIR")
    command.add_argument("--keep", type=int, default=DEFAULT_KEEP, metavar="N",
                         help="backups to keep in DIR, this one included (default: %(default)s)")
    command.set_defaults(run=_backup)


def _db_actions(subparsers: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """The actions of ``kiosk db``: argparse refuses a second parser of that name, so join the one
    ``kiosk.commands.database`` made, or make it when this module is used alone."""
    db = subparsers.choices.get("db")
    if db is None:
        db = subparsers.add_parser("db", help="the terminal's database")
        return db.add_subparsers(dest="action", metavar="ACTION", required=True)
    return next(action for action in db._actions if isinstance(action, argparse._SubParsersAction))


def _backup(args: argparse.Namespace, context: Context) -> int:
    if args.keep < 1:
        say("kiosk: --keep must be at least 1")
        return 2
    try:
        result = backup(context.config.database_path, args.dir, args.keep)
    except BackupError as exc:
        say(f"kiosk: {exc}")
        return 1
    emit(result.as_dict())
    return 0
