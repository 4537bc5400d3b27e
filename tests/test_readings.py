import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.readings import MAX_TYPED_DIGITS, ParsedReading, parse_reading


@pytest.mark.parametrize(
    ("typed", "value", "typed_digits", "fraction_dropped"),
    [
        ("12345", 12345, 5, False),
        ("00030", 30, 5, False),  # leading zeros count: the register shows them
        ("0", 0, 1, False),
        (" 12345 ", 12345, 5, False),
        ("12 345", 12345, 5, False),
        ("\u00a012\u202f345\t", 12345, 5, False),
        ("12345,6", 12345, 5, True),
        ("12345.6", 12345, 5, True),
        ("12345,99", 12345, 5, True),  # truncated, never rounded
        ("5010,7", 5010, 4, True),
        ("12345,", 12345, 5, False),  # a separator alone drops nothing
        ("12345 , 6", 12345, 5, True),
        ("123456,7", 123456, 6, True),
    ],
)
def test_reads_whole_kwh(typed: str, value: int, typed_digits: int, fraction_dropped: bool) -> None:
    assert parse_reading(typed) == ParsedReading(value, typed_digits, fraction_dropped)


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "  ",
        "\u0661\u0662\u0663",  # Arabic-Indic digits
        "\u00b2",  # superscript two
        "\uff15",  # full-width five
        "+5",
        "-5",
        "1e3",
        "0x10",
        "12,3,4",
        "12.3.4",
        "12,3.4",
        ",5",
        ".5",
        "12,x",
        "12a",
        "½",
        "12,\u0663",
        "Σ 12345",
    ],
)
def test_rejects_anything_but_digits(typed: str) -> None:
    reading = parse_reading(typed)
    assert reading.value is None
    assert reading.typed_digits == 0
    assert not reading.fraction_dropped


def test_absurdly_long_numbers_are_counted_never_converted() -> None:
    reading = parse_reading("9" * 5000)
    assert reading.typed_digits == 5000
    assert reading.value is None  # no int of 5,000 digits to print, log or compare
    assert parse_reading("9" * MAX_TYPED_DIGITS).value == 10**MAX_TYPED_DIGITS - 1


@settings(max_examples=200)
@given(st.integers(min_value=0, max_value=10**30))
def test_reads_back_any_non_negative_integer(n: int) -> None:
    assert parse_reading(str(n)) == ParsedReading(n, len(str(n)), False)


@settings(max_examples=300)
@given(st.text())
def test_never_raises(typed: str) -> None:
    reading = parse_reading(typed)
    assert (reading.value is None) == (reading.typed_digits == 0 or reading.typed_digits > MAX_TYPED_DIGITS)
    assert reading.value is None or reading.value >= 0
