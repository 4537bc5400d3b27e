"""Office databases for the sync tests: SQLite always, PostgreSQL when one answers.

PostgreSQL comes from ``OFFICE_TEST_PG_URL`` or, failing that, the CI server at
127.0.0.1:5432. Each test gets its own schema there, dropped afterwards, so runs in parallel
(xdist, or other people's) never see each other's rows.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import Engine, create_engine, make_url, text

from kiosk.store import Store
from sync.office.database import migrate, normalise_url, open_engine

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
_pg_problem: str | None = None
_pg_checked = False


def pg_url() -> str:
    return normalise_url(os.environ.get("OFFICE_TEST_PG_URL") or DEFAULT_PG_URL)


def pg_unavailable() -> str | None:
    """Why PostgreSQL cannot be used here, or None; asked once per run."""
    global _pg_checked, _pg_problem
    if not _pg_checked:
        _pg_checked = True
        try:
            engine = create_engine(pg_url(), connect_args={"connect_timeout": 3})
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            engine.dispose()
        except Exception as exc:  # any reason at all is a reason to skip, stated
            _pg_problem = f"PostgreSQL not reachable at {pg_url()} ({type(exc).__name__}: {str(exc).splitlines()[0][:120]})"
    return _pg_problem


def _ram_folder(tmp_path: Path) -> Path:
    """A RAM disk when there is one: fsyncs are the slowest part of these tests and not their
    subject (the databases are still real files, in WAL mode, with synchronous=FULL)."""
    shm = Path("/dev/shm")
    if not shm.is_dir():
        return tmp_path
    folder = shm / f"kiosk-sync-test-{uuid.uuid4().hex}"
    folder.mkdir()
    return folder


@pytest.fixture
def ram_folder(tmp_path: Path) -> Iterator[Path]:
    folder = _ram_folder(tmp_path)
    yield folder
    if folder != tmp_path:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def office_engine(request: pytest.FixtureRequest, ram_folder: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = open_engine(str(ram_folder / "office.sqlite3"))
        migrate(engine)
        yield engine
        engine.dispose()
        return
    problem = pg_unavailable()
    if problem:
        pytest.skip(problem)
    schema = f"office_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_url())
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = open_engine(pg_url(), connect_args={"options": f"-csearch_path={schema}"})
    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def sqlite_office(ram_folder: Path) -> Iterator[Engine]:
    engine = open_engine(str(ram_folder / "office.sqlite3"))
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def kiosk_store(ram_folder: Path) -> Iterator[Store]:
    """The terminal's real store."""
    store = Store.open(ram_folder / "kiosk.sqlite3")
    yield store
    store.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def office_url(request: pytest.FixtureRequest, ram_folder: Path) -> Iterator[str]:
    """An empty office database, as a URL for ``kiosk office … --db`` in another process."""
    if request.param == "sqlite":
        yield f"sqlite:///{ram_folder / 'office.sqlite3'}"
        return
    problem = pg_unavailable()
    if problem:
        pytest.skip(problem)
    yield from _pg_schema_url()


@pytest.fixture
def pg_office_url() -> Iterator[str]:
    """As office_url, on PostgreSQL only (skipped, with the reason, when it does not answer)."""
    problem = pg_unavailable()
    if problem:
        pytest.skip(problem)
    yield from _pg_schema_url()


def _pg_schema_url() -> Iterator[str]:
    schema = f"office_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_url())
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        # psycopg takes libpq's options from the URL's query: every connection works in the schema
        yield make_url(pg_url()).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
