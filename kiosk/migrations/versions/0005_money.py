"""Tariffs and consumption history: each meter's tariff and billed periods, and the prices.

The directory is pulled again from the start, once: the pages this terminal applied so far were
asked for without money, and the office sends a meter again only when it changes, so its
tariff and history would otherwise arrive only with its next change.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("meters", sa.Column("tariff", sa.Text))
    op.add_column("meters", sa.Column("history", sa.Text))
    op.create_table(
        "tariff_prices",
        sa.Column("tariff", sa.Text, nullable=False),
        sa.Column("zone", sa.Text, nullable=False),
        sa.Column("valid_from", sa.Text, nullable=False),
        sa.Column("price", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("tariff", "zone", "valid_from"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "tariff_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.Text),
        sa.Column("updated_at", sa.Text),
        sa.CheckConstraint("id = 1", name="ck_tariff_state_single_row"),
    )
    op.execute("UPDATE directory_state SET version = 0")


def downgrade() -> None:
    op.drop_table("tariff_state")
    op.drop_table("tariff_prices")
    with op.batch_alter_table("meters") as batch:
        batch.drop_column("history")
        batch.drop_column("tariff")
