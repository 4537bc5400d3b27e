"""The terminal's local database: one SQLite file that must never lose a reading.

``Store.open(path)`` creates the file if needed and migrates it to the newest schema. Its parts:
``directory`` (accounts and meters), ``submissions``, ``outbox`` (the upload queue) and
``events`` (the append-only log), and for the office's fleet view ``commands``, ``staff_calls``
and ``paper``.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.exc import DBAPIError

from kiosk.errors import StoreError
from kiosk.store.database import create_directory_durably, create_sqlite_engine, upgrade
from kiosk.store.directory import Directory
from kiosk.store.events import EventLog
from kiosk.store.fleet import CommandLog, PaperCounter, StaffCalls
from kiosk.store.outbox import Outbox
from kiosk.store.service import ServiceState
from kiosk.store.submissions import MeterChanged, NewSubmission, Submission, Submissions
from kiosk.store.tariffs import Tariffs

__all__ = ["Store", "StoreError", "MeterChanged", "NewSubmission", "Submission"]


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.engine = create_sqlite_engine(path)
        self.directory = Directory(self.engine)
        self.submissions = Submissions(self.engine)
        self.outbox = Outbox(self.engine)
        self.events = EventLog(self.engine)
        self.service = ServiceState(self.engine)
        self.commands = CommandLog(self.engine)
        self.staff_calls = StaffCalls(self.engine)
        self.paper = PaperCounter(self.engine)
        self.tariffs = Tariffs(self.engine)

    @classmethod
    def open(cls, path: Path | str, *, migrate: bool = True) -> "Store":
        path = Path(path)
        try:
            create_directory_durably(path.parent)
        except OSError as exc:
            raise StoreError(f"cannot create the data directory {path.parent}: {exc.strerror}", exc) from None
        store = cls(path)
        if migrate:
            try:
                store.upgrade()
            except DBAPIError as exc:
                store.close()
                raise StoreError(f"cannot open the database {path}: {exc.orig}", exc) from None
        return store

    def upgrade(self) -> tuple[str | None, str]:
        return upgrade(self.engine)

    def close(self) -> None:
        self.engine.dispose()
