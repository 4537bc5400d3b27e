import json
from datetime import date
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.config import Rules
from kiosk.meters import Meter, TariffZone
from sync.zones import STANDARD_MEANINGS
from kiosk.rules import MESSAGES, Finding, Kind, Policy, Verdict, check_readings

IN_WINDOW = date(2025, 3, 20)


def meter(*previous: int | None, digits: int = 5, **extra) -> Meter:
    meanings = STANDARD_MEANINGS[len(previous)]
    zones = tuple(
        TariffZone(position, meaning, last)
        for position, (meaning, last) in enumerate(zip(meanings, previous), start=1)
    )
    extra.setdefault("last_date", date(2025, 2, 20))
    return Meter(account="2287008779", serial="0123456", digits=digits, zones=zones, **extra)


def codes(verdict: Verdict) -> set[str]:
    return {finding.code for finding in verdict.findings}


# DOMAIN.md "Cases": meter, entered, codes, consumption, acceptable as it is, acceptable confirmed.
@pytest.mark.parametrize(
    ("the_meter", "entered", "expected_codes", "consumption", "acceptable", "when_confirmed"),
    [
        (meter(12345, 6789), ["12400", "6800"], set(), (55, 11), True, True),
        (meter(12345), ["12300"], {"below_previous"}, (None,), False, False),
        (meter(99950), ["00030"], {"possible_rollover"}, (80,), False, True),
        (meter(123456, digits=6), ["1234567"], {"too_many_digits"}, (None,), False, False),
        (meter(12345, 6789), ["12400"], {"wrong_zone_count"}, (None, None), False, False),
        # The case's "T1 19134" alone, and with a true T2: the Σ copied into T1 is 6789 kWh more.
        (meter(12345, 6789), ["19134"], {"wrong_zone_count", "looks_like_total"},
         (None, None), False, False),
        (meter(12345, 6789), ["19134", "6800"], {"looks_like_total", "unusually_high"},
         (6789, 11), False, True),
        (meter(5000), ["5000"], {"zero_consumption"}, (0,), True, True),
        (meter(5000), ["5010,7"], {"fraction_dropped"}, (10,), True, True),
    ],
)
def test_domain_cases(
    the_meter: Meter, entered: list[str], expected_codes: set[str],
    consumption: tuple[int | None, ...], acceptable: bool, when_confirmed: bool,
) -> None:
    verdict = check_readings(the_meter, entered, today=IN_WINDOW)
    assert codes(verdict) == expected_codes
    assert verdict.consumption == consumption
    assert verdict.acceptable() is acceptable
    assert verdict.acceptable(verdict.needs_confirmation) is when_confirmed


def test_accepted_two_zone_total() -> None:
    verdict = check_readings(meter(12345, 6789), ["12400", "6800"], today=IN_WINDOW)
    assert verdict.values == (12400, 6800)
    assert verdict.total == 66
    assert verdict.period == date(2025, 3, 1)


def test_fraction_dropped_keeps_the_whole_part() -> None:
    verdict = check_readings(meter(5000), ["5010,7"], today=IN_WINDOW)
    assert verdict.values == (5010,)
    assert verdict.notices[0].zone == 1
    assert verdict.notices[0].params["value"] == 5010


def test_rollover_on_an_eight_digit_register() -> None:
    verdict = check_readings(meter(99_999_950, digits=8), ["00000030"], today=IN_WINDOW)
    assert verdict.needs_confirmation == ("possible_rollover",)
    assert verdict.consumption == (80,)
    assert verdict.warnings[0].params["register_max"] == 99_999_999


def test_far_below_previous_on_eight_digits_is_no_rollover() -> None:
    verdict = check_readings(meter(50_000_000, digits=8), ["100"], today=IN_WINDOW)
    assert codes(verdict) == {"below_previous"}


@pytest.mark.parametrize(
    ("previous", "new", "code"),
    [(90000, 0, "possible_rollover"), (89999, 0, "below_previous"), (99999, 9999, "possible_rollover")],
)
def test_rollover_share_boundary(previous: int, new: int, code: str) -> None:
    # 0.1 of a 5-digit register's 100000 is 10000 kWh; 9999 -> 0 is one more.
    verdict = check_readings(meter(previous), [str(new)], today=IN_WINDOW,
                             policy=Policy(unusual_floor_kwh=100_000))
    assert codes(verdict) == {code}


def test_previous_beyond_the_register_is_no_rollover() -> None:
    verdict = check_readings(meter(123456), ["100"], today=IN_WINDOW)
    assert codes(verdict) == {"below_previous"}


