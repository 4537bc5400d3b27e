"""Reads an ESC/POS byte stream back into events, the way a printer would.

Bytes arrive in arbitrary pieces, so the decoder keeps what it cannot parse yet. It honours the
code page (``ESC t``) and forgets it on ``ESC @``, as printers do: a driver that does not select
it again after init gets its Cyrillic printed as PC437 box drawing, and the tests see that.
Commands it does not know are skipped with their usual parameter count and reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# ESC t n -> codec. 17 is PC866 on Epson-compatible and Custom printers; 0 is the power-on page.
CODEPAGES = {0: "cp437", 17: "cp866", 46: "cp1251", 59: "cp866"}

_ESC_PARAMS = {
    b"@": 0, b"t": 1, b"E": 1, b"-": 1, b"a": 1, b"!": 1, b"d": 1, b"J": 1, b"M": 1, b"2": 0,
    b"3": 1, b"G": 1, b"{": 1, b"R": 1, b"p": 3, b"i": 0, b"m": 0, b"$": 2, b"\\": 2, b" ": 1,
    b"V": 1, b"U": 1, b"e": 1, b"r": 1, b"=": 1, b"L": 0, b"S": 0, b"T": 1, b"%": 1, b"c": 2,
    b"?": 1,
}
_GS_PARAMS = {
    b"!": 1, b"B": 1, b"h": 1, b"w": 1, b"H": 1, b"f": 1, b"L": 2, b"W": 2, b"a": 1, b"r": 1,
    b"I": 1, b"b": 1, b"/": 1, b":": 0, b"P": 2, b"$": 2, b"\\": 2, b"E": 1, b"e": 2,
}
_FS_PARAMS = {b"P": 4, b"p": 2, b".": 0, b"&": 0, b"!": 1, b"-": 1, b"C": 1, b"S": 2, b"W": 1}
_ALIGN = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}

# Bigger blocks than this (images) are counted and skipped, not kept in memory.
_KEEP_LIMIT = 65536 + 16


@dataclass(frozen=True)
class Event:
    kind: str  # text, newline, init, codepage, bold, underline, align, size, feed, cut, present,
    #            qr_size, qr_store, qr_print, image, realtime, unknown
    value: Any = None


class EscPosDecoder:
    def __init__(self) -> None:
        self.codepage = 0
        self._buffer = bytearray()
        self._skip = 0  # bytes of a large block still to throw away

    def feed(self, data: bytes) -> list[Event]:
        events: list[Event] = []
        if self._skip:
            dropped = min(self._skip, len(data))
            self._skip -= dropped
            data = data[dropped:]
        self._buffer += data
        while self._buffer and not self._skip:
            consumed, event = self._parse(self._buffer)
            if consumed == 0:
                break  # incomplete: wait for more bytes
            if consumed > len(self._buffer):  # a large block: skip the rest as it comes
                self._skip = consumed - len(self._buffer)
                consumed = len(self._buffer)
            del self._buffer[:consumed]
            if event is not None:
                events.append(event)
        return events

    # -- one command ----------------------------------------------------------------------

    def _parse(self, buf: bytearray) -> tuple[int, Event | None]:
        first = buf[0]
        if first >= 0x20:
            end = 1
            while end < len(buf) and buf[end] >= 0x20:
                end += 1
            codec = CODEPAGES.get(self.codepage, "cp437")
            return end, Event("text", bytes(buf[:end]).decode(codec, errors="replace"))
        if first == 0x0A:
            return 1, Event("newline")
        if first == 0x09:
            return 1, Event("text", " ")
        if first == 0x0C:
            return 1, Event("newline")
        if first == 0x1B:
            return self._esc(buf)
        if first == 0x1D:
            return self._gs(buf)
        if first == 0x10:
            return self._dle(buf)
        if first == 0x1C:
            return _fixed(buf, _FS_PARAMS, self._fs_event)
        return 1, None  # NUL, CR and other control bytes: ignored, as printers do

    def _esc(self, buf: bytearray) -> tuple[int, Event | None]:
        if len(buf) < 2:
            return 0, None
        command = bytes(buf[1:2])
        if command == b"*":  # column bit image: ESC * m nL nH data
            if len(buf) < 5:
                return 0, None
            columns = buf[3] | buf[4] << 8
            return 5 + columns * (1 if buf[2] in (0, 1) else 3), Event("image", ("ESC *", columns))
        return _fixed(buf, _ESC_PARAMS, self._esc_event)

    def _esc_event(self, command: bytes, params: bytes) -> Event | None:
        if command == b"@":
            self.codepage = 0
            return Event("init")
        if command == b"t":
            self.codepage = params[0]
            return Event("codepage", params[0])
        if command == b"E":
            return Event("bold", bool(params[0] & 1))
        if command == b"-":
            return Event("underline", bool(params[0] & 3))
        if command == b"a":
            return Event("align", _ALIGN.get(params[0], "left"))
        if command == b"!":  # print mode: bit 3 bold, bit 4 double height, bit 5 double width
            return Event("mode", params[0])
        if command == b"d":
            return Event("feed", params[0])
        if command in (b"i", b"m"):
            return Event("cut")
        return None

    def _gs(self, buf: bytearray) -> tuple[int, Event | None]:
        if len(buf) < 2:
            return 0, None
        command = bytes(buf[1:2])
        if command == b"(":  # GS ( fn pL pH data
            if len(buf) < 5:
                return 0, None
            length = buf[3] | buf[4] << 8
            total = 5 + length
            if chr(buf[2]) != "k" or length > _KEEP_LIMIT:
                return total, Event("unknown", bytes(buf[:3]))
            if len(buf) < total:
                return 0, None
            return total, _qr_event(bytes(buf[5:total]))
        if command == b"v":  # raster image: GS v 0 m xL xH yL yH data
            if len(buf) < 8:
                return 0, None
            width_bytes = buf[4] | buf[5] << 8
            height = buf[6] | buf[7] << 8
            return 8 + width_bytes * height, Event("image", ("GS v 0", width_bytes * 8, height))
        if command == b"V":  # cut: GS V m, or GS V m n for m = 65, 66
            if len(buf) < 3:
                return 0, None
            return (4 if buf[2] in (65, 66, 97, 98, 103, 104) else 3), Event("cut")
        if command == b"k":  # barcode
            return _barcode(buf)
        if command == b"*":  # downloaded bit image: GS * x y data
            if len(buf) < 4:
                return 0, None
            return 4 + buf[2] * buf[3] * 8, Event("image", ("GS *", buf[2] * 8, buf[3] * 8))
        return _fixed(buf, _GS_PARAMS, self._gs_event)

    @staticmethod
    def _gs_event(command: bytes, params: bytes) -> Event | None:
        if command == b"!":
            return Event("size", ((params[0] >> 4 & 7) + 1, (params[0] & 7) + 1))
        return None

    @staticmethod
    def _dle(buf: bytearray) -> tuple[int, Event | None]:
        if len(buf) < 3:
            return 0, None
        if buf[1] == 0x04:  # DLE EOT n: answered when it arrives, see the emulator
            return 3, Event("realtime", buf[2])
        if buf[1] == 0x05:  # DLE ENQ n
            return 3, None
        if buf[1] == 0x14:  # DLE DC4 fn ...: fn 8 (clear buffers) has 7 more bytes, others 2
            return (10 if buf[2] == 8 else 5), None
        return 1, None  # a lone DLE

    @staticmethod
    def _fs_event(command: bytes, params: bytes) -> Event | None:
        if command == b"P":
            return Event("present", {"length_mm": params[0], "blink": params[1],
                                     "action": chr(params[2]), "timeout_s": params[3]})
        return None


def _fixed(buf: bytearray, table: dict[bytes, int], to_event: Any) -> tuple[int, Event | None]:
    if len(buf) < 2:
        return 0, None
    command = bytes(buf[1:2])
    if command not in table:
        return 2, Event("unknown", bytes(buf[:2]))
    total = 2 + table[command]
    if len(buf) < total:
        return 0, None
    return total, to_event(command, bytes(buf[2:total]))


def _qr_event(block: bytes) -> Event | None:
    """One GS ( k block: cn fn parameters; only QR (cn = 49) is understood."""
    if len(block) < 2 or block[0] != 49:
        return Event("unknown", b"GS ( k")
    fn, rest = block[1], block[2:]
    if fn == 67 and rest:
        return Event("qr_size", rest[0])
    if fn == 80 and rest:
        return Event("qr_store", rest[1:].decode("latin-1"))
    if fn == 81:
        return Event("qr_print")
    return None  # model, error correction: nothing to show


def _barcode(buf: bytearray) -> tuple[int, Event | None]:
    if len(buf) < 3:
        return 0, None
    kind = buf[2]
    if kind <= 6:  # data ends with NUL
        end = buf.find(b"\x00", 3)
        if end < 0:
            return (0, None) if len(buf) < 256 else (len(buf), Event("unknown", b"GS k"))
        return end + 1, Event("barcode", bytes(buf[3:end]).decode("latin-1"))
    if len(buf) < 4:
        return 0, None
    total = 4 + buf[3]
    if len(buf) < total:
        return 0, None
    return total, Event("barcode", bytes(buf[4:total]).decode("latin-1"))
