"""Copies of the terminal's database taken while the kiosk keeps running, and their rotation.

SQLite's online backup API copies a consistent snapshot: in WAL mode one read transaction sees a
fixed state of the file while the kiosk goes on committing, so the copy is taken in a single step
(a stepped copy would restart whenever another process writes). The copy is checked, written under
a temporary name, flushed and renamed, so a power cut leaves either a whole backup or none.
"""

from __future__ import annotations

import os
import re
import sqlite3
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from kiosk.store.database import create_directory_durably

# kiosk-20261127T031500.123456Z.sqlite3: sorts by time; microseconds keep two runs in one second apart.
_NAME = re.compile(r"kiosk-\d{8}T\d{6}\.\d{6}Z\.sqlite3")  # with fullmatch
_PARTIAL_SUFFIX = ".partial"


class BackupError(Exception):
    """No backup was made; the message says why."""


@dataclass
class BackupResult:
    database: str
    backup: str
    bytes: int
    kept: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def backup(database: Path, directory: Path, keep: int, now: datetime | None = None) -> BackupResult:
    """Copy ``database`` into ``directory`` and keep only the newest ``keep`` backups there."""
    if keep < 1:
        raise BackupError("keep must be at least 1")
    if not database.is_file():
        raise BackupError(f"no database to back up at {database}")
    now = now or datetime.now(timezone.utc)
    try:
        # A folder created now is named durably in its parent: else a power cut could take the
        # folder, and the backup in it, away after the backup said it was done.
        create_directory_durably(directory)
    except OSError as exc:
        raise BackupError(f"cannot create the backup folder {directory}: {exc}") from None
    target = directory / f"kiosk-{now.strftime('%Y%m%dT%H%M%S.%fZ')}.sqlite3"
    partial = directory / f".{target.name}{_PARTIAL_SUFFIX}"
    try:
        try:
            _copy(database, partial)
            _durable_rename(partial, target)
        except (sqlite3.Error, OSError) as exc:
            raise BackupError(f"backup of {database} failed: {exc}") from None
    except BackupError:
        partial.unlink(missing_ok=True)
        raise
    kept, removed = _rotate(directory, keep, current=partial.name)
    return BackupResult(str(database), str(target), target.stat().st_size, kept, removed)


def _copy(database: Path, partial: Path) -> None:
    partial.unlink(missing_ok=True)
    # Read-only: a backup must never create or change the live database.
    source = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
            # One self-contained file: a restored copy needs no -wal beside it.
            copy.execute("PRAGMA journal_mode=DELETE")
            verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
            if verdict != "ok":
                # SQLite lists every bad page, one per line: the first says enough on one line.
                first = verdict.strip().splitlines()[-1 if verdict.startswith("***") else 0]
                raise BackupError(f"the copy of {database} fails its integrity check ({first.strip()}): the "
                                  "database is damaged; keep the earlier backups")
        finally:
            copy.close()
    finally:
        source.close()
    # Readings name customers' accounts: only the kiosk user reads its backups.
    os.chmod(partial, 0o600)


def _durable_rename(partial: Path, target: Path) -> None:
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, target)
    directory = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _rotate(directory: Path, keep: int, *, current: str) -> tuple[list[str], list[str]]:
    backups = sorted(path for path in directory.iterdir() if _NAME.fullmatch(path.name))
    removed = backups[:-keep]
    # Leftovers of a run that was killed mid-copy are never whole backups.
    removed += [path for path in directory.iterdir()
                if path.name.endswith(_PARTIAL_SUFFIX) and path.name != current]
    for path in removed:
        path.unlink(missing_ok=True)
    return [str(path) for path in backups[-keep:]], [str(path) for path in removed]
