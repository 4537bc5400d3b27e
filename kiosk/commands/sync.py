"""``kiosk sync once`` and ``kiosk sync directory``: one pass with the office, by hand.

The app runs the same uploader continuously (``sync.uploader.Uploader.start``). ``sync once``
ends with a heartbeat and carries out the office's commands in its answer (those a process
without the touch screen can: a restart and the logs wait for the app), reporting them at once.
Exit code 0 when the pass completed, 1 when the office could not be reached or refused (the
summary still prints: nothing queued was lost, it waits for the next pass).
"""

from __future__ import annotations

import argparse

from kiosk.commands.output import emit, say
from sync.client import OfficeClient, OfficeError, OfficeSettings
from sync.directory_pull import DirectoryPuller
from sync.uploader import Uploader


def register(subparsers: argparse._SubParsersAction) -> None:
    sync = subparsers.add_parser("sync", help="exchange with the central office")
    actions = sync.add_subparsers(dest="action", metavar="ACTION", required=True)
    once = actions.add_parser("once", help="upload the queue, then pull directory changes; JSON summary")
    once.add_argument("--no-directory", action="store_true", help="upload only")
    once.set_defaults(run=_once)
    directory = actions.add_parser("directory", help="pull directory changes from the office; JSON summary")
    directory.set_defaults(run=_directory)


def _client(context) -> OfficeClient | None:
    try:
        return OfficeClient(OfficeSettings.from_config(context.config))
    except OfficeError as exc:
        say(f"kiosk: {exc}")
        return None


def _once(args: argparse.Namespace, context) -> int:
    client = _client(context)
    if client is None:
        return 1
    store = context.store()
    try:
        uploader = Uploader(store.outbox, client, batch_size=context.config.office.batch_size)
        upload = uploader.run_once()
        summary = upload.as_dict()
        errors = [upload.error] if upload.error else []
        if args.no_directory:
            summary["directory_version"] = store.directory.directory_version()
        else:
            pulled = DirectoryPuller(store.directory, client).pull()
            summary["directory_version"] = pulled.version
            summary["directory_pages"] = pulled.pages
            if pulled.error:
                errors.append(pulled.error)
        summary["commands"] = _heartbeat(context, uploader, errors)
    finally:
        client.close()
    summary["error"] = "; ".join(errors) or None
    for error in errors:
        say(f"kiosk: {error}")
    emit(summary)
    return 1 if errors else 0


def _heartbeat(context, uploader: Uploader, errors: list[str]) -> list[int]:
    """A heartbeat, the office's commands in its answer carried out and reported; the ids of
    those carried out (or dropped as expired) now."""
    from kiosk import fleet
    from kiosk.service.access import ServiceAccess

    store = context.store()
    desk = fleet.CommandDesk(store, fleet.handlers(store, ServiceAccess(store, context.config.service), uploader))
    uploader.on_answer = desk.answered
    if uploader.send_heartbeat(lambda: fleet.heartbeat_from_outside(context.config, store, uploader)) is None:
        errors.append("heartbeat not delivered")
    return desk.carried


def _directory(args: argparse.Namespace, context) -> int:
    client = _client(context)
    if client is None:
        return 1
    try:
        pulled = DirectoryPuller(context.store().directory, client).pull()
    finally:
        client.close()
    if pulled.error:
        say(f"kiosk: {pulled.error}")
    emit(pulled.as_dict())
    return 1 if pulled.error else 0
