"""What a technician sees and does in service mode: the overview, one page per part of the
terminal, and the actions that test and fix it. The service screens show these (through
``kiosk.service.presenter``); nothing here knows of Kivy.

The desk holds what the pages share (the terminal, the last office check, the last scan) and
hands each page and each action to the module of its part: ``printing``, ``scanning``,
``office`` (upload, directory, network) and ``system`` (storage, the terminal itself).

Every method may block for a bounded time (a printer status, an office check, an upload pass, an
integrity check): call them off the UI thread. ``act`` never raises: a failure comes back as a
``Done`` whose message says what to do next. Each action goes to the event log with the role
(``ServiceSession.record``), and from there to the office with the heartbeat. Customer data is
never shown here: account numbers are masked, free text from the office or the log goes through
``kiosk.masking.scrub``.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from functools import partial
from datetime import datetime, timezone
from typing import Callable

from sqlalchemy.exc import SQLAlchemyError

from kiosk.billcode import ScanResult
from kiosk.i18n import N_, Phrase, gettext_for
from kiosk.network_probe import OfficeProbe, ProbeRun
from kiosk.service import health, office, printing, scanning, system
from kiosk.service.access import SYSTEM, NotAllowed, ServiceAccess, ServiceSession
from kiosk.service.health import Devices, Health
from kiosk.service.view import CAPTIONS, PAGES, TITLES, Action, Done, Page, error_line, short, title
from kiosk.store.service import OutOfService
from kiosk.wiring import Terminal

log = logging.getLogger(__name__)

# The office check on the overview is reused by the network and system pages for this long.
PROBE_FRESH_S = 15.0

Outcome = tuple[Done, dict[str, object]]  # what happened, and what the event log keeps of it


@dataclass(frozen=True)
class SeenScan:
    at: datetime
    result: ScanResult
    service_card: bool


class ServiceDesk:
    def __init__(self, terminal: Terminal, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._terminal = terminal
        self.clock = clock
        self._acting = threading.Lock()  # one action at a time: a second tap is told to wait, not queued
        self._probe: OfficeProbe | None = None
        self._probe_at = float("-inf")
        self.last_scan: SeenScan | None = None
        self.scan_role: str | None = None  # who has the scanner page open

    @property
    def terminal(self) -> Terminal:
        """The terminal looked after: its ``service`` says who may enter, its ``config.service``
        how (the corner's hold time, the idle time)."""
        return self._terminal

    @property
    def access(self) -> ServiceAccess:
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
            return [self.known_failure(h) if h.subsystem == "storage" else h for h in healths]
        except Exception as exc:  # the overview must always show something
            log.exception("service overview failed")
            phrase = Phrase(N_("cannot be checked: {error}"), {"error": error_line(exc)})
            return [Health(name, health.RED, phrase.english, {}, phrase) for name in health.SUBSYSTEMS]

    def out_of_service(self) -> OutOfService | None:
        return self.access.out_of_service()

    def page(self, name: str, role: str, language: str) -> Page:
        builder = _PAGE_BUILDERS.get(name)
        if builder is None:
            raise ValueError(f"no service page {name!r}; pages: overview, {', '.join(PAGES)}")
        _ = gettext_for(language)
        try:
            return builder(self, role, language)
        except Exception as exc:  # a page that cannot be read says so instead of vanishing
            log.exception("service page %s failed", name)
            return Page(name, _(TITLES[name]), health.RED,
                        _("cannot be shown: {error}").format(error=error_line(exc)), (), ())

    def act(self, action: str, session: ServiceSession, language: str, *, slip: str | None = None) -> Done:
        """``slip``: for "reprint", the number or reference of the slip to copy (else the last)."""
        _ = gettext_for(language)
        run = _ACTIONS.get(action)
        if action == "reprint" and slip is not None:
            run = partial(printing.reprint, slip=slip)
        if run is None:
            return Done(False, _("Unknown action: {action}").format(action=short(action)))
        if not ServiceAccess.allowed(session.role, action):
            try:
                session.record(action)  # logs the refusal
            except NotAllowed:
                pass
            except Exception:
                log.exception("service refusal not logged")
            # Its button is greyed for this role: this comes from a remote shell or a stale screen.
            return Done(False, _("This needs an administrator: ask one to enter service mode with their own PIN."))
        if not self._acting.acquire(blocking=False):
            return Done(False, _("Another service action is still running: wait for it to finish."))
        try:
            try:
                done, detail = run(self, session, language)
            except Exception as exc:
                log.exception("service action %s failed", action)
                done = Done(False, _("{action} failed: {error}. Try again; if it fails again, call the service.")
                            .format(action=_(CAPTIONS[action]), error=error_line(exc)))
                detail = {"error": error_line(exc)}
            if action in ("out_of_service", "in_service"):
                session.touch()  # the switch is logged by ServiceAccess itself, with the role
            else:
                self._record(session, action, ok=done.ok, **detail)
            return done
        finally:
            self._acting.release()

    def scan_seen(self, result: ScanResult) -> None:
        """A scan made while the scanner page shows: its rows show it, the log counts it."""
        service_card = self.access.is_service_code(result.raw)
        self.last_scan = SeenScan(datetime.now(timezone.utc), result, service_card)
        kind = "service" if service_card else result.kind
        try:
            if self.scan_role is not None:
                self.access.record("scan_test", role=self.scan_role, read_as=kind, length=len(result.raw))
        except Exception:  # a full disk must not end the live test
            log.exception("scan test not logged")

    # --- what the pages share -----------------------------------------------------------------

    def page_of(self, name: str, line: Health, rows: list[tuple[str, str]], actions: tuple[Action, ...],
                language: str, attention: frozenset[str] = frozenset()) -> Page:
        return Page(name, title(name, language), line.level, line.text(language), tuple(rows), actions, attention)

    def action(self, name: str, role: str, language: str) -> Action:
        return Action(name, gettext_for(language)(CAPTIONS[name]), ServiceAccess.allowed(role, name))

    def switch_action(self, role: str, language: str) -> Action:
        return self.action("out_of_service" if self.out_of_service() is None else "in_service", role, language)

    def known_failure(self, storage: Health) -> Health:
        """The storage line, red when this terminal failed to store a reading: a database that
        refuses writes still reads as intact, and the failure may be known only in memory."""
        if storage.level == health.RED:
            return storage
        state = self.access.out_of_service()
        if state is None or state.by != SYSTEM:
            return storage
        phrase = health.storage_failure(state.reason)
        return Health(storage.subsystem, health.RED, phrase.english, storage.facts, phrase)

    def why_office_failed(self, error: str, language: str) -> str:
        """A request to the office failed: the network check's words when it finds the cause (they
        say what to check), else the client's own message."""
        probe = self.fresh_probe(run=True, force=True)
        if probe is not None and probe.error is not None:
            return probe.error.text(language)
        return short(error)

    def devices(self) -> Devices:
        return health.app_devices(self._terminal)

    def forget_probe(self) -> None:
        """The office's answers seen so far are out of date (its directory was just pulled)."""
        self._probe_at = float("-inf")

    def fresh_probe(self, *, run: bool, force: bool = False) -> OfficeProbe | None:
        """The last office check when recent; with ``run``, a new one otherwise."""
        if run and (force or self.clock() - self._probe_at > PROBE_FRESH_S):
            probe = ProbeRun(self._terminal.config, self._directory_version())
            probe.start()
            self._keep_probe(probe.result())
        return self._probe

    def local(self, iso: str | None) -> str:
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

    def _directory_version(self) -> int:
        try:
            return self._terminal.store.directory.directory_version()
        except SQLAlchemyError:
            return 0

    def _keep_probe(self, probe: OfficeProbe | None) -> None:
        self._probe, self._probe_at = probe, self.clock()

    def _record(self, session: ServiceSession, action: str, **detail: object) -> None:
        try:
            session.record(action, **detail)
        except Exception:  # the action happened; a log that cannot be written is the storage page's news
            log.exception("service action %s not logged", action)


def _overview_page(desk: ServiceDesk, role: str, language: str) -> Page:
    _ = gettext_for(language)
    healths = desk.overview(language)
    worst = max(healths, key=lambda h: health.rank(h.level))
    reason = worst.text(language) if worst.level != health.GREEN else _("every part works")
    rows = tuple((title(h.subsystem, language), h.text(language)) for h in healths)
    return Page("overview", _(TITLES["overview"]), health.overall(healths), reason, rows,
                (desk.switch_action(role, language),))


_PAGE_BUILDERS: dict[str, Callable[[ServiceDesk, str, str], Page]] = {
    "overview": _overview_page,
    "printer": printing.printer_page,
    "scanner": scanning.scanner_page,
    "upload": office.upload_page,
    "directory": office.directory_page,
    "network": office.network_page,
    "storage": system.storage_page,
    "system": system.system_page,
}
_ACTIONS: dict[str, Callable[[ServiceDesk, ServiceSession, str], Outcome]] = {
    "test_slip": printing.test_slip,
    "new_roll": printing.new_roll,
    "reprint": printing.reprint,
    "send_now": office.send_now,
    "update_directory": office.update_directory,
    "check_network": office.check_network,
    "check_integrity": system.check_integrity,
    "out_of_service": system.out_of_service,
    "in_service": system.in_service,
}
