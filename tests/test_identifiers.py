"""Identifiers are checked as whole texts: a pattern ending in "$" also matches before a final
line break, so "kiosk-1\\n" or a PIN "1234\\n" passed where they must not."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from kiosk.billcode import _RUSSIAN_WORD
from kiosk.service import pins
from kiosk.backup import _NAME
from kiosk.config import Terminal
from sync import signing
from sync.wire import AccountNumber, Code, TerminalId

ENDINGS = ("\n", "\r\n", " ", "\t")


@pytest.mark.parametrize("ending", ENDINGS)
def test_nothing_may_follow_an_identifier(ending: str) -> None:
    for pattern, good in ((signing.TERMINAL_ID, "kiosk-1"), (signing.NONCE, "n" * 20), (signing.TIMESTAMP, "1700000000"),
                          (signing.SIGNATURE, "a" * 64), (pins.PIN, "1234"), (_RUSSIAN_WORD, "Иванов"),
                          (_NAME, "kiosk-20261127T184000.000000Z.sqlite3")):
        assert pattern.fullmatch(good) and not pattern.fullmatch(good + ending), pattern.pattern
    with pytest.raises(ValueError):
        pins.hash_pin("1234" + ending)
    for model, good in ((TerminalId, "kiosk-1"), (AccountNumber, "2287008779"), (Code, "paper.loaded")):
        TypeAdapter(model).validate_python(good)
        with pytest.raises(ValidationError):
            TypeAdapter(model).validate_python(good + ending)
    with pytest.raises(ValidationError):
        Terminal(id="kiosk-1" + ending)
