"""Terminals: provisioning and their lifecycle, checking each request's signature, heartbeats."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from sync import signing
from sync.office import audit
from sync.office.database import is_sqlite, writing
from sync.office.schema import nonces, terminals


class TerminalExists(Exception):
    pass


class UnknownTerminal(Exception):
    pass


class AuthError(Exception):
    """A request that is not provably from a provisioned, enabled terminal; ``code`` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class SignedHeaders:
    """What authentication needs apart from the body, which is checked by its digest later."""

    method: str
    path: str  # as sent on the wire, with the query string
    terminal_id: str | None
    timestamp: str | None
    nonce: str | None
    signature: str | None


@dataclass(frozen=True)
class TerminalRecord:
    id: str
    created_at: datetime
    last_seen_at: datetime | None
    enabled: bool


def utc_now() -> datetime:
    """Naive UTC, the form every DateTime column holds on both databases."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def add_terminal(engine: Engine, terminal_id: str, *, actor: str | None = None) -> str:
    """Provision a terminal and return its new secret (shown once, to be put in its config).
    ``actor``: the operator doing it, for the audit log (as for the functions below)."""
    if not signing.TERMINAL_ID.fullmatch(terminal_id):
        raise ValueError("a terminal id is 1 to 64 of A-Z a-z 0-9 . _ - (nothing else, not even a line break)")
    secret = signing.new_secret()
    try:
        with writing(engine) as connection:
            connection.execute(insert(terminals).values(id=terminal_id, secret=secret, created_at=utc_now(),
                                                        enabled=True))
            _audit(connection, actor, "terminal.add", terminal_id)
    except IntegrityError:
        raise TerminalExists(f"terminal {terminal_id} is already provisioned") from None
    return secret


def list_terminals(engine: Engine) -> list[TerminalRecord]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(terminals.c.id, terminals.c.created_at, terminals.c.last_seen_at, terminals.c.enabled)
            .order_by(terminals.c.id)).all()
    return [TerminalRecord(row.id, row.created_at, row.last_seen_at, bool(row.enabled)) for row in rows]


def set_enabled(engine: Engine, terminal_id: str, enabled: bool, *, actor: str | None = None) -> None:
    """Let a terminal in again, or keep it out (its readings and heartbeats stay)."""
    with writing(engine) as connection:
        changed = connection.execute(
            update(terminals).where(terminals.c.id == terminal_id).values(enabled=enabled)).rowcount
        if changed:
            _audit(connection, actor, "terminal.enable" if enabled else "terminal.disable", terminal_id)
    if not changed:
        raise UnknownTerminal(f"no terminal {terminal_id!r} is provisioned (see `kiosk office terminal list`)")


def rotate_secret(engine: Engine, terminal_id: str, *, actor: str | None = None) -> str:
    """Give the terminal a new secret and return it; the old one stops working at once, since
    every request's signature is checked against the secret in the database."""
    secret = signing.new_secret()
    with writing(engine) as connection:
        changed = connection.execute(
            update(terminals).where(terminals.c.id == terminal_id).values(secret=secret)).rowcount
        if changed:
            _audit(connection, actor, "terminal.rotate_secret", terminal_id)
    if not changed:
        raise UnknownTerminal(f"no terminal {terminal_id!r} is provisioned (see `kiosk office terminal list`)")
    return secret


def _audit(connection: Connection, actor: str | None, action: str, terminal_id: str) -> None:
    if actor is not None:
        audit.record(connection, utc_now(), actor, action, f"terminal:{terminal_id}")


class Authenticator:
    """Checks a request in two steps, so nothing of an unauthenticated body is ever parsed:
    ``check_headers`` before the body is read, without the database, then ``verify`` with the
    body's digest."""

    def __init__(self, engine: Engine, *, window: int = signing.CLOCK_WINDOW_SECONDS, clock=time.time) -> None:
        self._engine = engine
        self._window = window
        self._clock = clock
        self._requests = 0

    def check_headers(self, headers: SignedHeaders) -> None:
        if not (headers.terminal_id and headers.timestamp and headers.nonce and headers.signature):
            raise AuthError("unauthenticated", "the request is not signed (see sync/PROTOCOL.md)")
        if not (signing.TERMINAL_ID.fullmatch(headers.terminal_id) and signing.TIMESTAMP.fullmatch(headers.timestamp)
                and signing.NONCE.fullmatch(headers.nonce) and signing.SIGNATURE.fullmatch(headers.signature)):
            raise AuthError("bad_signature", "malformed authentication headers")
        if abs(self._clock() - int(headers.timestamp)) > self._window:
            raise AuthError("stale_timestamp", f"the timestamp is more than {self._window} s from the office's clock")

    def verify(self, headers: SignedHeaders, body_digest: str) -> str:
        """The authenticated terminal id, or AuthError; ``headers`` passed check_headers. The
        nonce is spent only by a request whose signature is good, so garbage cannot fill the
        replay cache; only a terminal that proves its secret learns that it is disabled."""
        with self._engine.connect() as connection:
            if not is_sqlite(self._engine):
                # Every request pays this, in round trips to the server: each statement below is
                # its own transaction, so there is no BEGIN and ROLLBACK around the one read, and
                # the nonce is spent by one statement.
                connection.execution_options(isolation_level="AUTOCOMMIT")
            row = connection.execute(
                select(terminals.c.secret, terminals.c.enabled).where(terminals.c.id == headers.terminal_id)
            ).first()
            expected = signing.signature_of_digest(row.secret if row else "", headers.method, headers.path,
                                                   headers.timestamp or "", headers.nonce or "", body_digest)
            # Unknown terminal and wrong signature answer alike: ids are not to be probed.
            if row is None or not signing.signature_matches(expected, headers.signature or ""):
                raise AuthError("bad_signature", "unknown terminal or bad signature")
            if not row.enabled:
                raise AuthError("terminal_disabled", "this terminal is disabled at the office; ask its operator")
            assert headers.terminal_id and headers.nonce  # check_headers saw them
            self._spend_nonce(connection, headers.terminal_id, headers.nonce, self._clock())
        return headers.terminal_id

    def _spend_nonce(self, connection: Connection, terminal_id: str, nonce: str, now: float) -> None:
        self._requests += 1
        spend = insert(nonces).values(terminal_id=terminal_id, nonce=nonce, seen_at=now)
        seen = update(terminals).values(last_seen_at=utc_now())
        connection.rollback()  # the read's transaction (SQLite's); the write's takes the write lock at once
        try:
            with connection.execution_options(immediate=True).begin():
                if is_sqlite(self._engine):  # no INSERT inside a WITH there, and no round trips to save
                    connection.execute(spend)
                    connection.execute(seen.where(terminals.c.id == terminal_id))
                else:
                    # the terminal's last contact is written by the statement that spends the
                    # nonce, and only when it was spent
                    spent = spend.returning(nonces.c.terminal_id).cte("spent")
                    connection.execute(seen.where(terminals.c.id.in_(select(spent.c.terminal_id))))
                if self._requests % 100 == 1:
                    # A nonce older than twice the window cannot be replayed: its timestamp is stale.
                    connection.execute(delete(nonces).where(nonces.c.seen_at < now - 2 * self._window))
        except IntegrityError:
            raise AuthError("replay", "this request was already received") from None


def heartbeat_of(text: str | None) -> dict | None:
    return json.loads(text) if text else None
