"""Kiosk printers with a presenter: whether the customer took the slip or the printer pulled it
back, on the submission.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL on every row so far: no presenter, or printed before it was followed.
    op.add_column("submissions", sa.Column("slip_pickup", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("slip_pickup")
