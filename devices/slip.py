"""The confirmation slip: what the customer takes home, laid out for 32, 42 or 48 columns.

The core hands over plain data (``SlipData``) built from the committed submission, with every
word already in the customer's language (``SlipWords``, translated by ``kiosk.slip_words``): this
module holds only the layout. The slip shows only masked personal data (account and meter serial: last 4 characters) and says
"accepted for transfer", not "billed". The slip's code, the one a customer quotes on the
hotline, is printed large; a QR code drawn by the printer itself (a few dozen bytes instead of
an image) carries what the core chose (an office page for the submission, or the code), with a
quiet zone of 4 modules around it so that a phone finds it.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, field

from devices.escpos import EscPos, printable
from devices.profiles import PrinterProfile



@dataclass(frozen=True)
class SlipWords:
    """The slip's headings and fixed phrases, already translated."""

    title: str
    copy: str
    terminal: str
    taken_at: str
    account: str
    meter: str
    zone: str
    previous: str
    new: str
    consumption: str
    total: str
    period: str
    status: str
    accepted: str
    not_billed: str
    txn: str
    seq: str
    hotline: str
    code: str  # the slip's code, quoted on the hotline
    quote: str  # what to do with it


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
    taken_at: str  # the office's local time, written as the customer's language writes it
    account: str  # masked by the core (kiosk.masking): all but the last 4 hidden
    meter_serial: str  # masked by the core likewise
    zones: tuple[SlipZone, ...] | list[SlipZone]
    total: int | None
    period: str  # the billing period the reading counts toward, named: "ноябрь 2025"
    txn_id: str
    seq: int
    reference: str  # the slip's code, short enough to read out on the phone: "3F2A9-1C0B7"
    qr: str  # what the QR code carries: never a bare transaction id, which a phone cannot use
    words: SlipWords
    copy: bool = False
    # What the readings will roughly cost, in words: «≈ 412,50 ₽ по тарифу с 01.07.2026
    # (предварительно)». Never an amount due: the bill can differ.
    estimate: str | None = None
    # A payment code (ГОСТ Р 56042) for a bank's app, printed under its label; None: none.
    payment_code: str | None = None
    payment_label: str = ""

    def __post_init__(self) -> None:
        if not self.zones:
            raise ValueError("a slip needs at least one zone")


# The driver's own pages, printed where no customer's language is known: the technician's test
# page (in the office's language, like a printer's self-test) and the mark that voids a slip cut
# off by a fault, in both languages since nobody knows whose slip it was.
TEST_TITLE = "ТЕСТ ПРИНТЕРА"
TEST_TERMINAL = "Терминал"
INTERRUPTED = ("ПЕЧАТЬ ПРЕРВАНА - НЕ ЧЕК", "PRINT INTERRUPTED - NOT A SLIP")

RUSSIAN_ALPHABET = "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ"

# A QR code needs 4 modules of white around it (ISO/IEC 18004) and the printer draws none: the
# layout feeds blank lines above and below. A line is at least 30 dots high (ESC 2, 1/6 inch at
# 180 dpi; more at 203 dpi); across, the code is centred on paper far wider than it.
QUIET_MODULES = 4
MIN_LINE_DOTS = 30




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


def _zone_table(layout: _Layout, words: SlipWords, zones: list[SlipZone]) -> None:
    headings: tuple[str, ...] = (words.previous, words.new, words.consumption)
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

    layout.job.line(row(words.zone[:label_width], headings))
    for label, values in zip(labels, cells):
        if len(label) <= label_width:
            layout.job.line(row(label, values))
        else:  # the meaning matters more than one line: label on its own line
            layout.wrapped(label)
            layout.job.line(row("", values))


def _header(layout: _Layout, slip: SlipData, words: SlipWords) -> None:
    job = layout.job
    if slip.copy:
        job.align("center").bold().size(2, 2).line(f"*** {words.copy} ***").size().bold(False)
    job.align("center").bold()
    layout.wrapped(slip.supplier)
    job.bold(False)
    job.line(f"{words.terminal} {slip.terminal_id}")
    if slip.office_address:
        layout.wrapped(slip.office_address)
    job.align("left")


