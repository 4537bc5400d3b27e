"""The protocol's messages (sync/PROTOCOL.md) as pydantic models with limits.

Both ends read the other's messages through these: the office validates what terminals send, the
terminal validates what the office answers. Anything outside the limits is refused, not trimmed.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    model_validator,
)

from sync.directory_file import DirectoryRow
from sync.history_file import HISTORY_TEXT, MAX_MONTHS
from sync.tariff_file import MAX_PRICE, MAX_PRICES, TARIFF_CODE
from sync.zones import MAX_ZONES, ZoneMeaning

API_PREFIX = "/api/v1"
MAX_BATCH_ITEMS = 1000  # the terminal's office.batch_size cannot exceed it either
MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_DIRECTORY_PAGE = 10_000
DEFAULT_DIRECTORY_PAGE = 5_000
MAX_REGISTER_DIGITS = 12
MAX_READING = 10**MAX_REGISTER_DIGITS - 1


def _printable(text: str) -> str:
    if not text.isprintable():
        raise ValueError("contains control characters")
    return text


def _uuid4(value: UUID) -> UUID:
    if value.version != 4:
        raise ValueError("must be a version 4 UUID")
    return value


TerminalId = Annotated[StrictStr, Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")]
AccountNumber = Annotated[StrictStr, Field(pattern=r"^[0-9А-ЯЁ]{4,20}$")]
MeterSerial = Annotated[StrictStr, Field(min_length=1, max_length=32), AfterValidator(_printable)]
Code = Annotated[StrictStr, Field(pattern=r"^[a-z][a-z0-9_.]{0,39}$")]
ShortText = Annotated[StrictStr, Field(max_length=200), AfterValidator(_printable)]
Zone = Annotated[StrictInt, Field(ge=1, le=MAX_ZONES)]
RegisterValue = Annotated[StrictInt, Field(ge=0, le=MAX_READING)]
TariffCode = Annotated[StrictStr, Field(pattern=TARIFF_CODE)]
HistoryText = Annotated[StrictStr, Field(max_length=8 + MAX_MONTHS * 31, pattern=HISTORY_TEXT)]


class _Message(BaseModel):
    # Unknown fields are refused: the office keeps exactly what it was sent, and a field it would
    # silently drop is data lost.
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- upload ------------------------------------------------------------------------------------

class ZoneReading(_Message):
    zone: Zone
    meaning: ZoneMeaning
    value: RegisterValue
    consumption: RegisterValue | None


class Submission(_Message):
    txn_id: Annotated[UUID, AfterValidator(_uuid4)]
    seq: Annotated[StrictInt, Field(ge=1, le=2**53)]
    terminal_id: TerminalId
    account: AccountNumber
    meter: MeterSerial
    taken_at: AwareDatetime
    period: Annotated[StrictStr, Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]
    readings: Annotated[list[ZoneReading], Field(min_length=1, max_length=MAX_ZONES)]
    confirmed: Annotated[list[Code], Field(max_length=8)]

    @model_validator(mode="after")
    def _zones_in_order(self) -> "Submission":
        if [reading.zone for reading in self.readings] != list(range(1, len(self.readings) + 1)):
            raise ValueError("readings must be zones 1..N in order, each once")
        return self


class UploadBatch(_Message):
    items: Annotated[list[Submission], Field(min_length=1, max_length=MAX_BATCH_ITEMS)]


class ItemOutcome(_Message):
    txn_id: StrictStr
    status: Literal["accepted", "duplicate", "rejected", "conflict"]
    code: Code | None = None
    message: ShortText | None = None


class UploadResults(_Message):
    results: Annotated[list[ItemOutcome], Field(max_length=MAX_BATCH_ITEMS)]


# --- directory -------------------------------------------------------------------------------

class DirectoryEntry(_Message):
    account: AccountNumber
    meter: MeterSerial
    zones: Zone
    digits: Annotated[StrictInt, Field(ge=1, le=MAX_REGISTER_DIGITS)]
    meanings: Annotated[list[ZoneMeaning], Field(min_length=1, max_length=MAX_ZONES)]
    last_date: date | None
    last: Annotated[list[RegisterValue | None], Field(min_length=1, max_length=MAX_ZONES)]
    avg_kwh: Annotated[StrictInt, Field(ge=0, le=10**9)] | None
    max_kwh: Annotated[StrictInt, Field(ge=0, le=10**9)] | None
    holder: ShortText
    address: ShortText
    window_start: Annotated[StrictInt, Field(ge=1, le=31)] | None
    window_end: Annotated[StrictInt, Field(ge=1, le=31)] | None
    # Only in pages asked for with include=money (an older terminal refuses fields it does not
    # know, so it is never sent them): the meter's tariff and its last billed periods.
    tariff: TariffCode | None = None
    history: HistoryText | None = None  # "2025-12|150,62|138,58": see sync/PROTOCOL.md

    @model_validator(mode="after")
    def _one_per_zone(self) -> "DirectoryEntry":
        if len(self.meanings) != self.zones or len(self.last) != self.zones:
            raise ValueError("meanings and last need one entry per zone")
        return self

    def to_row(self) -> DirectoryRow:
        return DirectoryRow(
            account=self.account, meter=self.meter, zones=self.zones, digits=self.digits,
            meanings=tuple(self.meanings), last_date=self.last_date, last=tuple(self.last),
            avg_kwh=self.avg_kwh, max_kwh=self.max_kwh, holder=self.holder, address=self.address,
            window_start=self.window_start, window_end=self.window_end, tariff=self.tariff,
            history=self.history,
        )


class RemovedMeter(_Message):
    account: AccountNumber
    meter: MeterSerial


class DirectoryPage(_Message):
    version: Annotated[StrictInt, Field(ge=0)]
    more: bool
    upserts: Annotated[list[DirectoryEntry], Field(max_length=MAX_DIRECTORY_PAGE)]
    removed_meters: Annotated[list[RemovedMeter], Field(max_length=MAX_DIRECTORY_PAGE)]
    removed_accounts: Annotated[list[AccountNumber], Field(max_length=MAX_DIRECTORY_PAGE)]


# --- tariffs ---------------------------------------------------------------------------------

class TariffPriceEntry(_Message):
    tariff: TariffCode
    zone: ZoneMeaning
    # A decimal string ("7.0150"): a price is money, never a binary fraction.
    price: Annotated[Decimal, Field(gt=0, lt=MAX_PRICE, decimal_places=4)]
    valid_from: date


class TariffList(_Message):
    """Every price of every tariff; ``version`` names this set, so a terminal holding it may
    skip storing it again."""

    version: Annotated[StrictStr, Field(pattern=r"^[0-9a-f]{1,64}$")]
    prices: Annotated[list[TariffPriceEntry], Field(max_length=MAX_PRICES)]


# --- heartbeat --------------------------------------------------------------------------------

class PrinterState(_Message):
    state: Code  # e.g. ok, offline, cover_open, error, unreachable, absent
    paper: Literal["ok", "near_end", "out", "unknown"]
    detail: ShortText | None = None


class ServiceEvent(_Message):
    at: AwareDatetime
    kind: Code
    message: ShortText = ""


Level = Literal["green", "yellow", "red"]
LogLine = Annotated[StrictStr, Field(max_length=500), AfterValidator(_printable)]
MAX_COMMAND_LINES = 1000


class Subsystem(_Message):
    """One line of the terminal's health: printer, scanner, upload, network, storage, clock…"""

    name: Code
    level: Level
    reason: ShortText | None = None  # masked on the terminal, as events are


