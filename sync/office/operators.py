"""The people who sign in to the office's pages: their roles, passwords and lockout.

Passwords are hashed with Argon2id (argon2-cffi's defaults: 64 MiB, 3 passes), so a copied table
costs an attacker memory as well as time for every guess. After ``LOCKOUT_AFTER`` wrong
passwords in a row the name is locked for ``LOCKOUT_FOR``, whoever tries: a guesser cannot go on,
and the operator learns of it from the page rather than from a lost account.
"""

from __future__ import annotations

import enum
import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from sync.office import audit as audit_log
from sync.office.database import writing
from sync.office.schema import operators
from sync.office.terminals import utc_now

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
MIN_PASSWORD = 10
MAX_PASSWORD = 200
LOCKOUT_AFTER = 5
LOCKOUT_FOR = timedelta(minutes=15)

_hasher = PasswordHasher()
# Verified against when the name is unknown, so an unknown name takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class Role(enum.IntEnum):
    """Each role can do what the ones below it can."""

    VIEWER = 1  # sees every page
    OPERATOR = 2  # acts on terminals: commands, acknowledging staff calls
    ADMIN = 3  # manages operators and terminals

    @property
    def word(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Role:
        try:
            return cls[text.upper()]
        except KeyError:
            raise ValueError(f"a role is viewer, operator or admin, not {text!r}") from None


@dataclass(frozen=True)
class Operator:
    name: str
    role: Role
    enabled: bool
    created_at: datetime
    locked_until: datetime | None
    session_version: int

    def can(self, role: Role) -> bool:
        return self.enabled and self.role >= role


class OperatorExists(Exception):
    pass


class UnknownOperator(Exception):
    pass


class LastAdmin(Exception):
    """The change would leave the office without an enabled admin, and so nobody to manage operators
    from the pages."""


class LoginRefused(Exception):
    """Wrong name or password, a disabled account, or a locked one; ``locked`` says which to tell."""

    def __init__(self, locked: bool) -> None:
        super().__init__("locked" if locked else "wrong name or password")
        self.locked = locked


def new_password() -> str:
    """About 96 bits, in letters and digits that survive being read out and typed."""
    return secrets.token_urlsafe(12)


def check_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ValueError(f"a password is {MIN_PASSWORD} to {MAX_PASSWORD} characters long")
    return password


def audit(engine: Engine, actor: str, action: str, target: str, detail: str = "") -> None:
    """Log an operator's action that changed nothing in the office's tables (signing in or out)."""
    with writing(engine) as connection:
        audit_in(connection, actor, action, target, detail)


def audit_in(connection: Connection, actor: str, action: str, target: str, detail: str = "") -> None:
    audit_log.record(connection, utc_now(), actor, action, target, detail)


def add_operator(engine: Engine, name: str, role: Role, password: str | None = None, *, actor: str) -> str:
    """Create an operator; returns the password (the one given, or a new one to show once)."""
    if not NAME.fullmatch(name):
        raise ValueError("an operator's name is 1 to 64 of A-Z a-z 0-9 . _ @ - starting with a letter or digit")
    password = check_password(password) if password is not None else new_password()
    try:
        with writing(engine) as connection:
            connection.execute(insert(operators).values(name=name, role=role.word, password_hash=_hasher.hash(password),
                                                        enabled=True, created_at=utc_now()))
            audit_in(connection, actor, "operator.add", f"operator:{name}", role.word)
    except IntegrityError:
        raise OperatorExists(f"there is already an operator {name!r}") from None
    return password


def list_operators(engine: Engine) -> list[Operator]:
    with engine.connect() as connection:
        rows = connection.execute(select(operators).order_by(operators.c.name)).all()
    return [_operator(row) for row in rows]


def find(connection: Connection, name: str) -> Operator | None:
    row = connection.execute(select(operators).where(operators.c.name == name)).first()
    return _operator(row) if row else None


def set_enabled(engine: Engine, name: str, enabled: bool, *, actor: str) -> None:
    """Disabling ends the operator's sessions at once (their cookies name the old version). The last
    enabled admin cannot be disabled (LastAdmin)."""
    _change(engine, name, actor, "operator.enable" if enabled else "operator.disable", keep_an_admin=not enabled,
            enabled=enabled, session_version=operators.c.session_version + 1)


def set_role(engine: Engine, name: str, role: Role, *, actor: str) -> None:
    """The last enabled admin cannot become less (LastAdmin); the role counts from the next request."""
    _change(engine, name, actor, "operator.role", role.word, keep_an_admin=role is not Role.ADMIN, role=role.word)


def set_password(engine: Engine, name: str, password: str | None = None, *, actor: str) -> str:
    """A new password (the one given, or a new one to show once); ends every session and lifts a lock."""
    password = check_password(password) if password is not None else new_password()
    _change(engine, name, actor, "operator.passwd", password_hash=_hasher.hash(password), failed_logins=0, locked_until=None,
            session_version=operators.c.session_version + 1)
    return password


def _change(engine: Engine, name: str, actor: str, action: str, detail: str = "", *, keep_an_admin: bool = False,
            **values: object) -> None:
    """``keep_an_admin``: the change takes the operator's admin powers away, refused when they are the last."""
    with writing(engine) as connection:
        if keep_an_admin:
            _refuse_the_last_admin(connection, name)
        changed = connection.execute(update(operators).where(operators.c.name == name).values(**values)).rowcount
        if changed:
            audit_in(connection, actor, action, f"operator:{name}", detail)
    if not changed:
        raise UnknownOperator(f"there is no operator {name!r} (see `kiosk office operator list`)")


def _refuse_the_last_admin(connection: Connection, name: str) -> None:
    # The enabled admins' rows stay locked to the end of the transaction: two admins disabling each
    # other at once cannot both pass this check (PostgreSQL re-reads a row it waited for).
    admins = connection.execute(select(operators.c.name).where(operators.c.role == Role.ADMIN.word,
                                                               operators.c.enabled.is_(True)).with_for_update()).scalars().all()
    if name in admins and len(admins) == 1:
        raise LastAdmin(f"{name} is the last enabled admin: make another operator admin first")


def sign_in(engine: Engine, name: str, password: str, now: datetime | None = None) -> Operator:
    """The operator whose password this is, or LoginRefused. A locked name is refused without
    looking at the password, so guessing on during the lock learns nothing."""
    now = now or utc_now()
    with writing(engine) as connection:
        row = connection.execute(select(operators).where(operators.c.name == name).with_for_update()).first()
        if row is None:
            _verify(_DUMMY_HASH, password)
            raise LoginRefused(locked=False)
        if row.locked_until is not None and row.locked_until > now:
            raise LoginRefused(locked=True)
        if not _verify(row.password_hash, password) or not row.enabled:
            failures = row.failed_logins + 1
            locked = failures >= LOCKOUT_AFTER
            connection.execute(update(operators).where(operators.c.name == name).values(
                failed_logins=0 if locked else failures, locked_until=now + LOCKOUT_FOR if locked else None))
            if locked:  # for the admins: someone may be guessing
                audit_in(connection, name, "operator.lock", f"operator:{name}",
                         f"{LOCKOUT_AFTER} wrong passwords in a row; locked until {now + LOCKOUT_FOR:%Y-%m-%d %H:%M} UTC")
            # committed on leaving: the failure counts even though the caller sees an exception
            refusal = LoginRefused(locked=locked)
        else:
            refusal = None
            if row.failed_logins or row.locked_until is not None:
                connection.execute(update(operators).where(operators.c.name == name)
                                   .values(failed_logins=0, locked_until=None))
    if refusal is not None:
        raise refusal
    return replace(_operator(row), locked_until=None)


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def _operator(row) -> Operator:
    return Operator(row.name, Role.parse(row.role), bool(row.enabled), row.created_at, row.locked_until,
                    row.session_version)
