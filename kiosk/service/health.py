"""How each part of the terminal is doing, in one line a technician can act on.

``check_all(terminal)`` runs inside the app (the service overview): it reads cached device
facts and the store, and asks the office once. ``check_from_config(config)`` is `kiosk status`
in a process of its own: device facts come from the running app's live-status file
(``kiosk.service.live_status``), or from the devices themselves when no app runs.

Both return one ``Health`` per subsystem, in ``SUBSYSTEMS`` order. ``reason`` is English (the
JSON of `kiosk status`, the log); ``text(language)`` is the same reason for a screen, in Russian
or English. Both take a few seconds at most: the office check is the only wait, bounded by
``NETWORK_BUDGET_S`` even when a name lookup hangs. Call them off the UI thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Literal

from sqlalchemy.exc import SQLAlchemyError

from devices import scanner as scanner_driver
from devices.printer import ReceiptPrinter
from devices.status import PrinterStatus
from kiosk.service import live_status
from kiosk import storage as storage_module
from kiosk.config import Config
from kiosk.i18n import N_, Phrase
from kiosk.masking import public_url
from kiosk.network_probe import OfficeProbe, ProbeRun
from kiosk.service.access import STORAGE_FAILED
from kiosk.store import Store, StoreError
from kiosk.store.database import head_revision
from kiosk.storage import one_line
from kiosk.wiring import Terminal
from sync.client import OfficeTime
from sync.signing import CLOCK_WINDOW_SECONDS

Level = Literal["green", "yellow", "red"]
GREEN: Level = "green"
YELLOW: Level = "yellow"
RED: Level = "red"
_RANK = {GREEN: 0, YELLOW: 1, RED: 2}
SUBSYSTEMS = ("printer", "scanner", "upload", "directory", "network", "storage", "clock")

# Asking the printer from `kiosk status` when no app runs: it answers in milliseconds, and
# "no answer within a bound" is what says it is unreachable.
PRINTER_QUERY_S = 1.0
# The uploader retries within a minute or two while the office answers: a reading queued for
# a quarter of an hour means the office has not been reachable for a while.
UPLOAD_WAITING_S = 15 * 60
# Readings are due by a date each month: a day's readings stuck on the terminal will miss
# billing unless someone acts.
UPLOAD_STUCK_S = 24 * 3600
# Below this SQLite may fail a commit (the WAL grows before a checkpoint) and the terminal goes
# out of service; a reading takes about a kilobyte, so the yellow margin lasts for years of
# readings but not for a runaway log.
FREE_DISK_RED_BYTES = 50 * 2**20
FREE_DISK_YELLOW_BYTES = 500 * 2**20
# This software did not exist before; a clock earlier than this has lost its setting (a dead
# RTC battery shows 1970 or 2000).
EARLIEST_PLAUSIBLE = datetime(2026, 1, 1, tzinfo=timezone.utc)
# Behind the office: the slip shows the minute, and beyond a minute a reading taken at 23:59 of
# the window's last day may count toward the wrong period.
CLOCK_SKEW_YELLOW_S = 60
# Beyond the signing window the office refuses every request from this terminal.
CLOCK_SKEW_RED_S = CLOCK_WINDOW_SECONDS
# Ahead of the office: readings are dated later than they were taken. A few minutes is what an
# unsynchronised clock drifts in weeks; beyond a day the office refuses them as taken in the
# future (its [office] max_clock_skew).
CLOCK_AHEAD_YELLOW_S = 5 * 60
CLOCK_AHEAD_RED_S = 24 * 3600
# The office's refusal when a request's timestamp is outside its signing window.
STALE_TIMESTAMP = "stale_timestamp"
# The office answers a one-row directory page in milliseconds on a working line.
NETWORK_SLOW_S = 1.0


# The printer's own words (devices.status), marked here so the catalogs carry them: a printer
# problem is shown as the driver words it.
PRINTER_WORDS = (
    N_("printer disconnected"), N_("printer busy"), N_("printer not answering"),
    N_("printer answers garbage"), N_("printer not taking data"), N_("cover open"), N_("paper out"),
    N_("paper jam"), N_("cutter error"), N_("printer fault, needs a technician"),
    N_("printer mechanical error"), N_("printer error, recovering"), N_("printer offline"),
    N_("paper near end"),
)


@dataclass(frozen=True)
class Health:
    subsystem: str
    level: Level
    reason: str  # plain English words: what is wrong, or what is fine
    facts: dict[str, Any] = field(default_factory=dict)
    phrase: Phrase | None = field(default=None, repr=False, compare=False)  # the reason, to translate

    def text(self, language: str = "ru") -> str:
        """The reason in the language a screen shows (Russian unless told otherwise)."""
        return (self.phrase or Phrase(self.reason)).text(language)

    def as_dict(self) -> dict[str, Any]:
        return {"subsystem": self.subsystem, "level": self.level, "reason": self.reason, "facts": self.facts}


def _health(subsystem: str, level: Level, phrase: Phrase, facts: dict[str, Any] | None = None) -> Health:
    return Health(subsystem, level, phrase.english, facts if facts is not None else {}, phrase)


def rank(level: Level) -> int:
    """0 for green, 1 for yellow, 2 for red: the worse, the higher."""
    return _RANK[level]


def overall(healths: list[Health]) -> Level:
    return max((h.level for h in healths), key=rank, default=GREEN)


@dataclass(frozen=True)
class Devices:
    """What is known of the devices and the uploader, and from where."""

    printer: PrinterStatus | None  # None: no printer configured
    scanner_connected: bool | None  # None: no scanner configured
    upload_error: str | None
    source: str  # "app", "app, N s ago" or "asked directly"
    office_time: OfficeTime | None = None  # the office's clock by the uploader's last answer


# --- the two entry points ----------------------------------------------------------------

def check_all(terminal: Terminal, probe: ProbeRun | None = None) -> list[Health]:
    """Inside the running app, from its cached device facts. ``probe``: the office check to make,
    for a caller that keeps its outcome (``probe.result()`` afterwards)."""
    return _check(terminal.config, terminal.store, app_devices(terminal), probe)


def app_devices(terminal: Terminal) -> Devices:
    """What the running app's drivers last saw: nothing is asked of a device here."""
    return Devices(
        printer=terminal.printer_watch.status if terminal.printer else None,
        scanner_connected=terminal.scanner.connected if terminal.scanner else None,
        upload_error=terminal.uploader.last_error if terminal.uploader else None,
        source="app",
        office_time=terminal.uploader.office_time if terminal.uploader else None,
    )


