"""Paying by QR from the slip: a code in the bills' own payment format (ГОСТ Р 56042-2014).

Bank apps pay a bill by scanning its code; the slip's second code is one such, for the estimate:
the payee's details from ``[payment]``, the customer's account (``PersAcc``), the estimate in
kopecks (``Sum``), the purpose with the billing period, and ``TechCode=02`` (housing and
utilities). UTF-8 (flag 2), fields separated by ``|``, which the configuration keeps out of every
value. The amount is the estimate: the app shows it before the customer pays, and the bill
settles the difference.
"""

from __future__ import annotations

from datetime import date

from kiosk.config import Payment
from kiosk.i18n import N_, gettext_for
from kiosk.slip_words import format_period

PAY_LABEL = N_("Pay in your bank's app")
# A GOST purpose holds at most 210 characters.
MAX_PURPOSE = 210


def payment_code(payment: Payment, account: str, amount_kopecks: int, period: date) -> str:
    """The code's text; the printer gets it as UTF-8 bytes."""
    purpose = payment.purpose.format(period=format_period(period, "ru"), account=account)[:MAX_PURPOSE]
    fields = [("Name", payment.name), ("PersonalAcc", payment.bank_account), ("BankName", payment.bank),
              ("BIC", payment.bic), ("CorrespAcc", payment.correspondent_account)]
    if payment.inn:
        fields.append(("PayeeINN", payment.inn))
    if payment.kpp:
        fields.append(("KPP", payment.kpp))
    fields += [("PersAcc", account), ("Sum", str(amount_kopecks)), ("Purpose", purpose),
               ("PaymPeriod", f"{period.month:02d}{period.year:04d}"), ("TechCode", "02")]
    return "ST00012|" + "|".join(f"{key}={value}" for key, value in fields)


def pay_label(language: str) -> str:
    return gettext_for(language)(PAY_LABEL)
