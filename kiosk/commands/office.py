"""``kiosk office …``: the reference central-office service and its housekeeping.

Every command takes ``--db URL`` (SQLite path or URL, or PostgreSQL URL; default
``$KIOSK_OFFICE_DB``, else ``office.sqlite3`` here). Only ``migrate`` changes the schema; the
others stop with a message naming it when the database is not at this release's schema, so an
instance that starts before the migration cannot half-migrate a database others are using.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from kiosk import logs
from kiosk.commands import tariffs
from kiosk.commands.output import emit, row_errors_json, say, say_row_errors
from sync.directory_file import read_directory
from sync.office.settings import (
    CLOCK_SKEW_VARIABLE,
    CONFIG_VARIABLE,
    DATABASE_VARIABLE,
    DEFAULT_POOL_SIZE,
    POOL_SIZE_VARIABLE,
    WORKERS_VARIABLE,
    parse_duration,
)

if TYPE_CHECKING:
    from sync.office.directory import RemovalLimit

DEFAULT_DB = "office.sqlite3"


def register(subparsers: argparse._SubParsersAction) -> None:
    office = subparsers.add_parser("office", help="the central-office service (sync/PROTOCOL.md)")
    actions = office.add_subparsers(dest="action", metavar="ACTION", required=True)

    def with_db(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
        parser.add_argument("--db", default=os.environ.get(DATABASE_VARIABLE, DEFAULT_DB), metavar="URL",
                            help="database: a SQLite file or URL, or postgresql://… (default: %(default)s)")
        return parser

    migrate = with_db(actions.add_parser(
        "migrate", help="create or bring the office schema to this release (JSON); safe to run from "
                        "several instances at once"))
    migrate.set_defaults(run=_guarded(_migrate))

    serve = with_db(actions.add_parser("serve", help="serve the office API over HTTP (run migrate first)"))
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--workers", type=_workers, default=1, metavar="N",
                       help="worker processes (default 1); nonces live in the database, so "
                            "replays are refused across workers and instances too")
    serve.add_argument("--pool-size", type=_pool_size, metavar="N",
                       default=os.environ.get(POOL_SIZE_VARIABLE, str(DEFAULT_POOL_SIZE)),
                       help="PostgreSQL connections kept per worker, and as many again for bursts: "
                            "keep instances × workers × 2N under the server's max_connections "
                            f"(${POOL_SIZE_VARIABLE}; default %(default)s)")
    serve.add_argument("--max-clock-skew", type=_duration, metavar="DURATION",
                       default=os.environ.get(CLOCK_SKEW_VARIABLE, "1d"),
                       help="refuse readings dated further ahead of the office's clock, as "
                            f"taken_at_in_future: 90s, 15m, 6h, 1d (${CLOCK_SKEW_VARIABLE}; default %(default)s)")
    serve.add_argument("--config", metavar="FILE", default=os.environ.get(CONFIG_VARIABLE),
                       help="a TOML file whose [office] table sets heartbeat_days, paper_days_alert, "
                            f"billing_token (${CONFIG_VARIABLE}; default: none, the defaults)")
    serve.set_defaults(run=_guarded(_serve))

    directory = actions.add_parser("directory", help="the directory the terminals pull")
    directory_actions = directory.add_subparsers(dest="directory_action", metavar="ACTION", required=True)
    load = with_db(directory_actions.add_parser(
        "import", help="replace the directory by a file (DOMAIN.md format); JSON summary",
        description="Meters absent from the file are removed, but only when the file was read to its "
                    "end: a bad row's meter stays as it was, and while a bad row names no meter for "
                    "certain nothing is removed. Exit 1 when nothing was imported."))
    load.add_argument("file", type=Path)
    load.add_argument("--skip-bad", action="store_true",
                      help="import the good rows and report the bad ones; the meter on a bad row stays "
                           "as it was (default: all or nothing)")
    load.add_argument("--max-removed", type=_removal_limit, default=None, metavar="N|P%",
                      help="refuse an import that would remove more live meters than this: a count, or "
                           "a percentage of the live meters (default: 5%%)")
    load.add_argument("--allow-mass-removal", action="store_true",
                      help="remove every meter absent from the file, however many")
    load.set_defaults(run=_guarded(_import))
    tariffs.register_office(actions, with_db, _guarded, _engine)

    terminal = actions.add_parser("terminal", help="terminals allowed to connect")
    terminal_actions = terminal.add_subparsers(dest="terminal_action", metavar="ACTION", required=True)
    add = with_db(terminal_actions.add_parser("add", help="provision a terminal; prints its secret once"))
    add.add_argument("id")
    _operator_option(add)
    add.set_defaults(run=_guarded(_add_terminal))
    listing = with_db(terminal_actions.add_parser(
        "list", help="one JSON line per terminal: id, added, last seen, enabled"))
    listing.set_defaults(run=_guarded(_list_terminals))
    for name, help_text, run in (
        ("disable", "refuse the terminal's requests (401 terminal_disabled); its data stays", _disable),
        ("enable", "let a disabled terminal in again", _enable),
        ("rotate-secret", "give the terminal a new secret, printed once; the old one stops working", _rotate),
    ):
        action = with_db(terminal_actions.add_parser(name, help=help_text))
        action.add_argument("id")
        _operator_option(action)
        action.set_defaults(run=_guarded(run))

    _register_operators(actions, with_db)

    export = with_db(actions.add_parser(
        "export", help="accepted readings as CSV on stdout; with --after, billing's page by cursor (JSON)"))
    cut = export.add_mutually_exclusive_group()
    cut.add_argument("--since", metavar="T", help="received at or after T (ISO date or time; UTC unless an offset is given)")
    cut.add_argument("--after", type=_cursor, metavar="CURSOR",
                     help="the submissions after this cursor (0 at first) and the cursor to ask from next, "
                          "as one consistent snapshot: {after, cursor, more, submissions}; asking from a "
                          "cursor tells the office billing holds everything up to it (exported_through)")
    export.add_argument("--limit", type=int, default=1000, metavar="N", help="with --after: at most N (default 1000)")
    export.add_argument("--peek", action="store_true",
                        help="with --after: the same page, but only to look: the office does not take it "
                             "that billing holds the readings up to CURSOR (exported_through stays)")
    export.set_defaults(run=_guarded(_export))

    stats = with_db(actions.add_parser("stats", help="submissions, terminals, heartbeats (JSON)"))
    stats.set_defaults(run=_guarded(_stats))

    _register_operations(actions, with_db)


def _register_operations(actions: argparse._SubParsersAction,
                         with_db: Callable[[argparse.ArgumentParser], argparse.ArgumentParser]) -> None:
    """Operators' work from the command line: commands to terminals, finding a slip's
    submission, billing's export by cursor, conflicts."""
    from typing import get_args

    from sync.wire import CommandAction  # not the office's modules: every `kiosk` start reads this

    actions_named = get_args(CommandAction)

    order = with_db(actions.add_parser(
        "command", help="send a terminal an order with its next heartbeat's answer (JSON)",
        description="The terminal carries it out once and reports done or failed in a later heartbeat "
                    "(see `kiosk office commands`); one not carried out before --ttl is dropped."))
    order.add_argument("terminal")
    order.add_argument("order_action", metavar="ACTION", choices=actions_named, help=", ".join(actions_named))
    order.add_argument("--reason", metavar="TEXT", help="why (needed by out_of_service; the terminal shows it)")
    order.add_argument("--lines", type=int, metavar="N", help="upload_logs: the last N log lines (default 200)")
    order.add_argument("--ttl", type=_duration, default="1h", metavar="DURATION",
                       help="drop the order if not carried out within this: 90s, 15m, 6h (default %(default)s)")
    _operator_option(order)
    order.set_defaults(run=_guarded(_command))

    listing = with_db(actions.add_parser(
        "commands", help="orders sent to terminals and what became of them, newest first (one JSON line each)"))
    listing.add_argument("terminal", nargs="?", help="this terminal's only")
    listing.add_argument("--state", action="append", metavar="STATE",
                         help="only in this state: pending, sent, done, failed, expired (repeatable)")
    listing.add_argument("--limit", type=int, default=100, metavar="N")
    listing.set_defaults(run=_guarded(_commands))

    states = with_db(actions.add_parser(
        "fleet", help="every terminal's latest state and alerts, the worst first (one JSON line each)"))
    states.add_argument("--config", metavar="FILE", default=os.environ.get(CONFIG_VARIABLE),
                        help=f"the office's settings file, for paper_days_alert (${CONFIG_VARIABLE})")
    states.set_defaults(run=_guarded(_fleet))

    calls = with_db(actions.add_parser(
        "calls", help="customers' calls for staff, newest first (one JSON line each)"))
    calls.add_argument("--terminal", metavar="ID", help="this terminal's only")
    calls.add_argument("--open", action="store_true", help="only those no one has acknowledged")
    calls.set_defaults(run=_guarded(_calls))
    call_actions = calls.add_subparsers(dest="call_action", metavar="ACTION")
    acknowledge = call_actions.add_parser("ack", help="someone is on their way: the alert ends (audit log)")
    acknowledge.add_argument("--db", default=argparse.SUPPRESS, metavar="URL", help="as for `calls`")
    acknowledge.add_argument("id", help="the call's id, as `calls` lists it")
    _operator_option(acknowledge)
    acknowledge.set_defaults(run=_guarded(_acknowledge))

    log = with_db(actions.add_parser("audit", help="operators' actions, newest first (one JSON line each)"))
    log.add_argument("--target", metavar="WHAT", help="only on this: terminal:ID, conflict:ID, operator:NAME")
    log.add_argument("--limit", type=int, default=100, metavar="N")
    log.set_defaults(run=_guarded(_audit))

    find = with_db(actions.add_parser(
        "find", help="the submission a slip's reference stands for (one JSON line per match)"))
    find.add_argument("reference", help="as printed on the slip, e.g. 3F2A9-1C0B7 (case, spaces and hyphens "
                                        "do not matter)")
    find.set_defaults(run=_guarded(_find))

    conflicts = with_db(actions.add_parser(
        "conflicts", help="uploads that reused a txn_id with other content, the stored one beside the "
                          "incoming one (one JSON line each)"))
    conflicts.add_argument("--all", action="store_true", help="resolved ones too")
    conflicts.set_defaults(run=_guarded(_conflicts))
    conflict_actions = conflicts.add_subparsers(dest="conflict_action", metavar="ACTION")
    resolve = conflict_actions.add_parser(
        "resolve", help="keep the stored or the incoming content; logged in the audit log")
    # given here or before `resolve`, whichever: this one only counts when given
    resolve.add_argument("--db", default=argparse.SUPPRESS, metavar="URL", help="as for `conflicts`")
    resolve.add_argument("id", type=int)
    resolve.add_argument("--keep", required=True, choices=("stored", "incoming"),
                         help="incoming replaces the stored submission: billing receives it again, and the terminals "
                              "as the meter's last reading (unless a later one is held)")
    _operator_option(resolve)
    resolve.set_defaults(run=_guarded(_resolve))


