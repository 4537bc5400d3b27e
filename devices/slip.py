"""The confirmation slip: what the customer takes home, laid out for 32, 42 or 48 columns.

The core hands over plain data (``SlipData``) built from the committed submission; the slip
shows only masked personal data (account and meter serial: last 4 characters) and says
"accepted for transfer", not "billed". The transaction number is printed and carried in a QR
code drawn by the printer itself, which costs a few dozen bytes instead of an image.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from devices.escpos import EscPos, printable
from devices.profiles import PrinterProfile

Language = Literal["ru", "en"]


@dataclass(frozen=True)
class SlipZone:
    label: str  # already translated, with its meaning: "T1 — день"
    previous: int | None
    new: int
    consumption: int | None


@dataclass(frozen=True)
class SlipData:
    supplier: str
    terminal_id: str
    office_address: str
    hotline: str
    taken_at: datetime  # aware, in the office's time zone
    account: str  # masked by the core (kiosk.masking): all but the last 4 hidden
    meter_serial: str  # masked by the core likewise
    zones: tuple[SlipZone, ...] | list[SlipZone]
    total: int | None
    period: date  # the billing period the reading counts toward (its month)
    txn_id: str
    seq: int
    language: Language = "ru"
    copy: bool = False

    def __post_init__(self) -> None:
        if self.taken_at.tzinfo is None or self.taken_at.utcoffset() is None:
            raise ValueError("taken_at must be timezone-aware")
        if self.language not in TEXTS:
            raise ValueError(f"language must be one of {sorted(TEXTS)}")
        if not self.zones:
            raise ValueError("a slip needs at least one zone")


TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "title": "ПОКАЗАНИЯ ПРИНЯТЫ",
        "copy": "КОПИЯ",
        "terminal": "Терминал",
        "taken_at": "Дата и время",
        "account": "Лицевой счёт",
        "meter": "Счётчик",
        "zone": "Зона",
        "previous": "Было",
        "new": "Стало",
        "consumption": "Расход",
        "total": "Итого, кВт·ч",
        "period": "Расчётный период",
        "status": "Статус",
        "accepted": "принято к передаче",
        "not_billed": "в счёт ещё не учтено",
        "txn": "Операция",
        "seq": "Номер",
        "hotline": "Горячая линия",
        "test_title": "ТЕСТ ПРИНТЕРА",
        "interrupted": "ПЕЧАТЬ ПРЕРВАНА - НЕ ЧЕК",
    },
    "en": {
        "title": "READINGS RECEIVED",
        "copy": "COPY",
        "terminal": "Terminal",
        "taken_at": "Date and time",
        "account": "Account",
        "meter": "Meter",
        "zone": "Zone",
        "previous": "Previous",
        "new": "New",
        "consumption": "Used",
        "total": "Total, kWh",
        "period": "Billing period",
        "status": "Status",
        "accepted": "accepted for transfer",
        "not_billed": "not yet billed",
        "txn": "Transaction",
        "seq": "No.",
        "hotline": "Hotline",
        "test_title": "PRINTER TEST",
        "interrupted": "PRINT INTERRUPTED - NOT A SLIP",
    },
}

MONTHS = {
    "ru": ("январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август",
           "сентябрь", "октябрь", "ноябрь", "декабрь"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}

RUSSIAN_ALPHABET = "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ"


def format_period(period: date, language: Language) -> str:
    return f"{MONTHS[language][period.month - 1]} {period.year}"


def format_taken_at(taken_at: datetime, language: Language) -> str:
    return taken_at.strftime("%d.%m.%Y %H:%M" if language == "ru" else "%Y-%m-%d %H:%M")


@dataclass
class _Layout:
    """Text helpers bound to one paper width."""

    columns: int
    job: EscPos = field(repr=False)

    def rule(self) -> None:
        self.job.line("-" * self.columns)

    def wrapped(self, text: str) -> None:
        text = printable(text)  # measure what the printer will print, not the Unicode
        for part in textwrap.wrap(text, self.columns) or [""]:
            self.job.line(part)

    def pair(self, key: str, value: str) -> None:
        """``key ...... value`` on one line, or the value right-aligned below when too long."""
        key, value = printable(key), printable(value)
        gap = self.columns - len(key) - len(value)
        if gap >= 1:
            self.job.line(key + " " * gap + value)
        else:
            self.job.line(key)
            for part in textwrap.wrap(value, self.columns):
                self.job.line(part.rjust(self.columns))


def _number(value: int | None) -> str:
    return "-" if value is None else str(value)


def _zone_table(layout: _Layout, texts: dict[str, str], zones: list[SlipZone]) -> None:
    headings = (texts["previous"], texts["new"], texts["consumption"])
    labels = [printable(z.label) for z in zones]
    cells = [(_number(z.previous), _number(z.new), _number(z.consumption)) for z in zones]
    # Each number column as wide as its widest entry plus a space, so 8-digit registers fit too.
    widths = [max(len(h), *(len(row[i]) for row in cells)) + 1 for i, h in enumerate(headings)]
    label_width = layout.columns - sum(widths)
    if label_width < 4:  # very narrow paper: shorten headings rather than overflow
        headings = tuple(h[:3] for h in headings)
        widths = [max(len(h), *(len(row[i]) for row in cells)) + 1 for i, h in enumerate(headings)]
        label_width = layout.columns - sum(widths)

    if label_width - len(widths) >= max(len(label) for label in labels):
        widths = [w + 1 for w in widths]  # room to spare: air between the numbers
        label_width -= len(widths)

    def row(label: str, values: tuple[str, ...]) -> str:
        return label.ljust(label_width) + "".join(v.rjust(w) for v, w in zip(values, widths))

    layout.job.line(row(texts["zone"][:label_width], headings))
    for label, values in zip(labels, cells):
        if len(label) <= label_width:
            layout.job.line(row(label, values))
        else:  # the meaning matters more than one line: label on its own line
            layout.wrapped(label)
            layout.job.line(row("", values))


def _header(layout: _Layout, slip: SlipData, texts: dict[str, str]) -> None:
    job = layout.job
    if slip.copy:
        job.align("center").bold().size(2, 2).line(f"*** {texts['copy']} ***").size().bold(False)
    job.align("center").bold()
    layout.wrapped(slip.supplier)
    job.bold(False)
    job.line(f"{texts['terminal']} {slip.terminal_id}")
    if slip.office_address:
        layout.wrapped(slip.office_address)
    job.align("left")


def render_slip(slip: SlipData, profile: PrinterProfile) -> EscPos:
    """The whole job for one slip: init, text, QR, feed, cut (and present on kiosk printers)."""
    texts = TEXTS[slip.language]
    job = EscPos(profile.codepage, profile.encoding).init()
    layout = _Layout(profile.columns, job)
    _header(layout, slip, texts)
    layout.rule()
    job.align("center").bold().size(1, 2).line(texts["title"]).size().bold(False).align("left")
    layout.pair(texts["taken_at"], format_taken_at(slip.taken_at, slip.language))
    layout.pair(texts["account"], slip.account)
    layout.pair(texts["meter"], slip.meter_serial)
    layout.rule()
    _zone_table(layout, texts, list(slip.zones))
    layout.rule()
    job.bold()
    layout.pair(texts["total"], _number(slip.total))
    job.bold(False)
    layout.pair(texts["period"], format_period(slip.period, slip.language))
    layout.pair(texts["status"], texts["accepted"])
    job.align("right").line(f"({texts['not_billed']})").align("left")
    layout.rule()
    layout.pair(texts["txn"], slip.txn_id)
    layout.pair(texts["seq"], str(slip.seq))
    job.align("center").qr(slip.txn_id, profile.qr_module_dots).line()
    if slip.copy:
        job.bold().line(f"*** {texts['copy']} ***").bold(False)
    layout.wrapped(f"{texts['hotline']}: {slip.hotline}")
    _finish(job, profile)
    return job


def render_test_page(profile: PrinterProfile, terminal_id: str = "", language: Language = "ru") -> EscPos:
    """A technician's test: every Russian letter in both cases, digits, symbols and a QR."""
    texts = TEXTS[language]
    job = EscPos(profile.codepage, profile.encoding).init()
    layout = _Layout(profile.columns, job)
    job.align("center").bold().size(1, 2).line(texts["test_title"]).size().bold(False)
    job.line(f"{profile.name}, {profile.columns} col, ESC t {profile.codepage}")
    if terminal_id:
        job.line(f"{texts['terminal']} {terminal_id}")
    job.align("left")
    layout.rule()
    for alphabet in (RUSSIAN_ALPHABET, RUSSIAN_ALPHABET.lower()):
        for start in range(0, len(alphabet), profile.columns):
            job.line(alphabet[start:start + profile.columns])
    layout.wrapped("0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz")
    layout.wrapped("№ « » — · Σ -> N \" \" - . S")
    job.bold().line("Жирный / Bold").bold(False)
    job.size(2, 2).line("x2").size()
    layout.rule()
    job.align("center").qr("KIOSK-PRINTER-TEST", profile.qr_module_dots).line().align("left")
    _finish(job, profile)
    return job


def render_interrupted_mark(profile: PrinterProfile) -> EscPos:
    """Ends a slip that was cut off mid-way, so nobody takes half a slip for a confirmation."""
    job = EscPos(profile.codepage, profile.encoding).init()
    job.line().bold().line(TEXTS["ru"]["interrupted"]).line(TEXTS["en"]["interrupted"]).bold(False)
    _finish(job, profile)
    return job


def _finish(job: EscPos, profile: PrinterProfile) -> None:
    job.feed(profile.feed_before_cut)
    if profile.cutter:
        job.cut()
    if profile.presenter:
        job.present(profile.present_mm, profile.retract_after_s)
