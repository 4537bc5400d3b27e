"""Tables of the terminal's database (SQLAlchemy Core).

The schema itself is owned by the Alembic migrations in ``kiosk/migrations``; these table
objects describe it for queries, and a test checks that the two agree.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

accounts = Table(
    "accounts",
    metadata,
    Column("number", Text, primary_key=True),  # normalised account number
    Column("holder", Text, nullable=False),  # masked at the office
    Column("address", Text, nullable=False),  # masked at the office
    sqlite_with_rowid=False,
)

# Up to three zones per meter, by the domain's definition, so they live in the meter's row:
# one lookup reads the whole register, and a million-meter import writes one row per meter.
meters = Table(
    "meters",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account", Text, ForeignKey("accounts.number", ondelete="CASCADE"), nullable=False),
    Column("serial", Text, nullable=False),
    Column("digits", Integer, nullable=False),
    Column("zones", Integer, nullable=False),
    Column("meanings", Text, nullable=False),  # "day,night": the meaning of T1, T2, ...
    Column("last_date", Text),  # ISO date of the last accepted reading
    Column("last_t1", Integer),
    Column("last_t2", Integer),
    Column("last_t3", Integer),
    Column("avg_kwh", Integer),
    Column("max_kwh", Integer),
    Column("window_start", Integer),
    Column("window_end", Integer),
    Column("tariff", Text),  # the code of its prices in tariff_prices; NULL: no estimate
    # The office's last billed periods as the office sends them: the first period, then kWh per
    # zone month by month, "2026-09|120,80|131,85" (sync.history_file.HISTORY_TEXT).
    Column("history", Text),
    UniqueConstraint("account", "serial", name="uq_meters_account_serial"),
    CheckConstraint("zones BETWEEN 1 AND 3", name="ck_meters_zones"),
    CheckConstraint("digits BETWEEN 1 AND 12", name="ck_meters_digits"),
)

directory_state = Table(
    "directory_state",
    metadata,
    Column("id", Integer, primary_key=True),  # always 1: a single row
    Column("version", Integer, nullable=False),  # the office's directory version last applied
    Column("updated_at", Text),
    CheckConstraint("id = 1", name="ck_directory_state_single_row"),
)

# Every price of every tariff (``sync.tariff_file``); price as the decimal text it came as, never
# a binary fraction.
tariff_prices = Table(
    "tariff_prices",
    metadata,
    Column("tariff", Text, nullable=False),
    Column("zone", Text, nullable=False),  # a zone meaning: single, day, night, peak, semi_peak
    Column("valid_from", Text, nullable=False),  # ISO date
    Column("price", Text, nullable=False),  # roubles per kWh: "7.0150"
    PrimaryKeyConstraint("tariff", "zone", "valid_from"),
    sqlite_with_rowid=False,
)

tariff_state = Table(
    "tariff_state",
    metadata,
    Column("id", Integer, primary_key=True),  # always 1: a single row
    Column("version", Text),  # the office's version of the prices held; NULL: imported from a file
    Column("updated_at", Text),
    CheckConstraint("id = 1", name="ck_tariff_state_single_row"),
)

# No foreign key to meters: a reading already given must outlive its meter's removal from the
# directory. seq is AUTOINCREMENT so a number, once printed on a slip, is never reused.
submissions = Table(
    "submissions",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("txn_id", Text, nullable=False, unique=True),
    Column("terminal_id", Text, nullable=False),
    Column("account", Text, nullable=False),
    Column("meter", Text, nullable=False),
    Column("zones", Integer, nullable=False),
    Column("meanings", Text, nullable=False),
    Column("value_t1", Integer, nullable=False),
    Column("value_t2", Integer),
    Column("value_t3", Integer),
    Column("previous_t1", Integer),
    Column("previous_t2", Integer),
    Column("previous_t3", Integer),
    Column("consumption_t1", Integer),
    Column("consumption_t2", Integer),
    Column("consumption_t3", Integer),
    Column("total", Integer),
    Column("confirmed", Text, nullable=False),  # JSON list of warning codes the customer confirmed
    Column("notices", Text, nullable=False),  # JSON list of notice codes
    Column("taken_at", Text, nullable=False),  # ISO 8601 with the zone offset
    Column("period", Text, nullable=False),  # "2026-11": the billing month it counts toward
    Column("print_state", Text, nullable=False),
    Column("print_reason", Text),
    Column("printed_at", Text),
    Column("print_count", Integer, nullable=False, server_default="0"),
    # A printer with a presenter: "presented", then "taken" or "retracted" (not taken in time).
    Column("slip_pickup", Text),
    Column("sync_state", Text, nullable=False),
    Column("sync_code", Text),
    Column("sync_message", Text),
    Column("synced_at", Text),
    CheckConstraint("print_state IN ('pending', 'printed', 'failed')", name="ck_submissions_print_state"),
    CheckConstraint(
        "sync_state IN ('pending', 'delivered', 'rejected', 'conflict')", name="ck_submissions_sync_state"
    ),
    sqlite_autoincrement=True,
)

# The upload queue: a row here means "not yet answered by the office". It is written in the
# same transaction as its submission and deleted in the same transaction as the office's answer.
outbox = Table(
    "outbox",
    metadata,
    Column("seq", Integer, ForeignKey("submissions.seq"), primary_key=True),
    Column("enqueued_at", Text, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
)

# Append-only: triggers in the migration refuse UPDATE and DELETE.
events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("role", Text),
    Column("detail", Text, nullable=False),  # JSON object
    sqlite_autoincrement=True,
)

# One row: the service-mode state that must outlive a restart. A NULL locked_until means entry
# is open; a NULL out_of_service_since means customers are served.
service_state = Table(
    "service_state",
    metadata,
    Column("id", Integer, primary_key=True),  # always 1: a single row
    Column("failed_pins", Integer, nullable=False, server_default="0"),  # wrong PINs in a row
    Column("locked_until", Text),  # ISO 8601 UTC
    Column("out_of_service_since", Text),  # ISO 8601 UTC
    Column("out_of_service_by", Text),  # a role, "shell", or "system" when storage failed
    Column("out_of_service_reason", Text),
    CheckConstraint("id = 1", name="ck_service_state_single_row"),
)

# The office's commands (sync/PROTOCOL.md), one row each, written before the command is carried
# out: a command the office sends again finds its row and is never carried out twice, even
# when the power went between doing it and reporting it. "started" rows of a process that is
# gone were cut short and are reported failed.
office_commands = Table(
    "office_commands",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # the office's number
    Column("action", Text, nullable=False),
    Column("operator", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("claimed_by", Text),  # "boot id:pid" of the process carrying it out
    Column("started_at", Text, nullable=False),
    Column("finished_at", Text),
    Column("detail", Text),
    Column("output", Text, nullable=False, server_default="[]"),  # JSON list of masked log lines
    Column("reported_at", Text),  # the office answered a heartbeat carrying the result
    CheckConstraint("state IN ('started', 'done', 'failed')", name="ck_office_commands_state"),
    sqlite_with_rowid=False,
)

# A customer pressed «Позвать сотрудника»: sent with every heartbeat until one is answered.
staff_calls = Table(
    "staff_calls",
    metadata,
    Column("id", Text, primary_key=True),  # a version 4 UUID
    Column("at", Text, nullable=False),
    Column("reference", Text, nullable=False),  # what the screen showed the customer
    Column("delivered_at", Text),
    sqlite_with_rowid=False,
)

# One row: the roll in the printer, its length and the paper the slips printed on it took.
paper_roll = Table(
    "paper_roll",
    metadata,
    Column("id", Integer, primary_key=True),  # always 1: a single row
    Column("length_mm", Integer, nullable=False),
    Column("used_mm", Float, nullable=False, server_default="0"),
    Column("slips", Integer, nullable=False, server_default="0"),
    Column("loaded_at", Text),  # ISO 8601 UTC; NULL: counted since the first slip, no roll loaded by hand
    CheckConstraint("id = 1", name="ck_paper_roll_single_row"),
)
