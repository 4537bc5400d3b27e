"""What the terminal's store provides to the uploader and the directory puller.

The core implements these (``kiosk.store``); sync depends on the shapes only, so the uploader
never imports the store and a test can watch the same calls the app makes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from sync.directory_file import DirectoryRow
from sync.tariff_file import TariffPrice

__all__ = ["DirectoryChanges", "DirectoryPort", "DirectoryRow", "ItemResult", "OutboxPort", "RESULT_STATUSES",
           "TariffPort"]

# accepted/duplicate: delivered, the item leaves the queue;
# rejected/conflict: the item leaves the queue but stays visible with the office's code and message.
RESULT_STATUSES = ("accepted", "duplicate", "rejected", "conflict")


@dataclass(frozen=True)
class ItemResult:
    txn_id: str
    status: str  # one of RESULT_STATUSES
    code: str | None = None
    message: str | None = None


class OutboxPort(Protocol):
    def pending(self, limit: int) -> list[dict[str, Any]]:
        """Upload payloads (sync/PROTOCOL.md, "Submission") of the oldest queued items first."""

    def record_results(self, results: list[ItemResult]) -> None:
        """Apply the office's answers in one transaction."""

    def depth(self) -> int:
        """Items still queued."""

    def oldest_pending_age(self) -> float | None:
        """Seconds since the oldest queued item was queued; None when the queue is empty."""


@dataclass(frozen=True)
class DirectoryChanges:
    """One page of the office's directory, as the store applies it."""

    version: int  # the office's version once this page is applied
    upserts: list[DirectoryRow]
    removed_meters: list[tuple[str, str]]  # (account, meter serial)
    removed_accounts: list[str]


class DirectoryPort(Protocol):
    def directory_version(self) -> int:
        """The office's directory version last applied; 0 for a terminal that never pulled."""

    def apply_directory_page(self, changes: DirectoryChanges) -> None:
        """Apply one page and store its version, in one transaction."""


@runtime_checkable
class TariffPort(Protocol):
    """A directory that also keeps tariffs: the puller brings the office's prices to it."""

    def tariffs_version(self) -> str | None:
        """The office's version of the prices held; None for none from the office."""

    def replace_tariffs(self, version: str, prices: list[TariffPrice]) -> None:
        """Hold exactly these prices from now on, in one transaction."""
