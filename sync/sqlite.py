"""SQLite the way both the terminal's store and a small office use it: the connection never
starts transactions by itself, every commit is in WAL mode with ``synchronous=FULL`` (a commit
that returned survives a power cut), and a connection opened with the execution option
``immediate=True`` begins with ``BEGIN IMMEDIATE``, taking the write lock at once so two writers
never deadlock on a lock upgrade while readers keep plain deferred transactions.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, event


def configure_sqlite(engine: Engine, *, busy_timeout_ms: int | None = None, foreign_keys: bool = False) -> None:
    """Set the engine's connections up as above; a busy timeout makes a second writer wait for
    the lock instead of failing at once."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below); the driver's own implicit transactions would
        # otherwise start late and always deferred.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if busy_timeout_ms is not None:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        if foreign_keys:
            cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get("immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
