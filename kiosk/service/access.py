"""Who may enter service mode, and whether customers are served: the core under the service screens.

Entry: a PIN is checked against every configured role's hash (always all of them, so the time
taken says nothing about which roles exist); ``[service] max_attempts`` wrong PINs in a row lock
entry for ``lockout_s``, and the lock lives in the store so pulling the plug does not lift it.
Out of service: a technician's switch, or the terminal's own when it cannot store a reading;
customers see a cover screen until a technician switches it back. Every entry, wrong PIN, lock,
service action and switch goes to the event log (which travels with the heartbeat), with the role.

A terminal that cannot store anything (disk full, read-only or damaged database) is the one a
technician is called to: entry never depends on the store. When it cannot count a wrong PIN, the
count and the lock are kept in memory; an event it cannot take goes to the program's log.

Calls that check a PIN take ~0.1 s of scrypt per configured role: make them off the UI thread.
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from sqlalchemy.exc import SQLAlchemyError

from kiosk.service import pins
from kiosk.config import Service
from kiosk.errors import StoreError
from kiosk.masking import scrub
from kiosk.store import Store
from kiosk.store.service import EntryLock, OutOfService
from kiosk.storage import one_line

log = logging.getLogger(__name__)

TECHNICIAN, ADMINISTRATOR = "technician", "administrator"
ROLES = (TECHNICIAN, ADMINISTRATOR)
SHELL = "shell"  # `kiosk service ...` from a remote shell
SYSTEM = "system"  # the terminal itself
# A reprint puts a customer's (masked) slip in a stranger's hand: administrators only.
ADMINISTRATOR_ONLY = frozenset({"reprint"})
STORAGE_FAILED = "cannot store readings"
# What the store raises when it cannot read or record: a database error, a full or read-only
# disk, a database that cannot be opened.
STORE_ERRORS = (SQLAlchemyError, OSError, StoreError)


class NotAllowed(Exception):
    """This role may not do that."""


@dataclass(frozen=True)
class Entry:
    """The answer to a PIN: a role, or why not."""

    role: str | None = None
    attempts_left: int | None = None  # after a wrong PIN, before the lock
    locked_until: datetime | None = None  # entry is locked (just now, or already)

    @property
    def granted(self) -> bool:
        return self.role is not None


class ServiceAccess:
    def __init__(self, store: Store, settings: Service,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self._store = store
        self._settings = settings
        self._clock = clock
        self._hashes = {role: getattr(settings, f"{role}_pin_hash") for role in ROLES}
        # Known even when the store could not record it: that is when it matters most.
        self._storage_failure: OutOfService | None = None
        # The wrong PINs in a row as this process knows them: the store's count while the store
        # can count, carried on here while it cannot. A lock set here lasts as long as this
        # process: a restart with the store still broken starts a fresh count. That is the
        # trade-off for letting a technician in when nothing can be stored.
        self._wrong = EntryLock(0, None)
        self._counting = threading.Lock()

    # --- entry ---------------------------------------------------------------------------

    @property
    def open_to_anyone(self) -> bool:
        """False when no role has a PIN: the corner gesture and the service card do nothing."""
        return any(self._hashes.values())

    def is_service_code(self, payload: str) -> bool:
        code = self._settings.service_code
        return bool(code) and hmac.compare_digest(payload.strip().encode(), code.encode())

    def locked_until(self) -> datetime | None:
        """When entry opens again, or None when it is open: the later of the store's lock and
        this process's. A clock set back cannot stretch a lock beyond lockout_s from now."""
        until = self._wrong.locked_until
        try:
            stored = self._store.service.entry_lock().locked_until
        except STORE_ERRORS as exc:
            log.warning("the PIN lock cannot be read, the one kept in memory holds: %s", one_line(exc))
        else:
            if stored is not None and (until is None or stored > until):
                until = stored
        now = self._clock()
        if until is None or until <= now:
            return None
        return min(until, now + timedelta(seconds=self._settings.lockout_s))

    def enter(self, pin: str, *, via: str = "corner") -> Entry:
        """Check a PIN typed after the corner gesture (via="corner") or a service card ("card")."""
        locked = self.locked_until()
        if locked is not None:
            self._event("service_entry_refused", via=via, locked_until=locked.isoformat())
            return Entry(locked_until=locked)
        matches = [role for role, encoded in self._hashes.items()
                   if encoded and pins.verify(pin, encoded)]  # every role checked: no early exit
        if matches:
            role = ADMINISTRATOR if ADMINISTRATOR in matches else matches[0]
            self._clear_wrong_pins()
            self._event("service_entry", role=role, via=via)
            return Entry(role=role)
        now = self._clock()
        lock = self._count_wrong_pin(now)
        if lock.locked_until is not None and lock.locked_until > now:  # this PIN was the last try
            self._event("service_pin_wrong", via=via, attempts_left=0)
            self._event("service_locked", until=lock.locked_until.isoformat(), attempts=self._settings.max_attempts)
            return Entry(attempts_left=0, locked_until=lock.locked_until)
        attempts_left = self._settings.max_attempts - lock.failed_pins
        self._event("service_pin_wrong", via=via, attempts_left=attempts_left)
        return Entry(attempts_left=attempts_left)

    def session(self, role: str) -> "ServiceSession":
        return ServiceSession(self, role, self._settings.idle_s)

    def leave(self, *, role: str, idle: bool) -> None:
        self._event("service_left", role=role, idle=idle)

    def _count_wrong_pin(self, now: datetime) -> EntryLock:
        """One more wrong PIN, in the store when it can take it, else in memory; the
        max_attempts-th locks entry until now + lockout_s."""
        max_attempts, lockout = self._settings.max_attempts, timedelta(seconds=self._settings.lockout_s)
        with self._counting:
            try:
                lock = self._store.service.count_wrong_pin(max_attempts=max_attempts, lockout=lockout, now=now)
            except STORE_ERRORS as exc:
                log.warning("a wrong service PIN cannot be stored, counted in memory: %s", one_line(exc))
                failed, until = self._wrong.failed_pins + 1, self._wrong.locked_until
                if failed >= max_attempts:
                    failed, until = 0, now + lockout
                lock = EntryLock(failed, until)
            self._wrong = lock
            return lock

    def _clear_wrong_pins(self) -> None:
        with self._counting:
            self._wrong = EntryLock(0, None)
            try:
                self._store.service.clear_wrong_pins()
            except STORE_ERRORS as exc:
                log.warning("the wrong service PINs cannot be cleared in the store: %s", one_line(exc))

    def _event(self, kind: str, *, role: str | None = None, **detail: object) -> None:
        """An event for the event log; when the store cannot take it, the program's log (the
        service's journal) keeps it instead, and service mode goes on."""
        try:
            self._store.events.append(kind, role=role, **detail)
        except STORE_ERRORS as exc:
            log.warning("event not stored (%s): %s role=%s %s", one_line(exc), kind, role,
                        " ".join(f"{key}={value}" for key, value in detail.items()))

    # --- what a role may do --------------------------------------------------------------

    @staticmethod
    def allowed(role: str, action: str) -> bool:
        return role == ADMINISTRATOR or (role in (TECHNICIAN, SHELL) and action not in ADMINISTRATOR_ONLY)

    def record(self, action: str, *, role: str, **detail: object) -> None:
        """Log a service action (test slip, scan test, send now, ...); refused when the role
        may not do it, so call it before acting."""
        if not self.allowed(role, action):
            self._event("service_refused", role=role, action=action)
            raise NotAllowed(f"{role} may not {action}")
        self._event(f"service_{action}", role=role, **detail)

    # --- out of service ------------------------------------------------------------------

    def out_of_service(self) -> OutOfService | None:
        """Why customers see the cover screen, or None when they are served. Never raises: a
        database that cannot be read is itself a reason."""
        if self._storage_failure is not None:
            return self._storage_failure
        try:
            return self._store.service.out_of_service()
        except STORE_ERRORS as exc:
            return OutOfService(self._clock(), SYSTEM, f"{STORAGE_FAILED}: {one_line(exc)}")

    def switch_out_of_service(self, *, role: str, reason: str) -> OutOfService:
        reason = scrub(reason)  # shown on screens and in `kiosk status`, logged, sent to the office
        state = self._store.service.set_out_of_service(by=role, reason=reason, now=self._clock())
        self._event("out_of_service", role=role, reason=reason)
        return state

    def switch_in_service(self, *, role: str) -> None:
        """Serve customers again. Raises StoreError when the database still cannot be written:
        the terminal stays out of service, and the technician sees why."""
        try:
            self._store.service.set_in_service()
            self._store.events.append("in_service", role=role)
        except STORE_ERRORS as exc:
            raise StoreError(f"{STORAGE_FAILED}: {one_line(exc)}") from None
        self._storage_failure = None

    def storage_failed(self, error: BaseException | str) -> OutOfService:
        """The app calls this when storing a reading failed (disk full, database error). The
        terminal goes out of service at once, in memory; the store is told too when it can
        still take that much, so `kiosk status` and a restart see it."""
        detail = one_line(error) if isinstance(error, BaseException) else error.partition("\n")[0][:200]
        reason = f"{STORAGE_FAILED}: {detail}"
        self._storage_failure = OutOfService(self._clock(), SYSTEM, reason)
        log.error("out of service: %s", reason)
        try:
            self._store.service.set_out_of_service(by=SYSTEM, reason=reason, now=self._storage_failure.since)
            self._store.events.append("out_of_service", role=SYSTEM, reason=reason)
        except STORE_ERRORS as exc:
            log.error("the out-of-service switch could not be stored either: %s", one_line(exc))
        return self._storage_failure


class ServiceSession:
    """One technician's visit; it ends by itself after ``idle_s`` without a touch."""

    def __init__(self, access: ServiceAccess, role: str, idle_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.access = access
        self.role = role
        self._idle_s = idle_s
        self._clock = clock
        self._last_touch = clock()

    def touch(self) -> None:
        self._last_touch = self._clock()

    def idle_for(self) -> float:
        return self._clock() - self._last_touch

    @property
    def expired(self) -> bool:
        return self.idle_for() >= self._idle_s

    def record(self, action: str, **detail: object) -> None:
        self.touch()
        self.access.record(action, role=self.role, **detail)

    def leave(self, *, idle: bool = False) -> None:
        self.access.leave(role=self.role, idle=idle)

