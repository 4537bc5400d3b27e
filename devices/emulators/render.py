"""What the emulated printer put on paper, as a text file, a JSON record and (if cheap) a PNG.

A page is a list of rows: text rows carry their alignment and style, QR rows their data. The
text file shows the slip as it would look (alignment applied, QR drawn with block characters);
the PNG draws it at the printer's dot width with a monospaced font and a real QR code.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

_FONT_PATHS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    "/usr/share/fonts/TTF/DejaVuSansMono.ttf",
    "/usr/share/fonts/dejavu/DejaVuSansMono.ttf",
)


@dataclass
class Row:
    text: str = ""
    align: str = "left"
    bold: bool = False
    underline: bool = False
    width: int = 1
    height: int = 1
    qr: str | None = None
    qr_module: int = 3


@dataclass
class Page:
    rows: list[Row] = field(default_factory=list)
    complete: bool = False  # ended with a cut (or torn off, on printers without a cutter)
    interrupted: str | None = None  # the fault that stopped it
    codepages: list[int] = field(default_factory=list)
    unknown_commands: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.rows

    def text(self, columns: int) -> str:
        lines: list[str] = []
        for row in self.rows:
            if row.qr is not None:
                lines.extend(_align(line, row.align, columns) for line in _qr_art(row.qr))
            else:
                lines.append(_align(row.text, row.align, max(columns // row.width, 1)))
        return "\n".join(line.rstrip() for line in lines) + "\n"


def _align(text: str, align: str, columns: int) -> str:
    if align == "center":
        return text.center(columns)
    if align == "right":
        return text.rjust(columns)
    return text


def _qr_bytes(data: str) -> bytes:
    """A QR code's stored bytes: the decoder carries them as latin-1 text, one character a byte,
    so a payment code's UTF-8 is drawn as the printer would draw it."""
    return data.encode("latin-1", "replace")


def _qr_art(data: str) -> list[str]:
    """The QR code in half-block characters (two modules per character cell, top and bottom)."""
    try:
        import qrcode
    except ImportError:
        return [f"[QR: {data}]"]
    code = qrcode.QRCode(border=1, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(_qr_bytes(data))
    code.make(fit=True)
    matrix = code.get_matrix()
    if len(matrix) % 2:
        matrix.append([False] * len(matrix[0]))
    glyphs = {(True, True): "█", (True, False): "▀", (False, True): "▄", (False, False): " "}
    return ["".join(glyphs[top, bottom] for top, bottom in zip(matrix[y], matrix[y + 1]))
            for y in range(0, len(matrix), 2)]


def save(page: Page, stem: Path, columns: int, dots: int, profile: str, line_dots: int | None = None) -> dict[str, Any]:
    """Write ``stem``.txt, .json and .png; returns the JSON record. ``line_dots``: the paper a
    line of text advances, as the printer's line spacing has it (default: twice a character's
    width, a character cell with no space between lines)."""
    text = page.text(columns)
    stem.with_suffix(".txt").write_text(text, encoding="utf-8")
    record = {
        "profile": profile,
        "complete": page.complete,
        "interrupted": page.interrupted,
        "codepages": page.codepages,
        "unknown_commands": page.unknown_commands,
        "lines": [row.text for row in page.rows if row.qr is None],
        "qr": [_qr_bytes(row.qr).decode("utf-8", "replace") for row in page.rows if row.qr is not None],
        "rows": [asdict(row) for row in page.rows],
        "text_file": str(stem.with_suffix(".txt")),
    }
    png = _png(page, columns, dots, stem.with_suffix(".png"), line_dots)
    if png is not None:
        record["png_file"] = str(png)
    stem.with_suffix(".json").write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
    return record


def _png(page: Page, columns: int, dots: int, path: Path, line_dots: int | None = None) -> Path | None:
    try:
        import qrcode
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:
        return None
    cell_w = max(dots // columns, 6)
    cell_h = line_dots or cell_w * 2
    font_path = next((p for p in _FONT_PATHS if Path(p).exists()), None)
    size = round(cell_w / 0.602)  # DejaVu Sans Mono's advance is 0.602 em
    regular = ImageFont.truetype(font_path, size) if font_path else ImageFont.load_default()
    bold_path = font_path.replace("Mono.ttf", "Mono-Bold.ttf") if font_path else None
    bold = ImageFont.truetype(bold_path, size) if bold_path and Path(bold_path).exists() else regular

    pieces: list[Any] = []
    for row in page.rows:
        if row.qr is not None:
            code = qrcode.QRCode(border=0, box_size=max(row.qr_module, 1),
                                 error_correction=qrcode.constants.ERROR_CORRECT_M)
            code.add_data(_qr_bytes(row.qr))
            code.make(fit=True)
            image = code.make_image(fill_color="black", back_color="white").get_image().convert("L")
        else:
            width = max(len(row.text), 1) * cell_w
            image = Image.new("L", (width, cell_h), 255)
            draw = ImageDraw.Draw(image)
            draw.text((0, (cell_h - cell_w * 2) // 2 + cell_w // 4), row.text, font=bold if row.bold else regular, fill=0)
            if row.underline:
                draw.line((0, cell_h - 2, width, cell_h - 2), fill=0, width=2)
            if row.width > 1 or row.height > 1:
                image = image.resize((image.width * row.width, image.height * row.height))
        pieces.append((image, row.align))
    height = sum(image.height for image, _ in pieces) + 2 * cell_h
    sheet = Image.new("L", (dots, max(height, cell_h)), 255)
    y = cell_h
    for image, align in pieces:
        x = {"center": (dots - image.width) // 2, "right": dots - image.width}.get(align, 0)
        sheet.paste(image, (max(x, 0), y))
        y += image.height
    sheet.save(path)
    return path
