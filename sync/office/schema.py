"""The office's tables (SQLAlchemy Core). Alembic migrations in ``migrations/`` own the schema.

Every name carries an ``office_`` prefix, so the office can share a PostgreSQL database with
other applications (billing, usually) without a clash.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)

metadata = MetaData()

# One row: the directory's change counter. Every change to a meter takes the next number, and the
# transaction holds this row locked until it commits, so numbers become visible in order and a
# terminal that has seen number N has seen every change up to N.
state = Table(
    "office_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("change_seq", BigInteger, nullable=False),
)

terminals = Table(
    "office_terminals",
    metadata,
    Column("id", String(64), primary_key=True),
    # Kept as is: the office recomputes each request's HMAC, which needs the secret itself.
    Column("secret", String(100), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("last_seen_at", DateTime),
    # A disabled terminal's requests are refused (401 terminal_disabled); its rows stay.
    Column("enabled", Boolean, nullable=False, server_default=true()),
    Column("heartbeat_at", DateTime),
    Column("heartbeat", Text),  # the last heartbeat as JSON
)

# Nonces seen inside the clock window; a second request with the same one is a replay.
nonces = Table(
    "office_nonces",
    metadata,
    Column("terminal_id", String(64), nullable=False),
    Column("nonce", String(64), nullable=False),
    Column("seen_at", Float, nullable=False),
    PrimaryKeyConstraint("terminal_id", "nonce", name="pk_office_nonces"),
    Index("ix_office_nonces_seen_at", "seen_at"),
)

submissions = Table(
    "office_submissions",
    metadata,
    Column("txn_id", String(36), primary_key=True),
    Column("terminal_id", String(64), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("account", String(20), nullable=False),
    Column("meter", String(32), nullable=False),
    Column("taken_at", String(40), nullable=False),
    Column("period", String(7), nullable=False),
    Column("payload", Text, nullable=False),  # exactly what was accepted, canonical JSON
    Column("content_hash", String(64), nullable=False),
    Column("received_at", DateTime, nullable=False),  # UTC
    Index("ix_office_submissions_received_at", "received_at"),
    Index("ix_office_submissions_terminal", "terminal_id", "seq"),
)

# A txn_id sent again with other content: kept for a person to look at, never applied.
conflicts = Table(
    "office_conflicts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("txn_id", String(36), nullable=False),
    Column("terminal_id", String(64), nullable=False),
    Column("payload", Text, nullable=False),
    Column("received_at", DateTime, nullable=False),
)

# One row per meter, as in the directory file. A removed meter stays as a tombstone with its own
# change number, so a terminal learns of the removal.
meters = Table(
    "office_meters",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account", String(20), nullable=False),
    Column("serial", String(32), nullable=False),
    Column("zones", SmallInteger, nullable=False),
    Column("digits", SmallInteger, nullable=False),
    Column("meanings", String(40), nullable=False),  # "day,night"
    Column("last_date", Date),
    Column("last_t1", BigInteger),
    Column("last_t2", BigInteger),
    Column("last_t3", BigInteger),
    # The last reading accepted by the office: its time (UTC) and the terminal's sequence number,
    # which order two readings of one meter. Null while the last reading is the directory file's.
    Column("last_taken_at", DateTime),
    Column("last_seq", BigInteger),
    Column("avg_kwh", Integer),
    Column("max_kwh", Integer),
    Column("holder", String(200), nullable=False),
    Column("address", String(200), nullable=False),
    Column("window_start", SmallInteger),
    Column("window_end", SmallInteger),
    Column("removed", Boolean, nullable=False),
    Column("change_seq", BigInteger, nullable=False),
    Column("tariff", String(40)),  # the code of its prices in office_tariff_prices; null: none
    # The last billed periods in the protocol's compact form ("2025-12|150,62|138,58",
    # sync.history_file.HISTORY_TEXT): the database puts it into directory pages as it is.
    Column("history", Text),
    UniqueConstraint("account", "serial", name="uq_office_meters_account_serial"),
    Index("ix_office_meters_change_seq", "change_seq", unique=True),
)

# Every price of every tariff, as the tariff file gives them; the one in force on a day is the
# latest valid_from not after it.
tariff_prices = Table(
    "office_tariff_prices",
    metadata,
    Column("tariff", String(40), nullable=False),
    Column("zone", String(10), nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("price", Numeric(8, 4), nullable=False),
    PrimaryKeyConstraint("tariff", "zone", "valid_from", name="pk_office_tariff_prices"),
)
