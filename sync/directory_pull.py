"""Brings the terminal's directory up to the office's, one page per transaction.

Each page carries the version it brings the directory to; the store records it with the page, so
a pull cut short (power, network) resumes after the last page applied, never re-applies one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sync.client import OfficeClient, OfficeError
from sync.ports import DirectoryPort
from sync.wire import DEFAULT_DIRECTORY_PAGE


@dataclass
class PullSummary:
    version: int
    pages: int = 0
    upserts: int = 0
    removed_meters: int = 0
    removed_accounts: int = 0
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class DirectoryPuller:
    def __init__(self, directory: DirectoryPort, client: OfficeClient, *,
                 page_size: int = DEFAULT_DIRECTORY_PAGE, max_pages: int | None = None) -> None:
        self._directory = directory
        self._client = client
        self._page_size = page_size
        self._max_pages = max_pages

    def pull(self) -> PullSummary:
        """Apply pages until the office has nothing newer; an error ends the pull, keeping every
        page applied so far."""
        summary = PullSummary(version=self._directory.directory_version())
        while self._max_pages is None or summary.pages < self._max_pages:
            try:
                page = self._client.directory(summary.version, self._page_size)
            except OfficeError as exc:
                summary.error = str(exc)
                break
            if page.version < summary.version:
                # The office lost its history (restored from a backup, or replaced): our
                # version means nothing to it. Only a full reload can fix that; say so.
                summary.error = (f"the office's directory version {page.version} is older than "
                                 f"ours ({summary.version}): reset the terminal's directory")
                break
            if page.version == summary.version:
                break  # nothing newer (and a page that does not advance must not loop us)
            self._directory.apply_directory_page(
                page.version,
                [entry.to_row() for entry in page.upserts],
                [(removed.account, removed.meter) for removed in page.removed_meters],
                list(page.removed_accounts),
            )
            summary.pages += 1
            summary.version = page.version
            summary.upserts += len(page.upserts)
            summary.removed_meters += len(page.removed_meters)
            summary.removed_accounts += len(page.removed_accounts)
            if not page.more:
                break
        return summary
