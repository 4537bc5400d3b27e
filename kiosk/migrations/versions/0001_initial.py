"""The directory, submissions with their outbox, and the event log.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("number", sa.Text, primary_key=True),
        sa.Column("holder", sa.Text, nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "meters",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account", sa.Text, sa.ForeignKey("accounts.number", ondelete="CASCADE"), nullable=False),
        sa.Column("serial", sa.Text, nullable=False),
        sa.Column("digits", sa.Integer, nullable=False),
        sa.Column("zones", sa.Integer, nullable=False),
        sa.Column("meanings", sa.Text, nullable=False),
        sa.Column("last_date", sa.Text),
        sa.Column("last_t1", sa.Integer),
        sa.Column("last_t2", sa.Integer),
        sa.Column("last_t3", sa.Integer),
        sa.Column("avg_kwh", sa.Integer),
        sa.Column("max_kwh", sa.Integer),
        sa.Column("window_start", sa.Integer),
        sa.Column("window_end", sa.Integer),
        sa.UniqueConstraint("account", "serial", name="uq_meters_account_serial"),
        sa.CheckConstraint("zones BETWEEN 1 AND 3", name="ck_meters_zones"),
        sa.CheckConstraint("digits BETWEEN 1 AND 12", name="ck_meters_digits"),
    )
    op.create_table(
        "directory_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.Text),
        sa.CheckConstraint("id = 1", name="ck_directory_state_single_row"),
    )
    op.create_table(
        "submissions",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("txn_id", sa.Text, nullable=False, unique=True),
        sa.Column("terminal_id", sa.Text, nullable=False),
        sa.Column("account", sa.Text, nullable=False),
        sa.Column("meter", sa.Text, nullable=False),
        sa.Column("zones", sa.Integer, nullable=False),
        sa.Column("meanings", sa.Text, nullable=False),
        sa.Column("value_t1", sa.Integer, nullable=False),
        sa.Column("value_t2", sa.Integer),
        sa.Column("value_t3", sa.Integer),
        sa.Column("previous_t1", sa.Integer),
        sa.Column("previous_t2", sa.Integer),
        sa.Column("previous_t3", sa.Integer),
        sa.Column("consumption_t1", sa.Integer),
        sa.Column("consumption_t2", sa.Integer),
        sa.Column("consumption_t3", sa.Integer),
        sa.Column("total", sa.Integer),
        sa.Column("confirmed", sa.Text, nullable=False),
        sa.Column("notices", sa.Text, nullable=False),
        sa.Column("taken_at", sa.Text, nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("print_state", sa.Text, nullable=False),
        sa.Column("print_reason", sa.Text),
        sa.Column("printed_at", sa.Text),
        sa.Column("print_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("sync_state", sa.Text, nullable=False),
        sa.Column("sync_code", sa.Text),
        sa.Column("sync_message", sa.Text),
        sa.Column("synced_at", sa.Text),
        sa.CheckConstraint("print_state IN ('pending', 'printed', 'failed')", name="ck_submissions_print_state"),
        sa.CheckConstraint(
            "sync_state IN ('pending', 'delivered', 'rejected', 'conflict')", name="ck_submissions_sync_state"
        ),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "outbox",
        sa.Column("seq", sa.Integer, sa.ForeignKey("submissions.seq"), primary_key=True),
        sa.Column("enqueued_at", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("role", sa.Text),
        sa.Column("detail", sa.Text, nullable=False),
        sqlite_autoincrement=True,
    )
    # The event log is evidence for technicians and the office: nothing may rewrite it.
    op.execute(
        "CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
        "BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END"
    )
    op.execute(
        "CREATE TRIGGER events_no_delete BEFORE DELETE ON events "
        "BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END"
    )


def downgrade() -> None:
    for table in ("events", "outbox", "submissions", "directory_state", "meters", "accounts"):
        op.drop_table(table)
