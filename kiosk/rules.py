"""Checking one meter's submission: what is wrong, what needs the customer's confirmation, and
how much was consumed.

Called on every keypress, so it only parses and compares; wording is produced on demand by
Finding.message. Codes are part of the interface (DOMAIN.md), as is "account_invalid" for an
account number that is not even well-formed.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from kiosk.i18n import N_, gettext_for, meaning_word
from kiosk.meters import Meter
from sync.zones import ZoneMeaning
from kiosk.periods import billing_period, in_window
from kiosk.slip_words import format_period
from kiosk.readings import ParsedReading, parse_reading


class Kind(StrEnum):
    ERROR = "error"  # the submission cannot be accepted until it is corrected
    CONFIRM = "confirm"  # accepted only when the customer confirms it is right
    NOTICE = "notice"  # accepted; the customer is told


# What happened and what to do next, per code. Placeholders come from Finding.params, plus
# {zone} for findings about one zone.
MESSAGES: dict[str, str] = {
    "account_invalid": N_(
        "This account number does not look right. Check it against your bill and type it again."
    ),
    "account_not_found": N_(
        "No account with this number was found. Check the number on your bill or ask the staff."
    ),
    "meter_not_found": N_(
        "This meter is not registered on your account. Check its number or ask the staff."
    ),
    # Raised by the intake when an account has several meters and none was picked.
    "meter_not_chosen": N_(
        "This account has more than one meter. Choose the one whose readings you are entering."
    ),
    # {zone} is empty for a one-zone meter and " for T2 (night)" (" T2 (ночь)") otherwise: the
    # sentence reads the same either way.
    "not_a_number": N_(
        "The reading{zone} is not a number. Type only the digits before the comma."
    ),
    "too_many_digits": N_(
        "The reading{zone} has too many digits: {typed}, but the meter has {digits}. "
        "Do not type the digits after the comma or in the red window."
    ),
    "wrong_zone_count": N_(
        "The number of readings does not match the meter: {expected} needed, {given} entered. "
        "Enter one reading for each zone."
    ),
    "below_previous": N_(
        "The reading {value}{zone} is lower than the previous one ({previous}). "
        "Check the digits and type it again."
    ),
    "possible_rollover": N_(
        "The reading {value}{zone} is lower than the previous one ({previous}). This happens "
        "when the meter passes {register_max} and starts again from zero: then {consumption} kWh "
        "were used. If that is right, confirm it."
    ),
    "unusually_high": N_(
        "The consumption, {total} kWh, is much higher than expected (up to {limit} kWh). "
        "Check the readings; if they are right, confirm them."
    ),
    "looks_like_total": N_(
        "The reading {value}{zone} looks like the meter's reading for all zones together (Σ), "
        "not this zone's own. Type the zone's reading; if it is right, confirm it."
    ),
    "fraction_dropped": N_(
        "The reading{zone} is taken as {value}: the digits after the comma are not needed."
    ),
    # Also what the start screen says on such a day (window_notice): the two always agree.
    "outside_window": N_(
        "Readings are due from day {start} to day {end} of the month; readings sent today "
        "count toward {period}."
    ),
    "already_submitted_today": N_(
        "Readings for this meter were already sent today: {values}. If you want to send new ones, "
        "confirm them."
    ),
    "zero_consumption": N_(
        "The reading{zone} is the same as the previous one ({value}): no electricity was used. "
        "That is fine to send."
    ),
}
_UNKNOWN = N_("Please check what you entered or ask the staff for help.")
_ZONE = N_("for {label}")  # a zone in a sentence: "for T2 (night)"; in Russian just "T2 (ночь)"


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    kind: Kind
    zone: int | None  # 1-based zone position, None for the whole submission
    params: Mapping[str, Any] = field(default_factory=dict)  # JSON-safe; "meaning" names the zone

    def message(self, language: str = "ru") -> str:
        """Plain words for the customer: what happened and what to do next."""
        _ = gettext_for(language)
        fields = dict(self.params)
        if self.zone is not None:
            fields["zone"] = _zone_in_message(self.zone, fields.get("meaning"), language)
        if "today" in fields:
            # The first submission's readings, each with its zone: "T1 (день) 12400, T2 …".
            fields["values"] = ", ".join(
                f"{_zone_name(position, meaning, language)} {value}".strip()
                for position, (meaning, value) in enumerate(fields["today"], start=1))
        if "month" in fields and "year" in fields:
            # Named as the slip and the screens name it ("декабрь 2026"), not "12.2026".
            fields["period"] = format_period(date(fields["year"], fields["month"], 1),
                                             "en" if language == "en" else "ru")
        return _(MESSAGES.get(self.code, _UNKNOWN)).format(**fields)

    def as_dict(self, language: str = "ru") -> dict[str, Any]:
        return {"code": self.code, "zone": self.zone, "message": self.message(language)}


@dataclass(frozen=True, slots=True)
class Policy:
    window_start: int = 15
    window_end: int = 25
    unusual_factor: float = 3.0
    unusual_floor_kwh: int = 300
    rollover_max_share: float = 0.1

    @classmethod
    def from_config(cls, rules: Any) -> "Policy":
        """From kiosk.config.Rules, or anything with the same attributes."""
        return cls(
            window_start=rules.window_start,
            window_end=rules.window_end,
            unusual_factor=rules.unusual_factor,
            unusual_floor_kwh=rules.unusual_floor_kwh,
            rollover_max_share=rules.rollover_max_share,
        )


@dataclass(frozen=True, slots=True)
class Verdict:
    values: tuple[int | None, ...]  # one per zone given, None where not a number
    consumption: tuple[int | None, ...]  # one per zone of the meter, None where unknown
    total: int | None  # when every zone's consumption is known
    findings: tuple[Finding, ...]
    period: date  # first day of the billing month the reading counts toward

    @property
    def errors(self) -> tuple[Finding, ...]:
        return self._of(Kind.ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return self._of(Kind.CONFIRM)

    @property
    def notices(self) -> tuple[Finding, ...]:
        return self._of(Kind.NOTICE)

    @property
    def needs_confirmation(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(finding.code for finding in self.warnings))

    def acceptable(self, confirmed: Iterable[str] = ()) -> bool:
        given = set(confirmed)
        return not self.errors and all(code in given for code in self.needs_confirmation)

    def _of(self, kind: Kind) -> tuple[Finding, ...]:
        return tuple(finding for finding in self.findings if finding.kind == kind)


def check_readings(
    meter: Meter, entered: Sequence[str], *, today: date, policy: Policy = Policy()
) -> Verdict:
    """Check the readings typed for every zone of one meter, T1..Tn in order."""
    parsed = tuple(parse_reading(text) for text in entered)
    findings: list[Finding] = []
    _check_sent_today(meter, today, findings)
    count_ok = len(parsed) == len(meter.zones)
    if not count_ok:
        findings.append(Finding("wrong_zone_count", Kind.ERROR, None,
                                {"expected": len(meter.zones), "given": len(parsed)}))

    usable = [_check_typing(meter, position, reading, findings)
              for position, reading in enumerate(parsed, start=1)]
    _check_totals_copied(meter, usable, policy, findings)

    # With a wrong count it is unknown which value belongs to which zone, so nothing is compared.
    consumption: list[int | None] = [None] * len(meter.zones)
    if count_ok:
        for index, (zone, value) in enumerate(zip(meter.zones, usable)):
            if value is not None and zone.previous is not None:
                consumption[index] = _consumed(meter, index + 1, value, zone.previous, policy,
                                               findings)
    known = [figure for figure in consumption if figure is not None]
    total = sum(known) if known and len(known) == len(consumption) else None
    if total is not None:
        _check_unusual(meter, total, today, policy, findings)

    window = meter.window or (policy.window_start, policy.window_end)
    period = billing_period(today, window)
    if not in_window(today, window):
        findings.append(outside_window(today, window))

    return Verdict(
        values=tuple(reading.value for reading in parsed),
        consumption=tuple(consumption),
        total=total,
        findings=tuple(findings),
        period=period,
    )


def _check_sent_today(meter: Meter, today: date, findings: list[Finding]) -> None:
    """A second submission for the meter on the same day: the meter's last readings are then
    the first one's (the store writes them with the date), from this terminal or the office.
    A customer who did not see the first slip may be sending the same readings twice."""
    if meter.last_date != today or any(zone.previous is None for zone in meter.zones):
        return
    findings.append(Finding("already_submitted_today", Kind.CONFIRM, None, {
        "today": [[zone.meaning.value, zone.previous] for zone in meter.zones]}))


def _check_typing(
    meter: Meter, position: int, reading: ParsedReading, findings: list[Finding]
) -> int | None:
    """The zone's value when it can be compared, else None with the reason in findings."""
    params = _zone_params(meter, position)
    # Digits first: a number longer than any register has no value to compare (readings.py).
    if reading.typed_digits > meter.digits:
        findings.append(Finding("too_many_digits", Kind.ERROR, position,
                                {**params, "typed": reading.typed_digits, "digits": meter.digits}))
        return None
    if reading.value is None:
        findings.append(Finding("not_a_number", Kind.ERROR, position, params))
        return None
    if reading.fraction_dropped:
        findings.append(Finding("fraction_dropped", Kind.NOTICE, position,
                                {**params, "value": reading.value}))
    return reading.value


