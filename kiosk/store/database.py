"""Opening the terminal's SQLite database durably, and migrating it.

Every connection runs in WAL mode with ``synchronous=FULL`` (a commit that returned survives a
power cut), foreign keys on, and a busy timeout so the uploader thread and the customer's
journey wait for each other briefly instead of failing. Transactions that write start with
``BEGIN IMMEDIATE``: they take the write lock at once, so two writers never deadlock on a lock
upgrade, while readers keep plain deferred transactions and never block in WAL mode.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path
from typing import Iterator

from sqlalchemy import Connection, Engine, create_engine

from sync.sqlite import configure_sqlite

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
BUSY_TIMEOUT_MS = 5000
# The newest migration's revision. A terminal starts on a database that is there already, and
# with this it knows so without Alembic: importing Alembic and reading every migration script
# cost 90 ms of each start and 13 MB of the running terminal's memory (the storage health check
# asked for the head too). A new migration changes it; tests/test_store.py holds it to Alembic's.
HEAD_REVISION = "0005"


def create_sqlite_engine(path: Path) -> Engine:
    # check_same_thread off: the pool hands a connection to one thread at a time, and a
    # directory import lets a helper thread write on the importing connection.
    # hide_parameters: an error's text names the statement but never its values (accounts,
    # readings), so no customer data reaches the log through a database error.
    engine = create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False}, hide_parameters=True)
    configure_sqlite(engine, busy_timeout_ms=BUSY_TIMEOUT_MS, foreign_keys=True)
    return engine


def create_directory_durably(folder: Path) -> None:
    """Create a folder and its missing parents, each name fsynced into its parent directory.

    SQLite fsyncs the database's own folder, never the folders above it: on a file system that
    keeps only what was fsynced, a power cut soon after the first start would take the new data
    folder away with the database and every commit in it.
    """
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for new in reversed(missing):
        new.mkdir(exist_ok=True)
        descriptor = os.open(new.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(descriptor)
        except OSError as exc:
            if exc.errno != errno.EINVAL:  # a file system that cannot sync a directory at all
                raise
        finally:
            os.close(descriptor)


@contextlib.contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction: committed when the block ends, rolled back if it raises."""
    with engine.connect().execution_options(immediate=True) as connection:
        with connection.begin():
            yield connection


def _alembic_config(connection: Connection):
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def current_revision(connection: Connection) -> str | None:
    """The migration the database is at (Alembic's version table); None for a new database."""
    versioned = connection.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'").scalar()
    return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() if versioned else None


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to the newest migration; returns (revision before, revision after)."""
    with engine.connect() as connection:
        before = current_revision(connection)
    if before == HEAD_REVISION:
        return before, before  # Alembic would find nothing to do
    # Alembic is imported only here: a start on a current database never needs it.
    from alembic import command

    with engine.connect() as connection:
        command.upgrade(_alembic_config(connection), "head")
        connection.commit()
        after = current_revision(connection)
    return before, after or ""


def head_revision() -> str:
    return HEAD_REVISION
