"""What a technician sees and does in service mode: the overview, one page per part of the
terminal, and the actions that test and fix it. The service screens show these; nothing here
knows of Kivy.

Every method may block for a bounded time (a printer status, an office check, an upload pass, an
integrity check): call them off the UI thread. ``act`` never raises: a failure comes back as a
``Done`` whose message says what to do next. Each action goes to the event log with the role
(``ServiceSession.record``), and from there to the office with the heartbeat. Customer data is
never shown here: account numbers are masked, free text from the office or the log goes through
``kiosk.masking.scrub``.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from kiosk.billcode import ScanResult
from devices.printer import PrintOutcome
from devices.status import PrinterStatus
from kiosk import health, storage
from kiosk.errors import StoreError
from kiosk.health import Devices, Health, Level
from kiosk.i18n import N_, Phrase, gettext_for
from kiosk.masking import mask, public_url, scrub
from kiosk.network_probe import OfficeProbe, ProbeRun
from kiosk.release import package_version
from kiosk.service_access import ROLES, SYSTEM, NotAllowed, ServiceAccess, ServiceSession
from kiosk.store.outbox import KEPT
from kiosk.store.schema import submissions
from kiosk.store.service import OutOfService
from kiosk.wiring import Terminal
from sync.client import OfficeClient, OfficeSettings
from sync.directory_pull import DirectoryPuller

log = logging.getLogger(__name__)

PAGES = ("printer", "scanner", "upload", "directory", "network", "storage", "system")
ACTIONS = ("test_slip", "reprint", "send_now", "update_directory", "check_network", "check_integrity",
           "out_of_service", "in_service")

_TITLES = {
    "overview": N_("Overview"), "printer": N_("Printer"), "scanner": N_("Scanner"), "upload": N_("Upload"),
    "directory": N_("Directory"), "network": N_("Network"), "storage": N_("Storage"), "system": N_("System"),
    "clock": N_("Clock"),
}
_CAPTIONS = {
    "test_slip": N_("Print a test slip"),
    "reprint": N_("Reprint the last slip"),
    "send_now": N_("Send now"),
    "update_directory": N_("Update now"),
    "check_network": N_("Check the connection"),
    "check_integrity": N_("Check the database"),
    "out_of_service": N_("Take out of service"),
    "in_service": N_("Return to service"),
}
# The reason logged when a technician switches customers off from the system page.
SWITCHED_HERE = N_("switched on the service screen")

# A send-now pass sends every queued batch; each request is bounded by the client's timeouts.
SEND_NOW_WAIT_S = 30.0
# The office check on the overview is reused by the network and system pages for this long.
PROBE_FRESH_S = 15.0
REJECTED_SHOWN = 10
USAGE_SHOWN = 3
LOG_LINES = 10
JOURNAL_UNIT = "kiosk.service"
JOURNAL_TIMEOUT_S = 2.0
# Free text in a row or a message (a driver's error, a log line) is cut to this.
_TEXT_MAX = 160

_CONNECTION = {"online": N_("online"), "offline": N_("offline"), "unreachable": N_("not answering"),
               "disconnected": N_("disconnected"), "busy": N_("busy printing")}
_PAPER = {"ok": N_("loaded"), "near_end": N_("running low"), "out": N_("out"), "unknown": N_("unknown")}
_PRESENTER = {"empty": N_("empty"), "slip_waiting": N_("a slip waits to be taken"), "unknown": N_("unknown")}
_SYNC_STATE = {"rejected": N_("refused"), "conflict": N_("in conflict")}
_SCAN_KIND = {"bill": N_("bill QR code"), "barcode": N_("barcode"), "not_a_bill": N_("not a bill"),
              "service": N_("service card")}
# What a technician does about each printer problem (devices.status words).
_PRINTER_ADVICE = {
    "paper out": N_("Load a new paper roll and close the cover, then print a test slip."),
    "paper near end": N_("The paper is running low: put in a new roll soon."),
    "cover open": N_("Close the printer cover, then print a test slip."),
    "paper jam": N_("Open the cover, take out the jammed paper, close it, then print a test slip."),
    "cutter error": N_("Open the cover and free the cutter, then print a test slip."),
    "printer offline": N_("Check the printer's lights and buttons; switch it off and on."),
    "printer disconnected": N_("Check the printer's cable and power."),
    "printer not answering": N_("Check the printer's cable and power; switch it off and on."),
    "printer answers garbage": N_("Check the printer's cable and its baud rate against [printer] baud."),
    "printer not taking data": N_("Check the printer's cable and its flow control against [printer] flow_control."),
    "printer busy": N_("The printer is busy: try again in a minute."),
}
_PRINTER_ADVICE_DEFAULT = N_("Switch the printer off and on; if the fault stays, call the service.")


@dataclass(frozen=True)
class Action:
    name: str  # one of ACTIONS
    caption: str  # in the requested language
    allowed: bool  # False: shown greyed (e.g. reprint for a technician)


@dataclass(frozen=True)
class Page:
    name: str  # one of PAGES, or "overview"
    title: str
    level: Level
    reason: str  # one line
    rows: tuple[tuple[str, str], ...]  # (label, value); never unmasked customer data
    actions: tuple[Action, ...]


@dataclass(frozen=True)
class Done:
    ok: bool
    message: str  # what happened, or what to do next


@dataclass(frozen=True)
class _SeenScan:
    at: datetime
    result: ScanResult
    service_card: bool


def title(subsystem: str, language: str) -> str:
    """A page's or an overview line's name: "Printer", "Clock", ..."""
    return gettext_for(language)(_TITLES[subsystem])


class ServiceDesk:
    def __init__(self, terminal: Terminal, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._terminal = terminal
        self._clock = clock
        self._acting = threading.Lock()  # one action at a time: a second tap is told to wait, not queued
        self._probe: OfficeProbe | None = None
        self._probe_at = float("-inf")
        self._last_scan: _SeenScan | None = None
        self._scan_role: str | None = None  # who has the scanner page open

    @property
    def terminal(self) -> Terminal:
        """The terminal looked after: its ``service`` says who may enter, its ``config.service``
        how (the corner's hold time, the idle time)."""
        return self._terminal

    @property
    def _access(self) -> ServiceAccess:
        return self._terminal.service

    # --- what the screens ask ---------------------------------------------------------------

    def overview(self, language: str) -> list[Health]:
        """One line per subsystem in ``health.SUBSYSTEMS`` order; ``Health.text(language)`` is the
        reason to show. Asks the printer and the office afresh (a few seconds at most)."""
        try:
            self._terminal.printer_watch.refresh()  # a fix shows at once, not at the next poll
            run = ProbeRun(self._terminal.config, self._directory_version())
            healths = health.check_all(self._terminal, probe=run)
            self._keep_probe(run.result())
            return [self._known_failure(h) if h.subsystem == "storage" else h for h in healths]
        except Exception as exc:  # the overview must always show something
            log.exception("service overview failed")
            phrase = Phrase(N_("cannot be checked: {error}"), {"error": _one_line(exc)})
            return [Health(name, health.RED, phrase.english, {}, phrase) for name in health.SUBSYSTEMS]

    def out_of_service(self) -> OutOfService | None:
        return self._access.out_of_service()

    def page(self, name: str, role: str, language: str) -> Page:
        builder = _PAGE_BUILDERS.get(name)
        if builder is None:
            raise ValueError(f"no service page {name!r}; pages: overview, {', '.join(PAGES)}")
        _ = gettext_for(language)
        try:
            return builder(self, role, language)
        except Exception as exc:  # a page that cannot be read says so instead of vanishing
            log.exception("service page %s failed", name)
            return Page(name, _(_TITLES[name]), health.RED,
                        _("cannot be shown: {error}").format(error=_one_line(exc)), (), ())

    def act(self, action: str, session: ServiceSession, language: str) -> Done:
        _ = gettext_for(language)
        run = _ACTIONS.get(action)
        if run is None:
            return Done(False, _("Unknown action: {action}").format(action=_short(action)))
        if not ServiceAccess.allowed(session.role, action):
            try:
                session.record(action)  # logs the refusal
            except NotAllowed:
                pass
            except Exception:
                log.exception("service refusal not logged")
            return Done(False, _("Only an administrator may do this: {action}.").format(action=_(_CAPTIONS[action])))
        if not self._acting.acquire(blocking=False):
            return Done(False, _("Another service action is still running: wait for it to finish."))
        try:
            try:
                done, detail = run(self, session, language)
            except Exception as exc:
                log.exception("service action %s failed", action)
                done = Done(False, _("{action} failed: {error}. Try again; if it fails again, call the service.")
                            .format(action=_(_CAPTIONS[action]), error=_one_line(exc)))
                detail = {"error": _one_line(exc)}
            if action in ("out_of_service", "in_service"):
                session.touch()  # the switch is logged by ServiceAccess itself, with the role
            else:
                self._record(session, action, ok=done.ok, **detail)
            return done
        finally:
            self._acting.release()

    def scan_seen(self, result: ScanResult) -> None:
        """A scan made while the scanner page shows: its rows show it, the log counts it."""
        service_card = self._access.is_service_code(result.raw)
        self._last_scan = _SeenScan(datetime.now(timezone.utc), result, service_card)
        kind = "service" if service_card else result.kind
        try:
            if self._scan_role is not None:
                self._access.record("scan_test", role=self._scan_role, read_as=kind, length=len(result.raw))
        except Exception:  # a full disk must not end the live test
            log.exception("scan test not logged")

    # --- pages ------------------------------------------------------------------------------

    def _overview_page(self, role: str, language: str) -> Page:
        _ = gettext_for(language)
        healths = self.overview(language)
        worst = max(healths, key=lambda h: ("green", "yellow", "red").index(h.level))
        reason = worst.text(language) if worst.level != health.GREEN else _("every part works")
        rows = tuple((title(h.subsystem, language), h.text(language)) for h in healths)
        return Page("overview", _(_TITLES["overview"]), health.overall(healths), reason, rows,
                    (self._switch_action(role, language),))

    def _printer_page(self, role: str, language: str) -> Page:
        _ = gettext_for(language)
        terminal = self._terminal
        status = terminal.printer_watch.refresh()
        line = health.printer_health(terminal.config, self._devices(), terminal.store)
        rows: list[tuple[str, str]] = []
        if terminal.printer is not None:
            rows += [
                (_("Connection"), _(_CONNECTION.get(status.state, status.state))),
                (_("Paper"), _(_PAPER.get(status.paper, status.paper))),
                (_("Cover"), _cover(status, _)),
                (_("Faults"), _faults(status, _)),
            ]
            if status.presenter is not None:
                rows.append((_("Presenter"), _(_PRESENTER.get(status.presenter, status.presenter))))
            rows += [(_("Port"), terminal.config.printer.port), (_("Model"), terminal.config.printer.profile)]
        counts = terminal.store.service.slip_counts()
        rows += [(_("Slips printed"), str(counts.printed)), (_("Print failures"), str(counts.failed))]
        if terminal.printer is not None and terminal.printer.profile.presenter:
            rows.append((_("Slips not taken (pulled back)"), str(counts.retracted)))
        last = self._last_printed()
        rows.append((_("Last slip"), _("none yet") if last is None else
                     _("No. {seq}, {time}").format(seq=last[0], time=self._local(last[1]))))
        actions = (self._action("test_slip", role, language), self._action("reprint", role, language))
        return self._page("printer", line, rows, actions, language)

    def _scanner_page(self, role: str, language: str) -> Page:
        _ = gettext_for(language)
        terminal = self._terminal
        self._scan_role = role
        line = health.scanner_health(terminal.config, self._devices())
        if terminal.scanner is None:
            rows = [(_("Connected"), _("no scanner configured"))]
        else:
            rows = [(_("Connected"), _("yes") if terminal.scanner.connected else _("no")),
                    (_("Port"), terminal.config.scanner.port), (_("Speed"), f"{terminal.config.scanner.baud}")]
        seen = self._last_scan
        if seen is None:
            rows.append((_("Last scan"), _("scan any code to test the scanner")))
        else:
            kind = "service" if seen.service_card else seen.result.kind
            account = seen.result.account if kind in ("bill", "barcode") else None
            rows += [(_("Last scan"), self._local(seen.at.isoformat())),
                     (_("Read as"), _(_SCAN_KIND[kind])),
                     (_("Account"), mask(account) if account else "—"),
                     (_("Length"), _("{n} characters").format(n=len(seen.result.raw)))]
            if kind == "bill" and seen.result.encoding:
                rows.append((_("Encoding"), seen.result.encoding))
        return self._page("scanner", line, rows, (), language)

    def _upload_page(self, role: str, language: str) -> Page:
        _ = gettext_for(language)
        terminal, store = self._terminal, self._terminal.store
        line = health.upload_health(terminal.config, self._devices(), store)
        facts = line.facts
        age = facts["oldest_pending_age_s"]
        error = facts["last_error"]
        rows = [
            (_("Office"), public_url(terminal.config.office.url) or _("not configured")),
            (_("Waiting to be sent"), str(facts["queue_depth"])),
            (_("Oldest waiting"), "—" if age is None else health.duration(age).text(language)),
            (_("Last delivery"), self._local(facts["last_delivery"]) if facts["last_delivery"] else _("never")),
            (_("Last error"), _short(error) if error else _("none")),
            (_("Refused by the office"), str(facts["rejected"])),
            (_("In conflict at the office"), str(facts["conflict"])),
        ]
        for seq, state, code, message in self._refused():
            rows.append((_("No. {seq}").format(seq=seq),
                         _short(f"{_(_SYNC_STATE.get(state, state))}: {code or '-'}: {message or ''}").rstrip(": ")))
        return self._page("upload", line, rows, (self._action("send_now", role, language),), language)

    def _directory_page(self, role: str, language: str) -> Page:
        _ = gettext_for(language)
        line = health.directory_health(self._terminal.store, self._fresh_probe(run=True))
        facts = line.facts
        rows = [
            (_("Version"), str(facts["version"])),
            (_("Accounts"), str(facts["accounts"])),
            (_("Meters"), str(facts["meters"])),
            (_("Last update"), self._local(facts["last_update"]) if facts["last_update"] else _("never")),
        ]
        if facts["office_version"] is not None:
            rows.append((_("Newest at the office"), str(facts["office_version"])))
        return self._page("directory", line, rows, (self._action("update_directory", role, language),), language)

    def _network_page(self, role: str, language: str) -> Page:
        _ = gettext_for(language)
        config = self._terminal.config
        probe = self._fresh_probe(run=True)
        line = health.network_health(config, probe)
        rows = [(_("Office"), public_url(config.office.url) or _("not configured"))]
        if probe is not None:
            rows += [
                (_("Reachable"), _("yes") if probe.reachable else _("no")),
                (_("Answer time"), "—" if probe.latency_s is None else
                 _("{ms} ms").format(ms=f"{probe.latency_s * 1000:.0f}")),
                (_("Encryption (TLS)"), _tls(probe, config.office.url, _)),
            ]
            if probe.office_time is not None:
                rows.append((_("Office time"), self._local(probe.office_time.isoformat())))
            if probe.detail:
                rows.append((_("Details"), _short(probe.detail)))
        return self._page("network", line, rows, (self._action("check_network", role, language),), language)

    def _storage_page(self, role: str, language: str) -> Page:
        _ = gettext_for(language)
        config, store = self._terminal.config, self._terminal.store
        line = self._known_failure(health.storage_health(config, store))
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
            last_check = _("unknown") if facts.get("fault") == "locked" else self._last_integrity_check(language)
        except SQLAlchemyError:
            last_check = _("unknown")
        rows.append((_("Last full check"), last_check))
        return self._page("storage", line, rows, (self._action("check_integrity", role, language),), language)

    def _system_page(self, role: str, language: str) -> Page:
        _ = gettext_for(language)
        terminal = self._terminal
        config = terminal.config
        probe = self._fresh_probe(run=False)
        line = health.clock_health(config, terminal.store, probe, self._devices().office_time)
        now = terminal.intake.now()
        rows = [
            (_("Version"), package_version()),
            (_("Terminal"), config.terminal.id),
            (_("Running for"), health.duration(self._clock() - terminal.started_at).text(language)),
            (_("Local time"), f"{now:%Y-%m-%d %H:%M:%S %Z}".strip()),
            (_("UTC"), f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S}"),
        ]
        skew = line.facts.get("ahead_of_office_s")
        if skew is not None:
            rows.append((_("Clock against the office"), _skew(skew, language)))
        rows += _configuration(terminal, language)
        state = self.out_of_service()
        rows.append((_("Customers"), _("served") if state is None else
                     _("not served since {time} ({by}): {reason}").format(
                         time=self._local(state.since.isoformat()), by=_role(state.by, language),
                         reason=health.storage_failure(state.reason).text(language))))
        rows += self._log_tail()
        return self._page("system", line, rows, (self._switch_action(role, language),), language)

    def _page(self, name: str, line: Health, rows: list[tuple[str, str]], actions: tuple[Action, ...],
              language: str) -> Page:
        return Page(name, title(name, language), line.level, line.text(language), tuple(rows), actions)

    def _action(self, name: str, role: str, language: str) -> Action:
        return Action(name, gettext_for(language)(_CAPTIONS[name]), ServiceAccess.allowed(role, name))

    def _switch_action(self, role: str, language: str) -> Action:
        return self._action("out_of_service" if self.out_of_service() is None else "in_service", role, language)

    # --- actions ----------------------------------------------------------------------------

    def _test_slip(self, session: ServiceSession, language: str) -> tuple[Done, dict[str, object]]:
        _ = gettext_for(language)
        printer = self._terminal.printer
        if printer is None:
            return Done(False, _("No printer is configured: set [printer] port.")), {"printed": False}
        outcome = printer.print_test(terminal_id=self._terminal.config.terminal.id)
        self._terminal.printer_watch.refresh()
        if outcome.printed:
            return (Done(True, _("Test slip printed: check the Russian letters, the QR code and the cut.")),
                    {"printed": True})
        return _print_failed(outcome, N_("Test slip not printed: {reason}. {advice}"), language), \
            {"printed": False, "reason": outcome.reason}

    def _reprint(self, session: ServiceSession, language: str) -> tuple[Done, dict[str, object]]:
        _ = gettext_for(language)
        last = self._last_printed()
        if last is None:
            return Done(False, _("No slip has been printed yet: there is nothing to reprint.")), {}
        submission = self._terminal.store.submissions.get(seq=last[0])
        if submission is None:
            return Done(False, _("No slip has been printed yet: there is nothing to reprint.")), {}
        if self._terminal.printer is None:
            return Done(False, _("No printer is configured: set [printer] port.")), {"seq": submission.seq}
        outcome = self._terminal.slips.print_slip(submission, self._terminal.config.terminal.language, copy=True)
        self._terminal.printer_watch.refresh()
        detail: dict[str, object] = {"seq": submission.seq, "printed": outcome.printed}
        if outcome.printed:
            return Done(True, _("A copy of slip No. {seq} was printed.").format(seq=submission.seq)), detail
        detail["reason"] = outcome.reason
        return _print_failed(outcome, N_("The copy was not printed: {reason}. {advice}"), language), detail

    def _send_now(self, session: ServiceSession, language: str) -> tuple[Done, dict[str, object]]:
        _ = gettext_for(language)
        uploader = self._terminal.uploader
        if uploader is None:
            return Done(False, _("No office is configured: set [office] url and secret.")), {}
        summary = uploader.send_now(SEND_NOW_WAIT_S)
        if summary is None:
            return (Done(False, _("Still sending after {seconds} s: the office is slow. Look at this page again "
                                  "in a minute.").format(seconds=f"{SEND_NOW_WAIT_S:g}")),
                    {"timed_out": True})
        detail: dict[str, object] = {"sent": summary.sent, "pending": summary.pending,
                                     "error": _short(summary.error) if summary.error else None}
        if summary.error:
            return Done(False, _("Not everything was sent ({pending} waiting): {error}. Check the network page.")
                        .format(pending=summary.pending, error=self._why_office_failed(summary.error, language))), \
                detail
        if summary.sent == 0 and summary.pending:
            return Done(False, _("Nothing was sent, {pending} waiting: look at this page again in a minute.")
                        .format(pending=summary.pending)), detail
        if summary.sent == 0:
            return Done(True, _("Nothing was waiting: every reading is at the office.")), detail
        refused = summary.rejected + summary.conflict
        message = _("Sent {sent}: {accepted} accepted, {duplicate} already at the office, {refused} refused.").format(
            sent=summary.sent, accepted=summary.accepted, duplicate=summary.duplicate, refused=refused)
        if refused:
            message += " " + _("The refused ones are listed on this page with the office's reason.")
        return Done(True, message), detail

    def _update_directory(self, session: ServiceSession, language: str) -> tuple[Done, dict[str, object]]:
        _ = gettext_for(language)
        terminal = self._terminal
        if not terminal.config.office.url:
            return Done(False, _("No office is configured: set [office] url and secret.")), {}
        client = OfficeClient(OfficeSettings.from_config(terminal.config))
        try:
            summary = DirectoryPuller(terminal.store.directory, client).pull()
        finally:
            client.close()
        self._probe_at = float("-inf")  # the office's version seen before the pull is out of date
        detail = {"version": summary.version, "pages": summary.pages,
                  "error": _short(summary.error) if summary.error else None}
        if summary.error:
            return Done(False, _("The directory was not brought up to date (now version {version}): {error}. "
                                 "Check the network page.").format(
                version=summary.version, error=self._why_office_failed(summary.error, language))), detail
        if summary.pages == 0:
            return Done(True, _("The directory is up to date (version {version}).")
                        .format(version=summary.version)), detail
        stats = terminal.store.directory.stats()
        return Done(True, _("Directory updated to version {version}: {accounts} accounts, {meters} meters.")
                    .format(version=summary.version, accounts=stats.accounts, meters=stats.meters)), detail

    def _check_network(self, session: ServiceSession, language: str) -> tuple[Done, dict[str, object]]:
        if not self._terminal.config.office.url:
            return Done(False, gettext_for(language)("No office is configured: set [office] url and secret.")), {}
        probe = self._fresh_probe(run=True, force=True)
        line = health.network_health(self._terminal.config, probe)
        detail = {"reachable": probe.reachable if probe else None, "level": line.level}
        return Done(line.level != health.RED, line.text(language)), detail

    def _check_integrity(self, session: ServiceSession, language: str) -> tuple[Done, dict[str, object]]:
        _ = gettext_for(language)
        # The thorough check, not the quick one the overview runs: the technician asked for it.
        config = self._terminal.config
        try:
            with self._terminal.store.engine.connect() as connection:
                problems = [row[0] for row in connection.exec_driver_sql("PRAGMA integrity_check").all()]
        except SQLAlchemyError as exc:
            # A full, read-only or locked disk fails the check too: only real damage says "damaged".
            fault, words = storage.explain(exc, config.data_dir, config.database_path)
            if fault != "damaged":
                return Done(False, words.text(language)), {"result": fault, "error": _one_line(exc)}
            problems = [_one_line(exc)]
        if problems == ["ok"]:
            return Done(True, _("The database is intact.")), {"result": "ok"}
        return (Done(False, _("The database is damaged ({problem}): take the terminal out of service and restore "
                              "the last backup.").format(problem=_short(problems[0]))),
                {"result": [_short(problem) for problem in problems[:5]]})

    def _out_of_service(self, session: ServiceSession, language: str) -> tuple[Done, dict[str, object]]:
        _ = gettext_for(language)
        self._access.switch_out_of_service(role=session.role, reason=SWITCHED_HERE)
        return Done(True, _("Customers now see \u201cTerminal temporarily unavailable\u201d.")), {}

    def _in_service(self, session: ServiceSession, language: str) -> tuple[Done, dict[str, object]]:
        _ = gettext_for(language)
        try:
            self._access.switch_in_service(role=session.role)
        except StoreError as exc:
            return Done(False, _("Still out of service: {error}. Free disk space or look at the storage page.")
                        .format(error=health.storage_failure(str(exc)).text(language))), {}
        return Done(True, _("Customers are served again.")), {}

    # --- facts ------------------------------------------------------------------------------

    def _known_failure(self, storage: Health) -> Health:
        """The storage line, red when this terminal failed to store a reading: a database that
        refuses writes still reads as intact, and the failure may be known only in memory."""
        if storage.level == health.RED:
            return storage
        state = self._access.out_of_service()
        if state is None or state.by != SYSTEM:
            return storage
        phrase = health.storage_failure(state.reason)
        return Health(storage.subsystem, health.RED, phrase.english, storage.facts, phrase)

    def _why_office_failed(self, error: str, language: str) -> str:
        """A request to the office failed: the network check's words when it finds the cause (they
        say what to check), else the client's own message."""
        probe = self._fresh_probe(run=True, force=True)
        if probe is not None and probe.error is not None:
            return probe.error.text(language)
        return _short(error)

    def _devices(self) -> Devices:
        terminal = self._terminal
        return Devices(
            printer=terminal.printer_watch.status if terminal.printer else None,
            scanner_connected=terminal.scanner.connected if terminal.scanner else None,
            upload_error=terminal.uploader.last_error if terminal.uploader else None,
            source="app",
            office_time=terminal.uploader.office_time if terminal.uploader else None,
        )

    def _directory_version(self) -> int:
        try:
            return self._terminal.store.directory.directory_version()
        except SQLAlchemyError:
            return 0

    def _keep_probe(self, probe: OfficeProbe | None) -> None:
        self._probe, self._probe_at = probe, self._clock()

    def _fresh_probe(self, *, run: bool, force: bool = False) -> OfficeProbe | None:
        """The last office check when recent; with ``run``, a new one otherwise."""
        if run and (force or self._clock() - self._probe_at > PROBE_FRESH_S):
            probe = ProbeRun(self._terminal.config, self._directory_version())
            probe.start()
            self._keep_probe(probe.result())
        return self._probe

    def _last_printed(self) -> tuple[int, str] | None:
        query = (select(submissions.c.seq, submissions.c.printed_at)
                 .where(submissions.c.print_state == "printed")
                 .order_by(submissions.c.seq.desc()).limit(1))
        with self._terminal.store.engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else (row.seq, row.printed_at)

    def _refused(self) -> list[tuple[int, str, str | None, str | None]]:
        query = (select(submissions.c.seq, submissions.c.sync_state, submissions.c.sync_code,
                        submissions.c.sync_message)
                 .where(submissions.c.sync_state.in_(KEPT))
                 .order_by(submissions.c.seq.desc()).limit(REJECTED_SHOWN))
        with self._terminal.store.engine.connect() as connection:
            return [tuple(row) for row in connection.execute(query).all()]  # type: ignore[misc]

    def _last_integrity_check(self, language: str) -> str:
        _ = gettext_for(language)
        for event in self._terminal.store.events.recent(200):
            if event.kind == "service_check_integrity":
                result = _("intact") if event.detail.get("ok") else _("damaged")
                return f"{self._local(event.at)}: {result}"
        return _("not since the log began")

    def _log_tail(self) -> list[tuple[str, str]]:
        """The service's journal when this user may read it, else the event log; newest last."""
        lines = _journal_tail(LOG_LINES)
        if lines:
            return [(stamp, _short(message)) for stamp, message in lines]
        rows = []
        for event in reversed(self._terminal.store.events.recent(LOG_LINES)):
            detail = " ".join(f"{key}={value}" for key, value in event.detail.items())
            rows.append((self._local(event.at), _short(f"{event.kind} {event.role or ''} {detail}".strip())))
        return rows

    def _local(self, iso: str | None) -> str:
        """A stored time in the terminal's zone, to the second."""
        if not iso:
            return "—"
        try:
            moment = datetime.fromisoformat(iso)
        except ValueError:
            return iso
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return f"{moment.astimezone(self._terminal.intake.now().tzinfo):%Y-%m-%d %H:%M:%S}"

    def _record(self, session: ServiceSession, action: str, **detail: object) -> None:
        try:
            session.record(action, **detail)
        except Exception:  # the action happened; a log that cannot be written is the storage page's news
            log.exception("service action %s not logged", action)


_PAGE_BUILDERS: dict[str, Callable[[ServiceDesk, str, str], Page]] = {
    "overview": ServiceDesk._overview_page,
    "printer": ServiceDesk._printer_page,
    "scanner": ServiceDesk._scanner_page,
    "upload": ServiceDesk._upload_page,
    "directory": ServiceDesk._directory_page,
    "network": ServiceDesk._network_page,
    "storage": ServiceDesk._storage_page,
    "system": ServiceDesk._system_page,
}
_ACTIONS: dict[str, Callable[[ServiceDesk, ServiceSession, str], tuple[Done, dict[str, object]]]] = {
    "test_slip": ServiceDesk._test_slip,
    "reprint": ServiceDesk._reprint,
    "send_now": ServiceDesk._send_now,
    "update_directory": ServiceDesk._update_directory,
    "check_network": ServiceDesk._check_network,
    "check_integrity": ServiceDesk._check_integrity,
    "out_of_service": ServiceDesk._out_of_service,
    "in_service": ServiceDesk._in_service,
}


# --- words ---------------------------------------------------------------------------------

def _print_failed(outcome: PrintOutcome, template: str, language: str) -> Done:
    _ = gettext_for(language)
    reason = outcome.reason or outcome.status.problem or "printer error"
    advice = _PRINTER_ADVICE.get(reason, _PRINTER_ADVICE_DEFAULT)
    return Done(False, _(template).format(reason=_(reason), advice=_(advice)))


def _cover(status: PrinterStatus, _: Callable[[str], str]) -> str:
    if status.state not in ("online", "offline"):
        return _("unknown")
    return _("open") if status.cover_open else _("closed")


def _faults(status: PrinterStatus, _: Callable[[str], str]) -> str:
    if status.state not in ("online", "offline"):
        return _(status.problem or "printer not answering")
    words = [word for flag, word in ((status.paper_jam, N_("paper jam")), (status.cutter_error, N_("cutter error")),
                                     (status.mechanical_error, N_("printer mechanical error")),
                                     (status.unrecoverable, N_("printer fault, needs a technician")),
                                     (status.recoverable_error, N_("printer error, recovering"))) if flag]
    return ", ".join(_(word) for word in words) or _("none")


def _tls(probe: OfficeProbe, url: str, _: Callable[[str], str]) -> str:
    if probe.tls_verified is False:
        return _("certificate not trusted")
    if urlsplit(url).scheme != "https":
        return _("not used (plain http)")
    return _("verified") if probe.tls_verified else _("unknown: no connection")


def _skew(seconds: float, language: str) -> str:
    _ = gettext_for(language)
    if abs(seconds) < 1:
        return _("in step")
    template = N_("{time} ahead") if seconds > 0 else N_("{time} behind")
    return _(template).format(time=health.duration(abs(seconds)).text(language))


def _role(role: str, language: str) -> str:
    _ = gettext_for(language)
    words = {"technician": N_("technician"), "administrator": N_("administrator"), "shell": N_("remote shell"),
             "system": N_("the terminal itself")}
    return _(words[role]) if role in words else role


def _configuration(terminal: Terminal, language: str) -> list[tuple[str, str]]:
    """The settings a technician compares with the paperwork; no PIN hash, no office secret."""
    _ = gettext_for(language)
    config = terminal.config
    printer, scanner, office, service, rules = (config.printer, config.scanner, config.office, config.service,
                                                config.rules)
    roles = [_role(role, language) for role in ROLES if getattr(service, f"{role}_pin_hash")]
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


def _short(text: str) -> str:
    """Free text for a row or a message: scrubbed, one line, cut to a readable length."""
    line = scrub(" ".join(text.split()))
    return line if len(line) <= _TEXT_MAX else line[:_TEXT_MAX - 1] + "…"


def _one_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc)
    return _short(text.splitlines()[0]) if text.strip() else type(exc).__name__