def check_from_config(config: Config) -> list[Health]:
    """For `kiosk status`: the app's live status when it runs, else the devices asked directly.
    Never migrates or creates the database."""
    devices = _devices_from_outside(config)
    store: Store | None = None
    if config.database_path.exists():
        try:
            store = Store.open(config.database_path, migrate=False)
        except StoreError:
            store = None  # the storage check says why
    try:
        return _check(config, store, devices)
    finally:
        if store is not None:
            store.close()


def _check(config: Config, store: Store | None, devices: Devices, probe: ProbeRun | None = None) -> list[Health]:
    storage = storage_health(config, store)
    if storage.facts.get("fault") in storage_module.UNREADABLE:
        # Every read would wait out the lock or fail again: the other lines point at storage.
        store = None
    # The office is asked on a thread while the local checks run: the whole takes about as
    # long as the slower of the two.
    if probe is None:
        probe = ProbeRun(config, _guard(store.directory.directory_version, 0) if store else 0)
    probe.start()
    printer = printer_health(config, devices, store)
    scanner = scanner_health(config, devices)
    upload = _store_check("upload", store, lambda s: upload_health(config, devices, s))
    office = probe.result()
    directory = _store_check("directory", store, lambda s: directory_health(s, office))
    network = network_health(config, office)
    clock = clock_health(config, store, office, devices.office_time)
    return [printer, scanner, upload, directory, network, storage, clock]


def _store_check(subsystem: str, store: Store | None, check: Callable[[Store], Health]) -> Health:
    if store is None:
        return _health(subsystem, RED, Phrase(N_("unknown: the database cannot be opened (see storage)")))
    try:
        return check(store)
    except SQLAlchemyError as exc:
        return _health(subsystem, RED, Phrase(N_("unknown: the database cannot be read (see storage)")),
                       {"error": one_line(exc)})


