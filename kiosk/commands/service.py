"""Service commands for a technician's shell, a thin layer over ``kiosk.service.health`` and
``kiosk.service.access``.

  kiosk pin hash [--role R]            a PIN hash line to paste into [service]
  kiosk status                         every subsystem as JSON; exit 0 green/yellow, 2 any red
  kiosk status --baseline FILE         exit 2 only for a subsystem red now but not in FILE
  kiosk status --prometheus FILE       also the facts for node_exporter's textfile collector
  kiosk service out-of-service --reason TEXT    customers see the cover screen
  kiosk service in-service             customers are served again
  kiosk service events [--limit N]     the event log, oldest first, one JSON line per event
  kiosk service new-roll [--length M]  a new paper roll loaded (default: the printer profile's roll)
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kiosk.service import pins
from kiosk.commands.output import emit, say
from kiosk.context import Context
from kiosk.masking import scrub
from kiosk.release import package_version

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_RED = 2


def register(subparsers: argparse._SubParsersAction) -> None:
    pin = subparsers.add_parser("pin", help="service PINs")
    pin_actions = pin.add_subparsers(dest="action", metavar="ACTION", required=True)
    make = pin_actions.add_parser("hash", help="read a PIN (twice on a terminal, once from a pipe) "
                                               "and print its hash line for the configuration")
    make.add_argument("--role", choices=("technician", "administrator"), default="technician")
    make.set_defaults(run=_pin_hash)

    status = subparsers.add_parser("status", help="health of every subsystem as JSON; exit 2 when any is red")
    status.add_argument(
        "--baseline", type=Path, metavar="FILE",
        help="an earlier `kiosk status` output: exit 2 only when a subsystem is red now that was "
             "not red then (an upgrade judges the release, not the paper roll)")
    status.add_argument(
        "--prometheus", type=Path, metavar="FILE",
        help="also write the facts in Prometheus text format to FILE (replaced atomically), for "
             "node_exporter's textfile collector: name it *.prom in the collector's folder")
    status.set_defaults(run=_status)

    service = subparsers.add_parser("service", help="the out-of-service switch and the event log")
    actions = service.add_subparsers(dest="action", metavar="ACTION", required=True)
    out = actions.add_parser("out-of-service", help="show customers the cover screen")
    out.add_argument("--reason", required=True, help="why, for the log and the technician's overview")
    out.set_defaults(run=_out_of_service)
    back = actions.add_parser("in-service", help="serve customers again")
    back.set_defaults(run=_in_service)
    events = actions.add_parser("events", help="the event log, newest last")
    events.add_argument("--limit", type=_positive, default=50, metavar="N", help="the last N events (default 50)")
    events.set_defaults(run=_events)
    roll = actions.add_parser("new-roll", help="a new paper roll is in the printer: count its paper from zero")
    roll.add_argument("--length", type=_metres, metavar="M",
                      help="the roll's length in metres (default: the printer profile's usual roll)")
    roll.set_defaults(run=_new_roll)


def _pin_hash(args: argparse.Namespace, context: Context) -> int:
    if sys.stdin.isatty():
        pin = getpass.getpass("New PIN: ")
        if getpass.getpass("The same PIN again: ") != pin:
            say("kiosk: the two PINs differ; nothing printed")
            return EXIT_FAILURE
    else:
        pin = sys.stdin.readline().strip()
    if not pins.PIN.fullmatch(pin):
        say(f"kiosk: {pins.PIN_RULE}")
        return EXIT_FAILURE
    print(f'{args.role}_pin_hash = "{pins.hash_pin(pin)}"')
    say("Paste this line into the [service] section of the configuration.")
    return EXIT_OK


def _status(args: argparse.Namespace, context: Context) -> int:
    from kiosk.service import health  # the drivers and the HTTP client load only for this command
    from kiosk.storage import UNREADABLE

    config = context.config
    healths = health.check_from_config(config)
    level = health.overall(healths)
    storage = next(h for h in healths if h.subsystem == "storage")
    readable = storage.facts.get("fault") not in UNREADABLE
    emit({
        "terminal": config.terminal.id,
        "version": package_version(),
        "checked_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "overall": level,
        "out_of_service": _out_of_service_state(context) if readable else None,
        "subsystems": [_masked(h.as_dict()) for h in healths],
    })
    for h in healths:
        if h.level != health.GREEN:
            say(f"{h.subsystem}: {h.level}: {scrub(h.reason)}")
    if args.prometheus is not None and not _write_metrics(args.prometheus, context, healths, readable):
        return EXIT_FAILURE
    red = {h.subsystem for h in healths if h.level == health.RED}
    if args.baseline is not None:
        known = _red_in(args.baseline)
        if red and red <= known:
            say(f"red before too, so not counted: {', '.join(sorted(red))}")
        red -= known
    return EXIT_RED if red else EXIT_OK


def _write_metrics(path: Path, context: Context, healths: list[Any], readable: bool) -> bool:
    from sqlalchemy.exc import SQLAlchemyError

    from kiosk import status_metrics
    from kiosk.store import StoreError

    store = None
    if readable and context.config.database_path.exists():
        try:
            store = context.store(migrate=False)
        except StoreError:
            store = None
    try:
        status_metrics.write(path, context.config, healths, store)
    except (SQLAlchemyError, StoreError):
        status_metrics.write(path, context.config, healths, None)  # the levels still say what is wrong
    except OSError as exc:
        say(f"kiosk: cannot write {path}: {exc.strerror or exc}")
        return False
    return True


def _masked(document: Any) -> Any:
    """Every piece of free text in a status document masked: a driver's error or a technician's
    reason may carry a customer's number or name."""
    if isinstance(document, str):
        return scrub(document)
    if isinstance(document, dict):
        return {key: _masked(value) for key, value in document.items()}
    if isinstance(document, list):
        return [_masked(value) for value in document]
    return document


