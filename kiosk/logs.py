"""The log of the terminal and the office: standard error, configured once when a command starts.

Under systemd (``JOURNAL_STREAM`` names our standard error) every line starts with its syslog
priority, ``<3>`` for an error to ``<7>`` for debug: journald strips the prefix and files the line
under that priority (``SyslogLevelPrefix=`` is on by default), so ``journalctl -p err`` finds the
errors; the journal adds the time and the unit itself. Elsewhere a line carries its time and level.

Our own packages log from ``[terminal] log_level`` up (info by default); every other library,
Kivy included, from warning up: their info lines are noise on a kiosk that runs for years.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, Mapping, TextIO

OWN_LOGGERS = ("kiosk", "screens", "devices", "sync")
OTHERS_LEVEL = logging.WARNING

# sd-daemon(3): the priority prefixes journald understands on a stream.
_PRIORITIES = ((logging.CRITICAL, 2), (logging.ERROR, 3), (logging.WARNING, 4), (logging.INFO, 6))
_DEBUG_PRIORITY = 7

_HANDLER_NAME = "kiosk"
_JOURNAL_FORMAT = "%(name)s: %(message)s"  # the journal adds the time itself
_PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# The office's web server: its start-up and request lines are the office's own news.
_SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


def priority(level: int) -> int:
    """The syslog priority of a logging level: the first whose level it reaches."""
    return next((value for threshold, value in _PRIORITIES if level >= threshold), _DEBUG_PRIORITY)


class JournalFormatter(logging.Formatter):
    """Each line with its priority prefix: a traceback's lines stay errors too, since journald
    reads every line of the stream as an entry of its own."""

    def format(self, record: logging.LogRecord) -> str:
        prefix = f"<{priority(record.levelno)}>"
        return "\n".join(prefix + line for line in super().format(record).splitlines())


def to_journal(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """True when systemd connected this stream to the journal: JOURNAL_STREAM holds the device and
    inode of that very stream (a child whose stderr was redirected inherits the variable too)."""
    expected = environ.get("JOURNAL_STREAM", "")
    if not expected:
        return False
    try:
        info = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return expected == f"{info.st_dev}:{info.st_ino}"


def configure(level: str = "info", *, stream: TextIO | None = None,
              environ: Mapping[str, str] | None = None) -> None:
    """Send every log line to ``stream`` (standard error), ours from ``level`` up. Calling it again
    replaces the earlier set-up instead of adding a second handler."""
    stream = stream or sys.stderr
    environ = os.environ if environ is None else environ
    handler = logging.StreamHandler(stream)
    handler.set_name(_HANDLER_NAME)
    if to_journal(stream, environ):
        handler.setFormatter(JournalFormatter(_JOURNAL_FORMAT))
    else:
        handler.setFormatter(logging.Formatter(_PLAIN_FORMAT))
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(OTHERS_LEVEL)
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(level.upper())
    logging.getLogger("kivy").setLevel(OTHERS_LEVEL)


def server_config(level: str = "info", *, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """What ``configure`` sets up, as a ``logging.config`` dictionary for the office's web server.

    uvicorn applies it in every worker process it starts: a worker is a new process that keeps
    nothing of the parent's set-up, so without it the workers' lines would come out in uvicorn's
    own format and our packages' info lines not at all. The workers share standard error with the
    parent, so the parent decides whether it is the journal.
    """
    environ = os.environ if environ is None else environ
    journal = to_journal(sys.stderr, environ)
    formatter = ({"()": f"{__name__}.JournalFormatter", "fmt": _JOURNAL_FORMAT} if journal
                 else {"format": _PLAIN_FORMAT})
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {_HANDLER_NAME: formatter},
        "handlers": {_HANDLER_NAME: {"class": "logging.StreamHandler", "stream": "ext://sys.stderr",
                                     "formatter": _HANDLER_NAME}},
        "root": {"level": logging.getLevelName(OTHERS_LEVEL), "handlers": [_HANDLER_NAME]},
        "loggers": {
            **{name: {"level": level.upper()} for name in OWN_LOGGERS},
            **{name: {"level": "INFO", "handlers": [], "propagate": True} for name in _SERVER_LOGGERS},
        },
    }
