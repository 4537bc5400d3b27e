"""An ESC/POS encoder: builds bytes, never touches a port.

We write our own rather than use python-escpos because a kiosk needs three things it does
not give: the code page chosen explicitly per printer (and chosen again after every init,
since ``ESC @`` resets it), no guessing of encodings, and a byte string we can time and
send with our own deadline. python-escpos serves as a test oracle for the command bytes.
"""

from __future__ import annotations

import builtins
import unicodedata
from typing import Literal

ESC = b"\x1b"
GS = b"\x1d"
DLE = b"\x10"
EOT = b"\x04"
FS = b"\x1c"
LF = b"\n"

Align = Literal["left", "center", "right"]
_ALIGN = {"left": 0, "center": 1, "right": 2}

# Real-time status requests: DLE EOT n. n = 20 (0x14) is Custom's 6-byte full status.
STATUS_PRINTER = 1
STATUS_OFFLINE_CAUSE = 2
STATUS_ERROR_CAUSE = 3
STATUS_PAPER = 4
STATUS_FULL_CUSTOM = 0x14


def status_request(n: int) -> bytes:
    return DLE + EOT + bytes([n])


# Characters the slip may contain that PC866 lacks, or that sit in the part of the table
# (0xF2..0xFF) where printer firmwares disagree ("№" is 0xFC in IBM's table but a Ukrainian
# letter or blank on some 58 mm clones). Only ASCII, the Russian letters and Ёё go out as is.
_REPLACEMENTS = {
    "№": "N",
    "«": '"',
    "»": '"',
    "„": '"',
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
    "—": "-",
    "–": "-",
    "−": "-",
    "…": "...",
    "·": ".",
    "×": "x",
    "≈": "~",
    "Σ": "S",
    "₽": "руб.",
    "€": "EUR",
    "\u00a0": " ",
    "\u202f": " ",
    "\t": " ",
}


def _safe_for_pc866(ch: str) -> bool:
    return (ch.isascii() and (ch.isprintable() or ch == "\n")) or ("А" <= ch <= "я") or ch in ("Ё", "ё")


def printable(text: str) -> str:
    """The text as the printer will show it: every character one PC866 printers agree on."""
    out = []
    for ch in text:
        if _safe_for_pc866(ch):
            out.append(ch)
            continue
        if ch in _REPLACEMENTS:
            out.append(_REPLACEMENTS[ch])
            continue
        # é -> e, ﬁ -> fi: keep the letter when the accent is what is missing.
        folded = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append(folded if folded and all(_safe_for_pc866(c) for c in folded) else "?")
    return "".join(out)


# Bytes a QR code of versions 1, 2, ... holds in byte mode, by error correction level (ISO/IEC
# 18004 table 7); a version-v code is 17 + 4v modules across. Up to version 10: 213 bytes at M.
_QR_BYTES = {
    "L": (17, 32, 53, 78, 106, 134, 154, 192, 230, 271),
    "M": (14, 26, 42, 62, 84, 106, 122, 152, 180, 213),
    "Q": (11, 20, 32, 46, 60, 74, 86, 108, 130, 151),
    "H": (7, 14, 24, 34, 44, 58, 64, 84, 98, 119),
}


