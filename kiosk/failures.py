"""Any failure of a command as one line a person can act on; the traceback goes to the log.

``kiosk.cli.main`` sends here whatever a command did not handle itself. A database error is named
the way the storage health names it (``kiosk.storage``): disk full, read-only, permission denied,
locked by another program, damaged. Anything else is its one-line message, masked like all free
text that leaves the terminal, never SQLAlchemy's statement and parameters.
"""

from __future__ import annotations

import logging
import sqlite3

from sqlalchemy.exc import SQLAlchemyError

from kiosk.config import Config
from kiosk.errors import StoreError
from kiosk.masking import scrub
from kiosk.storage import explain, one_line

log = logging.getLogger("kiosk")


def failure_line(exc: BaseException, command: str, config: Config | None) -> str:
    """What `kiosk COMMAND` prints on stderr for ``exc``; the traceback is logged at DEBUG."""
    log.debug("kiosk %s failed", command, exc_info=exc)
    cause = exc.cause if isinstance(exc, StoreError) and exc.cause is not None else exc
    database = isinstance(exc, StoreError) or isinstance(cause, (SQLAlchemyError, sqlite3.Error))
    if database and config is not None:
        _fault, words = explain(cause, config.data_dir, config.database_path)
        return f"kiosk: {command}: {config.database_path}: {words.english}"
    if isinstance(exc, StoreError):
        return f"kiosk: {command}: {scrub(str(exc))}"
    if isinstance(exc, OSError) and exc.strerror:  # a file named on the command line, a socket
        where = f"{exc.filename}: " if exc.filename else ""
        return f"kiosk: {command}: {scrub(where)}{exc.strerror}"
    return f"kiosk: {command} failed: {scrub(one_line(exc))} ({type(exc).__name__})"