def _operator_option(parser: argparse.ArgumentParser) -> None:
    import getpass

    parser.add_argument("--operator", default=getpass.getuser(), metavar="NAME",
                        help="who does this, for the terminal's log and the audit log (default: %(default)s)")


def _guarded(run: Callable[[argparse.Namespace, object], int]) -> Callable[[argparse.Namespace, object], int]:
    """A database that cannot be opened is a message naming it, not a traceback."""
    def guarded(args: argparse.Namespace, context: object) -> int:
        from sqlalchemy.exc import SQLAlchemyError

        from sync.office.database import DatabaseUrlError, SchemaNotCurrent

        try:
            return run(args, context)
        except (DatabaseUrlError, SQLAlchemyError, SchemaNotCurrent) as exc:
            say(f"kiosk office: database {args.db}: {str(exc).splitlines()[0]}")
            return 1
    return guarded


def _engine(args: argparse.Namespace, **options: object):
    """The database, at this release's schema or SchemaNotCurrent: never migrated here."""
    from sync.office.database import check_schema, open_engine

    engine = open_engine(args.db, create=False, **options)
    check_schema(engine)
    return engine


def _migrate(args: argparse.Namespace, _context: object) -> int:
    from sync.office.database import migrate, open_engine

    engine = open_engine(args.db)
    before, after = migrate(engine)
    engine.dispose()
    emit({"ok": True, "from": before, "to": after})
    return 0


