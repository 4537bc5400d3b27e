"""The office's commands carried out (each once), customers' calls for staff until the office
has them, and the paper roll in the printer as counted slip by slip.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "office_commands",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),  # the office's number
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("operator", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("claimed_by", sa.Text),
        sa.Column("started_at", sa.Text, nullable=False),
        sa.Column("finished_at", sa.Text),
        sa.Column("detail", sa.Text),
        sa.Column("output", sa.Text, nullable=False, server_default="[]"),
        sa.Column("reported_at", sa.Text),
        sa.CheckConstraint("state IN ('started', 'done', 'failed')", name="ck_office_commands_state"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "staff_calls",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("at", sa.Text, nullable=False),
        sa.Column("reference", sa.Text, nullable=False),
        sa.Column("delivered_at", sa.Text),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "paper_roll",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("length_mm", sa.Integer, nullable=False),
        sa.Column("used_mm", sa.Float, nullable=False, server_default="0"),
        sa.Column("slips", sa.Integer, nullable=False, server_default="0"),
        sa.Column("loaded_at", sa.Text),
        sa.CheckConstraint("id = 1", name="ck_paper_roll_single_row"),
    )


def downgrade() -> None:
    op.drop_table("paper_roll")
    op.drop_table("staff_calls")
    op.drop_table("office_commands")
