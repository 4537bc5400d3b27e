"""Opening the office's database by URL; migrating it (``kiosk office migrate``, nothing else).

Only ``migrate`` changes the schema, under a lock, so several instances starting at once
migrate it once; everything else checks the schema first and stops with a message naming the
command when it is not the newest (``check_schema``).

SQLite (the default) runs in WAL mode with ``synchronous=FULL``: an "accepted" answer makes the
terminal forget its copy, so the row must survive a power cut. Writers take the lock at once
(``BEGIN IMMEDIATE``) and wait for each other up to a busy timeout instead of failing.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Iterator

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, make_url, text
from sqlalchemy.exc import ArgumentError

from sync.office.settings import DEFAULT_POOL_SIZE
from sync.sqlite import configure_sqlite

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "office_alembic_version"
SQLITE_BUSY_TIMEOUT_S = 30
# Any number will do as long as it is always the same: every instance asks for this one lock.
_MIGRATION_LOCK = 0x6B696F736B  # "kiosk"


class DatabaseUrlError(ValueError):
    pass


class SchemaNotCurrent(Exception):
    """The database is empty or older (or newer) than this release's schema."""


def normalise_url(url: str) -> str:
    """Accept a plain file path for SQLite, and ``postgresql://`` for the psycopg 3 driver."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser()}"
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUrlError(f"not a database URL: {url!r} ({exc})") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseUrlError(f"unsupported database {parsed.get_backend_name()!r}: use SQLite or PostgreSQL")
    return parsed.render_as_string(hide_password=False)


def open_engine(url: str, *, pool_size: int = DEFAULT_POOL_SIZE, create: bool = True,
                **engine_options: object) -> Engine:
    """Database errors name no parameters (``hide_parameters``): those are accounts and readings,
    and an error's text ends up in the log.

    ``create=False``: a SQLite file that does not exist is SchemaNotCurrent, not a new empty file."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = make_url(url).database
        if not create and path and path != ":memory:" and not path.startswith("file:") and not os.path.exists(path):
            raise SchemaNotCurrent(f"there is no database file {path}: run `kiosk office migrate --db URL` first")
        _create_private(path)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
                               hide_parameters=True, **engine_options)
        configure_sqlite(engine)
    else:
        engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True,
                               hide_parameters=True, **engine_options)
    return engine


def _create_private(path: str | None) -> None:
    """A new SQLite file is made readable by its owner only, whatever the umask: it will hold
    every terminal's secret. SQLite gives its -wal and -shm files the same mode."""
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.fchmod(descriptor, 0o600)  # the umask may have taken bits off; never adds any
    os.close(descriptor)


def make_private(engine: Engine) -> bool:
    """Narrow an existing SQLite file (and its -wal, -shm) to mode 0600 before a secret goes into
    it; True when a mode was changed. A server database's access is the server's business."""
    path = engine.url.database if is_sqlite(engine) else None
    if not path or path == ":memory:":
        return False
    changed = False
    for name in (path, f"{path}-wal", f"{path}-shm"):
        try:
            mode = os.stat(name).st_mode & 0o777
        except FileNotFoundError:
            continue
        if mode != 0o600:
            os.chmod(name, 0o600)
            changed = True
    return changed


@contextlib.contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction: committed on leaving, rolled back on an exception."""
    with engine.connect() as connection:
        connection.execution_options(immediate=True)
        with connection.begin():
            yield connection


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def migrate(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to this release's newest revision; returns (revision before, after).

    The whole migration is one transaction that first takes a lock every instance asks for: a
    PostgreSQL advisory lock, or SQLite's write lock (``BEGIN IMMEDIATE``). A second instance
    starting at the same moment waits, then finds the schema current and does nothing."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as connection:
        connection.execution_options(immediate=True)
        with connection.begin():
            if not is_sqlite(engine):
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            before = _current_revision(connection)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            after = _current_revision(connection)
    return before, after or ""


def head_revision() -> str:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head() or ""


def check_schema(engine: Engine) -> None:
    """Raise SchemaNotCurrent unless the database is at this release's newest revision."""
    with engine.connect() as connection:
        current = _current_revision(connection)
    head = head_revision()
    if current != head:
        found = f"schema {current}" if current else "no office schema"
        raise SchemaNotCurrent(f"the database has {found}, this release needs {head}: "
                               f"run `kiosk office migrate --db URL` first")


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE}).get_current_revision()
