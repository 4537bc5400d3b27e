"""The fleet: heartbeat history, paper use per day, staff calls, commands, the audit log;
billing's export cursor; conflicts can be resolved.

Revision ID: office_0003
Revises: office_0002

Submissions stored before this revision are numbered for billing's cursor in the order they
were received (then terminal, sequence number, txn_id), so a first export from cursor 0 hands
them all on in that order.
"""

import sqlalchemy as sa
from alembic import op

revision = "office_0003"
down_revision = "office_0002"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("office_state") as batch:
        batch.add_column(sa.Column("export_seq", sa.BigInteger, nullable=False, server_default="0"))
        batch.add_column(sa.Column("billing_cursor", sa.BigInteger, nullable=False, server_default="0"))
    with op.batch_alter_table("office_terminals") as batch:
        batch.add_column(sa.Column("clock_skew_s", sa.Float))
        batch.add_column(sa.Column("paper_used_m", sa.Float))
        batch.add_column(sa.Column("paper_loaded_at", sa.DateTime))
    with op.batch_alter_table("office_conflicts") as batch:
        batch.add_column(sa.Column("resolved_at", sa.DateTime))
        batch.add_column(sa.Column("resolved_by", sa.String(200)))
        batch.add_column(sa.Column("kept", sa.String(8)))

    op.add_column("office_submissions", sa.Column("export_seq", sa.BigInteger))
    # UPDATE … FROM: PostgreSQL, and SQLite since 3.33
    op.execute(
        "UPDATE office_submissions SET export_seq = numbered.n FROM ("
        "SELECT txn_id, row_number() OVER (ORDER BY received_at, terminal_id, seq, txn_id) AS n "
        "FROM office_submissions) AS numbered WHERE office_submissions.txn_id = numbered.txn_id")
    op.execute("UPDATE office_state SET export_seq = (SELECT count(*) FROM office_submissions)")
    with op.batch_alter_table("office_submissions") as batch:
        batch.alter_column("export_seq", existing_type=sa.BigInteger, nullable=False)
    op.create_index("ix_office_submissions_export_seq", "office_submissions", ["export_seq"], unique=True)

    op.create_table(
        "office_heartbeats",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("terminal_id", sa.String(64), nullable=False),
        sa.Column("received_at", sa.DateTime, nullable=False),
        sa.Column("queue_depth", sa.Integer, nullable=False),
        sa.Column("oldest_pending_age", sa.Float),
        sa.Column("paper", sa.String(10), nullable=False),
        sa.Column("paper_used_m", sa.Float),
        sa.Column("paper_length_m", sa.Float),
        sa.Column("worst_level", sa.String(6)),
        sa.Column("out_of_service", sa.Boolean, nullable=False),
        sa.Column("clock_skew_s", sa.Float),
    )
    op.create_index("ix_office_heartbeats_terminal_at", "office_heartbeats", ["terminal_id", "received_at"])
    op.create_index("ix_office_heartbeats_received_at", "office_heartbeats", ["received_at"])
    op.create_table(
        "office_paper_days",
        sa.Column("terminal_id", sa.String(64), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("used_m", sa.Float, nullable=False),
        sa.Column("first_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("terminal_id", "day", name="pk_office_paper_days"),
    )
    op.create_table(
        "office_staff_calls",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("terminal_id", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("received_at", sa.DateTime, nullable=False),
        sa.Column("acknowledged_at", sa.DateTime),
        sa.Column("acknowledged_by", sa.String(200)),
    )
    op.create_index("ix_office_staff_calls_open", "office_staff_calls", ["acknowledged_at", "terminal_id"])
    op.create_table(
        "office_commands",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("terminal_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("operator", sa.String(200), nullable=False),
        sa.Column("issued_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("reason", sa.String(200)),
        sa.Column("lines", sa.Integer),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("sent_at", sa.DateTime),
        sa.Column("finished_at", sa.DateTime),
        sa.Column("detail", sa.String(200)),
        sa.Column("output", sa.Text),
    )
    op.create_index("ix_office_commands_terminal_state", "office_commands", ["terminal_id", "state"])
    op.create_table(
        "office_audit",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_index("ix_office_audit_at", "office_audit", ["at"])
    op.create_index("ix_office_audit_target", "office_audit", ["target", "at"])


def downgrade() -> None:
    for table in ("office_audit", "office_commands", "office_staff_calls", "office_paper_days", "office_heartbeats"):
        op.drop_table(table)
    op.drop_index("ix_office_submissions_export_seq", "office_submissions")
    with op.batch_alter_table("office_submissions") as batch:
        batch.drop_column("export_seq")
    with op.batch_alter_table("office_conflicts") as batch:
        for column in ("kept", "resolved_by", "resolved_at"):
            batch.drop_column(column)
    with op.batch_alter_table("office_terminals") as batch:
        for column in ("paper_loaded_at", "paper_used_m", "clock_skew_s"):
            batch.drop_column(column)
    with op.batch_alter_table("office_state") as batch:
        batch.drop_column("billing_cursor")
        batch.drop_column("export_seq")
