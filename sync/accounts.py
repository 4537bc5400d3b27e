"""Personal account numbers (лицевой счёт) as customers type them, made comparable.

People copy the number from a paper bill with spaces, dashes, "л/с" or "№" in front, and type
Latin letters that look like Cyrillic ones. Only the shape is checked here: no public check-digit
scheme exists, so the directory lookup is the real check.
"""

from __future__ import annotations

import re

# Whitespace of every kind (NBSP and thin spaces come from copy-paste and from phones), invisible
# format characters, dots, and every Unicode dash (category Pd) plus the minus sign.
_SEPARATORS = re.compile(
    r"[\s.\u00ad\u200b-\u200d\u2060\ufeff"
    r"\-\u058a\u05be\u1400\u1806\u2010-\u2015\u2212\u2e17\u2e1a\u2e3a\u2e3b\u2e40\u2e5d"
    r"\u301c\u3030\u30a0\ufe31\ufe32\ufe58\ufe63\uff0d\U00010ead]+"
)

# Upper-case Latin letters that are drawn like Cyrillic ones; customers cannot tell them apart.
_LOOK_ALIKES = str.maketrans("ABEKMHOPCTX", "АВЕКМНОРСТХ")

# "л/с", "лс", "№", "N" or "#" as a number sign, a colon after them; matched after upper-casing,
# look-alike mapping and dropping the dots, so "л.с.", "ЛС:" and "Л/C" (Latin C) are covered too.
_MARKER = r"(?:Л/?С|№|N|#|:)"
_MARKERS_ANYWHERE = re.compile(_MARKER)
_MARKERS_AT_EDGES = re.compile(rf"^{_MARKER}+|{_MARKER}+$")

# The unified account number of the national housing register: 2 digits, 2 letters, 6 digits.
_HOUSING_REGISTER = re.compile(r"[0-9]{2}[А-ЯЁ]{2}[0-9]{6}")
_DIGITS = re.compile(r"[0-9]+")


def normalise_account(text: str, *, min_digits: int = 5, max_digits: int = 12) -> str | None:
    """The account number in canonical form, or None when it is not a well-formed one."""
    compact = _SEPARATORS.sub("", text).upper().translate(_LOOK_ALIKES)
    # Markers are dropped at the edges before anywhere: a housing-register number may itself
    # contain the letters "ЛС" ("77ЛС123456"), which only the edge rule leaves alone.
    for candidate in (
        compact,
        _MARKERS_AT_EDGES.sub("", compact),
        _MARKERS_ANYWHERE.sub("", compact),
    ):
        if _is_well_formed(candidate, min_digits, max_digits):
            return candidate
    return None


def _is_well_formed(candidate: str, min_digits: int, max_digits: int) -> bool:
    if _DIGITS.fullmatch(candidate):
        return min_digits <= len(candidate) <= max_digits
    return _HOUSING_REGISTER.fullmatch(candidate) is not None
