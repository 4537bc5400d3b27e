"""Tariffs and consumption history: the prices per kWh, each meter's tariff and last billed periods.

Revision ID: office_0005
Revises: office_0004
"""

import sqlalchemy as sa
from alembic import op

revision = "office_0005"
down_revision = "office_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("office_meters", sa.Column("tariff", sa.String(40)))
    op.add_column("office_meters", sa.Column("history", sa.Text))
    op.create_table(
        "office_tariff_prices",
        sa.Column("tariff", sa.String(40), nullable=False),
        sa.Column("zone", sa.String(10), nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("price", sa.Numeric(8, 4), nullable=False),
        sa.PrimaryKeyConstraint("tariff", "zone", "valid_from", name="pk_office_tariff_prices"),
    )


def downgrade() -> None:
    op.drop_table("office_tariff_prices")
    with op.batch_alter_table("office_meters") as batch:
        batch.drop_column("history")
        batch.drop_column("tariff")
