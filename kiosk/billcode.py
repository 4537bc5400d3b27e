"""What the scanner read: the bill's payment QR code (GOST R 56042-2014) or a plain barcode.

A bill's code is ``ST0001`` + encoding flag (1 windows-1251, 2 UTF-8, 3 KOI8-R) + separator
(the 8th character, usually ``|``, read rather than assumed) + ``key=value`` pairs. The
customer's account with the supplier is ``PersAcc``; ``PersonalAcc`` is the payee's bank
account and must never be taken for it. Keys come in any case. Some bills declare the wrong
flag, so when the declared encoding fails or gives something that is not Russian text, the
other two are tried and the one that reads as Cyrillic wins.

``parse_scan`` never raises: every byte from a serial port is hostile. Each result also carries
the payload as text (``raw``) so a service card can be told from a bill; it may be a secret, so it
is left out of the result's repr and dict, and so out of every log line made from them.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field, replace
from typing import Any, Literal

Kind = Literal["bill", "barcode", "not_a_bill"]

_ENCODINGS = {"1": "cp1251", "2": "utf-8", "3": "koi8-r"}
# GOST's field names, to report keys in their usual spelling whatever case the bill used.
_KNOWN_KEYS = (
    "Name", "PersonalAcc", "BankName", "BIC", "CorrespAcc", "Sum", "Purpose", "PayeeINN",
    "PayerINN", "DrawerStatus", "KPP", "CBC", "OKTMO", "PaytReason", "TaxPeriod", "DocNo",
    "DocDate", "TaxPaytKind", "LastName", "FirstName", "MiddleName", "PayerAddress",
    "PersonalAccount", "DocIdx", "PensAcc", "Contract", "PersAcc", "Flat", "Phone", "PayerIdType",
    "PayerIdNum", "ChildFio", "BirthDate", "PaymTerm", "PaymPeriod", "Category", "ServiceName",
    "CounterId", "CounterVal", "QuittId", "QuittDate", "InstNum", "ClassNum", "SpecFio",
    "AddAmount", "RuleId", "ExecId", "RegType", "UIN", "TechCode",
)
_CANONICAL = {key.casefold(): key for key in _KNOWN_KEYS}

NOT_A_BILL = "not a bill code: type the account number"
NO_ACCOUNT = "this bill code has no account number: type it"
UNREADABLE = "the code could not be read: scan again or type the account number"

_BARCODE = re.compile(rb"[0-9 \t]+")
_BARCODE_DIGITS = (5, 12)
_RUSSIAN_WORD = re.compile(r"(?:[А-ЯЁ]?[а-яё]+|[А-ЯЁ]+)")  # with fullmatch
_WORD = re.compile(r"[^\W\d_]+")
_MAX_PAYLOAD = 4096
# The longest service code the configuration accepts; a longer payload is no service card.
MAX_RAW = 200
# Letter frequencies of Russian text (per mille). A wrong guess between windows-1251 and KOI8-R
# swaps case and letters alike: "ОПЛАТА" comes out as "нокюрю", a well-shaped word of rare letters.
_FREQUENCY = dict(zip("оеаинтсрвлкмдпуяызьбгчйхжшюцщэфъё",
                      (110, 85, 80, 74, 67, 63, 55, 47, 45, 44, 35, 32, 30, 28, 26, 20, 19, 17, 17, 16,
                       16, 14, 12, 10, 9, 7, 6, 5, 4, 3, 3, 1, 1)))
_LOG_UNIFORM = math.log(1000 / 33)  # a QR code holds at most ~3 KB of bytes
# How much more Russian another reading must score to overrule the declared flag. Without a
# margin a name of rare letters ("Бёбъ") read in the wrong code page can score a hair higher; with
# 1.0, no sample bill with the right flag is misread, and misreadings overall stay as rare.
_CLEARLY_MORE = 1.0


@dataclass(frozen=True)
class ScanResult:
    kind: Kind
    account: str | None = None  # PersAcc or the barcode's digits, as read: the core normalises
    fields: dict[str, str] = field(default_factory=dict)
    reason: str | None = None  # plain words for the customer when kind is not_a_bill
    encoding: str | None = None  # the encoding the bill was read in
    # The payload as text (UTF-8, undecodable bytes replaced, control characters dropped, at most
    # MAX_RAW characters): what a service card is recognised by. Never shown or logged.
    raw: str = field(default="", repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "account": self.account, "fields": dict(self.fields),
                "reason": self.reason, "encoding": self.encoding}


def parse_scan(payload: bytes) -> ScanResult:
    raw = raw_text(payload)
    try:
        return replace(_parse(payload), raw=raw)
    except Exception:  # a parser bug must not take the scanner down: treat as unreadable
        return ScanResult("not_a_bill", reason=UNREADABLE, raw=raw)


def raw_text(payload: bytes | str) -> str:
    """The payload as text whatever its bytes: UTF-8 with undecodable bytes replaced, control
    characters (a scanner's CR, NULs, escape sequences) dropped, edges stripped, capped."""
    if isinstance(payload, (bytes, bytearray, memoryview)):
        # Four bytes at most per character: enough to fill MAX_RAW without decoding a flood.
        text = bytes(payload[:4 * MAX_RAW + 4]).decode("utf-8", errors="replace")
    else:
        text = str(payload)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cc")
    return text.strip()[:MAX_RAW].rstrip()


def _parse(payload: bytes) -> ScanResult:
    if isinstance(payload, str):
        payload = payload.encode("utf-8", errors="replace")
    data = bytes(payload)[:_MAX_PAYLOAD].strip(b" \t\r\n\x00")
    if data.startswith(b"]Q") and len(data) > 3:  # AIM symbology prefix some scanners add
        data = data[3:]
    if _BARCODE.fullmatch(data):
        digits = re.sub(rb"\s", b"", data).decode("ascii")
        low, high = _BARCODE_DIGITS
        if low <= len(digits) <= high:
            return ScanResult("barcode", account=digits)
        return ScanResult("not_a_bill", reason=NOT_A_BILL)
    if len(data) < 8 or data[:6].upper() != b"ST0001" or chr(data[6]) not in _ENCODINGS:
        return ScanResult("not_a_bill", reason=NOT_A_BILL)
    separator = data[7:8]
    if separator.isalnum() or separator in (b"=", b" ") or separator[0] >= 0x80:
        return ScanResult("not_a_bill", reason=NOT_A_BILL)
    decoded = _decode(data[8:], _ENCODINGS[chr(data[6])])
    if decoded is None:
        return ScanResult("not_a_bill", reason=UNREADABLE)
    text, encoding = decoded
    fields = _fields(text, separator.decode("ascii"))
    account = fields.get("PersAcc", "").strip()
    if not account:
        return ScanResult("not_a_bill", fields=fields, reason=NO_ACCOUNT, encoding=encoding)
    return ScanResult("bill", account=account, fields=fields, encoding=encoding)


def _decode(body: bytes, declared: str) -> tuple[str, str] | None:
    """The body as text: the declared encoding unless another one reads as Russian and it does not."""
    candidates: list[tuple[float, int, str, str]] = []
    for rank, encoding in enumerate([declared] + [e for e in _ENCODINGS.values() if e != declared]):
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError:
            continue
        score = _russian_score(text)
        if encoding == "utf-8":
            # Russian text in a one-byte code page is almost never valid UTF-8 (a capital letter
            # would have to be followed by a byte from 0x80-0xBF, punctuation there), so a strict
            # UTF-8 reading is evidence of its own: it decides short names like «За» whose
            # one-byte readings («Р°») are as well shaped as the real one.
            score += sum(1 for ch in text if not ch.isascii())
        candidates.append((score, -rank, text, encoding))
    if not candidates:
        return None
    declared_candidate = next((c for c in candidates if c[3] == declared), None)
    best = max(candidates)
    # Keep the declared reading unless another is clearly more Russian (ASCII-only bodies tie).
    if declared_candidate is not None and declared_candidate[0] + _CLEARLY_MORE >= best[0]:
        return declared_candidate[2], declared
    return best[2], best[3]


def _russian_score(text: str) -> float:
    """Letters in well-formed Russian words minus letters in words no Russian text has.

    A wrong guess between windows-1251 and KOI8-R still gives Cyrillic letters, but with the
    case scrambled ("хБЮМНБ" for "Иванов"); UTF-8 read as windows-1251 gives "РРІР°..." with
    letters from other alphabets. Both fail the word shape test.
    """
    score = 0.0
    for word in _WORD.findall(text):
        if word.isascii():
            continue
        if _RUSSIAN_WORD.fullmatch(word):
            # Common letters count for, rare ones against: tells an all-caps word from its twin.
            score += len(word) + sum(math.log(_FREQUENCY.get(ch, 1)) - _LOG_UNIFORM for ch in word.lower()) / 2
        else:
            score -= 2 * len(word)
    # Box drawing, control and replacement characters: the marks of a wrong code page.
    score -= 3 * sum(1 for ch in text if _foreign(ch))
    return score


def _foreign(ch: str) -> bool:
    return "\u2500" <= ch <= "\u259f" or ch == "\ufffd" or (ord(ch) < 32 and ch not in "\t\r\n")


def _fields(text: str, separator: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for part in text.split(separator):
        key, sign, value = part.partition("=")
        key = key.strip()
        if not sign or not key:
            continue
        name = _CANONICAL.get(key.casefold(), key)
        fields.setdefault(name, value.strip())  # the first of a repeated key counts
    return fields
