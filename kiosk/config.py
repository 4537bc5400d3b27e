"""The terminal's configuration: one TOML file, every key overridable from the environment.

Precedence, lowest first: the defaults below, the TOML file (``--config`` or ``KIOSK_CONFIG``),
then ``KIOSK_<SECTION>_<KEY>`` variables. Every key is documented with its default in
``deploy/kiosk.example.toml``; a test keeps the two in step. Unknown keys, wrong types and
missing files stop the start with a message that names the key, variable or path.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal, Mapping

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kiosk.service import pins

ENV_PREFIX = "KIOSK_"
CONFIG_ENV = "KIOSK_CONFIG"


class ConfigError(Exception):
    """The configuration cannot be used; the message names the key, variable or path."""


class _Section(BaseModel):
    # strict: a TOML string where a number belongs is a mistake to report, not to coerce.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _default_data_dir() -> str:
    return platformdirs.user_data_dir("kiosk", appauthor=False)


class Terminal(_Section):
    id: str = Field("kiosk-1", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    data_dir: str = Field(default_factory=_default_data_dir, min_length=1)
    language: Literal["ru", "en"] = "ru"
    # IANA zone name; empty means the system's zone.
    timezone: str = ""
    # Printed on the slip under the supplier's name.
    address: str = ""
    # Files rewritten every few seconds (the live status for `kiosk status`): tmpfs on a deployed
    # terminal (/run/kiosk, systemd's RuntimeDirectory=), so the SD card is not worn by them.
    # Empty: the data dir.
    runtime_dir: str = ""
    # The kiosk's own log lines from this level up; other libraries' from "warning" up.
    log_level: Literal["debug", "info", "warning", "error"] = "info"


class Supplier(_Section):
    name: str = "АО «Энергосбыт»"
    hotline: str = "8 800 000-00-00"


class Slip(_Section):
    # An office page that shows one submission: the QR code on the slip and on the result screen
    # carries this followed by the transaction id, e.g. "https://office.example.org/check/".
    # Empty: the QR code carries the slip's code, the one a customer quotes on the hotline.
    verify_url: str = Field("", pattern=r"^(https?://[!-~]+)?$")
    # Where the slip comes out of the terminal, named on the result screen.
    slot: Literal["below", "right", "left"] = "below"


class Office(_Section):
    # Empty: no central office configured; readings stay queued on the terminal.
    url: str = ""
    secret: str = ""
    # Empty: the system's trust store.
    ca_bundle: str = ""
    batch_size: int = Field(100, ge=1, le=1000)
    connect_timeout: float = Field(5.0, gt=0, le=120)
    read_timeout: float = Field(15.0, gt=0, le=600)


class Printer(_Section):
    # Empty: the terminal has no printer; the slip's number is shown on screen instead.
    port: str = ""
    profile: Literal["epson", "epson-48", "custom-vkp80", "generic-58mm"] = "epson"
    baud: Literal[9600, 19200, 38400, 57600, 115200] = 9600
    flow_control: Literal["none", "rtscts", "xonxoff"] = "none"
    # A printer with a presenter (custom-vkp80) pulls a slip nobody took back after this many
    # seconds; 0: never. Other printers ignore it.
    retract_after_s: int = Field(30, ge=0, le=255)


class Scanner(_Section):
    port: str = ""
    baud: Literal[9600, 19200, 38400, 57600, 115200] = 9600


class Ui(_Section):
    # Inactivity before "Are you still there?", then the countdown before the session ends.
    idle_s: float = Field(60.0, ge=10, le=600)
    countdown_s: float = Field(20.0, ge=5, le=120)
    thanks_s: float = Field(6.0, ge=1, le=60)
    # Taps this soon after the screen changed are ignored (a double tap on "Next").
    double_tap_s: float = Field(0.4, ge=0, le=2)
    # A second press of the same keypad key this soon after the first is a finger bounce.
    key_bounce_s: float = Field(0.09, ge=0, le=0.3)
    # The panel's visible diagonal, for touch targets sized in millimetres.
    screen_diagonal_mm: float = Field(546.0, ge=100, le=3000)
    touch_target_mm: float = Field(20.0, ge=10, le=60)


class Service(_Section):
    # PIN hashes from `kiosk pin hash`; empty: that role cannot enter service mode.
    technician_pin_hash: str = ""
    administrator_pin_hash: str = ""
    # Wrong PINs in a row that lock entry, and for how long: at five tries per quarter hour
    # trying every 4-digit PIN takes three weeks of standing at the terminal (every 6-digit one,
    # almost six years), while a technician who mistypes waits a quarter hour at most.
    max_attempts: int = Field(5, ge=1, le=20)
    lockout_s: float = Field(900.0, ge=10, le=86400)
    # Service mode without a touch for this long returns to the customers' screens.
    idle_s: float = Field(120.0, ge=15, le=3600)
    # Holding the attract screen's corner this long asks for the PIN.
    corner_hold_s: float = Field(5.0, ge=1, le=30)
    # The payload of a service card read by the bill scanner, which asks for the PIN too;
    # empty: no service card.
    service_code: str = Field("", max_length=200)

    @field_validator("technician_pin_hash", "administrator_pin_hash")
    @classmethod
    def _pin_hash(cls, value: str) -> str:
        if value:
            pins.parse(value)  # its PinHashError is a ValueError: pydantic names the key
        return value


class Payment(_Section):
    """The payee's details for the slip's payment QR code (ГОСТ Р 56042-2014), as on the bill."""

    # "estimate": the slip carries a second QR code to pay the estimate in a bank's app; "off": none.
    qr: Literal["off", "estimate"] = "off"
    name: str = Field("", max_length=160)  # the payee (Name)
    bank_account: str = Field("", pattern=r"^([0-9]{20})?$")  # the payee's account at its bank (PersonalAcc)
    bank: str = Field("", max_length=45)  # BankName
    bic: str = Field("", pattern=r"^([0-9]{9})?$")
    correspondent_account: str = Field("", pattern=r"^([0-9]{20})?$")  # CorrespAcc
    inn: str = Field("", pattern=r"^([0-9]{10}|[0-9]{12})?$")  # PayeeINN; empty: left out
    kpp: str = Field("", pattern=r"^([0-9]{9})?$")  # empty: left out
    # The payment's purpose; {period} is the billing period («ноябрь 2026»), {account} the account.
    purpose: str = Field("Оплата электроэнергии за {period}, л/с {account}", max_length=160)

    @field_validator("name", "bank", "purpose")
    @classmethod
    def _one_field(cls, value: str) -> str:
        # the code's fields are separated by "|": one inside a value would split it
        if "|" in value or not value.isprintable():
            raise ValueError("must not contain '|' or control characters")
        return value

    @field_validator("purpose")
    @classmethod
    def _placeholders(cls, value: str) -> str:
        try:
            value.format(period="", account="")
        except (KeyError, IndexError, ValueError):
            raise ValueError("may hold only the placeholders {period} and {account}") from None
        return value

    def missing(self) -> list[str]:
        """The payee's details a payment code needs and lacks."""
        if self.qr == "off":
            return []
        return [key for key in ("name", "bank_account", "bank", "bic", "correspondent_account")
                if not getattr(self, key)]


