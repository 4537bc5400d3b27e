"""Taking readings in: from typed text to a checked, stored submission.

The one path every front end uses (the touch screen's journey, ``kiosk submit``): find the
account and meter, apply the rules, and store only what is acceptable with the customer's
confirmations. Nothing is stored otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sync.accounts import normalise_account
from kiosk.config import Config, ConfigError
from kiosk.estimate import Estimate, meter_estimate
from kiosk.meters import Account, Meter
from kiosk.rules import Finding, Kind, Policy, Verdict, check_readings
from kiosk.store import MeterChanged, NewSubmission, Store, Submission
from kiosk.store.submissions import reading_dict


@dataclass(frozen=True)
class IntakeResult:
    account: str | None
    meter: Meter | None
    verdict: Verdict | None
    findings: tuple[Finding, ...]  # the verdict's, or the one that stopped the check earlier
    submission: Submission | None = None
    language: str = "ru"
    confirmed: tuple[str, ...] = field(default_factory=tuple)
    estimate: Estimate | None = None

    @property
    def ok(self) -> bool:
        return self.submission is not None

    @property
    def needs_confirmation(self) -> tuple[str, ...]:
        if self.verdict is None or self.verdict.errors:
            return ()
        return tuple(code for code in self.verdict.needs_confirmation if code not in self.confirmed)

    @property
    def rejected(self) -> bool:
        return any(f.kind is Kind.ERROR for f in self.findings)

    def as_dict(self) -> dict[str, Any]:
        def of(kind: Kind) -> list[dict[str, Any]]:
            return [f.as_dict(self.language) for f in self.findings if f.kind is kind]

        if self.submission is not None:
            readings = [reading_dict(r) for r in self.submission.readings]
        elif self.verdict is not None and self.meter is not None:
            readings = [
                {"zone": zone.position, "meaning": zone.meaning.value, "previous": zone.previous,
                 "value": value, "consumption": consumption}
                for zone, value, consumption in zip(self.meter.zones, self.verdict.values,
                                                    self.verdict.consumption)
            ]
        else:
            readings = []
        return {
            "ok": self.ok,
            "txn_id": self.submission.txn_id if self.submission else None,
            "seq": self.submission.seq if self.submission else None,
            "account": self.account,
            "meter": self.meter.serial if self.meter else None,
            "readings": readings,
            "total": self.verdict.total if self.verdict else None,
            "period": self.verdict.period.strftime("%Y-%m") if self.verdict else None,
            "errors": of(Kind.ERROR),
            "warnings": of(Kind.CONFIRM),
            "notices": of(Kind.NOTICE),
            "needs_confirmation": list(self.needs_confirmation),
            "estimate": self.estimate.as_dict() if self.estimate else None,
        }


class Intake:
    def __init__(self, store: Store, config: Config) -> None:
        self._store = store
        self._config = config
        self._policy = Policy.from_config(config.rules)
        self._zone = _zone(config.terminal.timezone)

    @property
    def config(self) -> Config:
        return self._config

    def now(self) -> datetime:
        """Local time with its offset: the slip and the office both need the zone."""
        return datetime.now(self._zone) if self._zone else datetime.now().astimezone()

    def find_account(self, typed: str) -> tuple[str | None, Account | None, Finding | None]:
        rules = self._config.rules
        number = normalise_account(typed, min_digits=rules.account_min_digits,
                                   max_digits=rules.account_max_digits)
        if number is None:
            return None, None, Finding("account_invalid", Kind.ERROR, None,
                                       {"min": rules.account_min_digits, "max": rules.account_max_digits})
        account = self._store.directory.find_account(number)
        if account is None:
            return number, None, Finding("account_not_found", Kind.ERROR, None, {"account": number})
        return number, account, None

    def check(self, meter: Meter, entered: Sequence[str], now: datetime | None = None) -> Verdict:
        return check_readings(meter, entered, today=(now or self.now()).date(), policy=self._policy)

    def estimate(self, meter: Meter, verdict: Verdict, now: datetime) -> Estimate | None:
        """What the readings will roughly cost, when they have no error and the meter's tariff
        has a price in force on the reading's date for every zone."""
        if verdict.errors or meter.tariff is None:
            return None
        return meter_estimate(meter, verdict.consumption, now.date(), self._store.tariffs.prices(meter.tariff))

    def submit(
        self,
        account_typed: str,
        meter_serial: str | None,
        entered: Sequence[str],
        *,
        confirmed: Iterable[str] = (),
        confirm_all: bool = False,
        language: str | None = None,
    ) -> IntakeResult:
        language = language or self._config.terminal.language
        number, account, problem = self.find_account(account_typed)
        if problem is not None:
            return IntakeResult(number, None, None, (problem,), language=language)
        assert account is not None
        meter = _choose_meter(account, meter_serial)
        if isinstance(meter, Finding):
            return IntakeResult(number, None, None, (meter,), language=language)
        # A concurrent submission for the same meter (another front end on this terminal) moves
        # its last reading; check once more against the new one rather than fail.
        for _attempt in range(3):
            now = self.now()
            verdict = self.check(meter, entered, now)
            accepted = tuple(verdict.needs_confirmation) if confirm_all else tuple(confirmed)
            result = IntakeResult(number, meter, verdict, verdict.findings, language=language,
                                  confirmed=accepted, estimate=self.estimate(meter, verdict, now))
            if not verdict.acceptable(accepted):
                return result
            try:
                stored = self._store.submissions.record(NewSubmission(
                    terminal_id=self._config.terminal.id,
                    meter=meter,
                    values=tuple(v for v in verdict.values if v is not None),
                    consumption=verdict.consumption,
                    total=verdict.total,
                    confirmed=tuple(code for code in verdict.needs_confirmation if code in accepted),
                    notices=tuple(f.code for f in verdict.notices),
                    taken_at=now,
                    period=verdict.period,
                ))
            except MeterChanged:
                fresh = self._store.directory.find_account(account.number)
                meter = _choose_meter(fresh, meter.serial) if fresh else Finding(
                    "account_not_found", Kind.ERROR, None, {"account": number})
                if isinstance(meter, Finding):
                    return IntakeResult(number, None, None, (meter,), language=language)
                continue
            return IntakeResult(number, meter, verdict, verdict.findings, stored, language, accepted,
                                result.estimate)
        raise MeterChanged(f"meter {meter.serial} keeps changing; try again")


def _choose_meter(account: Account, serial: str | None) -> Meter | Finding:
    if serial is None:
        if len(account.meters) == 1:
            return account.meters[0]
        return Finding("meter_not_chosen", Kind.ERROR, None,
                       {"meters": ", ".join(m.serial for m in account.meters)})
    for meter in account.meters:
        if meter.serial == serial.strip():
            return meter
    return Finding("meter_not_found", Kind.ERROR, None, {"meter": serial})


def _zone(name: str) -> ZoneInfo | None:
    if not name:
        return None  # the system's zone
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"[terminal] timezone: unknown time zone {name!r}") from None
