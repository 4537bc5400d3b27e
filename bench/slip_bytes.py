"""Bytes of a typical three-zone slip with its QR, and their time on the wire at 9600 baud.

Beside it, python-escpos's default output for the same slip (same lines, same styles, the QR
sent as an image, as its ``qr()`` does unless told ``native=True``), measured in the same run.
Prints JSON; never fails the build.
"""

from __future__ import annotations

import contextlib
import json
import sys
import warnings
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from devices.emulators.escpos_decoder import EscPosDecoder  # noqa: E402
from devices.escpos import EscPos  # noqa: E402
from devices.profiles import PROFILES  # noqa: E402
from devices.slip import SlipData, SlipZone, render_slip  # noqa: E402
from devices.transport import wire_seconds  # noqa: E402
from kiosk.slip_words import format_period, format_taken_at, slip_words  # noqa: E402

BAUD = 9600


def typical_slip() -> SlipData:
    return SlipData(
        supplier="АО «Энергосбыт»",
        terminal_id="kiosk-017",
        office_address="г. Москва, ул. Вавилова, д. 9",
        hotline="8 800 000-00-00",
        taken_at=format_taken_at(datetime(2025, 11, 20, 14, 5, tzinfo=ZoneInfo("Europe/Moscow")), "ru"),
        account="******8779",  # masked by the core before it reaches the slip
        meter_serial="********3456",
        zones=[
            SlipZone("T1 — пик", 12345, 12400, 55),
            SlipZone("T2 — ночь", 6789, 6800, 11),
            SlipZone("T3 — полупик", 3456, 3490, 34),
        ],
        total=100,
        period=format_period(date(2025, 11, 1), "ru"),
        txn_id="K017-20251120-000042",
        seq=42,
        reference="3F2A9-1C0B7",
        qr="K017-20251120-000042",
        words=slip_words("ru"),
    )


def python_escpos_bytes(ours: bytes, txn_id: str) -> bytes | None:
    """Replay our slip's lines and styles through python-escpos with its defaults."""
    try:
        from escpos.printer import Dummy
    except ImportError:
        return None
    printer = Dummy()
    style = {"align": "left", "bold": False, "double_height": False}
    for event in EscPosDecoder().feed(ours):
        if event.kind == "align":
            style["align"] = event.value
        elif event.kind == "bold":
            style["bold"] = event.value
        elif event.kind == "size":
            style["double_height"] = event.value[1] > 1
        elif event.kind == "text":
            printer.set(align=style["align"], bold=style["bold"], double_height=style["double_height"])
            printer.text(event.value)
        elif event.kind == "newline":
            printer.text("\n")
        elif event.kind == "qr_print":
            printer.qr(txn_id, size=6)
        elif event.kind == "cut":
            printer.cut()
    return printer.output


def main() -> None:
    slip = typical_slip()
    profile = PROFILES["epson"]
    ours = render_slip(slip, profile).bytes()
    qr_ours = EscPos().qr(slip.txn_id, profile.qr_module_dots).bytes()
    # python-escpos prints its notes on stdout; keep ours a clean JSON document.
    with warnings.catch_warnings(), contextlib.redirect_stdout(sys.stderr):
        warnings.simplefilter("ignore")
        theirs = python_escpos_bytes(ours, slip.txn_id)
    result: dict[str, object] = {
        "slip": "three zones, Russian, epson profile (42 columns), native QR",
        "baud": BAUD,
        "bytes": len(ours),
        "goal_bytes": 1500,
        "wire_s": round(wire_seconds(len(ours), BAUD), 3),
        "qr_bytes": len(qr_ours),
    }
    if theirs is not None:
        result["python_escpos"] = {
            "bytes": len(theirs),
            "wire_s": round(wire_seconds(len(theirs), BAUD), 3),
            "qr": "image (default)",
        }
        result["ratio_python_escpos_to_ours"] = round(len(theirs) / len(ours), 2)
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