class Rules(_Section):
    account_min_digits: int = Field(5, ge=1, le=20)
    account_max_digits: int = Field(12, ge=1, le=20)
    window_start: int = Field(15, ge=1, le=31)
    window_end: int = Field(25, ge=1, le=31)
    unusual_factor: float = Field(3.0, gt=1, le=100)
    unusual_floor_kwh: int = Field(300, ge=0)
    # A reading below the previous one is a plausible rollover when the consumption it implies
    # is at most this share of the register's range (0.1 of 100000 on a 5-digit meter).
    rollover_max_share: float = Field(0.1, gt=0, lt=1)

    @model_validator(mode="after")
    def _account_range(self) -> "Rules":
        if self.account_min_digits > self.account_max_digits:
            raise ValueError("account_min_digits is greater than account_max_digits")
        return self


class Config(_Section):
    terminal: Terminal = Field(default_factory=Terminal)
    supplier: Supplier = Field(default_factory=Supplier)
    slip: Slip = Field(default_factory=Slip)
    office: Office = Field(default_factory=Office)
    printer: Printer = Field(default_factory=Printer)
    scanner: Scanner = Field(default_factory=Scanner)
    ui: Ui = Field(default_factory=Ui)
    service: Service = Field(default_factory=Service)
    rules: Rules = Field(default_factory=Rules)
    payment: Payment = Field(default_factory=Payment)

    # Here, not in Payment: an environment variable is checked against its section key by key.
    @model_validator(mode="after")
    def _payee_given(self) -> "Config":
        missing = self.payment.missing()
        if missing:
            raise ValueError(f"[payment] qr = {self.payment.qr!r} needs the payee's {', '.join(missing)}")
        return self

    @property
    def data_dir(self) -> Path:
        return Path(self.terminal.data_dir).expanduser()

    @property
    def runtime_dir(self) -> Path:
        return Path(self.terminal.runtime_dir).expanduser() if self.terminal.runtime_dir else self.data_dir

    @property
    def database_path(self) -> Path:
        return self.data_dir / "kiosk.sqlite3"


