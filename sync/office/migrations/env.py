"""Alembic environment for the office database; run programmatically by ``database.upgrade``."""

from alembic import context

from sync.office.database import VERSION_TABLE
from sync.office.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, version_table=VERSION_TABLE,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