def _red_in(baseline: Path) -> set[str]:
    """The red subsystems of an earlier status document; none when it cannot be read (an old
    release without `kiosk status`, a crash): then every red counts."""
    try:
        document = json.loads(baseline.read_text(encoding="utf-8"))
        return {str(s["subsystem"]) for s in document["subsystems"] if s.get("level") == "red"}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        say(f"kiosk: no usable baseline in {baseline}; every red subsystem counts")
        return set()


def _out_of_service_state(context: Context) -> dict[str, Any] | None:
    """The switch as the store holds it; None when customers are served or it cannot be read
    (the storage line says why)."""
    from sqlalchemy.exc import SQLAlchemyError

    from kiosk.store import StoreError

    if not context.config.database_path.exists():
        return None
    try:
        state = context.store(migrate=False).service.out_of_service()
    except (StoreError, SQLAlchemyError):
        return None
    return None if state is None else {"since": state.since.isoformat(), "by": state.by, "reason": state.reason}


def _access(context: Context):
    from kiosk.service.access import ServiceAccess

    return ServiceAccess(context.store(), context.config.service)


def _out_of_service(args: argparse.Namespace, context: Context) -> int:
    from kiosk.service.access import SHELL

    state = _access(context).switch_out_of_service(role=SHELL, reason=args.reason)
    emit({"out_of_service": True, "since": state.since.isoformat(), "by": state.by, "reason": state.reason})
    return EXIT_OK


def _in_service(args: argparse.Namespace, context: Context) -> int:
    from kiosk.service.access import SHELL

    _access(context).switch_in_service(role=SHELL)
    emit({"out_of_service": False})
    return EXIT_OK


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _events(args: argparse.Namespace, context: Context) -> int:
    for event in reversed(context.store().events.recent(args.limit)):
        emit(_masked(event.as_dict()))  # rows logged before free text was masked, too
    return EXIT_OK


def _metres(text: str) -> float:
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        raise argparse.ArgumentTypeError("a length in metres, such as 80") from None
    if not 1 <= value <= 10_000:
        raise argparse.ArgumentTypeError("a roll is 1 to 10000 metres long")
    return value


def _new_roll(args: argparse.Namespace, context: Context) -> int:
    from devices.profiles import get_profile
    from kiosk import paper
    from kiosk.service.access import SHELL

    store = context.store()
    roll = paper.new_roll(store, get_profile(context.config.printer.profile), args.length)
    store.events.append("paper_loaded", role=SHELL, length_m=roll.length_mm / 1000)
    emit({"length_m": roll.length_mm / 1000, "used_m": 0.0, "loaded_at": roll.loaded_at})
    return EXIT_OK