def test_three_zone_meter() -> None:
    verdict = check_readings(meter(1000, 2000, 3000), ["1100", "2050", "3010"], today=IN_WINDOW)
    assert verdict.findings == ()
    assert verdict.consumption == (100, 50, 10)
    assert verdict.total == 160


def test_three_zone_total_copied_into_the_first_zone() -> None:
    verdict = check_readings(meter(1000, 2000, 3000), ["6100", "2050", "3010"], today=IN_WINDOW)
    copied = [finding for finding in verdict.findings if finding.code == "looks_like_total"]
    assert [(finding.zone, finding.params["previous_sum"]) for finding in copied] == [(1, 6000)]
    assert copied[0].kind is Kind.CONFIRM


def test_total_copied_into_a_later_zone() -> None:
    verdict = check_readings(meter(12345, 6789), ["12400", "19134"], today=IN_WINDOW)
    assert [f.zone for f in verdict.findings if f.code == "looks_like_total"] == [2]


def test_no_total_suspicion_when_the_other_zones_were_at_zero() -> None:
    verdict = check_readings(meter(5000, 0), ["5100", "0"], today=IN_WINDOW)
    assert codes(verdict) == {"zero_consumption"}
    assert verdict.findings[0].zone == 2


def test_a_new_meter_zone_may_outgrow_the_others() -> None:
    # T2 held 5 kWh: T1 passing the sum of both says nothing about a copied total.
    verdict = check_readings(meter(10, 5), ["20", "7"], today=IN_WINDOW)
    assert verdict.findings == ()


def test_an_exact_total_asks_even_on_a_new_meter() -> None:
    verdict = check_readings(meter(10, 5), ["15", "7"], today=IN_WINDOW)
    assert [f.zone for f in verdict.findings if f.code == "looks_like_total"] == [1]


def test_single_zone_meter_never_looks_like_a_total() -> None:
    verdict = check_readings(meter(5000), ["5100"], today=IN_WINDOW)
    assert verdict.findings == ()


def test_new_meter_without_previous_readings() -> None:
    verdict = check_readings(meter(None, None, last_date=None), ["120", "40"], today=IN_WINDOW)
    assert verdict.findings == ()
    assert verdict.values == (120, 40)
    assert verdict.consumption == (None, None)
    assert verdict.total is None
    assert verdict.acceptable()


def test_one_zone_without_previous_leaves_the_total_unknown() -> None:
    verdict = check_readings(meter(None, 100), ["120", "140"], today=IN_WINDOW)
    assert verdict.consumption == (None, 40)
    assert verdict.total is None


def test_wrong_zone_count_still_reports_typing_problems() -> None:
    verdict = check_readings(meter(12345, 6789), ["12400", "abc", "1,5"], today=IN_WINDOW)
    assert [(f.code, f.zone) for f in verdict.findings] == [
        ("wrong_zone_count", None), ("not_a_number", 2), ("fraction_dropped", 3)]
    assert verdict.findings[0].params == {"expected": 2, "given": 3}
    assert verdict.values == (12400, None, 1)
    assert verdict.consumption == (None, None)


def test_nothing_entered() -> None:
    verdict = check_readings(meter(12345), [], today=IN_WINDOW)
    assert codes(verdict) == {"wrong_zone_count"}
    assert verdict.values == ()


def test_too_many_digits_counts_leading_zeros() -> None:
    verdict = check_readings(meter(30), ["000300"], today=IN_WINDOW)
    assert codes(verdict) == {"too_many_digits"}
    assert verdict.errors[0].params == {"meaning": "single", "typed": 6, "digits": 5}


def test_a_reading_of_thousands_of_digits_is_too_many_digits_not_a_big_number() -> None:
    verdict = check_readings(meter(30), ["7" * 4301], today=IN_WINDOW)
    assert codes(verdict) == {"too_many_digits"}
    assert verdict.errors[0].params["typed"] == 4301
    assert verdict.values == (None,)


