"""The confirmation slip: what the customer takes home, laid out for 32, 42 or 48 columns.

The core hands over plain data (``SlipData``) built from the committed submission, with every
word already in the customer's language (``SlipWords``, translated by ``kiosk.slip_words``): this
module holds only the layout. The slip shows only masked personal data (account and meter serial: last 4 characters) and says
"accepted for transfer", not "billed". The transaction number is printed and carried in a QR
code drawn by the printer itself, which costs a few dozen bytes instead of an image.
"""

from __future__ import annotations

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
    words: SlipWords
    copy: bool = False
    # What the readings will roughly cost, in words: «≈ 412,50 ₽ по тарифу с 01.07.2026
    # (предварительно)». Never an amount due: the bill can differ.
    estimate: str | None = None

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
    layout.pair(words.txn, slip.txn_id)
    layout.pair(words.seq, str(slip.seq))
    job.align("center").qr(slip.txn_id, profile.qr_module_dots).line()
    if slip.copy:
        job.bold().line(f"*** {words.copy} ***").bold(False)
    layout.wrapped(f"{words.hotline}: {slip.hotline}")
    _finish(job, profile)
    return job


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
