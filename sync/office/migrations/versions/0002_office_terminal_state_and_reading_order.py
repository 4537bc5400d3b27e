"""Terminals can be disabled; a meter's last reading keeps its full time and terminal sequence.

Revision ID: office_0002
Revises: office_0001

A meter read before this revision has only its last reading's date: the next reading on a later
day replaces it as before, and from then on readings are ordered by their full time. A meter
whose last reading is dated in the future (an upload from a terminal with a wrong clock froze
it: later readings never replaced it) gets back its latest reading that is not, or none.
"""

import json
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import op

revision = "office_0002"
down_revision = "office_0001"
branch_labels = None
depends_on = None

# As the office's own bound on taken_at (sync.office.settings.DEFAULT_MAX_CLOCK_SKEW), fixed here:
# a migration must do the same thing whenever it runs.
_SKEW = timedelta(days=1)

_meters = sa.table(
    "office_meters", sa.column("id", sa.Integer), sa.column("account", sa.String), sa.column("serial", sa.String),
    sa.column("last_date", sa.Date), sa.column("last_t1", sa.BigInteger), sa.column("last_t2", sa.BigInteger),
    sa.column("last_t3", sa.BigInteger), sa.column("last_taken_at", sa.DateTime),
    sa.column("last_seq", sa.BigInteger), sa.column("change_seq", sa.BigInteger),
)
_submissions = sa.table("office_submissions", sa.column("account", sa.String), sa.column("meter", sa.String),
                        sa.column("payload", sa.Text))
_state = sa.table("office_state", sa.column("id", sa.Integer), sa.column("change_seq", sa.BigInteger))


def upgrade() -> None:
    op.add_column("office_terminals", sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()))
    op.add_column("office_meters", sa.Column("last_taken_at", sa.DateTime))
    op.add_column("office_meters", sa.Column("last_seq", sa.BigInteger))
    _thaw_frozen_meters(op.get_bind())


def _thaw_frozen_meters(connection: sa.Connection) -> None:
    now = datetime.now(timezone.utc)
    frozen = connection.execute(
        sa.select(_meters.c.id, _meters.c.account, _meters.c.serial)
        .where(_meters.c.last_date > (now + _SKEW).date()).order_by(_meters.c.id)
    ).all()
    if not frozen:
        return
    top = connection.execute(
        sa.update(_state).where(_state.c.id == 1).values(change_seq=_state.c.change_seq + len(frozen))
        .returning(_state.c.change_seq)
    ).scalar_one()
    for number, meter in enumerate(frozen, start=top - len(frozen) + 1):
        latest = None
        for payload in connection.execute(sa.select(_submissions.c.payload).where(
                _submissions.c.account == meter.account, _submissions.c.meter == meter.serial)).scalars():
            item = json.loads(payload)
            taken = datetime.fromisoformat(item["taken_at"])
            if taken <= now + _SKEW and (latest is None or (taken, item["seq"]) > latest[:2]):
                latest = (taken, item["seq"], [reading["value"] for reading in item["readings"]])
        values = {"last_date": None, "last_t1": None, "last_t2": None, "last_t3": None,
                  "last_taken_at": None, "last_seq": None}
        if latest is not None:
            taken, seq, readings = latest
            registers = (readings + [None, None, None])[:3]
            values = {"last_date": taken.date(), "last_t1": registers[0], "last_t2": registers[1],
                      "last_t3": registers[2], "last_taken_at": taken.astimezone(timezone.utc).replace(tzinfo=None),
                      "last_seq": seq}
        connection.execute(sa.update(_meters).where(_meters.c.id == meter.id).values(change_seq=number, **values))


def downgrade() -> None:
    with op.batch_alter_table("office_meters") as batch:
        batch.drop_column("last_seq")
        batch.drop_column("last_taken_at")
    with op.batch_alter_table("office_terminals") as batch:
        batch.drop_column("enabled")
