"""What the service screens are handed: a page with its rows and actions, an action's outcome,
and the words every page shares (titles, captions, role names, free text made safe to show)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from kiosk.i18n import N_, gettext_for
from kiosk.masking import scrub
from kiosk.service.access import ADMINISTRATOR, SHELL, SYSTEM, TECHNICIAN
from kiosk.service.health import Level
from kiosk.storage import one_line

PAGES = ("printer", "scanner", "upload", "directory", "network", "storage", "system")
ACTIONS = ("test_slip", "reprint", "send_now", "update_directory", "check_network", "check_integrity",
           "out_of_service", "in_service", "new_roll")

TITLES = {
    "overview": N_("Overview"), "printer": N_("Printer"), "scanner": N_("Scanner"), "upload": N_("Upload"),
    "directory": N_("Directory"), "network": N_("Network"), "storage": N_("Storage"), "system": N_("System"),
    "clock": N_("Clock"),
}
CAPTIONS = {
    "test_slip": N_("Print a test slip"),
    "reprint": N_("Reprint a slip"),
    "send_now": N_("Send now"),
    "update_directory": N_("Update now"),
    "check_network": N_("Check the connection"),
    "check_integrity": N_("Check the database"),
    "out_of_service": N_("Take out of service"),
    "in_service": N_("Return to service"),
    "new_roll": N_("New roll"),
}
# Who did something, in the words of a screen; the service screens' catalog holds them too.
ROLE_NAMES = {TECHNICIAN: N_("technician"), ADMINISTRATOR: N_("administrator"),
              SHELL: N_("remote shell"), SYSTEM: N_("the terminal itself")}
# Free text in a row or a message (a driver's error, a log line) is cut to this.
TEXT_MAX = 160


@dataclass(frozen=True)
class Action:
    name: str  # one of ACTIONS
    caption: str  # in the requested language
    allowed: bool  # False: shown greyed (e.g. reprint for a technician)


@dataclass(frozen=True)
class Page:
    name: str  # one of PAGES, or "overview"
    title: str
    level: Level
    reason: str  # one line
    rows: tuple[tuple[str, str], ...]  # (label, value); never unmasked customer data
    actions: tuple[Action, ...]
    # Labels of rows that need a look whatever the page's level (plain http to an office on this
    # machine is no fault, yet never "normal"): the screen marks them as warnings.
    attention: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Done:
    ok: bool
    message: str  # what happened, or what to do next


Translate = Callable[[str], str]


def title(subsystem: str, language: str) -> str:
    """A page's or an overview line's name: "Printer", "Clock", ..."""
    return gettext_for(language)(TITLES[subsystem])


def role_name(role: str, translate: Translate) -> str:
    return translate(ROLE_NAMES[role]) if role in ROLE_NAMES else role


def short(text: str) -> str:
    """Free text for a row or a message: scrubbed, one line, cut to a readable length."""
    line = scrub(" ".join(text.split()))
    return line if len(line) <= TEXT_MAX else line[:TEXT_MAX - 1] + "…"


def error_line(exc: BaseException) -> str:
    """An exception in a row or a message: its first line, scrubbed and cut."""
    return short(one_line(exc))
