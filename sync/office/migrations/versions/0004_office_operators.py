"""Operators who sign in to the office's pages, the key that signs their sessions, and each
terminal's place.

Revision ID: office_0004
Revises: office_0003
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "office_0004"
down_revision = "office_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("office_terminals", sa.Column("place", sa.String(200)))
    op.create_table(
        "office_operators",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"),
        sa.Column("locked_until", sa.DateTime),
        sa.Column("session_version", sa.Integer, nullable=False, server_default="1"),
    )
    op.create_table(
        "office_web_key",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(100), nullable=False),
    )
    op.bulk_insert(sa.table("office_web_key", sa.column("id"), sa.column("key")),
                   [{"id": 1, "key": secrets.token_urlsafe(48)}])


def downgrade() -> None:
    op.drop_table("office_web_key")
    op.drop_table("office_operators")
    with op.batch_alter_table("office_terminals") as batch:
        batch.drop_column("place")
