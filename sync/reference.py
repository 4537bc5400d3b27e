"""The reference printed on the slip and shown on the result screen: the first ten hex digits of
the submission's txn_id, upper-case, in two groups of five («3F2A9-1C0B7»).

Short enough to read out over the phone and type into the office's search, long enough (40 bits)
that two submissions share one only about once in a million; a search by reference lists every
match, so a shared one is seen, never silently mixed up. Both sides compute it from the txn_id,
so nothing new is stored or sent.
"""

from __future__ import annotations

import re
import uuid

DIGITS = 10
_TYPED = re.compile(r"[0-9A-F]{%d}" % DIGITS)
# Letters a customer or an operator may type on a Russian layout for the hex letters they see.
_LOOKALIKES = str.maketrans("АВСЕаесвО", "ABCEAECBO".replace("O", "0"))


def reference(txn_id: uuid.UUID | str) -> str:
    digits = uuid.UUID(str(txn_id)).hex[:DIGITS].upper()
    return f"{digits[:5]}-{digits[5:]}"


def txn_prefix(typed: str) -> str | None:
    """The txn_id prefix (lower-case hex, as stored) that a typed reference stands for, or None
    when it is not one: spaces, hyphens and case are forgiven, as are Cyrillic look-alikes."""
    text = "".join(typed.translate(_LOOKALIKES).split()).replace("-", "").upper()
    if not _TYPED.fullmatch(text):
        return None
    return text.lower()
