"""The confirmation slip's words, in the customer's language: the core translates them (gettext,
like every other word the terminal shows) and hands them to the slip's layout as data
(``devices.slip.SlipWords``), so the printer driver knows nothing of languages.

The screens name the same things with the same words (``Slip code``, ``Hotline``, the months):
what a customer notes down from the screen is found on a slip under the same name.
"""

from __future__ import annotations

from datetime import date, datetime

from devices.slip import SlipWords
from kiosk.i18n import N_, gettext_for, translation
from sync.period_words import MONTHS, period_in_words

_WORDS = SlipWords(
    title=N_("READINGS RECEIVED"),
    copy=N_("COPY"),
    terminal=N_("Terminal"),
    taken_at=N_("Date and time"),
    account=N_("Account"),
    meter=N_("Meter"),
    zone=N_("Zone"),
    previous=N_("Previous"),
    new=N_("New"),
    consumption=N_("Used"),
    total=N_("Total, kWh"),
    period=N_("Billing period"),
    status=N_("Status"),
    accepted=N_("Accepted for transfer"),
    not_billed=N_("Not on a bill yet"),
    txn=N_("Transaction"),
    seq=N_("No."),
    hotline=N_("Hotline"),
    code=N_("Slip code"),
    quote=N_("Questions? Call the hotline and give this code."),
)


def slip_words(language: str) -> SlipWords:
    _ = gettext_for(language)
    return SlipWords(**{name: _(msgid) for name, msgid in vars(_WORDS).items()})


def month_names(language: str) -> tuple[str, ...]:
    _ = gettext_for(language)
    return tuple(_(month) for month in MONTHS)


def format_period(period: date, language: str) -> str:
    """The billing period as bills name it: "декабрь 2026" (sync.period_words, shared with the office)."""
    return period_in_words(period, gettext_for(language))


def format_taken_at(taken_at: datetime, language: str) -> str:
    """Day first for Russian readers, ISO order for everyone else."""
    return taken_at.strftime("%Y-%m-%d %H:%M" if _english(language) else "%d.%m.%Y %H:%M")


def _english(language: str) -> bool:
    # The catalogs' own rule decides: any language without a catalog reads Russian.
    return translation(language) is translation("en")
