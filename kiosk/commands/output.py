"""How commands speak: JSON for programs on stdout, words for people on stderr."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Sequence

from sync.semicolon_file import RowError

# A person reads these: the first problems tell them what to fix.
ERRORS_SHOWN = 50


def emit(document: Any) -> None:
    """One JSON document on one line, flushed at once so a reader sees it as it happens."""
    sys.stdout.write(json.dumps(document, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def say_row_errors(path: Path, errors: Sequence[RowError]) -> None:
    """A file's bad rows, the first ``ERRORS_SHOWN`` of them, each with its line and column."""
    for error in errors[:ERRORS_SHOWN]:
        say(f"{path}: {error}")
    if len(errors) > ERRORS_SHOWN:
        say(f"{path}: … and {len(errors) - ERRORS_SHOWN} more bad rows")


def row_errors_json(errors: Sequence[RowError]) -> list[dict[str, object]]:
    return [{"line": e.line, "column": e.column, "message": e.message} for e in errors[:ERRORS_SHOWN]]