def _check_totals_copied(
    meter: Meter, usable: list[int | None], policy: Policy, findings: list[Finding],
) -> None:
    """The display cycles T1, T2, (T3) and Σ; customers copy Σ into a zone.

    Σ has grown since the last reading, so a copied Σ is at least the sum of the previous
    readings, where a true zone reading stays below it unless the other zones were at zero.
    A zone that outgrows the others is only suspicious when they hold more than a few months'
    use: on a new meter (T1 10, T2 5) a T1 of 20 is an ordinary reading, so below
    ``unusual_floor_kwh`` in the other zones only an exact Σ asks. Checked even when too few
    values were given: typing only Σ is the classic form of it.
    """
    previous = [zone.previous for zone in meter.zones if zone.previous is not None]
    if len(meter.zones) < 2 or len(previous) < len(meter.zones):
        return
    previous_sum = sum(previous)
    for position, (own, value) in enumerate(zip(previous, usable), start=1):
        if value is None:
            continue
        others = previous_sum - own
        if value == previous_sum or (value >= previous_sum and others >= policy.unusual_floor_kwh):
            findings.append(Finding("looks_like_total", Kind.CONFIRM, position, {
                **_zone_params(meter, position), "value": value, "previous_sum": previous_sum}))


def _consumed(
    meter: Meter, position: int, value: int, previous: int, policy: Policy,
    findings: list[Finding],
) -> int | None:
    """The zone's consumption, or None when the reading cannot be right."""
    params = {**_zone_params(meter, position), "value": value, "previous": previous}
    if value > previous:
        return value - previous
    if value == previous:
        findings.append(Finding("zero_consumption", Kind.NOTICE, position, params))
        return 0
    register_range = 10**meter.digits
    rollover = register_range - previous + value
    # A previous reading beyond the register is bad data, not a rollover (and would make the
    # figure negative).
    if previous < register_range and rollover <= policy.rollover_max_share * register_range:
        findings.append(Finding("possible_rollover", Kind.CONFIRM, position, {
            **params, "consumption": rollover, "register_max": register_range - 1}))
        return rollover
    findings.append(Finding("below_previous", Kind.ERROR, position, params))
    return None


