"""How commands speak: JSON for programs on stdout, words for people on stderr."""

from __future__ import annotations

import json
import sys
from typing import Any


def emit(document: Any) -> None:
    """One JSON document on one line, flushed at once so a reader sees it as it happens."""
    sys.stdout.write(json.dumps(document, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
