"""Customer data masked before it leaves the terminal's memory: on the slip, the service screens,
the event log, the heartbeat to the office and `kiosk status`.

Anyone at a public terminal can type someone else's account number, and a technician's note or
a driver's error may carry one ("customer 2287008779 Иванов complained"). One set of rules,
here, decides what is hidden: all but the last 4 characters of account numbers and meter serials,
and surnames the way the office masks holders (``И***в``). ``public_url`` drops what a URL can
carry that is secret (user, password, query).

``devices/`` does not import the core: the slip is handed strings masked here (``kiosk.slips``).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

VISIBLE = 4
# Runs of digits as long as the shortest account number, and the housing register's numbers:
# what may be a customer's number in free text. Five digits after a colon or "port=" are a TCP
# port in a network error, left readable.
_NUMBER = r"\d{6,}|(?<![\d:])(?<!port=)\d{5}(?!\d)|\d{2}[А-ЯЁ]{2}\d{6}"
# A meter serial: a maker's letters, a dash or not, then the number ("CE-00012345", "ME00000011").
_SERIAL = r"\b[A-ZА-ЯЁ]{1,4}-?\d{5,}\b"
# A capitalised Russian word may be a surname (or a street): masked as the office masks holders.
# Initials ("И.") and words already masked ("И***в") do not match.
_NAME = r"\b[А-ЯЁ][а-яё]{2,}(?:-[А-ЯЁ][а-яё]+)?\b"
_CUSTOMER_DATA = re.compile(f"(?P<serial>{_SERIAL})|(?P<number>{_NUMBER})|(?P<name>{_NAME})")


def mask(value: str, visible: int = VISIBLE) -> str:
    """All but the last ``visible`` characters hidden: an account number, a meter serial."""
    value = value.strip()
    if len(value) <= visible:
        return value
    return "*" * (len(value) - visible) + value[-visible:]


def mask_name(word: str) -> str:
    """A surname as the office masks a holder: first and last letter ("Иванов" → "И***в")."""
    return f"{word[0]}***{word[-1]}" if len(word) > 2 else word


def scrub(text: str) -> str:
    """Free text (a technician's reason, the office's message, a driver's error) with anything
    that may be a customer's number, meter serial or name masked."""
    return _CUSTOMER_DATA.sub(_masked, text)


def _masked(match: re.Match[str]) -> str:
    found = match.group()
    return mask_name(found) if match.lastgroup == "name" else mask(found)


def public_url(url: str) -> str:
    """An address without anything secret a URL can carry (user, password, query, fragment)."""
    if not url:
        return ""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}{parts.path}"
