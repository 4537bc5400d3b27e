"""``kiosk demo-data`` writes a synthetic directory; ``kiosk demo`` runs the terminal on it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kiosk import demo_data
from kiosk.commands.output import emit, say
from kiosk.context import Context
from kiosk.directory_file import read_directory
from kiosk.intake import Intake


def register(subparsers: argparse._SubParsersAction) -> None:
    data = subparsers.add_parser("demo-data", help="write a realistic synthetic directory file")
    data.add_argument("--accounts", type=int, default=1000, metavar="N", help="meter rows to write")
    data.add_argument("--out", type=Path, metavar="FILE", help="default: standard output")
    data.add_argument("--seed", type=int, default=1)
    data.set_defaults(run=_demo_data)

    demo = subparsers.add_parser("demo", help="run the terminal on demo data in its own data folder")
    demo.add_argument("--data-dir", type=Path, default=Path("var/demo"),
                      help="where the demo keeps its database and slips (default: var/demo)")
    demo.set_defaults(run=_demo)


def _demo_data(args: argparse.Namespace, context: Context) -> int:
    if args.accounts < 1:
        say("kiosk: --accounts must be at least 1")
        return 2
    if args.out is None:
        written = demo_data.write_csv(sys.stdout, args.accounts, seed=args.seed)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with open(args.out, "w", encoding="utf-8", newline="") as stream:
            written = demo_data.write_csv(stream, args.accounts, seed=args.seed)
        emit({"file": str(args.out), "rows": written})
    return 0


def _demo(args: argparse.Namespace, context: Context) -> int:
    """Seed a directory and walk the sample accounts through the same path as the touch screen."""
    from kiosk import config as config_module

    data_dir = args.data_dir.resolve()
    # Every demo starts from the same directory and an empty history, so it reads the same.
    for old in data_dir.glob("kiosk.sqlite3*"):
        old.unlink()
    context.use_config(config_module.load(
        None, {"KIOSK_TERMINAL_DATA_DIR": str(data_dir), "KIOSK_TERMINAL_ID": "demo-1"}))
    store = context.store()
    directory_file = data_dir / "directory.csv"
    with open(directory_file, "w", encoding="utf-8", newline="") as stream:
        demo_data.write_csv(stream, 1000)
    imported = store.directory.import_rows(read_directory(directory_file))
    say(f"Demo terminal in {data_dir}: {imported.imported} meters imported from {directory_file}")
    intake = Intake(store, context.config)
    walkthrough = (
        ("л/с 2287 008-779", ["12400", "6800"], False),
        ("1000000011", ["5010,7"], False),
        ("1000000029", ["00030"], False),
        ("1000000029", ["00030"], True),
        ("1000000037", ["104000", "88100", "61300"], False),
    )
    for account, readings, confirm in walkthrough:
        result = intake.submit(account, None, readings, confirm_all=confirm)
        say(f"\n$ kiosk submit --account {account!r} "
            + " ".join(f"--reading T{i}={v}" for i, v in enumerate(readings, 1))
            + (" --confirm" if confirm else ""))
        emit(result.as_dict())
    say("\nTry it yourself, for example:\n"
        f"  KIOSK_TERMINAL_DATA_DIR={data_dir} .venv/bin/kiosk directory lookup 2287008779\n"
        f"  KIOSK_TERMINAL_DATA_DIR={data_dir} .venv/bin/kiosk submit --account 2287008779 "
        "--reading T1=12500 --reading T2=6900\n"
        f"  KIOSK_TERMINAL_DATA_DIR={data_dir} .venv/bin/kiosk submissions")
    return 0
