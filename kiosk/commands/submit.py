"""``kiosk submit`` (one submission or a CSV of them) and ``kiosk submissions``.

Exit codes: 0 every submission accepted, 3 one needs confirmation (run again with
``--confirm``), 4 one was rejected, 1 any other failure.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Iterator

from kiosk.commands.output import emit, say
from kiosk.context import Context
from kiosk.intake import Intake, IntakeResult
from sync.semicolon_file import BadLine, cells, read_lines
from sync.zones import MAX_ZONES

EXIT_NEEDS_CONFIRMATION = 3
EXIT_REJECTED = 4
CSV_COLUMNS = ("account", "meter", "t1", "t2", "t3")
_READING = re.compile(r"[Tt]([1-9])=(.*)", re.DOTALL)  # with fullmatch


def register(subparsers: argparse._SubParsersAction) -> None:
    submit = subparsers.add_parser(
        "submit", help="check and store meter readings (JSON per submission)",
        description="Exit 0 when all were accepted, 3 when one needs confirmation, 4 when one was rejected.",
    )
    source = submit.add_mutually_exclusive_group(required=True)
    source.add_argument("--account", help="the account number as the customer would type it")
    source.add_argument("--from-csv", type=Path, metavar="FILE",
                        help="rows of account;meter;t1;t2;t3 (header optional), one JSON line per row")
    submit.add_argument("--meter", metavar="SERIAL", help="needed when the account has several meters")
    submit.add_argument("--reading", action="append", default=[], metavar="TN=VALUE",
                        help="a zone's reading, e.g. T1=12400 (repeat per zone)")
    submit.add_argument("--confirm", action="store_true",
                        help="the readings were checked: accept warnings such as a rollover")
    submit.set_defaults(run=_submit)

    listing = subparsers.add_parser("submissions", help="stored submissions, newest first (JSON lines)")
    listing.add_argument("--pending", action="store_true", help="only those not yet delivered to the office")
    listing.add_argument("--limit", type=int, default=50, metavar="N")
    listing.set_defaults(run=_list)


def _submit(args: argparse.Namespace, context: Context) -> int:
    intake = Intake(context.store(), context.config)
    if args.from_csv is not None:
        if args.reading or args.meter:
            say("kiosk: --from-csv takes the meter and readings from the file; drop --meter and --reading")
            return 2
        return _submit_csv(intake, args.from_csv, args.confirm)
    entered = _entered(args.reading)
    if entered is None:
        return 2
    result = intake.submit(args.account, args.meter, entered, confirm_all=args.confirm)
    emit(result.as_dict())
    return _exit_code([result])


def _entered(readings: list[str]) -> list[str] | None:
    """T1=..,T2=.. in any order, as the list T1..Tn; gaps and repeats are usage errors."""
    by_zone: dict[int, str] = {}
    for text in readings:
        match = _READING.fullmatch(text)
        if not match or int(match.group(1)) > MAX_ZONES:
            say(f"kiosk: --reading {text!r}: write it as T1=12345 (zones T1 to T{MAX_ZONES})")
            return None
        zone = int(match.group(1))
        if zone in by_zone:
            say(f"kiosk: --reading T{zone} is given twice")
            return None
        by_zone[zone] = match.group(2)
    if sorted(by_zone) != list(range(1, len(by_zone) + 1)):
        say("kiosk: give the zones from T1 on without gaps (T1, T2, T3)")
        return None
    return [by_zone[zone] for zone in sorted(by_zone)]


def _submit_csv(intake: Intake, path: Path, confirm: bool) -> int:
    if not path.is_file():
        say(f"kiosk: file not found: {path}")
        return 1
    worst = 0
    for line, row in _csv_rows(path):
        if isinstance(row, str):
            message = row
        elif len(row) < 3 or len(row) > 2 + MAX_ZONES:
            message = "expected account;meter;t1[;t2[;t3]]"
        else:
            account, meter, *values = row
            while values and not values[-1]:
                values.pop()  # t2, t3 left empty for a meter with fewer zones
            result = intake.submit(account, meter or None, values, confirm_all=confirm)
            emit({"line": line, **result.as_dict()})  # printed once the row is committed
            worst = max(worst, _exit_code([result]), key=_severity)
            continue
        say(f"{path}: line {line}: {message}")
        emit({"line": line, "ok": False, "errors": [{"code": "bad_row", "zone": None, "message": message}]})
        worst = EXIT_REJECTED
    return worst


def _csv_rows(path: Path) -> Iterator[tuple[int, list[str] | str]]:
    """(line, its fields) per row, or (line, what is wrong with it); read to the end either way."""
    for line in read_lines(path):
        if isinstance(line, BadLine):
            yield line.number, line.message
            continue
        number, text, _ = line
        try:
            row = cells(text)
        except ValueError as exc:
            yield number, f"cannot be read as CSV: {exc}"
            continue
        if not row or all(not cell.strip() for cell in row):
            continue
        if number == 1 and row[0].strip().lower() == CSV_COLUMNS[0]:
            continue  # the header
        yield number, [cell.strip() for cell in row]


def _exit_code(results: list[IntakeResult]) -> int:
    if any(r.rejected for r in results):
        return EXIT_REJECTED
    if any(not r.ok for r in results):
        return EXIT_NEEDS_CONFIRMATION
    return 0


def _severity(code: int) -> int:
    """A rejection outweighs a pending confirmation, which outweighs success."""
    return {0: 0, EXIT_NEEDS_CONFIRMATION: 1, EXIT_REJECTED: 2}[code]


def _list(args: argparse.Namespace, context: Context) -> int:
    if args.limit < 1:
        say("kiosk: --limit must be at least 1")
        return 2
    for submission in context.store().submissions.latest(limit=args.limit, pending_only=args.pending):
        emit(submission.as_dict())
    return 0
