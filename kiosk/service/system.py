"""The service pages about the terminal itself: its storage, and the system page (version, clock,
settings, whether customers are served, the last log lines); and their actions (the thorough
database check, taking the terminal out of service and back)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError

from kiosk import storage
from kiosk.errors import StoreError
from kiosk.i18n import N_, gettext_for
from kiosk.masking import public_url
from kiosk.release import package_version
from kiosk.service import health
from kiosk.service.access import ROLES, ServiceSession
from kiosk.service.view import Done, Page, error_line, role_name, short
from kiosk.wiring import Terminal

if TYPE_CHECKING:
    from kiosk.service.desk import Outcome, ServiceDesk

# The reason logged when a technician switches customers off from the system page.
SWITCHED_HERE = N_("switched on the service screen")
USAGE_SHOWN = 3
LOG_LINES = 10
JOURNAL_UNIT = "kiosk.service"
JOURNAL_TIMEOUT_S = 2.0


def storage_page(desk: ServiceDesk, role: str, language: str) -> Page:
    _ = gettext_for(language)
    config, store = desk.terminal.config, desk.terminal.store
    line = desk.known_failure(health.storage_health(config, store))
    facts = line.facts
    rows = [(_("Database"), str(config.database_path)),
            (_("Size"), health.megabytes(facts["size_bytes"]).text(language))]
    if "free_bytes" in facts:
        rows.append((_("Free disk"), health.megabytes(facts["free_bytes"]).text(language)))
    # What takes the space, the biggest first: what a technician would clear on a full disk.
    usage = sorted(((size, kind) for kind, size in (facts.get("usage") or {}).items() if size), reverse=True)
    if usage:
        rows.append((_("Taking the space"), ", ".join(
            f"{storage.usage_word(kind, language)} {health.megabytes(size).text(language)}"
            for size, kind in usage[:USAGE_SHOWN])))
    if "schema" in facts:
        rows.append((_("Schema"), f"{facts['schema']} / {facts['schema_head']}"))
    try:
        # The page exists to say why the database cannot be used: it does not wait on a lock.
        last_check = _("unknown") if facts.get("fault") == "locked" else _last_integrity_check(desk, language)
    except SQLAlchemyError:
        last_check = _("unknown")
    rows.append((_("Last full check"), last_check))
    return desk.page_of("storage", line, rows, (desk.action("check_integrity", role, language),), language)


def system_page(desk: ServiceDesk, role: str, language: str) -> Page:
    _ = gettext_for(language)
    terminal = desk.terminal
    config = terminal.config
    probe = desk.fresh_probe(run=False)
    line = health.clock_health(config, terminal.store, probe, desk.devices().office_time)
    now = terminal.intake.now()
    rows = [
        (_("Version"), package_version()),
        (_("Terminal"), config.terminal.id),
        (_("Running for"), health.duration(desk.clock() - terminal.started_at).text(language)),
        (_("Local time"), f"{now:%Y-%m-%d %H:%M:%S %Z}".strip()),
        (_("UTC"), f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S}"),
    ]
    skew = line.facts.get("ahead_of_office_s")
    if skew is not None:
        rows.append((_("Clock against the office"), _skew(skew, language)))
    rows += _configuration(terminal, language)
    state = desk.out_of_service()
    rows.append((_("Customers"), _("served") if state is None else
                 _("not served since {time} ({by}): {reason}").format(
                     time=desk.local(state.since.isoformat()), by=role_name(state.by, _),
                     reason=health.storage_failure(state.reason).text(language))))
    rows += _log_tail(desk)
    return desk.page_of("system", line, rows, (desk.switch_action(role, language),), language)


def check_integrity(desk: ServiceDesk, session: ServiceSession, language: str) -> Outcome:
    _ = gettext_for(language)
    # The thorough check, not the quick one the overview runs: the technician asked for it.
    config = desk.terminal.config
    try:
        problems = desk.terminal.store.service.integrity_check()
    except SQLAlchemyError as exc:
        # A full, read-only or locked disk fails the check too: only real damage says "damaged".
        fault, words = storage.explain(exc, config.data_dir, config.database_path)
        if fault != "damaged":
            return Done(False, words.text(language)), {"result": fault, "error": error_line(exc)}
        problems = [error_line(exc)]
    if problems == ["ok"]:
        return Done(True, _("The database is intact.")), {"result": "ok"}
    return (Done(False, _("The database is damaged ({problem}): take the terminal out of service and restore "
                          "the last backup.").format(problem=short(problems[0]))),
            {"result": [short(problem) for problem in problems[:5]]})


def out_of_service(desk: ServiceDesk, session: ServiceSession, language: str) -> Outcome:
    _ = gettext_for(language)
    desk.access.switch_out_of_service(role=session.role, reason=SWITCHED_HERE)
    return Done(True, _("Customers now see \u201cTerminal temporarily unavailable\u201d.")), {}


def in_service(desk: ServiceDesk, session: ServiceSession, language: str) -> Outcome:
    _ = gettext_for(language)
    try:
        desk.access.switch_in_service(role=session.role)
    except StoreError as exc:
        return Done(False, _("Still out of service: {error}. Free disk space or look at the storage page.")
                    .format(error=health.storage_failure(str(exc)).text(language))), {}
    return Done(True, _("Customers are served again.")), {}


def _last_integrity_check(desk: ServiceDesk, language: str) -> str:
    _ = gettext_for(language)
    for event in desk.terminal.store.events.recent(200):
        if event.kind == "service_check_integrity":
            result = _("intact") if event.detail.get("ok") else _("damaged")
            return f"{desk.local(event.at)}: {result}"
    return _("not since the log began")


def _log_tail(desk: ServiceDesk) -> list[tuple[str, str]]:
    """The service's journal when this user may read it, else the event log; newest last."""
    lines = _journal_tail(LOG_LINES)
    if lines:
        return [(stamp, short(message)) for stamp, message in lines]
    rows = []
    for event in reversed(desk.terminal.store.events.recent(LOG_LINES)):
        detail = " ".join(f"{key}={value}" for key, value in event.detail.items())
        rows.append((desk.local(event.at), short(f"{event.kind} {event.role or ''} {detail}".strip())))
    return rows


