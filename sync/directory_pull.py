"""Brings the terminal's directory up to the office's, one page per transaction.

Each page carries the version it brings the directory to; the store records it with the page, so
a pull cut short (power, network) resumes after the last page applied, never re-applies one.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

from sync.client import OfficeClient, OfficeError, OfficeRefused
from sync.ports import DirectoryChanges, DirectoryPort, TariffPort
from sync.tariff_file import TariffPrice
from sync.wire import DEFAULT_DIRECTORY_PAGE, DirectoryPage


@dataclass
class PullSummary:
    version: int
    pages: int = 0
    upserts: int = 0
    removed_meters: int = 0
    removed_accounts: int = 0
    error: str | None = None
    tariff_prices: int | None = None  # prices stored by this pull; None: the ones held stayed

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
        page applied so far.

        The next page is fetched (and validated) in a helper thread while this one applies the
        current page: the office, the network and the terminal's disk work at the same time. A
        page's answer depends only on the ``since`` it was asked with, so fetching it early
        changes nothing; if applying fails, the page fetched ahead is dropped. The client is only
        ever used by the helper thread, one request at a time."""
        summary = PullSummary(version=self._directory.directory_version())
        if self._max_pages is not None and self._max_pages <= 0:
            return summary
        with ThreadPoolExecutor(1, thread_name_prefix="directory-fetch") as fetcher:
            ahead = fetcher.submit(self._client.directory, summary.version, self._page_size)
            while ahead is not None:
                try:
                    page = ahead.result()
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
                wanted = page.more and (self._max_pages is None or summary.pages + 1 < self._max_pages)
                ahead = fetcher.submit(self._client.directory, page.version, self._page_size) if wanted else None
                self._apply(page)
                summary.pages += 1
                summary.version = page.version
                summary.upserts += len(page.upserts)
                summary.removed_meters += len(page.removed_meters)
                summary.removed_accounts += len(page.removed_accounts)
        if summary.error is None and isinstance(self._directory, TariffPort):
            self._pull_tariffs(self._directory, summary)
        return summary

    def _pull_tariffs(self, tariffs: TariffPort, summary: PullSummary) -> None:
        """The office's prices, stored when they differ from the ones held. An office older than
        tariffs answers 404: the terminal keeps what it holds (a file imported here, or none)."""
        try:
            answer = self._client.tariffs()
        except OfficeRefused as exc:
            if exc.status != 404:
                summary.error = f"tariffs: {exc}"
            return
        except OfficeError as exc:
            summary.error = f"tariffs: {exc}"
            return
        if answer.version == tariffs.tariffs_version():
            return
        prices = [TariffPrice(price.tariff, price.zone, price.price, price.valid_from) for price in answer.prices]
        tariffs.replace_tariffs(answer.version, prices)
        summary.tariff_prices = len(prices)

    def _apply(self, page: DirectoryPage) -> None:
        self._directory.apply_directory_page(DirectoryChanges(
            page.version,
            [entry.to_row() for entry in page.upserts],
            [(removed.account, removed.meter) for removed in page.removed_meters],
            list(page.removed_accounts),
        ))
