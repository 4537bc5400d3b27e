"""One reading as the customer typed it: the whole kWh, and what was dropped on the way.

The register's tenths (after the comma, or in a red window) are never submitted, so "12345,6"
is kept as 12345 (truncated, never rounded: the meter has not reached 12346 yet) and the customer
is told. Digit counting keeps leading zeros, because the register shows them: "00030" on a
5-digit meter is five digits typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# ASCII digits only: str.isdigit() would let through Arabic-Indic digits and superscripts.
# One separator, either the comma of the bill or the dot of a phone keypad. A trailing separator
# with nothing after it ("12345,") is accepted and drops nothing, so it is no fraction_dropped.
_READING = re.compile(r"([0-9]+)(?:[.,]([0-9]*))?")
_SPACES = re.compile(r"\s+")
# No register has this many digits. A longer number is kept as its digit count only, so it is
# refused as too_many_digits and never turned into an int that every later step (arithmetic,
# JSON, the log) would pay for, or fail on beyond Python's 4,300-digit conversion limit.
MAX_TYPED_DIGITS = 40


@dataclass(frozen=True, slots=True)
class ParsedReading:
    value: int | None  # None when not a number, or longer than any register (see typed_digits)
    typed_digits: int  # whole-part digits as typed, leading zeros included; 0 when not a number
    fraction_dropped: bool


_NOT_A_NUMBER = ParsedReading(value=None, typed_digits=0, fraction_dropped=False)


def parse_reading(text: str) -> ParsedReading:
    """Read one zone's typed reading; never raises."""
    match = _READING.fullmatch(_SPACES.sub("", text))
    if match is None:
        return _NOT_A_NUMBER
    whole, fraction = match.groups()
    value = int(whole) if len(whole) <= MAX_TYPED_DIGITS else None
    return ParsedReading(value=value, typed_digits=len(whole), fraction_dropped=bool(fraction))
