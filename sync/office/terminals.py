"""Terminals: provisioning, checking each request's signature, and their heartbeats."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from sync import signing
from sync.office.database import writing
from sync.office.schema import nonces, terminals
from sync.wire import Heartbeat


class TerminalExists(Exception):
    pass


class AuthError(Exception):
    """A request that is not provably from a provisioned terminal; ``code`` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class SignedRequest:
    method: str
    path: str  # as sent on the wire, with the query string
    body: bytes
    terminal_id: str | None
    timestamp: str | None
    nonce: str | None
    signature: str | None


def utc_now() -> datetime:
    """Naive UTC, the form every DateTime column holds on both databases."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def add_terminal(engine: Engine, terminal_id: str) -> str:
    """Provision a terminal and return its new secret (shown once, to be put in its config)."""
    if not signing.TERMINAL_ID.match(terminal_id):
        raise ValueError("a terminal id is 1 to 64 of A-Z a-z 0-9 . _ -")
    secret = signing.new_secret()
    try:
        with writing(engine) as connection:
            connection.execute(insert(terminals).values(id=terminal_id, secret=secret, created_at=utc_now()))
    except IntegrityError:
        raise TerminalExists(f"terminal {terminal_id} is already provisioned") from None
    return secret


class Authenticator:
    def __init__(self, engine: Engine, *, window: int = signing.CLOCK_WINDOW_SECONDS, clock=time.time) -> None:  # type: ignore[no-untyped-def]
        self._engine = engine
        self._window = window
        self._clock = clock
        self._requests = 0

    def verify(self, request: SignedRequest) -> str:
        """The authenticated terminal id, or AuthError. The nonce is spent only by a request
        whose signature is good, so garbage cannot fill the replay cache."""
        if not (request.terminal_id and request.timestamp and request.nonce and request.signature):
            raise AuthError("unauthenticated", "the request is not signed (see sync/PROTOCOL.md)")
        if not (signing.TERMINAL_ID.match(request.terminal_id) and signing.TIMESTAMP.match(request.timestamp)
                and signing.NONCE.match(request.nonce) and signing.SIGNATURE.match(request.signature)):
            raise AuthError("bad_signature", "malformed authentication headers")
        now = self._clock()
        if abs(now - int(request.timestamp)) > self._window:
            raise AuthError("stale_timestamp", f"the timestamp is more than {self._window} s from the office's clock")
        with self._engine.connect() as connection:
            secret = connection.execute(
                select(terminals.c.secret).where(terminals.c.id == request.terminal_id)
            ).scalar()
        expected = signing.signature(secret or "", request.method, request.path, request.timestamp,
                                     request.nonce, request.body)
        # Unknown terminal and wrong signature answer alike: ids are not to be probed.
        if secret is None or not signing.signature_matches(expected, request.signature):
            raise AuthError("bad_signature", "unknown terminal or bad signature")
        self._spend_nonce(request.terminal_id, request.nonce, now)
        return request.terminal_id

    def _spend_nonce(self, terminal_id: str, nonce: str, now: float) -> None:
        self._requests += 1
        try:
            with writing(self._engine) as connection:
                connection.execute(insert(nonces).values(terminal_id=terminal_id, nonce=nonce, seen_at=now))
                connection.execute(update(terminals).where(terminals.c.id == terminal_id)
                                   .values(last_seen_at=utc_now()))
                if self._requests % 100 == 1:
                    # A nonce older than twice the window cannot be replayed: its timestamp is stale.
                    connection.execute(delete(nonces).where(nonces.c.seen_at < now - 2 * self._window))
        except IntegrityError:
            raise AuthError("replay", "this request was already received") from None


def record_heartbeat(engine: Engine, terminal_id: str, heartbeat: Heartbeat) -> datetime:
    now = utc_now()
    with writing(engine) as connection:
        connection.execute(
            update(terminals).where(terminals.c.id == terminal_id)
            .values(heartbeat_at=now, heartbeat=heartbeat.model_dump_json())
        )
    return now


def heartbeat_of(text: str | None) -> dict | None:
    return json.loads(text) if text else None
