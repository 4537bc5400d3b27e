"""Terminals can be disabled; a meter's last reading keeps its full time and terminal sequence.

Revision ID: office_0002
Revises: office_0001

A meter read before this revision has only its last reading's date: the next reading on a later
day replaces it as before, and from then on readings are ordered by their full time.
"""

import sqlalchemy as sa
from alembic import op

revision = "office_0002"
down_revision = "office_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("office_terminals", sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()))
    op.add_column("office_meters", sa.Column("last_taken_at", sa.DateTime))
    op.add_column("office_meters", sa.Column("last_seq", sa.BigInteger))


def downgrade() -> None:
    with op.batch_alter_table("office_meters") as batch:
        batch.drop_column("last_seq")
        batch.drop_column("last_taken_at")
    with op.batch_alter_table("office_terminals") as batch:
        batch.drop_column("enabled")
