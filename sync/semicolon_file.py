"""Semicolon-separated text files taken in from outside: the directory, readings to submit, and
the files billing sends. One reader for all of them, so every one gets the same guarantees:

- The bytes are decoded strictly as UTF-8 (a leading BOM is allowed), line by line. UTF-8 never
  puts a newline byte inside a character, so this is the whole file decoded strictly; and an
  undecodable byte is reported at its true line and column, which a decoder fed fixed-size
  chunks of the file cannot tell.
- A record is one line. None of our formats has a field that may hold a line break, so a quote
  left open is an error on its own line and can never swallow the lines after it.
- Quotes are the CSV dialect's: a field that starts with ``"`` is quoted (``""`` inside it is one
  quote); a quote anywhere else is a character of its field.
- A line longer than ``MAX_LINE_BYTES`` is reported and skipped without being held in memory.
- Every problem names its line, and reading always goes on to the end of the file: a caller that
  stops earlier says so (``RowError.ends_reading``).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Iterator, NamedTuple, Sequence

DELIMITER = ";"
# Far longer than any row of ours (a directory row is a few hundred bytes), far shorter than a
# file: a file without line breaks, or of another kind, is not read into memory as one line.
MAX_LINE_BYTES = 64 * 1024
_BOM = b"\xef\xbb\xbf"
_SKIP_CHUNK = 1 << 20
Source = str | Path | IO[bytes] | IO[str]


@dataclass(frozen=True, slots=True)
class RowError:
    """A line that cannot be taken in, and why; ``column`` names the field when it is known."""

    line: int
    column: str | None
    message: str
    # The identity of the record the line stands for (a directory row's account and meter) when
    # it can be read despite the fault: an import that replaces a whole set keeps that record as
    # it was instead of taking its absence for a removal.
    key: tuple[str, ...] | None = None
    # Nothing after this line was read (a file without a usable header).
    ends_reading: bool = False

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


class BadCell(Exception):
    """A cell that does not hold what its column needs: the readers turn it into a RowError
    naming the column (None: the row as a whole)."""

    def __init__(self, column: str | None, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


class BadLine(NamedTuple):
    """A line that could not be decoded, or was too long to read."""

    number: int
    position: int | None  # the character (1-based) where the fault is, when it is known
    message: str
    text: str  # what can be read of it, undecodable bytes replaced by U+FFFD
    ended: bool


# A good line: (line number, its text without the line ending, whether it had a line ending).
# A plain tuple: the directory reader takes a million of them per import.
Line = tuple[int, str, bool]


def read_lines(source: Source) -> Iterator[Line | BadLine]:
    """Each line of a file in order: a path is read as bytes; a binary stream as it is; a text
    stream (already decoded, e.g. a StringIO) is read as its UTF-8 encoding."""
    if isinstance(source, (str, Path)):
        with open(source, "rb") as stream:
            yield from _lines(stream.readline)
    elif isinstance(source, io.TextIOBase):
        yield from _lines(io.BytesIO(source.read().encode("utf-8", "surrogatepass")).readline)
    else:
        # A binary stream: mypy narrows the IO union by io.TextIOBase, which typing.IO[str] does not
        # derive from, so it still sees a text readline here.
        yield from _lines(source.readline)  # type: ignore[arg-type]


def read_header(lines: Iterator[Line | BadLine], required: Sequence[str]) -> list[str] | RowError:
    """The first line's column names, in lower case, or the RowError on line 1 that ends reading
    (no header, one that cannot be read, or one without every ``required`` column)."""
    first = next(lines, None)
    if first is None:
        return RowError(1, None, "the file is empty: a header row is required", ends_reading=True)
    try:
        if isinstance(first, BadLine):
            raise ValueError(first.message)
        names = [name.strip().lower() for name in cells(first[1])]
    except ValueError as exc:
        return RowError(1, None, f"the header cannot be read, so no row was read: {exc}", ends_reading=True)
    missing = [column for column in required if column not in names]
    if missing:
        return RowError(1, ", ".join(missing), "the header lacks these columns, so no row was read",
                        ends_reading=True)
    return names


def _lines(readline: Callable[[int], bytes]) -> Iterator[Line | BadLine]:
    number = 0
    while True:
        raw = readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if number == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM):]
        ended = raw.endswith(b"\n")
        if not ended and len(raw) > MAX_LINE_BYTES:
            length, ended = _skip_rest(readline, len(raw))
            yield BadLine(number, None,
                          f"the line is {length:,} bytes long, more than the {MAX_LINE_BYTES:,} a row may "
                          "take: it was skipped; check that this is the right file",
                          raw.decode("utf-8", "replace"), ended)
            continue
        if ended:
            raw = raw[:-2] if raw.endswith(b"\r\n") else raw[:-1]
        try:
            yield number, raw.decode("utf-8"), ended
        except UnicodeDecodeError as fault:
            position = len(raw[:fault.start].decode("utf-8", "replace")) + 1
            yield BadLine(number, position,
                          f"byte 0x{raw[fault.start]:02X} at character {position} is not UTF-8 text: save "
                          "the file as UTF-8 (not windows-1251 or another code page) and take it again",
                          raw.decode("utf-8", "replace"), ended)


def _skip_rest(readline: Callable[[int], bytes], length: int) -> tuple[int, bool]:
    """Read past the rest of an overlong line; its whole length, and whether it had an ending."""
    while True:
        chunk = readline(_SKIP_CHUNK)
        length += len(chunk)
        if not chunk:
            return length, False
        if chunk.endswith(b"\n"):
            return length, True


def cells(text: str) -> list[str]:
    """The fields of one line, by the CSV dialect; ValueError (with words for a person) when the
    line's quotes do not follow it."""
    if '"' not in text and "\r" not in text:
        return text.split(DELIMITER)
    try:
        return next(csv.reader([text], delimiter=DELIMITER, strict=True), [])
    except csv.Error as exc:
        raise ValueError(_quote_problem(str(exc))) from None


def loose_cells(text: str) -> list[str]:
    """The fields of a line as well as they can be told apart, for naming a bad row only."""
    try:
        return next(csv.reader([text], delimiter=DELIMITER, strict=False), [])
    except csv.Error:
        return text.split(DELIMITER)


def field_at(text: str, position: int) -> int:
    """The (0-based) field that character ``position`` (1-based) of a line falls in."""
    return max(0, len(loose_cells(text[:position - 1])) - 1)


def _quote_problem(error: str) -> str:
    if "unexpected end of data" in error:
        return ('a quoted field is not closed on this line: a field that starts with " must end with '
                '"; write a quote inside such a field as ""')
    if "expected after" in error:
        return f'after a field\'s closing quote comes "{DELIMITER}" or the end of the line'
    if "new-line" in error:
        return "a carriage return inside the line: save the file with ordinary line endings"
    return error