class TestUnusuallyHigh:
    def test_scales_with_the_months_since_the_last_reading(self) -> None:
        # Three months of a 200 kWh average: the limit is 3 x 200 x 3 = 1800.
        late = meter(10000, avg_kwh=200, last_date=date(2024, 12, 20))
        assert codes(check_readings(late, ["11800"], today=IN_WINDOW)) == set()
        verdict = check_readings(late, ["11801"], today=IN_WINDOW)
        assert verdict.needs_confirmation == ("unusually_high",)
        assert verdict.warnings[0].params == {
            "total": 1801, "limit": 1800, "limit_kind": "usual", "months": 3}

    def test_floor_applies_to_small_averages(self) -> None:
        small = meter(10000, avg_kwh=20)
        assert codes(check_readings(small, ["10300"], today=IN_WINDOW)) == set()
        assert codes(check_readings(small, ["10301"], today=IN_WINDOW)) == {"unusually_high"}

    def test_unknown_average_uses_the_floor_times_the_factor(self) -> None:
        unknown = meter(10000, avg_kwh=None)
        assert codes(check_readings(unknown, ["10900"], today=IN_WINDOW)) == set()
        assert codes(check_readings(unknown, ["10901"], today=IN_WINDOW)) == {"unusually_high"}

    def test_per_meter_maximum(self) -> None:
        capped = meter(10000, avg_kwh=1000, max_kwh=400)
        verdict = check_readings(capped, ["10401"], today=IN_WINDOW)
        assert verdict.warnings[0].params["limit_kind"] == "meter_max"
        assert verdict.warnings[0].params["limit"] == 400
        assert codes(check_readings(capped, ["10400"], today=IN_WINDOW)) == set()

    @pytest.mark.parametrize(
        ("last_date", "today", "months"),
        [
            (date(2025, 1, 31), date(2025, 2, 28), 1),  # to the end of a shorter month
            (date(2025, 1, 31), date(2025, 3, 30), 1),
            (date(2025, 1, 31), date(2025, 3, 31), 2),
            (date(2024, 11, 20), date(2025, 2, 19), 2),  # over the new year
            (date(2024, 11, 20), date(2025, 2, 20), 3),
            (date(2025, 3, 10), date(2025, 3, 20), 1),  # at least one
        ],
    )
    def test_whole_months(self, last_date: date, today: date, months: int) -> None:
        verdict = check_readings(meter(0, avg_kwh=100, last_date=last_date), ["99999"], today=today)
        unusual = [f for f in verdict.findings if f.code == "unusually_high"]
        assert unusual[0].params["months"] == months


class TestWindow:
    def test_after_the_window_counts_toward_next_month(self) -> None:
        verdict = check_readings(meter(5000), ["5100"], today=date(2025, 3, 26))
        assert codes(verdict) == {"outside_window"}
        assert verdict.period == date(2025, 4, 1)
        assert verdict.notices[0].params == {"start": 15, "end": 25, "month": 4, "year": 2025}
        assert verdict.acceptable()

    def test_december_counts_toward_january(self) -> None:
        verdict = check_readings(meter(5000), ["5100"], today=date(2025, 12, 27))
        assert verdict.period == date(2026, 1, 1)

    def test_per_meter_window_overrides_the_default(self) -> None:
        early = meter(5000, window_start=1, window_end=10)
        assert codes(check_readings(early, ["5100"], today=date(2025, 3, 5))) == set()
        verdict = check_readings(early, ["5100"], today=IN_WINDOW)
        assert codes(verdict) == {"outside_window"}
        assert verdict.period == date(2025, 4, 1)

    def test_policy_window(self) -> None:
        policy = Policy(window_start=25, window_end=5)
        verdict = check_readings(meter(5000), ["5100"], today=date(2025, 1, 28), policy=policy)
        assert verdict.findings == ()
        assert verdict.period == date(2025, 2, 1)


def test_policy_from_config() -> None:
    assert Policy.from_config(Rules()) == Policy()
    custom = SimpleNamespace(window_start=1, window_end=10, unusual_factor=2.0,
                             unusual_floor_kwh=100, rollover_max_share=0.05)
    assert Policy.from_config(custom) == Policy(1, 10, 2.0, 100, 0.05)


def test_verdict_partitions_findings_and_collects_confirmations() -> None:
    verdict = check_readings(meter(12345, 6789), ["19134", "19134"], today=date(2025, 3, 26))
    assert [f.code for f in verdict.warnings] == ["looks_like_total", "looks_like_total",
                                                  "unusually_high"]
    assert verdict.needs_confirmation == ("looks_like_total", "unusually_high")
    assert [f.code for f in verdict.notices] == ["outside_window"]
    assert verdict.errors == ()
    assert not verdict.acceptable(["looks_like_total"])
    assert verdict.acceptable(iter(["unusually_high", "looks_like_total"]))