def _guard(read: Callable[[], Any], default: Any) -> Any:
    try:
        return read()
    except SQLAlchemyError:
        return default


# --- devices -------------------------------------------------------------------------------

def _devices_from_outside(config: Config) -> Devices:
    live = live_status.read(live_status.path_for(config))
    if live is not None and live.fresh:
        return Devices(live.printer, live.scanner_connected, live.upload_error,
                       source=f"app, {max(live.age_s(), 0):.0f} s ago", office_time=live.office_time)
    printer = None
    if config.printer.port:
        with ReceiptPrinter(config.printer.port, config.printer.profile, config.printer.baud,
                            config.printer.flow_control) as device:
            printer = device.status(timeout=PRINTER_QUERY_S)
    scanner = scanner_driver.port_opens(config.scanner.port, config.scanner.baud) if config.scanner.port else None
    return Devices(printer, scanner, None, source="asked directly")


def printer_health(config: Config, devices: Devices, store: Store | None) -> Health:
    facts: dict[str, Any] = {"port": config.printer.port, "profile": config.printer.profile,
                             "source": devices.source}
    counts = _guard(store.service.slip_counts, None) if store else None
    if counts is not None:  # without the database the printer's own state still counts
        facts.update(slips_printed=counts.printed, slips_failed=counts.failed, slips_retracted=counts.retracted)
    status = devices.printer
    if status is None:
        return _health("printer", GREEN, Phrase(N_("no printer configured: the slip number is shown on screen")), facts)
    facts.update(state=status.state, paper=status.paper, presenter=status.presenter, detail=status.detail)
    if status.state == "busy":
        return _health("printer", YELLOW, Phrase(N_("printer busy")), facts)
    if status.problem:
        return _health("printer", RED, Phrase(status.problem), facts)
    if status.notice:
        return _health("printer", YELLOW, Phrase(status.notice), facts)
    return _health("printer", GREEN, Phrase(N_("ready")), facts)


def scanner_health(config: Config, devices: Devices) -> Health:
    facts = {"port": config.scanner.port, "source": devices.source}
    if devices.scanner_connected is None:
        return _health("scanner", GREEN, Phrase(N_("no scanner configured: customers type the account number")),
                       facts)
    if devices.scanner_connected:
        return _health("scanner", GREEN, Phrase(N_("connected")), facts)
    # Yellow, not red: customers can still type the number.
    return _health("scanner", YELLOW, Phrase(N_("scanner not connected")), facts)


# --- upload and directory ------------------------------------------------------------------

def upload_health(config: Config, devices: Devices, store: Store) -> Health:
    depth = store.outbox.depth()
    age = store.outbox.oldest_pending_age()
    delivery = store.service.delivery_facts()
    facts = {"queue_depth": depth, "oldest_pending_age_s": None if age is None else round(age),
             "last_delivery": delivery.last_delivery, "last_error": devices.upload_error,
             "rejected": delivery.rejected, "conflict": delivery.conflict}
    if not config.office.url:
        return _health("upload", YELLOW, Phrase(N_("no office configured: readings stay on this terminal")), facts)
    if age is not None and age >= UPLOAD_STUCK_S:
        return _health("upload", RED, Phrase(N_("{depth} readings waiting, the oldest for {age}"),
                                             {"depth": depth, "age": duration(age)}), facts)
    if age is not None and devices.upload_error:
        return _health("upload", YELLOW, Phrase(N_("{depth} readings waiting for {age}: {error}"),
                                                {"depth": depth, "age": duration(age),
                                                 "error": devices.upload_error}), facts)
    if age is not None and age >= UPLOAD_WAITING_S:
        return _health("upload", YELLOW, Phrase(N_("{depth} readings waiting for {age}"),
                                                {"depth": depth, "age": duration(age)}), facts)
    if depth:
        return _health("upload", GREEN, Phrase(N_("sending {depth} readings"), {"depth": depth}), facts)
    # Nothing waits: say so in words that agree with the upload page's counts beside it.
    refused = delivery.rejected + delivery.conflict
    if refused:
        return _health("upload", GREEN, Phrase(N_("nothing waiting; {refused} refused by the office"),
                                               {"refused": refused}), facts)
    if delivery.last_delivery is None:
        return _health("upload", GREEN, Phrase(N_("nothing to send yet")), facts)
    return _health("upload", GREEN, Phrase(N_("every reading delivered")), facts)