def _serve(args: argparse.Namespace, _context: object) -> int:
    import uvicorn

    from sync.office.app import create_app, tune_serving_process
    from sync.office.settings import load_config

    try:
        config = load_config(args.config)
    except ValueError as exc:
        say(f"kiosk office: {exc}")
        return 2
    engine = _engine(args, pool_size=args.pool_size)  # checked once, here, before any worker starts
    say(f"kiosk office: serving {args.db} on http://{args.host}:{args.port} with {args.workers} "
        f"worker(s) (OpenAPI at /openapi.json)")
    if args.workers == 1:
        tune_serving_process()
        uvicorn.run(create_app(engine, max_clock_skew=args.max_clock_skew, config=config), host=args.host, port=args.port,
                    log_config=logs.server_config(), date_header=True)
        return 0
    engine.dispose()
    # Workers import the app by name, so they learn their settings from the environment.
    os.environ.update({DATABASE_VARIABLE: args.db, POOL_SIZE_VARIABLE: str(args.pool_size),
                       CLOCK_SKEW_VARIABLE: f"{args.max_clock_skew.total_seconds()}s",
                       WORKERS_VARIABLE: str(args.workers)})
    if args.config:
        os.environ[CONFIG_VARIABLE] = str(Path(args.config).resolve())
    counts = _metrics_directory()
    try:
        uvicorn.run("sync.office.app:app_from_environment", factory=True, workers=args.workers,
                    host=args.host, port=args.port, log_config=logs.server_config(), date_header=True)
    finally:
        shutil.rmtree(counts, ignore_errors=True)
    return 0