class TestMessages:
    def test_names_the_zone_with_its_meaning(self) -> None:
        verdict = check_readings(meter(12345, 6789), ["12400", "6700"], today=IN_WINDOW)
        [finding] = verdict.errors
        assert finding.message() == (
            "Показание T2 (ночь) 6700 меньше предыдущего (6789). "
            "Проверьте цифры и введите ещё раз.")
        assert finding.message("en") == (
            "The reading 6700 for T2 (night) is lower than the previous one (6789). "
            "Check the digits and type it again.")

    def test_a_one_zone_meter_is_not_named_by_its_zone(self) -> None:
        verdict = check_readings(meter(5000), ["51"], today=IN_WINDOW)
        [finding] = verdict.errors
        assert finding.message() == (
            "Показание 51 меньше предыдущего (5000). Проверьте цифры и введите ещё раз.")

    def test_the_meters_total_is_not_called_a_sum(self) -> None:
        verdict = check_readings(meter(12345, 6789), ["19134", "6800"], today=IN_WINDOW)
        finding = next(f for f in verdict.warnings if f.code == "looks_like_total")
        assert "общее показание счётчика по всем зонам (Σ)" in finding.message()
        assert "сумм" not in finding.message()

    def test_the_window_is_named_with_ordinals(self) -> None:
        verdict = check_readings(meter(5000), ["5010"], today=date(2026, 12, 1))
        [notice] = verdict.notices
        assert notice.message() == ("Показания принимают с 15-го по 25-е число месяца; переданные "
                                    "сегодня будут учтены за декабрь 2026.")

    def test_as_dict_is_json_ready(self) -> None:
        verdict = check_readings(meter(99950), ["00030"], today=IN_WINDOW)
        as_dict = verdict.findings[0].as_dict()
        assert set(as_dict) == {"code", "zone", "message"}
        assert as_dict["code"] == "possible_rollover" and as_dict["zone"] == 1
        assert "80 кВт·ч" in as_dict["message"]
        json.dumps(as_dict)
        json.dumps(dict(verdict.findings[0].params))

    def test_zone_beyond_the_meter_has_no_meaning(self) -> None:
        verdict = check_readings(meter(5000), ["5100", "x"], today=IN_WINDOW)
        assert "T2 " in verdict.findings[-1].message("en")

    @pytest.mark.parametrize("code", ["account_invalid", "account_not_found", "meter_not_found", "meter_not_chosen"])
    def test_findings_made_elsewhere(self, code: str) -> None:
        finding = Finding(code, Kind.ERROR, None)
        assert finding.message("ru") != finding.message("en")

    def test_unknown_code_still_gets_words(self) -> None:
        assert Finding("printer_on_fire", Kind.ERROR, None).message()

    def test_every_code_has_a_message(self) -> None:
        assert set(MESSAGES) == {
            "account_invalid", "account_not_found", "meter_not_found", "meter_not_chosen",
            "not_a_number",
            "too_many_digits", "wrong_zone_count", "below_previous", "possible_rollover",
            "unusually_high", "looks_like_total", "fraction_dropped", "outside_window",
            "zero_consumption", "already_submitted_today"}


# Property tests: whatever is typed, the check answers, and an acceptable verdict is sane.

_TYPED = st.one_of(
    st.text(max_size=12),
    st.integers(min_value=0, max_value=10**9).map(str),
    st.from_regex(r"\s*[0-9]{1,9}([.,][0-9]{0,2})?\s*", fullmatch=True),
)


@st.composite
def _meters(draw: st.DrawFn) -> Meter:
    digits = draw(st.integers(min_value=4, max_value=8))
    count = draw(st.integers(min_value=1, max_value=3))
    previous = draw(st.lists(st.none() | st.integers(0, 10**digits - 1),
                             min_size=count, max_size=count))
    return meter(
        *previous,
        digits=digits,
        avg_kwh=draw(st.none() | st.integers(0, 2000)),
        max_kwh=draw(st.none() | st.integers(0, 5000)),
        last_date=draw(st.none() | st.dates(date(2020, 1, 1), date(2025, 3, 1))),
        window_start=draw(st.none() | st.integers(1, 31)),
        window_end=draw(st.none() | st.integers(1, 31)),
    )


@settings(max_examples=300, deadline=None)
@given(_meters(), st.lists(_TYPED, max_size=4),
       st.dates(date(2025, 3, 1), date(2026, 12, 31)))
def test_never_raises_and_acceptable_means_sane(
    the_meter: Meter, entered: list[str], today: date
) -> None:
    verdict = check_readings(the_meter, entered, today=today)
    assert len(verdict.values) == len(entered)
    assert len(verdict.consumption) == len(the_meter.zones)
    assert verdict.period.day == 1
    for finding in verdict.findings:
        json.dumps(finding.as_dict("ru"))
        json.dumps(finding.as_dict("en"))
        json.dumps(dict(finding.params))
    if verdict.acceptable(verdict.needs_confirmation):
        for zone, figure in zip(the_meter.zones, verdict.consumption):
            assert (figure is None) == (zone.previous is None)
            assert figure is None or figure >= 0
        assert verdict.total is None or verdict.total >= 0
