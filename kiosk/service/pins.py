"""Service PINs as salted scrypt hashes: ``scrypt$n$r$p$salt$hash`` (salt and hash in base64).

The configuration holds only the hash, so a copy of ``kiosk.toml`` does not give the PIN away;
scrypt makes trying all 10^4..10^12 PINs against a stolen hash slow and memory-hungry. The
stdlib only: this runs in the kiosk, in ``kiosk pin hash`` and in the config's validation.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from dataclasses import dataclass

PIN = re.compile(r"[0-9]{4,12}")  # with fullmatch: "$" would let "1234\n" through
PIN_RULE = "a PIN is 4 to 12 digits"
FORMAT = "scrypt$n$r$p$salt$hash, as printed by `kiosk pin hash`"

# n=2^14, r=8, p=1: the parameters RFC 7914 gives for interactive logins (16 MiB, ~50 ms),
# slow enough against guessing a stolen hash, quick enough at the keypad of a small PC.
DEFAULT_N, DEFAULT_R, DEFAULT_P = 2**14, 8, 1
SALT_BYTES = 16
HASH_BYTES = 32
# What a hash in the config may ask for: enough room for stronger settings, never enough to
# let a typo (n=2^30) exhaust the kiosk's memory at every entry.
MAX_MEMORY = 256 * 1024 * 1024


class PinHashError(ValueError):
    """The text is not a PIN hash this module can check."""


@dataclass(frozen=True)
class PinHash:
    n: int
    r: int
    p: int
    salt: bytes
    digest: bytes

    def encode(self) -> str:
        return "$".join(("scrypt", str(self.n), str(self.r), str(self.p),
                         _b64(self.salt), _b64(self.digest)))


def parse(text: str) -> PinHash:
    parts = text.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        raise PinHashError(f"not a PIN hash: expected {FORMAT}")
    try:
        n, r, p = (int(part) for part in parts[1:4])
        salt, digest = (base64.b64decode(part, validate=True) for part in parts[4:])
    except (ValueError, binascii.Error):
        raise PinHashError(f"not a PIN hash: n, r, p must be numbers and salt, hash base64 ({FORMAT})") from None
    if n < 2 or n & (n - 1) or r < 1 or p < 1 or 128 * r * (n + p + 2) > MAX_MEMORY:
        raise PinHashError("PIN hash parameters out of range: n a power of 2, r and p at least 1, "
                           f"at most {MAX_MEMORY // 2**20} MiB")
    if len(salt) < 8 or len(digest) < 16:
        raise PinHashError("PIN hash too short: salt at least 8 bytes, hash at least 16")
    return PinHash(n, r, p, salt, digest)


def hash_pin(pin: str) -> str:
    if not PIN.fullmatch(pin):
        raise ValueError(PIN_RULE)
    salt = os.urandom(SALT_BYTES)
    return PinHash(DEFAULT_N, DEFAULT_R, DEFAULT_P, salt, _scrypt(pin, salt, DEFAULT_N, DEFAULT_R, DEFAULT_P,
                                                                  HASH_BYTES)).encode()


def verify(pin: str, encoded: str) -> bool:
    """True when the PIN matches; the digest comparison takes the same time wherever they differ."""
    stored = parse(encoded)
    candidate = _scrypt(pin, stored.salt, stored.n, stored.r, stored.p, len(stored.digest))
    return hmac.compare_digest(candidate, stored.digest)


def _scrypt(pin: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, dklen=length, maxmem=MAX_MEMORY + 2**20)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
