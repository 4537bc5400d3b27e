"""Printer models as data: paper width, columns, code page, cutter, presenter.

The slip layout and the driver read these; nothing else about a model is hard-coded.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class PrinterProfile:
    name: str
    description: str
    paper_mm: int
    columns: int  # characters per line in Font A
    dots_per_line: int
    # ESC t n and the Python codec that matches it. PC866 is n = 17 on Epson-compatible
    # printers and on Custom's kiosk printers.
    codepage: int = 17
    encoding: str = "cp866"
    cutter: bool = True
    # Kiosk printers hold the slip in a presenter and pull it back if nobody takes it.
    presenter: bool = False
    retract_after_s: int = 0  # 0: never retract
    present_mm: int = 40  # how much of the slip sticks out of the mouth
    # Custom's 6-byte full status (DLE EOT 0x14) on top of the four real-time bytes.
    full_status: bool = False
    qr_module_dots: int = 6
    feed_before_cut: int = 4  # lines, so the last printed line clears the cutter
    # Paper: the head's resolution, the advance of one text line (ESC 2, the default line
    # spacing: 1/6 inch) and the usual roll, for counting what the slips use (kiosk.paper).
    dots_per_mm: int = 8  # 203 dpi
    line_dots: int = 34
    roll_m: int = 80

    def with_options(self, *, columns: int | None = None, retract_after_s: int | None = None) -> "PrinterProfile":
        """The same model with a site's settings (e.g. 48 columns on a 576-dot head)."""
        changes: dict[str, int] = {}
        if columns is not None:
            if not 24 <= columns <= 64:
                raise ValueError(f"columns must be 24..64, got {columns}")
            changes["columns"] = columns
        if retract_after_s is not None:
            if not 0 <= retract_after_s <= 255:
                raise ValueError(f"retract_after_s must be 0..255, got {retract_after_s}")
            changes["retract_after_s"] = retract_after_s
        return dataclasses.replace(self, **changes)


PROFILES: dict[str, PrinterProfile] = {
    "epson": PrinterProfile(
        name="epson",
        description="Epson TM-T20/TM-T88 compatible, 80 mm, cutter",
        paper_mm=80,
        columns=42,
        dots_per_line=512,
    ),
    # TM-T20 and many 80 mm clones have a 576-dot head: 48 columns of Font A.
    "epson-48": PrinterProfile(
        name="epson-48",
        description="Epson compatible, 80 mm, 576-dot head (48 columns), cutter",
        paper_mm=80,
        columns=48,
        dots_per_line=576,
    ),
    "custom-vkp80": PrinterProfile(
        name="custom-vkp80",
        description="Custom VKP80 kiosk printer, 80 mm, cutter and presenter",
        paper_mm=80,
        columns=42,
        dots_per_line=576,
        presenter=True,
        retract_after_s=30,
        full_status=True,
        roll_m=150,  # its roll holder takes a roll of 150 mm across
    ),
    "generic-58mm": PrinterProfile(
        name="generic-58mm",
        description="Generic 58 mm ESC/POS printer, no cutter",
        paper_mm=58,
        columns=32,
        dots_per_line=384,
        cutter=False,
        qr_module_dots=5,
        roll_m=30,  # the 40 mm rolls small printers take
    ),
}


def get_profile(name: str, *, columns: int | None = None, retract_after_s: int | None = None) -> PrinterProfile:
    try:
        profile = PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown printer profile {name!r}; known: {', '.join(PROFILES)}") from None
    return profile.with_options(columns=columns, retract_after_s=retract_after_s)