def _skew(seconds: float, language: str) -> str:
    _ = gettext_for(language)
    if abs(seconds) < 1:
        return _("in step")
    template = N_("{time} ahead") if seconds > 0 else N_("{time} behind")
    return _(template).format(time=health.duration(abs(seconds)).text(language))


def _configuration(terminal: Terminal, language: str) -> list[tuple[str, str]]:
    """The settings a technician compares with the paperwork; no PIN hash, no office secret."""
    _ = gettext_for(language)
    config = terminal.config
    printer, scanner, office, service, rules = (config.printer, config.scanner, config.office, config.service,
                                                config.rules)
    roles = [role_name(role, _) for role in ROLES if getattr(service, f"{role}_pin_hash")]
    batches = _("batches of {n}").format(n=office.batch_size)
    return [
        (_("Language"), config.terminal.language),
        (_("Time zone"), config.terminal.timezone or _("the system's")),
        (_("Printer"), f"{printer.port}, {printer.profile}, {printer.baud}, {printer.flow_control}"
         if printer.port else _("not configured")),
        (_("Scanner"), f"{scanner.port}, {scanner.baud}" if scanner.port else _("not configured")),
        (_("Office"), f"{public_url(office.url)}, {batches}" if office.url else _("not configured")),
        (_("Service PINs"), ", ".join(roles) if roles else _("none: service mode is closed")),
        (_("Service card"), _("configured") if service.service_code else _("none")),
        (_("PIN lock"), _("{attempts} wrong PINs lock entry for {time}").format(
            attempts=service.max_attempts, time=health.duration(service.lockout_s).text(language))),
        (_("Account numbers"), _("{low} to {high} digits").format(low=rules.account_min_digits,
                                                                 high=rules.account_max_digits)),
        (_("Submission window"), _("days {start} to {end}").format(start=rules.window_start, end=rules.window_end)),
    ]


def _journal_tail(count: int) -> list[tuple[str, str]]:
    """The kiosk service's last journal lines as (time, message); empty when there is no journal
    this user may read (a test machine, a terminal without systemd)."""
    journalctl = shutil.which("journalctl")
    if journalctl is None:
        return []
    try:
        answer = subprocess.run([journalctl, "--unit", JOURNAL_UNIT, "--lines", str(count), "--output",
                                 "short-iso", "--no-pager", "--quiet"],
                                capture_output=True, text=True, errors="replace", timeout=JOURNAL_TIMEOUT_S)
    except (OSError, subprocess.SubprocessError):
        return []
    if answer.returncode != 0:
        return []
    lines = []
    for text in answer.stdout.splitlines()[-count:]:
        stamp, _space, message = text.partition(" ")
        if message:
            lines.append((stamp, message[:300]))
    return lines