def render_slip(slip: SlipData, profile: PrinterProfile) -> EscPos:
    """The whole job for one slip: init, text, QR, feed, cut (and present on kiosk printers)."""
    words = slip.words
    job = EscPos(profile.codepage, profile.encoding).init()
    layout = _Layout(profile.columns, job)
    _header(layout, slip, words)
    layout.rule()
    job.align("center").bold().size(1, 2).line(words.title).size().bold(False).align("left")
    layout.pair(words.taken_at, slip.taken_at)
    layout.pair(words.account, slip.account)
    layout.pair(words.meter, slip.meter_serial)
    layout.rule()
    _zone_table(layout, words, list(slip.zones))
    layout.rule()
    job.bold()
    layout.pair(words.total, _number(slip.total))
    job.bold(False)
    layout.pair(words.period, slip.period)
    layout.pair(words.status, words.accepted)
    job.align("right").line(f"({words.not_billed})").align("left")
    if slip.estimate:
        layout.rule()
        layout.wrapped(slip.estimate)
    layout.rule()
    layout.pair(words.seq, str(slip.seq))
    layout.pair(words.txn, slip.txn_id)
    layout.rule()
    # The code to quote on the phone, as large as the paper allows, then the number to call.
    job.align("center").line(words.code)
    wide = 2 if 2 * len(slip.reference) <= profile.columns else 1
    job.bold().size(wide, 2).line(slip.reference).size().bold(False)
    layout.wrapped(words.quote)
    job.bold().line(f"{words.hotline}: {slip.hotline}").bold(False)
    quiet = _quiet_lines(profile)
    for _ in range(quiet):
        job.line()
    job.qr(slip.qr, profile.qr_module_dots)
    for _ in range(quiet):
        job.line()
    if slip.payment_code:
        _payment(layout, slip, profile)
    if slip.copy:
        job.bold().line(f"*** {words.copy} ***").bold(False)
    job.align("left")
    _finish(job, profile)
    return job


# Bytes a QR code of each version (1..40) holds at error correction M: the code's width in
# modules is 17 + 4 × version.
_QR_BYTES_M = (14, 26, 42, 62, 84, 106, 122, 152, 180, 213, 251, 287, 331, 362, 412, 450, 504, 560, 624, 666,
               711, 779, 857, 911, 997, 1059, 1125, 1190, 1264, 1370, 1452, 1538, 1628, 1722, 1809, 1911,
               1989, 2099, 2213, 2331)


def _payment(layout: _Layout, slip: SlipData, profile: PrinterProfile) -> None:
    """The payment code under its label, as large as the paper allows: a payment code holds a
    few hundred bytes, so on 58 mm paper its modules are drawn smaller than the slip's own QR's."""
    assert slip.payment_code is not None
    payload = slip.payment_code.encode("utf-8")
    version = next((v for v, size in enumerate(_QR_BYTES_M, 1) if len(payload) <= size), len(_QR_BYTES_M))
    modules = 17 + 4 * version + 8  # with the quiet zone of 4 modules a side
    job = layout.job
    layout.rule()
    job.align("center").bold()
    layout.wrapped(slip.payment_label)
    job.bold(False)
    job.qr(payload, max(1, min(profile.qr_module_dots, profile.dots_per_line // modules))).line()
    job.align("left")


def _quiet_lines(profile: PrinterProfile) -> int:
    return math.ceil(QUIET_MODULES * profile.qr_module_dots / MIN_LINE_DOTS)


def render_test_page(profile: PrinterProfile, terminal_id: str = "") -> EscPos:
    """A technician's test: every Russian letter in both cases, digits, symbols and a QR."""
    job = EscPos(profile.codepage, profile.encoding).init()
    layout = _Layout(profile.columns, job)
    job.align("center").bold().size(1, 2).line(TEST_TITLE).size().bold(False)
    job.line(f"{profile.name}, {profile.columns} col, ESC t {profile.codepage}")
    if terminal_id:
        job.line(f"{TEST_TERMINAL} {terminal_id}")
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
    job.line().bold().line(INTERRUPTED[0]).line(INTERRUPTED[1]).bold(False)
    _finish(job, profile)
    return job


def _finish(job: EscPos, profile: PrinterProfile) -> None:
    job.feed(profile.feed_before_cut)
    if profile.cutter:
        job.cut()
    if profile.presenter:
        job.present(profile.present_mm, profile.retract_after_s)