class OutOfService(_Message):
    since: AwareDatetime
    reason: ShortText | None = None


class PaperRoll(_Message):
    """The roll in the printer as the terminal counts it: printed length since it was loaded."""

    length_m: Annotated[float, Field(gt=0, le=10_000)]
    used_m: Annotated[float, Field(ge=0, le=10_000)]
    slips: Annotated[StrictInt, Field(ge=0, le=10**9)]
    loaded_at: AwareDatetime | None = None


class StaffCall(_Message):
    """A customer pressed «Позвать сотрудника»; sent until a heartbeat carrying it is answered."""

    id: Annotated[UUID, AfterValidator(_uuid4)]
    at: AwareDatetime
    reference: ShortText  # what the screen showed the customer, for the staff to match


class CommandResult(_Message):
    id: Annotated[StrictInt, Field(ge=1)]
    state: Literal["done", "failed"]
    at: AwareDatetime
    detail: ShortText | None = None
    output: Annotated[list[LogLine], Field(max_length=MAX_COMMAND_LINES)] = []  # upload_logs' masked lines


class Heartbeat(_Message):
    app_version: Annotated[StrictStr, Field(min_length=1, max_length=40), AfterValidator(_printable)]
    queue_depth: Annotated[StrictInt, Field(ge=0, le=10**9)]
    oldest_pending_age: Annotated[float, Field(ge=0, le=10**10)] | None
    printer: PrinterState
    last_error: Annotated[StrictStr, Field(max_length=500)] | None = None
    events: Annotated[list[ServiceEvent], Field(max_length=50)] = []
    # Since 0.2: every field below is optional, so an older terminal's heartbeat is still taken.
    interval_s: Annotated[StrictInt, Field(ge=1, le=86_400)] | None = None
    subsystems: Annotated[list[Subsystem], Field(max_length=20)] = []
    out_of_service: OutOfService | None = None
    paper_roll: PaperRoll | None = None
    last_upload_at: AwareDatetime | None = None
    staff_calls: Annotated[list[StaffCall], Field(max_length=20)] = []
    command_results: Annotated[list[CommandResult], Field(max_length=50)] = []
    # "commands": this terminal carries out commands, so the answer may hold them. An older
    # terminal refuses an answer with fields it does not know, so it is never sent any.
    capabilities: Annotated[list[Code], Field(max_length=20)] = []


CommandAction = Literal["out_of_service", "in_service", "send_now", "update_directory", "restart", "upload_logs"]


class Command(_Message):
    """An operator's order, carried out by the terminal once and reported in a later heartbeat."""

    id: Annotated[StrictInt, Field(ge=1)]
    action: CommandAction
    operator: ShortText
    issued_at: AwareDatetime
    expires_at: AwareDatetime  # past it the terminal drops the command and reports it failed
    reason: ShortText | None = None  # out_of_service
    lines: Annotated[StrictInt, Field(ge=1, le=MAX_COMMAND_LINES)] | None = None  # upload_logs


class HeartbeatAck(_Message):
    received_at: AwareDatetime  # the office's clock: a terminal can see its own drift
    commands: Annotated[list[Command], Field(max_length=20)] = []


class Problem(BaseModel):
    """Every refusal: a stable code for programs and a message for people."""

    code: str
    message: str