SECTIONS: dict[str, type[_Section]] = {
    # Every section's default_factory is its class; pydantic types the attribute as any factory,
    # of no argument or of the validated data, or None.
    name: field.default_factory for name, field in Config.model_fields.items()  # type: ignore[misc]
}


def load(path: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Build the configuration from defaults, the file and the environment."""
    environ = os.environ if environ is None else environ
    if path is None and environ.get(CONFIG_ENV):
        path = environ[CONFIG_ENV]
    raw: dict[str, Any] = _read_file(Path(path)) if path is not None else {}
    origin = str(path) if path is not None else "defaults"
    _apply_environment(raw, environ)
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, origin)) from None


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"configuration file not found: {path}") from None
    except IsADirectoryError:
        raise ConfigError(f"configuration path is a directory, not a file: {path}") from None
    except PermissionError:
        raise ConfigError(f"configuration file cannot be read (permission denied): {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None


def _apply_environment(raw: dict[str, Any], environ: Mapping[str, str]) -> None:
    """Overlay KIOSK_<SECTION>_<KEY> variables, each parsed as its key's type."""
    for variable, text in environ.items():
        if not variable.startswith(ENV_PREFIX) or variable == CONFIG_ENV:
            continue
        rest = variable[len(ENV_PREFIX):].lower()
        section_name = next((s for s in SECTIONS if rest.startswith(s + "_")), None)
        if section_name is None:
            continue  # not ours: other programs may use the prefix too
        key = rest[len(section_name) + 1:]
        section = SECTIONS[section_name]
        if key not in section.model_fields:
            raise ConfigError(f"{variable}: [{section_name}] has no key '{key}'")
        value = _parse_variable(variable, section, key, text)
        target = raw.setdefault(section_name, {})
        if not isinstance(target, dict):
            raise ConfigError(f"[{section_name}] must be a table")
        target[key] = value


def _parse_variable(variable: str, section: type[_Section], key: str, text: str) -> Any:
    """Read an environment string as the key's type: as a string, or as a TOML number or boolean."""
    candidates: list[Any] = [text]
    try:
        candidates.append(tomllib.loads(f"v = {text}")["v"])
    except tomllib.TOMLDecodeError:
        pass
    first_error: ValidationError | None = None
    for candidate in reversed(candidates):
        try:
            section.model_validate({key: candidate})
            return candidate
        except ValidationError as exc:
            first_error = first_error or exc
    assert first_error is not None
    problem = first_error.errors()[0]["msg"]
    raise ConfigError(f"{variable}={text!r}: {problem}")


def _describe(exc: ValidationError, origin: str) -> str:
    lines = []
    for error in exc.errors():
        location = [str(part) for part in error["loc"]]
        where = f"[{location[0]}] {'.'.join(location[1:])}".strip() if location else "(top level)"
        if error["type"] == "extra_forbidden":
            message = "unknown key" if len(location) > 1 else "unknown section"
        else:
            message = error["msg"]
            if "input" in error and error["type"] not in ("missing",):
                message += f" (got {error['input']!r})"
        lines.append(f"{origin}: {where}: {message}")
    return "\n".join(lines)
