"""``kiosk db upgrade``: bring the terminal's database to the newest schema."""

from __future__ import annotations

import argparse

from kiosk.commands.output import emit
from kiosk.context import Context


def register(subparsers: argparse._SubParsersAction) -> None:
    db = subparsers.add_parser("db", help="the terminal's database")
    actions = db.add_subparsers(dest="action", metavar="ACTION", required=True)
    upgrade = actions.add_parser("upgrade", help="migrate the database to the newest schema (JSON)")
    upgrade.set_defaults(run=_upgrade)


def _upgrade(args: argparse.Namespace, context: Context) -> int:
    store = context.store(migrate=False)
    before, after = store.upgrade()
    emit({"database": str(store.path), "from": before, "to": after})
    return 0