def _metrics_directory() -> str:
    """A fresh, private directory where each worker writes its metrics and any worker reads them
    all for /metrics (sync/office/metrics.py); counts start at zero with the server."""
    import tempfile

    from sync.office.metrics import MULTIPROCESS_VARIABLE

    directory = tempfile.mkdtemp(prefix="kiosk-office-metrics-")
    os.environ[MULTIPROCESS_VARIABLE] = directory
    return directory


def _pool_size(text: str) -> int:
    try:
        size = int(text)
    except ValueError:
        size = 0
    if not 1 <= size <= 100:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to 100, not {text!r}")
    return size


def _duration(text: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _workers(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = 0
    if not 1 <= count <= 64:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to 64, not {text!r}")
    return count


def _removal_limit(text: str) -> RemovalLimit:
    from sync.office.directory import RemovalLimit

    try:
        return RemovalLimit.parse(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give a number of meters (120) or a percentage "
                                         "of the live meters (5%)") from None


def _import(args: argparse.Namespace, _context: object) -> int:
    from sync.office.directory import DEFAULT_REMOVAL_LIMIT, ImportRefused, MassRemoval, import_rows

    if not args.file.is_file():
        say(f"kiosk: directory file not found: {args.file}")
        return 1
    if args.allow_mass_removal and args.max_removed is not None:
        say("kiosk: give --max-removed or --allow-mass-removal, not both")
        return 2
    limit = None if args.allow_mass_removal else (args.max_removed or DEFAULT_REMOVAL_LIMIT)
    # One pass, in one transaction: every bad row is reported, and nothing is written unless the
    # whole import stands.
    try:
        summary = import_rows(_engine(args), read_directory(args.file), skip_bad=args.skip_bad, max_removed=limit)
    except ImportRefused as refused:
        say_row_errors(args.file, refused.summary.errors)
        if isinstance(refused, MassRemoval):
            say(f"kiosk: {refused}; nothing was imported. Check that the file is whole and the right one; "
                f"if these removals are meant, run again with --allow-mass-removal or a larger --max-removed")
        elif any(error.ends_reading for error in refused.summary.errors):
            say(f"kiosk: {refused}")
        else:
            say("kiosk: nothing was imported; fix these rows, or use --skip-bad to import the good ones "
                "(their meters stay as they are)")
        emit({"ok": False, "bad_rows": refused.summary.bad_rows,
              "would_remove": refused.would_remove if isinstance(refused, MassRemoval) else None,
              "errors": row_errors_json(refused.summary.errors)})
        return 1
    say_row_errors(args.file, summary.errors)
    if summary.removals_held_back_by:
        say(f"kiosk: no meter was removed: {summary.removals_held_back_by} bad row(s) name no meter for certain; "
            "fix them and import again to remove the meters absent from the file")
    emit({"ok": True, **summary.as_dict(), "errors": row_errors_json(summary.errors)})
    return 0


def _add_terminal(args: argparse.Namespace, _context: object) -> int:
    from sync.office.terminals import TerminalExists, add_terminal

    engine = _secret_holder(args)
    try:
        secret = add_terminal(engine, args.id, actor=args.operator)
    except (TerminalExists, ValueError) as exc:
        say(f"kiosk: {exc}")
        return 1
    say("Put this in the terminal's [office] secret; it is not shown again.")
    emit({"terminal_id": args.id, "secret": secret})
    return 0


def _secret_holder(args: argparse.Namespace):
    """The database a secret is about to be written to, readable by its owner only."""
    from sync.office.database import make_private

    engine = _engine(args)
    if make_private(engine):
        say(f"kiosk: {args.db} was readable by others; it holds the terminals' secrets, so it is now mode 0600")
    return engine


def _list_terminals(args: argparse.Namespace, _context: object) -> int:
    from sync.office.terminals import list_terminals

    for terminal in list_terminals(_engine(args)):
        emit({"id": terminal.id, "added": _iso(terminal.created_at), "last_seen": _iso(terminal.last_seen_at),
              "enabled": terminal.enabled})
    return 0


def _disable(args: argparse.Namespace, _context: object) -> int:
    return _switch(args, False)


def _enable(args: argparse.Namespace, _context: object) -> int:
    return _switch(args, True)


def _switch(args: argparse.Namespace, enabled: bool) -> int:
    from sync.office.terminals import UnknownTerminal, set_enabled

    try:
        set_enabled(_engine(args), args.id, enabled, actor=args.operator)
    except UnknownTerminal as exc:
        say(f"kiosk: {exc}")
        return 1
    emit({"terminal_id": args.id, "enabled": enabled})
    return 0


def _rotate(args: argparse.Namespace, _context: object) -> int:
    from sync.office.terminals import UnknownTerminal, rotate_secret

    try:
        secret = rotate_secret(_secret_holder(args), args.id, actor=args.operator)
    except UnknownTerminal as exc:
        say(f"kiosk: {exc}")
        return 1
    say("The old secret no longer works. Put this one in the terminal's [office] secret; it is not shown again.")
    emit({"terminal_id": args.id, "secret": secret})
    return 0


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") + "Z" if moment else None


def _export(args: argparse.Namespace, _context: object) -> int:
    from sync.office.reports import export_csv

    if args.after is not None:
        return _export_after(args)
    if args.peek:
        say("kiosk: --peek goes with --after CURSOR")
        return 2
    since = None
    if args.since:
        try:
            since = datetime.fromisoformat(args.since)
        except ValueError:
            say(f"kiosk: --since {args.since!r} is not an ISO date or time like 2026-11-27T18:40:00")
            return 2
        if since.tzinfo is not None:
            since = since.astimezone(timezone.utc).replace(tzinfo=None)
    count = export_csv(_engine(args), sys.stdout, since)
    say(f"kiosk: exported {count} submission(s)")
    return 0


def _stats(args: argparse.Namespace, _context: object) -> int:
    from sync.office.reports import stats

    emit(stats(_engine(args)))
    return 0


def _register_operators(actions: argparse._SubParsersAction,
                        with_db: Callable[[argparse.ArgumentParser], argparse.ArgumentParser]) -> None:
    operator = actions.add_parser("operator", help="people who sign in to the office's pages")
    operator_actions = operator.add_subparsers(dest="operator_action", metavar="ACTION", required=True)
    add = with_db(operator_actions.add_parser(
        "add", help="create an operator; prints the password once (JSON)",
        description="Roles: viewer sees every page; operator also acts on terminals; admin also "
                    "manages operators and terminals."))
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=("viewer", "operator", "admin"))
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from standard input instead of generating one")
    add.set_defaults(run=_guarded(_add_operator))
    listing = with_db(operator_actions.add_parser("list", help="one JSON line per operator"))
    listing.set_defaults(run=_guarded(_list_operators))
    disable = with_db(operator_actions.add_parser("disable", help="refuse the operator's sign-in and end "
                                                                  "their sessions"))
    disable.add_argument("name")
    disable.set_defaults(run=_guarded(_disable_operator))
    enable = with_db(operator_actions.add_parser("enable", help="let a disabled operator sign in again"))
    enable.add_argument("name")
    enable.set_defaults(run=_guarded(_enable_operator))
    role = with_db(operator_actions.add_parser("role", help="change the operator's role; it counts from their "
                                                            "next request"))
    role.add_argument("name")
    role.add_argument("--role", required=True, choices=("viewer", "operator", "admin"))
    role.set_defaults(run=_guarded(_operator_role))
    passwd = with_db(operator_actions.add_parser("passwd", help="a new password (printed once, JSON); ends "
                                                                "their sessions and lifts a lock"))
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true")
    passwd.set_defaults(run=_guarded(_operator_password))


def _command_line_actor() -> str:
    """Who the audit log names for the command line: the system user who ran it."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _password_from_stdin(args: argparse.Namespace) -> str | None:
    if not args.password_stdin:
        return None
    return sys.stdin.readline().rstrip("\r\n")


def _add_operator(args: argparse.Namespace, _context: object) -> int:
    from sync.office.operators import OperatorExists, Role, add_operator

    try:
        password = add_operator(_engine(args), args.name, Role.parse(args.role), _password_from_stdin(args),
                                actor=_command_line_actor())
    except (OperatorExists, ValueError) as exc:
        say(f"kiosk: {exc}")
        return 1
    if not args.password_stdin:
        say("Give this password to the operator; it is not shown again.")
    emit({"operator": args.name, "password": None if args.password_stdin else password})
    return 0


def _list_operators(args: argparse.Namespace, _context: object) -> int:
    from sync.office.operators import list_operators

    for operator in list_operators(_engine(args)):
        emit({"operator": operator.name, "role": operator.role.word, "enabled": operator.enabled,
              "added": _iso(operator.created_at), "locked_until": _iso(operator.locked_until)})
    return 0


def _disable_operator(args: argparse.Namespace, _context: object) -> int:
    return _set_operator_enabled(args, False)


def _enable_operator(args: argparse.Namespace, _context: object) -> int:
    return _set_operator_enabled(args, True)


def _set_operator_enabled(args: argparse.Namespace, enabled: bool) -> int:
    from sync.office.operators import LastAdmin, UnknownOperator, set_enabled

    try:
        set_enabled(_engine(args), args.name, enabled, actor=_command_line_actor())
    except (UnknownOperator, LastAdmin) as exc:
        say(f"kiosk: {exc}")
        return 1
    emit({"operator": args.name, "enabled": enabled})
    return 0


def _operator_role(args: argparse.Namespace, _context: object) -> int:
    from sync.office.operators import LastAdmin, Role, UnknownOperator, set_role

    role = Role.parse(args.role)
    try:
        set_role(_engine(args), args.name, role, actor=_command_line_actor())
    except (UnknownOperator, LastAdmin) as exc:
        say(f"kiosk: {exc}")
        return 1
    emit({"operator": args.name, "role": role.word})
    return 0


def _operator_password(args: argparse.Namespace, _context: object) -> int:
    from sync.office.operators import UnknownOperator, set_password

    try:
        password = set_password(_engine(args), args.name, _password_from_stdin(args), actor=_command_line_actor())
    except (UnknownOperator, ValueError) as exc:
        say(f"kiosk: {exc}")
        return 1
    emit({"operator": args.name, "password": None if args.password_stdin else password})
    return 0


def _cursor(text: str) -> int:
    if not text.isdigit() or int(text) > 2**62:
        raise argparse.ArgumentTypeError(f"a cursor is a whole number, 0 at first, not {text!r}")
    return int(text)


def _export_after(args: argparse.Namespace) -> int:
    from sync.office.export import MAX_PAGE, export_after

    if not 1 <= args.limit <= MAX_PAGE:
        say(f"kiosk: --limit is from 1 to {MAX_PAGE}")
        return 2
    emit(export_after(_engine(args), args.after, args.limit, acknowledge=not args.peek).as_dict())
    return 0


def _command(args: argparse.Namespace, _context: object) -> int:
    from sync.office.fleet import issue_command
    from sync.office.terminals import UnknownTerminal

    try:
        issued = issue_command(_engine(args), args.terminal, args.order_action, args.operator, reason=args.reason,
                               lines=args.lines, ttl=args.ttl)
    except (ValueError, UnknownTerminal) as exc:
        say(f"kiosk: {exc}")
        return 1
    emit(issued.as_dict())
    return 0


def _commands(args: argparse.Namespace, _context: object) -> int:
    from sync.office.fleet import STATES, commands_of

    unknown = sorted(set(args.state or ()) - set(STATES))
    if unknown:
        say(f"kiosk: no state {', '.join(unknown)}; the states are {', '.join(STATES)}")
        return 2
    for record in commands_of(_engine(args), args.terminal, states=args.state, limit=max(args.limit, 1)):
        emit(record.as_dict())
    return 0


def _fleet(args: argparse.Namespace, _context: object) -> int:
    from sync.office import alerts, fleet
    from sync.office.settings import load_config
    from sync.office.terminals import utc_now

    try:
        rules = alerts.rules_for(load_config(args.config))
    except ValueError as exc:
        say(f"kiosk office: {exc}")
        return 2
    now = utc_now()
    rows = []
    for state in fleet.fleet(_engine(args), now=now):
        found = alerts.alerts_of(state, now, rules)
        beat = state.heartbeat
        rows.append((alerts.severity_rank(found), state.id, {
            "id": state.id, "enabled": state.enabled, "last_heartbeat": _iso(state.heartbeat_at),
            "app_version": beat.app_version if beat else None,
            "out_of_service": beat.out_of_service.model_dump(mode="json") if beat and beat.out_of_service else None,
            "subsystems": [line.model_dump(mode="json") for line in beat.subsystems] if beat else [],
            "paper": beat.printer.paper if beat else None, "paper_left_m": alerts.paper_left_m(state),
            "slips_left": alerts.slips_left(state), "paper_days_left": alerts.paper_days_left(state),
            "queue_depth": beat.queue_depth if beat else None,
            "oldest_pending_age": beat.oldest_pending_age if beat else None,
            "last_upload_at": beat.last_upload_at.isoformat() if beat and beat.last_upload_at else None,
            "clock_skew_s": state.clock_skew_s, "alerts": [alert.as_dict() for alert in found]}))
    for _, _, row in sorted(rows, key=lambda item: item[:2]):
        emit(row)
    return 0


def _calls(args: argparse.Namespace, _context: object) -> int:
    from sync.office.fleet import staff_calls_of

    for call in staff_calls_of(_engine(args), args.terminal, open_only=args.open):
        emit({"id": call.id, "terminal_id": call.terminal_id, "at": _iso(call.at), "reference": call.reference,
              "received_at": _iso(call.received_at), "acknowledged_at": _iso(call.acknowledged_at),
              "acknowledged_by": call.acknowledged_by})
    return 0


def _acknowledge(args: argparse.Namespace, _context: object) -> int:
    from sync.office.fleet import acknowledge_staff_call

    if not acknowledge_staff_call(_engine(args), args.id, args.operator):
        say(f"kiosk: no open call {args.id} (see `kiosk office calls --open`)")
        return 1
    emit({"id": args.id, "acknowledged_by": args.operator})
    return 0


def _audit(args: argparse.Namespace, _context: object) -> int:
    from sync.office.audit import entries

    for entry in entries(_engine(args), target=args.target, limit=max(args.limit, 1)):
        emit({"at": _iso(entry.at), "actor": entry.actor, "action": entry.action, "target": entry.target,
              "detail": entry.detail})
    return 0


def _find(args: argparse.Namespace, _context: object) -> int:
    from sync.office.slips import by_reference

    try:
        found = by_reference(_engine(args), args.reference)
    except ValueError as exc:
        say(f"kiosk: {exc}")
        return 2
    if not found:
        say(f"kiosk: the office holds no submission with reference {args.reference}")
        return 1
    for submission in found:
        emit(submission.as_dict())
    return 0


def _conflicts(args: argparse.Namespace, _context: object) -> int:
    from sync.office.conflicts import list_conflicts

    for pair in list_conflicts(_engine(args), include_resolved=args.all):
        emit(pair.as_dict())
    return 0


def _resolve(args: argparse.Namespace, _context: object) -> int:
    from sync.office.conflicts import ConflictNotOpen, resolve_conflict

    try:
        pair = resolve_conflict(_engine(args), args.id, args.keep, args.operator)
    except (ConflictNotOpen, ValueError) as exc:
        say(f"kiosk: {exc}")
        return 1
    emit(pair.as_dict())
    return 0
