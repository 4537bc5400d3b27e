"""The office's first schema: terminals, nonces, submissions, conflicts, meters.

Revision ID: office_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "office_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "office_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("change_seq", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(sa.table("office_state", sa.column("id"), sa.column("change_seq")),
                   [{"id": 1, "change_seq": 0}])
    op.create_table(
        "office_terminals",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("secret", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("last_seen_at", sa.DateTime),
        sa.Column("heartbeat_at", sa.DateTime),
        sa.Column("heartbeat", sa.Text),
    )
    op.create_table(
        "office_nonces",
        sa.Column("terminal_id", sa.String(64), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("seen_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("terminal_id", "nonce", name="pk_office_nonces"),
    )
    op.create_index("ix_office_nonces_seen_at", "office_nonces", ["seen_at"])
    op.create_table(
        "office_submissions",
        sa.Column("txn_id", sa.String(36), primary_key=True),
        sa.Column("terminal_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("account", sa.String(20), nullable=False),
        sa.Column("meter", sa.String(32), nullable=False),
        sa.Column("taken_at", sa.String(40), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("received_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_office_submissions_received_at", "office_submissions", ["received_at"])
    op.create_index("ix_office_submissions_terminal", "office_submissions", ["terminal_id", "seq"])
    op.create_table(
        "office_conflicts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("txn_id", sa.String(36), nullable=False),
        sa.Column("terminal_id", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "office_meters",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("account", sa.String(20), nullable=False),
        sa.Column("serial", sa.String(32), nullable=False),
        sa.Column("zones", sa.SmallInteger, nullable=False),
        sa.Column("digits", sa.SmallInteger, nullable=False),
        sa.Column("meanings", sa.String(40), nullable=False),
        sa.Column("last_date", sa.Date),
        sa.Column("last_t1", sa.BigInteger),
        sa.Column("last_t2", sa.BigInteger),
        sa.Column("last_t3", sa.BigInteger),
        sa.Column("avg_kwh", sa.Integer),
        sa.Column("max_kwh", sa.Integer),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("window_start", sa.SmallInteger),
        sa.Column("window_end", sa.SmallInteger),
        sa.Column("removed", sa.Boolean, nullable=False),
        sa.Column("change_seq", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("account", "serial", name="uq_office_meters_account_serial"),
    )
    op.create_index("ix_office_meters_change_seq", "office_meters", ["change_seq"], unique=True)


def downgrade() -> None:
    for table in ("office_meters", "office_conflicts", "office_submissions", "office_nonces",
                  "office_terminals", "office_state"):
        op.drop_table(table)
