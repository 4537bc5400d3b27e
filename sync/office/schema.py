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
    # Billing's counter: every stored submission takes the next number, under the same row lock,
    # so an export that has seen number N has seen every submission up to N.
    Column("export_seq", BigInteger, nullable=False, server_default="0"),
    # The highest cursor billing has asked to export after: what it has taken for certain.
    Column("billing_cursor", BigInteger, nullable=False, server_default="0"),
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
    # The terminal's clock minus the office's at the last heartbeat (its signed timestamp).
    Column("clock_skew_s", Float),
    # The roll as the last heartbeat counted it: the next one's paper use is the difference.
    Column("paper_used_m", Float),
    Column("paper_loaded_at", DateTime),
    Column("place", String(200)),  # where it stands, as operators name it ("Branch 3, hall")
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
    # Billing's cursor (office_state.export_seq): taken in the storing transaction, so numbers
    # become visible in order. Taken again when a conflict is resolved for the incoming content.
    Column("export_seq", BigInteger, nullable=False),
    Index("ix_office_submissions_received_at", "received_at"),
    Index("ix_office_submissions_export_seq", "export_seq", unique=True),
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
    # A person's decision: "stored" (nothing changes) or "incoming" (it replaces the stored one).
    Column("resolved_at", DateTime),
    Column("resolved_by", String(200)),
    Column("kept", String(8)),
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


# --- the fleet (sync/office/fleet.py) ---------------------------------------------------------

# One row per heartbeat, kept [office] heartbeat_days: what the terminal page charts.
heartbeats = Table(
    "office_heartbeats",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("terminal_id", String(64), nullable=False),
    Column("received_at", DateTime, nullable=False),
    Column("queue_depth", Integer, nullable=False),
    Column("oldest_pending_age", Float),
    Column("paper", String(10), nullable=False),  # ok, near_end, out, unknown
    Column("paper_used_m", Float),
    Column("paper_length_m", Float),
    Column("worst_level", String(6)),  # of its subsystems: green, yellow, red; null when none sent
    Column("out_of_service", Boolean, nullable=False),
    Column("clock_skew_s", Float),
    Index("ix_office_heartbeats_terminal_at", "terminal_id", "received_at"),
    Index("ix_office_heartbeats_received_at", "received_at"),
)

# Paper printed per terminal and UTC day, summed from heartbeats: the forecast's rate in one
# small query for the whole fleet.
paper_days = Table(
    "office_paper_days",
    metadata,
    Column("terminal_id", String(64), nullable=False),
    Column("day", Date, nullable=False),
    Column("used_m", Float, nullable=False),
    Column("first_at", DateTime, nullable=False),  # the first heartbeat that counted on that day
    PrimaryKeyConstraint("terminal_id", "day", name="pk_office_paper_days"),
)

# «Позвать сотрудника»: open until an operator acknowledges it.
staff_calls = Table(
    "office_staff_calls",
    metadata,
    Column("id", String(36), primary_key=True),  # the terminal's UUID: each call is kept once
    Column("terminal_id", String(64), nullable=False),
    Column("at", DateTime, nullable=False),  # the terminal's time, UTC
    Column("reference", String(200), nullable=False),
    Column("received_at", DateTime, nullable=False),
    Column("acknowledged_at", DateTime),
    Column("acknowledged_by", String(200)),
    Index("ix_office_staff_calls_open", "acknowledged_at", "terminal_id"),
)

# Operators' orders to terminals, carried in heartbeat answers (sync/PROTOCOL.md).
commands = Table(
    "office_commands",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("terminal_id", String(64), nullable=False),
    Column("action", String(20), nullable=False),
    Column("operator", String(200), nullable=False),
    Column("issued_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("reason", String(200)),
    Column("lines", Integer),
    Column("state", String(8), nullable=False),  # pending, sent, done, failed, expired
    Column("sent_at", DateTime),  # first sent in a heartbeat's answer
    Column("finished_at", DateTime),  # the terminal's time of its result, UTC
    Column("detail", String(200)),
    Column("output", Text),  # upload_logs' masked lines, JSON
    Index("ix_office_commands_terminal_state", "terminal_id", "state"),
)

# Every operator action, with who and when; written in the transaction of the action itself.
audit = Table(
    "office_audit",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(40), nullable=False),
    Column("target", String(200), nullable=False),
    Column("detail", Text, nullable=False),
    Index("ix_office_audit_at", "at"),
    Index("ix_office_audit_target", "target", "at"),
)

# The people who use the office's pages. ``name`` is what the audit log and the terminals' logs
# show; ``session_version`` goes into every session cookie, so a new password or a disabled
# account ends the sessions already handed out.
operators = Table(
    "office_operators",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("role", String(16), nullable=False),  # viewer, operator, admin
    Column("password_hash", String(200), nullable=False),  # Argon2id, in its own encoded form
    Column("enabled", Boolean, nullable=False, server_default=true()),
    Column("created_at", DateTime, nullable=False),
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("locked_until", DateTime),
    Column("session_version", Integer, nullable=False, server_default="1"),
)

# One row: the key that signs session cookies and CSRF tokens, made by the migration, so every
# worker and every instance on the database signs alike and nobody has to configure one.
web_key = Table(
    "office_web_key",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(100), nullable=False),
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
