import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.accounts import normalise_account


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("л/с 2287 008-779", "2287008779"),  # DOMAIN.md case
        ("77ab123456", "77АВ123456"),  # Latin look-alikes become Cyrillic
        ("2287008779", "2287008779"),
        ("Л.С. № 2287008779", "2287008779"),
        ("ЛС:2287008779", "2287008779"),
        ("лс2287008779", "2287008779"),
        ("Л/C 2287008779", "2287008779"),  # Latin C in the marker
        ("№2287008779", "2287008779"),
        ("N 2287008779", "2287008779"),
        ("n2287008779", "2287008779"),
        ("# 2287008779", "2287008779"),
        ("2287008779 л/с", "2287008779"),
        ("2287\u00a0008\u2013779", "2287008779"),  # NBSP and an en dash
        ("2287\u2009008\u2014779", "2287008779"),  # thin space and an em dash
        ("2287\u2212008\u2010779", "2287008779"),  # minus sign and a Unicode hyphen
        ("2287.008.779", "2287008779"),
        ("\t 2287008779 \n", "2287008779"),
        ("228\u200b7008779", "2287008779"),  # zero-width space from copy-paste
        ("12345", "12345"),
        ("123456789012", "123456789012"),
        ("77 АВ 123456", "77АВ123456"),
        ("77ав123456", "77АВ123456"),
        ("77Ёж-123-456", "77ЁЖ123456"),
        ("77ЛС123456", "77ЛС123456"),  # the letters of a housing-register number are kept
        ("л/с 77ЛС123456", "77ЛС123456"),
        ("ЕЛС 77ТХ123456", None),  # "Е" is not a marker: 3 letters
        ("0012345", "0012345"),  # leading zeros are part of the number
    ],
)
def test_normalises_what_customers_type(typed: str, expected: str | None) -> None:
    assert normalise_account(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "л/с",
        "1234",  # too short
        "1234567890123",  # too long
        "abc",
        "2287008779x",
        "22870087\u096d9",  # a Devanagari digit
        "\uff12\uff12\uff18\uff17\uff10",  # full-width digits
        "12\u00b3456",  # a superscript
        "77AB12345",  # register pattern with 5 digits
        "77ABC123456",
        "7AB1234567",
        "77QW123456",  # Q and W have no Cyrillic look-alike
        "2287/008779",
        "+2287008779",
    ],
)
def test_rejects_malformed_numbers(typed: str) -> None:
    assert normalise_account(typed) is None


def test_length_limits_are_configurable() -> None:
    assert normalise_account("123", min_digits=3) == "123"
    assert normalise_account("1234", min_digits=5) is None
    assert normalise_account("123456", max_digits=5) is None
    assert normalise_account("12345678901234", max_digits=14) == "12345678901234"
    # The housing-register pattern is not a digit count.
    assert normalise_account("77АВ123456", max_digits=5) == "77АВ123456"


_ACCOUNTISH = st.text(
    alphabet=st.sampled_from(list("0123456789 -.:/#№NnлсЛСabekmhopctxАВЁ\u00a0\u2013")),
    max_size=20,
)
_WELL_FORMED = re.compile(r"[0-9]{5,12}|[0-9]{2}[А-ЯЁ]{2}[0-9]{6}")


@settings(max_examples=200)
@given(st.one_of(st.text(), _ACCOUNTISH))
def test_never_raises_and_returns_only_well_formed_numbers(typed: str) -> None:
    result = normalise_account(typed)
    assert result is None or _WELL_FORMED.fullmatch(result)


@settings(max_examples=200)
@given(st.one_of(st.text(), _ACCOUNTISH))
def test_is_idempotent(typed: str) -> None:
    result = normalise_account(typed)
    if result is not None:
        assert normalise_account(result) == result
