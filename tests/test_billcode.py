"""The bill's QR code (GOST R 56042-2014) and plain barcodes, per DOMAIN.md."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, strategies as st

import unicodedata

from kiosk.billcode import MAX_RAW, NO_ACCOUNT, NOT_A_BILL, parse_scan

BILL = "ST0001{flag}{sep}Name=АО 'Энергосбыт'{sep}PersonalAcc=40702810938000012345{sep}BankName=ПАО Сбербанк" \
       "{sep}BIC=044525225{sep}CorrespAcc=30101810400000000225{sep}PersAcc=2287008779{sep}Sum=154300" \
       "{sep}Purpose=Оплата электроэнергии за ноябрь{sep}TechCode=02"
CODECS = {"1": "cp1251", "2": "utf-8", "3": "koi8-r"}


@pytest.mark.parametrize("flag", ["1", "2", "3"])
def test_each_declared_encoding(flag: str) -> None:
    result = parse_scan(BILL.format(flag=flag, sep="|").encode(CODECS[flag]))
    assert result.kind == "bill" and result.account == "2287008779"
    assert result.fields["Purpose"] == "Оплата электроэнергии за ноябрь"
    assert result.fields["PersonalAcc"] == "40702810938000012345"  # the payee's bank account, kept apart


@pytest.mark.parametrize("declared, actual", [(d, a) for d in "123" for a in "123" if d != a])
def test_wrong_flag_is_detected_by_decoding(declared: str, actual: str) -> None:
    result = parse_scan(BILL.format(flag=declared, sep="|").encode(CODECS[actual]))
    assert result.kind == "bill" and result.account == "2287008779"
    assert result.fields["Name"] == "АО 'Энергосбыт'"
    assert result.encoding == CODECS[actual]


def test_separator_is_read_from_the_header() -> None:
    result = parse_scan(BILL.format(flag="2", sep="#").encode())
    assert result.kind == "bill" and result.account == "2287008779"


@pytest.mark.parametrize("key", ["PersAcc", "persAcc", "PERSACC", "persacc"])
def test_keys_in_any_case(key: str) -> None:
    result = parse_scan(f"ST00012|Name=X|{key}=2287008779".encode())
    assert result.account == "2287008779" and "PersAcc" in result.fields


def test_account_is_passed_on_as_read_for_the_core_to_normalise() -> None:
    assert parse_scan("ST00012|PersAcc=л/с 2287 008-779".encode()).account == "л/с 2287 008-779"


def test_personal_acc_is_not_the_customers_account() -> None:
    result = parse_scan(b"ST00012|Name=X|PersonalAcc=40702810938000012345")
    assert result.kind == "not_a_bill" and result.reason == NO_ACCOUNT and result.account is None


@pytest.mark.parametrize("payload", [b"ST0012|PersAcc=2287008779", b"ST00019|PersAcc=1", b"hello",
                                     b"", b"\xff\xfe\x00", b"ST0001", b"ST00012=PersAcc=1"])
def test_not_a_bill_code(payload: bytes) -> None:
    result = parse_scan(payload)
    assert result.kind == "not_a_bill" and result.reason and result.account is None


@pytest.mark.parametrize("payload, account", [(b"2287008779", "2287008779"), (b"  22870 08779\r\n", "2287008779"),
                                              (b"12345", "12345")])
def test_digit_barcodes(payload: bytes, account: str) -> None:
    result = parse_scan(payload)
    assert result.kind == "barcode" and result.account == account


@pytest.mark.parametrize("payload", [b"1234", b"1234567890123"])
def test_digit_barcodes_outside_5_to_12_digits(payload: bytes) -> None:
    assert parse_scan(payload).reason == NOT_A_BILL


@given(st.binary(max_size=600))
def test_never_raises_on_any_bytes(payload: bytes) -> None:
    result = parse_scan(payload)
    assert result.kind in ("bill", "barcode", "not_a_bill")
    assert (result.account is None) == (result.kind == "not_a_bill")
    assert result.kind != "not_a_bill" or result.reason


@given(st.binary(max_size=300))
def test_never_raises_after_a_bill_header(body: bytes) -> None:
    for flag in b"123":
        parse_scan(b"ST0001" + bytes([flag]) + b"|" + body)


_russian = st.text(alphabet="абвгдеёжзийклмнопрстуфхцчшщъыьэюя", min_size=3, max_size=12)
_value = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=20)


@given(
    flag=st.sampled_from("123"),
    separator=st.sampled_from("|#;^~"),
    account=st.from_regex(r"[0-9]{5,12}", fullmatch=True),
    words=st.lists(_russian, min_size=1, max_size=4),
    key_case=st.sampled_from([str.lower, str.upper, lambda s: s]),
    extra=st.dictionaries(st.from_regex(r"[A-Za-z]{3,10}", fullmatch=True), _value, max_size=3),
)
def test_round_trip_any_bill(flag: str, separator: str, account: str, words: list[str], key_case, extra) -> None:
    assume(all(separator not in v and "=" not in k for k, v in extra.items()))
    assume(all(k.casefold() != "persacc" for k in extra))
    pairs = [("Name", "АО " + " ".join(w.capitalize() for w in words)), (key_case("PersAcc"), account)]
    pairs += list(extra.items())
    text = f"ST0001{flag}{separator}" + separator.join(f"{k}={v}" for k, v in pairs)
    try:
        payload = text.encode(CODECS[flag])
    except UnicodeEncodeError:
        assume(False)
        return
    result = parse_scan(payload)
    assert result.kind == "bill" and result.account == account
    assert result.fields["Name"] == pairs[0][1]


_VOCABULARY = ["оплата", "электроэнергии", "за", "ноябрь", "лицевой", "счёт", "энергосбыт", "москва",
               "улица", "ленина", "дом", "квартира", "пао", "сбербанк", "банк", "иванов", "показания"]


@given(
    declared=st.sampled_from("123"),
    actual=st.sampled_from("123"),
    words=st.lists(st.sampled_from(_VOCABULARY), min_size=2, max_size=6),
    shapes=st.lists(st.sampled_from([str.lower, str.upper, str.capitalize]), min_size=6, max_size=6),
)
def test_wrong_flag_on_real_words(declared: str, actual: str, words: list[str], shapes) -> None:
    # Text in one case only is truly ambiguous between windows-1251 and KOI8-R: "сбербанк" read
    # in the other code page is "УВЕТВБОЛ", a well-shaped all-caps word. Bills name the payee
    # with a capital letter, and one mixed-case word is what tells the two readings apart.
    assume(str.capitalize in shapes[: len(words)])
    name = " ".join(shape(word) for shape, word in zip(shapes, words))
    result = parse_scan(f"ST0001{declared}|Name={name}|PersAcc=2287008779".encode(CODECS[actual]))
    assert result.kind == "bill" and result.fields["Name"] == name


@pytest.mark.parametrize("declared", ["1", "3"])
def test_a_two_letter_name_in_utf8_under_a_one_byte_flag_is_read_as_utf8(declared: str) -> None:
    # Read as windows-1251 «за За» is «Р·Р° Р—Р°»: single capitals, as well shaped as the real words.
    result = parse_scan(f"ST0001{declared}|Name=за За|PersAcc=2287008779".encode())
    assert (result.fields["Name"], result.encoding) == ("за За", "utf-8")


def test_a_name_of_rare_letters_keeps_its_declared_encoding() -> None:
    # Read as KOI8-R it scores a hair more Russian ("юн а╦АЗ а╦ИЗ"): the declared flag must win.
    result = parse_scan("ST00011|Name=АО Бёбъ Бёйъ|persacc=00000".encode("cp1251"))
    assert (result.fields["Name"], result.encoding) == ("АО Бёбъ Бёйъ", "cp1251")


# --- the payload as text (what a service card is recognised by) ---------------------------

@pytest.mark.parametrize("payload, raw", [
    (b"SVC-0042-7781", "SVC-0042-7781"),
    (b"\x00\x1b[2JSVC-0042\r\n", "[2JSVC-0042"),  # NULs and an escape sequence's control byte dropped
    (b"  900100200300\t", "900100200300"),
    ("ST00012|PersAcc=2287008779".encode("cp1251"), "ST00012|PersAcc=2287008779"),
    (b"\xff\xfeabc", "\ufffd\ufffdabc"),  # not UTF-8: replaced, never an error
])
def test_raw_is_the_payload_as_clean_text(payload: bytes, raw: str) -> None:
    assert parse_scan(payload).raw == raw


def test_raw_is_capped_and_kept_out_of_repr_and_dict() -> None:
    result = parse_scan(b"7" * 5000)
    assert result.raw == "7" * MAX_RAW
    secret = parse_scan(b"SVC-SECRET-0042")
    assert "SECRET" not in repr(secret) and "SECRET" not in str(secret.as_dict())


@given(st.binary(max_size=2000))
def test_raw_never_holds_a_control_character_or_too_much(payload: bytes) -> None:
    raw = parse_scan(payload).raw
    assert len(raw) <= MAX_RAW
    assert not any(unicodedata.category(ch) == "Cc" for ch in raw)
    assert raw == raw.strip()