def directory_health(store: Store, probe: OfficeProbe | None) -> Health:
    stats = store.directory.stats()
    office_version = probe.directory_version if probe is not None else None
    facts = {"version": stats.version, "office_version": office_version, "accounts": stats.accounts,
             "meters": stats.meters, "last_update": stats.updated_at}
    if stats.meters == 0:
        return _health("directory", RED, Phrase(N_("the directory is empty: no account can be checked")), facts)
    # Not the age of the last update: a quiet month at the office is no fault. What matters is
    # whether the office holds changes this terminal has not applied.
    if office_version is not None and office_version > stats.version:
        newer = Phrase(N_("the office has a newer directory (version {office}, here {here})"),
                       {"office": office_version, "here": stats.version})
        return _health("directory", YELLOW, newer, facts)
    return _health("directory", GREEN, Phrase(N_("{accounts} accounts, {meters} meters"),
                                              {"accounts": stats.accounts, "meters": stats.meters}), facts)


# --- network -------------------------------------------------------------------------------

def network_health(config: Config, probe: OfficeProbe | None) -> Health:
    if probe is None:
        return _health("network", YELLOW, Phrase(N_("not checked: no office configured")))
    facts = {"office": public_url(config.office.url), "reachable": probe.reachable,
             "latency_s": None if probe.latency_s is None else round(probe.latency_s, 3),
             "tls_verified": probe.tls_verified, "error": probe.detail}
    if probe.error:
        return _health("network", RED, probe.error, facts)
    if probe.tls_verified is None and not probe.loopback:
        return _health("network", YELLOW, Phrase(N_("office reached over plain http: readings travel unencrypted")),
                       facts)
    if probe.latency_s is not None and probe.latency_s > NETWORK_SLOW_S:
        return _health("network", YELLOW, Phrase(N_("office slow to answer ({seconds} s)"),
                                                 {"seconds": f"{probe.latency_s:.1f}"}), facts)
    ms = f"{(probe.latency_s or 0) * 1000:.0f}"
    if probe.tls_verified is None:  # plain http to an office on this machine: said, so no row contradicts it
        return _health("network", GREEN, Phrase(N_("office reachable in {ms} ms, on this machine over plain http"),
                                                {"ms": ms}), facts)
    return _health("network", GREEN, Phrase(N_("office reachable in {ms} ms"), {"ms": ms}), facts)


# --- storage -------------------------------------------------------------------------------

def storage_health(config: Config, store: Store | None) -> Health:
    """The database and its disk, each fault named for what it is (``kiosk.storage``): the
    service screen's storage page and `kiosk status` both read this."""
    path = config.database_path
    size = storage_module.file_size(path) + storage_module.file_size(Path(f"{path}-wal"))
    facts: dict[str, Any] = {"database": str(path), "size_bytes": size}
    found = storage_module.diagnose(config.data_dir, path)
    if found.disk is not None:
        facts.update(free_bytes=found.disk.free_bytes, read_only=found.disk.read_only, usage=found.disk.usage)
    if found.error is not None:
        facts["error"] = found.error
    if found.integrity is not None:
        facts["integrity"] = "ok" if found.integrity == ["ok"] else found.integrity
    if found.fault is not None:
        facts["fault"] = found.fault
        assert found.phrase is not None
        return _health("storage", RED, found.phrase, facts)
    if store is None:
        facts["fault"] = "unreadable"
        return _health("storage", RED, Phrase(N_("the database cannot be opened: readings cannot be stored")), facts)
    revision = _guard(store.service.schema_revision, None)
    head = head_revision()
    facts.update(schema=revision, schema_head=head)
    if revision != head:
        return _health("storage", RED, Phrase(N_("database schema {revision}, needs {head}: run `kiosk db upgrade`"),
                                              {"revision": revision, "head": head}), facts)
    out_of_service = _guard(store.service.out_of_service, None)
    if out_of_service is not None and out_of_service.by == "system":
        return _health("storage", RED, storage_failure(out_of_service.reason), facts)
    assert found.disk is not None
    free = found.disk.free_bytes
    if free < FREE_DISK_RED_BYTES:
        return _health("storage", RED, storage_module.full_disk(
            found.disk, N_("disk almost full: {free} free, most taken by {what} ({size})")), facts)
    if free < FREE_DISK_YELLOW_BYTES:
        return _health("storage", YELLOW, storage_module.full_disk(
            found.disk, N_("disk filling up: {free} free, most taken by {what} ({size})")), facts)
    return _health("storage", GREEN, Phrase(N_("database intact, {free} free"), {"free": megabytes(free)}), facts)


