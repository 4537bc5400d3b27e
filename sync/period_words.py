"""The billing period in words, as bills name it: "декабрь 2026", "December 2026".

One wording for the slip, the terminal's screens and the office's check page a slip's QR code
opens, so what a customer reads in one place is what they find in the other. Each side
translates the month with its own gettext catalog (the terminal's, the office pages'); the
months are marked here for both.
"""

from __future__ import annotations

from datetime import date
from typing import Callable


def N_(message: str) -> str:
    """Mark a module-level string for extraction; it is translated where it is shown."""
    return message


MONTHS = (N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"),
          N_("July"), N_("August"), N_("September"), N_("October"), N_("November"),
          N_("December"))


def period_in_words(period: date, gettext: Callable[[str], str]) -> str:
    return f"{gettext(MONTHS[period.month - 1])} {period.year}"