def qr_modules(byte_count: int, error_correction: str = "M") -> int:
    """Modules across the smallest QR code that holds ``byte_count`` bytes (the printer picks
    that one); codes beyond version 10 are taken as version 10's size plus the difference."""
    capacities = _QR_BYTES[error_correction]
    version = next((v for v, size in enumerate(capacities, 1) if byte_count <= size), None)
    if version is None:
        version = 10 + -(-(byte_count - capacities[-1]) // 30)  # about 30 bytes per version beyond
    return 17 + 4 * version


class EscPos:
    """Accumulates ESC/POS commands for one job; ``bytes()`` gives the job.

    ``longest_block`` is the largest parameter block emitted (e.g. a QR code's data): after a
    job is cut off mid-way, that many filler bytes end whatever command the printer was in.
    ``line_feeds`` and ``drawn_dots`` are how far the job moves the paper: line feeds (a line of
    double-height text counts two) and the dots of what the printer draws itself (QR codes).
    """

    def __init__(self, codepage: int = 17, encoding: str = "cp866") -> None:
        self._codepage = codepage
        self._encoding = encoding
        self._out = bytearray()
        self.longest_block = 0
        self.line_feeds = 0
        self.drawn_dots = 0
        self._height = 1

    def bytes(self) -> bytes:
        return bytes(self._out)

    def raw(self, data: builtins.bytes) -> "EscPos":  # builtins: bytes() is a method here
        self._out += data
        return self

    def init(self) -> "EscPos":
        # ESC @ resets the code page to the printer's default: select ours again every time.
        self._height = 1
        return self.raw(ESC + b"@" + ESC + b"t" + bytes([self._codepage]))

    def text(self, text: str) -> "EscPos":
        return self.raw(printable(text).encode(self._encoding, errors="replace"))

    def line(self, text: str = "") -> "EscPos":
        self.line_feeds += self._height
        return self.text(text).raw(LF)

    def bold(self, on: bool = True) -> "EscPos":
        return self.raw(ESC + b"E" + bytes([1 if on else 0]))

    def underline(self, on: bool = True) -> "EscPos":
        return self.raw(ESC + b"-" + bytes([1 if on else 0]))

    def size(self, width: int = 1, height: int = 1) -> "EscPos":
        """Character magnification, 1..8 each way (GS !)."""
        if not (1 <= width <= 8 and 1 <= height <= 8):
            raise ValueError("width and height must be 1..8")
        self._height = height
        return self.raw(GS + b"!" + bytes([((width - 1) << 4) | (height - 1)]))

    def align(self, how: Align) -> "EscPos":
        return self.raw(ESC + b"a" + bytes([_ALIGN[how]]))

    def feed(self, lines: int = 1) -> "EscPos":
        if not 0 <= lines <= 255:
            raise ValueError("lines must be 0..255")
        self.line_feeds += lines
        return self.raw(ESC + b"d" + bytes([lines]))

    def cut(self, partial: bool = False) -> "EscPos":
        # GS V m: 0 full, 1 partial. Feeding is done explicitly with feed() by the layout.
        return self.raw(GS + b"V" + bytes([1 if partial else 0]))

    def present(self, length_mm: int, retract_after_s: int) -> "EscPos":
        """Custom presenter (FS P): push the slip out, blink, and retract it if not taken.

        Bytes: length in mm, blink (1), action 'R' (retract) or 'E' (eject) when the time is
        up, time in seconds (0: hold forever).
        """
        action = b"R" if retract_after_s else b"E"
        length = min(max(length_mm, 1), 255)
        return self.raw(FS + b"P" + bytes([length, 1]) + action + bytes([min(retract_after_s, 255)]))

    def qr(self, data: str | builtins.bytes, module_dots: int = 6,
           error_correction: Literal["L", "M", "Q", "H"] = "M") -> "EscPos":
        """A QR code drawn by the printer (GS ( k, model 2): a few dozen bytes, not an image.
        Text is ASCII; bytes (a payment code's UTF-8) go in as they are."""
        if not 1 <= module_dots <= 16:
            raise ValueError("module_dots must be 1..16")
        payload = data if isinstance(data, builtins.bytes) else data.encode("ascii", errors="replace")
        if not 1 <= len(payload) <= 7089:
            raise ValueError("QR data must be 1..7089 bytes")
        self._qr_function(65, bytes([50, 0]))  # model 2
        self._qr_function(67, bytes([module_dots]))
        self._qr_function(69, bytes([48 + "LMQH".index(error_correction)]))
        self._qr_function(80, b"0" + payload)  # store the data
        self._qr_function(81, b"0")  # print it
        self.drawn_dots += qr_modules(len(payload), error_correction) * module_dots
        return self

    def _qr_function(self, fn: int, parameters: builtins.bytes) -> None:
        block = b"1" + bytes([fn]) + parameters  # cn = 49: QR code
        self.longest_block = max(self.longest_block, len(block))
        self.raw(GS + b"(k" + len(block).to_bytes(2, "little") + block)
