"""Who is signed in, and that a form came from our own page.

The session is a signed cookie (itsdangerous, with the key the migration put in the database):
the operator's name, their session version and when it was made. Nothing is kept server-side,
so any worker of any instance accepts it; a new password or a disabled account bumps the version
and so ends every session at once. The cookie is HttpOnly (no script reads it), SameSite=Lax (a
form on another site cannot send it), and Secure when the office is reached over HTTPS.

CSRF: every visitor gets a random token in a second signed cookie; each form carries it in a
hidden field, and a POST whose field does not match its cookie is refused. A page on another
site can make the browser send the cookie, but cannot read it to fill the field.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import Engine, select

from sync.office.schema import web_key

SESSION_COOKIE = "kiosk_office_session"
CSRF_COOKIE = "kiosk_office_csrf"
CSRF_FIELD = "csrf"
# A working day and then some: a session started in the morning lasts the shift.
SESSION_SECONDS = 12 * 3600
CSRF_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Session:
    operator: str
    version: int


class Signer:
    def __init__(self, key: str) -> None:
        self._sessions = URLSafeTimedSerializer(key, salt="office-session")
        self._csrf = URLSafeTimedSerializer(key, salt="office-csrf")

    @classmethod
    def from_database(cls, engine: Engine) -> Signer:
        with engine.connect() as connection:
            return cls(connection.execute(select(web_key.c.key).where(web_key.c.id == 1)).scalar_one())

    def session_cookie(self, operator: str, version: int) -> str:
        return self._sessions.dumps({"o": operator, "v": version})

    def session(self, cookie: str | None) -> Session | None:
        if not cookie:
            return None
        try:
            data = self._sessions.loads(cookie, max_age=SESSION_SECONDS)
        except BadSignature:
            return None
        if not (isinstance(data, dict) and isinstance(data.get("o"), str) and isinstance(data.get("v"), int)):
            return None
        return Session(data["o"], data["v"])

    def new_csrf_cookie(self) -> tuple[str, str]:
        """(cookie value, the token forms carry)."""
        token = secrets.token_urlsafe(24)
        return self._csrf.dumps(token), token

    def csrf_token(self, cookie: str | None) -> str | None:
        if not cookie:
            return None
        try:
            token = self._csrf.loads(cookie, max_age=CSRF_SECONDS)
        except BadSignature:
            return None
        return token if isinstance(token, str) else None

    def csrf_matches(self, cookie: str | None, field: str | None) -> bool:
        token = self.csrf_token(cookie)
        if not token or not field:
            return False
        return hmac.compare_digest(token.encode(), field.encode())
