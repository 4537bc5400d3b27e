"""What a reading will roughly cost: per zone kWh × the price in force on the reading's date.

Money is ``Decimal`` from the tariff file to the slip: each line is rounded half-up to kopecks
and the total is the sum of the rounded lines, as a bill adds its lines. It is an estimate and
is called so everywhere («предварительно», never «к оплате»): the bill can differ by social-norm
tiers, recalculations, debts and payments.

A meter without a tariff, a zone without a price in force on the day, or a zone whose
consumption is unknown (a meter never read) gives no estimate at all: half an estimate would
look like a whole one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Iterable, Sequence

from kiosk.i18n import N_, gettext_for, translation
from kiosk.meters import Meter
from sync.tariff_file import TariffPrice
from sync.zones import ZoneMeaning

CURRENCY = "RUB"
KOPECK = Decimal("0.01")

ESTIMATE_LINE = N_("≈ {amount} by the tariff from {date} (preliminary)")
# What the scanned bill itself asks (its Sum), shown to its holder during the session only.
BILL_SUM_LINE = N_("Amount due on the bill: {amount}")


@dataclass(frozen=True, slots=True)
class EstimateLine:
    zone: int  # 1-based: T1, T2, T3
    meaning: ZoneMeaning
    kwh: int
    price: Decimal  # roubles per kWh
    amount: Decimal  # kWh × price, rounded half-up to kopecks


@dataclass(frozen=True, slots=True)
class Estimate:
    tariff: str
    valid_from: date  # the latest start among the prices used: "по тарифу с 01.07.2026"
    lines: tuple[EstimateLine, ...]
    amount: Decimal  # the sum of the lines
    currency: str = CURRENCY

    @property
    def kopecks(self) -> int:
        return int(self.amount * 100)

    def as_dict(self) -> dict[str, Any]:
        """For ``kiosk submit`` and other JSON: amounts and prices as decimal strings."""
        return {
            "tariff": self.tariff,
            "valid_from": self.valid_from.isoformat(),
            "lines": [{"zone": line.zone, "meaning": line.meaning.value, "kwh": line.kwh, "price": str(line.price),
                       "amount": str(line.amount)} for line in self.lines],
            "amount": str(self.amount),
            "currency": self.currency,
        }

    def words(self, language: str) -> str:
        """«≈ 412,50 ₽ по тарифу с 01.07.2026 (предварительно)»."""
        return gettext_for(language)(ESTIMATE_LINE).format(amount=format_money(self.amount, language),
                                                           date=format_day(self.valid_from, language))


def estimate(tariff: str | None, usage: Sequence[tuple[ZoneMeaning, int | None]], on: date,
             prices: Iterable[TariffPrice]) -> Estimate | None:
    """The estimate for the consumption of each zone (T1 first: its meaning and kWh) read on
    ``on``, from the tariff's prices; None when there is none to give."""
    if tariff is None or not usage:
        return None
    in_force: dict[ZoneMeaning, TariffPrice] = {}
    for price in prices:
        if price.tariff != tariff or price.valid_from > on:
            continue
        held = in_force.get(price.zone)
        if held is None or price.valid_from > held.valid_from:
            in_force[price.zone] = price
    lines = []
    for position, (meaning, kwh) in enumerate(usage, 1):
        used = in_force.get(meaning)
        if used is None or kwh is None:
            return None
        lines.append(EstimateLine(position, meaning, kwh, used.price,
                                  (kwh * used.price).quantize(KOPECK, rounding=ROUND_HALF_UP)))
    valid_from = max(in_force[meaning].valid_from for meaning, _ in usage)
    return Estimate(tariff, valid_from, tuple(lines), sum((line.amount for line in lines), Decimal("0.00")))


def meter_estimate(meter: Meter, consumption: Sequence[int | None], on: date,
                   prices: Iterable[TariffPrice]) -> Estimate | None:
    """The estimate for a meter's consumption per zone, as the rules computed it."""
    if len(consumption) != len(meter.zones):
        return None
    return estimate(meter.tariff, [(zone.meaning, kwh) for zone, kwh in zip(meter.zones, consumption)], on, prices)


def bill_sum_words(amount: Decimal, language: str) -> str:
    """«По квитанции к оплате: 1 250,00 ₽»: the bill's own words for its own sum."""
    return gettext_for(language)(BILL_SUM_LINE).format(amount=format_money(amount, language))


def format_money(amount: Decimal, language: str) -> str:
    """«1 250,00 ₽» in Russian (a no-break space between thousands), "1,250.00 RUB" in English:
    the currency's code, which an English reader knows and the slip can print (the printers'
    PC866 has no ₽, and its Russian stand-in «руб.» is no English word)."""
    text = f"{amount.quantize(KOPECK, rounding=ROUND_HALF_UP):,.2f}"
    if _english(language):
        return f"{text}\u00a0{CURRENCY}"
    return text.replace(",", "\u00a0").replace(".", ",") + "\u00a0₽"


def format_day(day: date, language: str) -> str:
    return day.isoformat() if _english(language) else day.strftime("%d.%m.%Y")


def _english(language: str) -> bool:
    # The catalogs' own rule decides: any language without a catalog reads Russian.
    return translation(language) is translation("en")
