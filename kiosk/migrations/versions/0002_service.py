"""Service mode: the PIN lock and the out-of-service switch, kept across restarts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("failed_pins", sa.Integer, nullable=False, server_default="0"),
        sa.Column("locked_until", sa.Text),
        sa.Column("out_of_service_since", sa.Text),
        sa.Column("out_of_service_by", sa.Text),
        sa.Column("out_of_service_reason", sa.Text),
        sa.CheckConstraint("id = 1", name="ck_service_state_single_row"),
    )


def downgrade() -> None:
    op.drop_table("service_state")
