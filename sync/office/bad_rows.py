"""Billing's files at the office (the directory, tariffs, history): the bad rows an import meets,
and when they refuse it.

Every import reads its file row by row: a bad row (``RowError``) is kept for the report; the key
it names, when it names one for certain, is spared by the import (its meter or tariff stays as it
was), and one that names nothing for certain holds back every removal. A file that could not be
read to its end refuses the import; so does any bad row, unless the caller skips bad rows.
"""

from __future__ import annotations

from typing import Callable, Iterable, Iterator, TypeVar

from sync.semicolon_file import RowError

Row = TypeVar("Row")


class Counted:
    """An import's summary (a dataclass of counts, with its bad rows in ``errors``)."""

    errors: list[RowError]
    bad_rows: int

    def as_dict(self) -> dict[str, int]:
        """The counts, without the bad rows themselves."""
        return {name: value for name, value in self.__dict__.items() if name != "errors"}


class Removing(Counted):
    """The summary of an import that removes what its file does not name."""

    removals_held_back_by: int


class ImportRefused(Exception):
    """The import was rolled back: nothing of it was written."""

    def __init__(self, message: str, summary: Counted) -> None:
        super().__init__(message)
        self.summary = summary


def good_rows(rows: Iterable[Row | RowError], summary: Counted,
              spare: Callable[[tuple[str, ...]], None] | None = None) -> Iterator[Row]:
    """The good rows, one by one; the bad ones go to ``summary.errors``. For an import that removes
    (``Removing``), a bad row that names nothing for certain holds back the removals, and the key
    one names goes to ``spare``."""
    for row in rows:
        if not isinstance(row, RowError):
            yield row
            continue
        summary.errors.append(row)
        if isinstance(summary, Removing):
            if row.key is None:
                summary.removals_held_back_by += 1
            elif spare is not None:
                spare(row.key)


def refuse_bad_rows(summary: Counted, skip_bad: bool, refusal: type[ImportRefused] = ImportRefused) -> None:
    """Count the bad rows, and refuse the import (``refusal``) when the file could not be read, or
    when it has bad rows and they are not to be skipped."""
    summary.bad_rows = len(summary.errors)
    if any(error.ends_reading for error in summary.errors):
        raise refusal("the file could not be read: nothing was imported", summary)
    if summary.errors and not skip_bad:
        raise refusal(f"{summary.bad_rows} bad row(s): nothing was imported", summary)
