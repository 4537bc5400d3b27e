"""Alembic environment for the terminal's database.

The store runs migrations itself (``kiosk db upgrade`` and at every start) and hands its own
connection over in ``config.attributes["connection"]``, so the pragmas it sets apply.
"""

from alembic import context

from kiosk.store.schema import metadata

connection = context.config.attributes["connection"]
# render_as_batch: SQLite cannot ALTER most things, so later migrations copy-and-move tables.
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