def _check_unusual(
    meter: Meter, total: int, today: date, policy: Policy, findings: list[Finding]
) -> None:
    """Flag a total far above what the meter usually sees over the months since its last reading."""
    months = _months_between(meter.last_date, today)
    if meter.avg_kwh is None:
        usual = policy.unusual_floor_kwh * policy.unusual_factor * months
    else:
        usual = max(policy.unusual_factor * meter.avg_kwh * months, policy.unusual_floor_kwh)
    # The per-meter ceiling is a fact from the office, so it is the limit named when both apply.
    if meter.max_kwh is not None and total > meter.max_kwh:
        limit, limit_kind = meter.max_kwh, "meter_max"
    elif total > usual:
        limit, limit_kind = int(usual), "usual"
    else:
        return
    findings.append(Finding("unusually_high", Kind.CONFIRM, None, {
        "total": total, "limit": limit, "limit_kind": limit_kind, "months": months}))


def _months_between(last: date | None, today: date) -> int:
    """Whole months since the last reading, at least 1: three months late is three months used."""
    if last is None:
        return 1
    months = (today.year - last.year) * 12 + today.month - last.month
    # The 31st to the last day of a shorter month is a whole month.
    if today.day < min(last.day, calendar.monthrange(today.year, today.month)[1]):
        months -= 1
    return max(months, 1)


def _zone_params(meter: Meter, position: int) -> dict[str, Any]:
    # Positions beyond the meter's zones happen with wrong_zone_count; they have no meaning.
    if position <= len(meter.zones):
        return {"meaning": meter.zones[position - 1].meaning.value}
    return {}


def _zone_name(position: int, meaning: str | None, language: str) -> str:
    """ "T1 (день)"; just "T3" for a value beyond the meter's zones; nothing for a one-zone
    meter, whose reading is simply the meter's."""
    if meaning == ZoneMeaning.SINGLE.value:
        return ""
    if meaning is None:
        return f"T{position}"
    return f"T{position} ({meaning_word(ZoneMeaning(meaning), language)})"


def _zone_in_message(position: int, meaning: str | None, language: str) -> str:
    """The {zone} of a message: "" or " for T1 (day)", ready to follow a word."""
    name = _zone_name(position, meaning, language)
    return " " + gettext_for(language)(_ZONE).format(label=name) if name else ""


def outside_window(today: date, window: tuple[int, int]) -> Finding:
    """The ``outside_window`` notice for a reading taken today: the start screen tells every
    customer on such a day, the review the one whose reading it is, in the same words."""
    period = billing_period(today, window)
    return Finding("outside_window", Kind.NOTICE, None, {
        "start": window[0], "end": window[1], "month": period.month, "year": period.year})