def storage_failure(reason: str) -> Phrase:
    """The terminal's own out-of-service reason ("cannot store readings: <the driver's words>")."""
    prefix = f"{STORAGE_FAILED}: "
    if reason.startswith(prefix):
        return Phrase(N_("cannot store readings: {error}"), {"error": reason[len(prefix):]})
    return Phrase(reason)


# --- clock ---------------------------------------------------------------------------------

def clock_health(config: Config, store: Store | None, probe: OfficeProbe | None,
                 last_answer: OfficeTime | None = None) -> Health:
    """Against the office's clock: by the office check when it got an answer, else by the last
    answer the uploader had (``last_answer``), else only the lower bound."""
    now = datetime.now(timezone.utc)
    facts: dict[str, Any] = {"utc": now.isoformat(timespec="seconds"),
                             "timezone": config.terminal.timezone or "system"}
    skew: float | None = None
    if probe is not None and probe.office_time is not None:
        skew = (now - probe.office_time).total_seconds()
        facts.update(ahead_of_office_s=round(skew), compared="now")
    elif last_answer is not None:
        skew = last_answer.ahead_s
        facts.update(ahead_of_office_s=round(skew), compared=last_answer.here.isoformat(timespec="seconds"))
    if now < EARLIEST_PLAUSIBLE:
        return _health("clock", RED, Phrase(N_("clock not set: it shows {date}"), {"date": f"{now:%Y-%m-%d}"}), facts)
    refused = probe is not None and probe.refusal == STALE_TIMESTAMP
    if skew is not None and (refused or -skew > CLOCK_SKEW_RED_S):
        template = (N_("clock {time} ahead of the office's: the office refuses uploads") if skew > 0
                    else N_("clock {time} behind the office's: the office refuses uploads"))
        return _health("clock", RED, Phrase(template, {"time": duration(abs(skew))}), facts)
    if skew is not None and skew > CLOCK_AHEAD_RED_S:
        return _health("clock", RED, Phrase(N_(
            "clock {time} ahead of the office's: readings are dated in the future and the office refuses them; "
            "set the clock"), {"time": duration(skew)}), facts)
    if skew is not None and skew > CLOCK_AHEAD_YELLOW_S:
        return _health("clock", YELLOW, Phrase(N_(
            "clock {time} ahead of the office's: readings are dated later than taken; check the time "
            "synchronisation"), {"time": duration(skew)}), facts)
    if skew is not None and -skew > CLOCK_SKEW_YELLOW_S:
        return _health("clock", YELLOW, Phrase(N_("clock {time} behind the office's"),
                                               {"time": duration(-skew)}), facts)
    last = _guard(lambda: store.events.recent(1), []) if store else []
    if last and datetime.fromisoformat(last[0].at) > now:
        facts["last_event"] = last[0].at
        return _health("clock", YELLOW, Phrase(N_("clock went back: it is earlier than the last logged event")), facts)
    if skew is not None:
        return _health("clock", GREEN, Phrase(N_("in step with the office")), facts)
    return _health("clock", GREEN, Phrase(N_("set (not compared with the office)")), facts)


# --- words ---------------------------------------------------------------------------------

def duration(seconds: float) -> Phrase:
    if seconds < 120:
        return Phrase(N_("{n} s"), {"n": f"{seconds:.0f}"})
    if seconds < 2 * 3600:
        return Phrase(N_("{n} min"), {"n": f"{seconds / 60:.0f}"})
    if seconds < 2 * 86400:
        return Phrase(N_("{n} h"), {"n": f"{seconds / 3600:.0f}"})
    return Phrase(N_("{n} days"), {"n": f"{seconds / 86400:.0f}"})


megabytes = storage_module.megabytes

