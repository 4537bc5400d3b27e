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


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to the newest migration; returns (revision before, revision after)."""
    # Alembic is imported here, not at the top: commands that never open the store start faster.
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        before = MigrationContext.configure(connection).get_current_revision()
        command.upgrade(_alembic_config(connection), "head")
        connection.commit()
        after = MigrationContext.configure(connection).get_current_revision()
    return before, after or ""


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS))
    return script.get_current_head() or ""
