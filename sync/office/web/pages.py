"""The office's pages for its operators, and the public page a slip's QR code opens.

Server-rendered HTML (Jinja2), no script: every action is a form. Every page but ``/login``,
``/r/…`` and the style sheet needs a signed-in operator; a request without one is sent to
``/login``. Every form is checked for its CSRF token (sessions.py).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Callable
from urllib.parse import parse_qsl, quote, urlsplit

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine, select

from sync.office import audit, fleet, slips
from sync.office import operators as accounts
from sync.office.alerts import AlertRules
from sync.office.operators import LoginRefused, Operator, Role
from sync.office.database import writing
from sync.office.schema import submissions, terminals
from sync.office.settings import OfficeConfig
from sync.office.terminals import UnknownTerminal, utc_now
from sync.office.terminals import set_enabled as set_terminal_enabled
from sync.office.web import board, chart, fleet_rows, words
from sync.office.web.sessions import CSRF_COOKIE, CSRF_FIELD, SESSION_COOKIE, SESSION_SECONDS, Signer
from sync.reference import reference

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
LANGUAGE_COOKIE = "kiosk_office_lang"
# The public verification page: enough for a customer and a few neighbours behind one address,
# too few to walk the space of txn_ids (which is 122 random bits anyway).
VERIFY_PER_MINUTE = 30
# A form is a few fields; the Gate holds no more than this of a page's body.
FORM_BODY_BYTES = 16 * 1024
_STATIC_TYPES = {".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}


class SignInNeeded(Exception):
    pass


class Forbidden(Exception):
    pass


@dataclass(frozen=True)
class Page:
    """One request's context: who asks, in which language, with which CSRF token."""

    request: Request
    language: str
    operator: Operator | None
    csrf: str
    new_csrf_cookie: str | None

    @property
    def _(self) -> Callable[[str], str]:
        return words.gettext_for(self.language)


class RateLimit:
    """At most ``per_minute`` requests a minute from one client address, in this process."""

    def __init__(self, per_minute: int) -> None:
        self._per_minute = per_minute
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._seen) > 10_000:  # forget everyone quiet for a minute
                self._seen = {key: times for key, times in self._seen.items() if times and times[-1] > now - 60}
            times = self._seen.setdefault(client, deque())
            while times and times[0] <= now - 60:
                times.popleft()
            if len(times) >= self._per_minute:
                return False
            times.append(now)
            return True


async def posted_form(request: Request) -> dict[str, str]:
    """The posted fields, after the CSRF check (Forbidden when it fails). A dependency: the body is
    read on the event loop, and the action runs in a worker thread, off it (a password check alone
    takes tens of milliseconds of CPU)."""
    body = (await request.body()).decode("utf-8", errors="replace")
    try:
        fields = dict(parse_qsl(body, keep_blank_values=True, max_num_fields=50))
    except ValueError:  # more fields than any of our forms has
        raise Forbidden() from None
    signer: Signer = request.app.state.office_signer
    if not signer.csrf_matches(request.cookies.get(CSRF_COOKIE), fields.get(CSRF_FIELD)):
        raise Forbidden()
    return fields


Form = Annotated[dict[str, str], Depends(posted_form)]


def mount(app: FastAPI, engine: Engine, config: OfficeConfig, workers: int = 1) -> None:
    signer = Signer.from_database(engine)
    app.state.office_signer = signer
    rules = AlertRules(paper_days=config.paper_days_alert)
    templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                            trim_blocks=True, lstrip_blocks=True)
    # Each worker process counts its own requests: with the limit shared out, a client gets no
    # more from several workers than from one.
    verify_limit = RateLimit(max(1, VERIFY_PER_MINUTE // max(1, workers)))

    def page(request: Request) -> Page:
        language = words.language_of(request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE),
                                     request.headers.get("accept-language"))
        token = signer.csrf_token(request.cookies.get(CSRF_COOKIE))
        new_cookie = None
        if token is None:
            new_cookie, token = signer.new_csrf_cookie()
        return Page(request, language, _signed_in(request), token, new_cookie)

    def _signed_in(request: Request) -> Operator | None:
        session = signer.session(request.cookies.get(SESSION_COOKIE))
        if session is None:
            return None
        with engine.connect() as connection:
            operator = accounts.find(connection, session.operator)
        if operator is None or not operator.enabled or operator.session_version != session.version:
            return None
        return operator

    def require(request: Request, role: Role = Role.VIEWER) -> Page:
        context = page(request)
        if context.operator is None:
            raise SignInNeeded()
        if not context.operator.can(role):
            raise Forbidden()
        return context

    def render(context: Page, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        now = utc_now()
        durations = words.Durations(context.language, now)
        body = templates.get_template(template).render(
            _=context._, lang=context.language, operator=context.operator, csrf=context.csrf,
            csrf_field=CSRF_FIELD, path=context.request.url.path, query=context.request.url.query, now=now,
            since=durations.since, age=durations.age, duration=durations.duration,
            period=lambda text: words.period(text, context.language),
            Role=Role, command_words=COMMAND_WORDS, state_words=board.STATE_WORDS, paper_words=board.PAPER_WORDS, **values)
        response = HTMLResponse(body, status_code=status)
        # Pages show readings and terminals' states: not for shared caches, nor for the back button
        # of a browser someone else uses after sign-out.
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Content-Security-Policy"] = "default-src 'self'; img-src 'self' data:; form-action 'self'"
        response.headers["Referrer-Policy"] = "same-origin"
        secure = context.request.url.scheme == "https"
        if context.new_csrf_cookie:
            response.set_cookie(CSRF_COOKIE, context.new_csrf_cookie, httponly=True, samesite="lax", secure=secure)
        if context.request.query_params.get("lang") in words.LANGUAGES:
            response.set_cookie(LANGUAGE_COOKIE, context.language, max_age=365 * 86400, samesite="lax",
                                secure=secure)
        return response


    @app.exception_handler(SignInNeeded)
    def _to_login(request: Request, _: SignInNeeded) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(Forbidden)
    def _forbidden(request: Request, _: Forbidden) -> Response:
        return render(page(request), "message.html", status=403, title=N_("Not allowed"),
                      message=N_("Your role does not allow this, or the form was stale: go back, reload the page "
                                 "and try again."))

    @app.get("/", include_in_schema=False)
    def home() -> Response:
        return RedirectResponse("/fleet", status_code=303)

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        path = HERE / "static" / name
        if "/" in name or path.suffix not in _STATIC_TYPES or not path.is_file():
            return Response(status_code=404)
        return Response(path.read_bytes(), media_type=_STATIC_TYPES[path.suffix],
                        headers={"Cache-Control": "max-age=3600"})

    @app.get("/login", include_in_schema=False)
    def login_page(request: Request) -> Response:
        return render(page(request), "login.html", next=_local(request.query_params.get("next")))

    @app.post("/login", include_in_schema=False)
    def login(request: Request, fields: Form) -> Response:
        context = page(request)
        name, password = fields.get("name", "").strip(), fields.get("password", "")
        target = _local(fields.get("next"))
        try:
            operator = accounts.sign_in(engine, name, password)
        except LoginRefused as refusal:
            log.warning("sign-in refused for %r (%s)", name[:64], "locked" if refusal.locked else "wrong password")
            message = (N_("Too many wrong passwords: this name is locked for 15 minutes. An admin can lift the "
                          "lock by setting a new password.") if refusal.locked
                       else N_("Wrong name or password. Check the keyboard layout and Caps Lock."))
            return render(context, "login.html", status=401, next=target, name=name[:64], error=message)
        accounts.audit(engine, operator.name, "operator.sign_in", f"operator:{operator.name}")
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(SESSION_COOKIE, signer.session_cookie(operator.name, operator.session_version),
                            max_age=SESSION_SECONDS, httponly=True, samesite="lax",
                            secure=request.url.scheme == "https")
        return response

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request, fields: Form) -> Response:
        context = require(request)
        assert context.operator is not None
        accounts.audit(engine, context.operator.name, "operator.sign_out", f"operator:{context.operator.name}")
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @app.get("/fleet", include_in_schema=False)
    def fleet_page(request: Request, state: str | None = None, sort: str = "state",
                   asked_page: Annotated[str, Query(alias="page")] = "1") -> Response:
        context = require(request)
        now, everyone = fleet_board.rows()
        counts = {name: sum(1 for row in everyone if row.state == name) for name in board.STATES}
        shown = [row for row in everyone if state in (None, "", row.state)]
        if sort == "id":
            shown.sort(key=lambda row: row.id)
        elif sort == "heartbeat":
            shown.sort(key=lambda row: (row.heartbeat_at is not None, row.heartbeat_at or now))
        elif sort == "queue":
            shown.sort(key=lambda row: -(row.queue_depth or 0))
        alerts = [notice for row in everyone for notice in row.notices]
        pager = board.Pager.of(len(shown), asked_page)
        return render(context, "fleet.html", counts=counts, state=state or "", sort=sort, alerts=alerts,
                      total=len(everyone), pager=pager,
                      table_rows=fleet_rows.table_rows(shown[pager.first:pager.last],
                                                       words.Durations(context.language, now), context.language))

    def _places(terminal_id: str | None = None) -> dict[str, str]:
        query = select(terminals.c.id, terminals.c.place).where(terminals.c.place.is_not(None))
        if terminal_id is not None:
            query = query.where(terminals.c.id == terminal_id)
        with engine.connect() as connection:
            return {row.id: row.place for row in connection.execute(query)}

    fleet_board = board.FleetBoard(engine, rules, _places)

    @app.get("/terminals/{terminal_id}", include_in_schema=False)
    def terminal_page(request: Request, terminal_id: str, days: float = 1.0) -> Response:
        context = require(request)
        now = utc_now()
        state = fleet.terminal_state(engine, terminal_id, now=now)
        if state is None:
            return render(context, "message.html", status=404, title=N_("Not found"),
                          message=N_("There is no such terminal."))
        row = board.row_of(state, _places(terminal_id).get(terminal_id, ""), now, rules)
        days = days if days in CHART_DAYS else 1.0
        since, until = chart.window(days, now)
        _ = context._
        svg = chart.history_svg(fleet.history(engine, terminal_id, since), since, until, {
            "queue": _("Queue"), "paper": _("Paper"), "start": since.strftime("%Y-%m-%d %H:%M"),
            "end": until.strftime("%Y-%m-%d %H:%M UTC")},
            state.heartbeat.interval_s or 60 if state.heartbeat else 60)
        with engine.connect() as connection:
            recent = connection.execute(
                select(submissions.c.txn_id, submissions.c.payload, submissions.c.received_at)
                .where(submissions.c.terminal_id == terminal_id)
                .order_by(submissions.c.seq.desc()).limit(20)).all()
        return render(context, "terminal.html", row=row, chart=svg, days=days, chart_days=CHART_DAYS,
                      events=list(reversed(state.heartbeat.events)) if state.heartbeat else [],
                      commands=fleet.commands_of(engine, terminal_id, limit=20, now=now),
                      calls=fleet.staff_calls_of(engine, terminal_id, limit=20),
                      actions=fleet.ACTIONS, action_words=ACTION_WORDS,
                      history=audit.entries(engine, target=f"terminal:{terminal_id}", limit=20),
                      submissions=[_masked(slips.FoundSubmission(item.txn_id, reference(item.txn_id),
                                                                 json.loads(item.payload), item.received_at, False))
                                   for item in recent],
                      error=_error_words(request.query_params.get("error")))

    @app.post("/terminals/{terminal_id}/commands", include_in_schema=False)
    def send_command(request: Request, terminal_id: str, fields: Form) -> Response:
        context = require(request, Role.OPERATOR)
        assert context.operator is not None
        action = fields.get("action", "")
        reason = fields.get("reason", "").strip() or None
        lines = fields.get("lines", "").strip()
        try:
            fleet.issue_command(engine, terminal_id, action, context.operator.name,
                                reason=reason if action == "out_of_service" else None,
                                lines=int(lines) if action == "upload_logs" and lines.isdigit() else None)
        except UnknownTerminal:
            return render(context, "message.html", status=404, title=N_("Not found"),
                          message=N_("There is no such terminal."))
        except ValueError as problem:
            log.info("command refused for %s: %s", terminal_id, problem)
            error = "reason" if action == "out_of_service" and not reason else "command"
            return RedirectResponse(f"/terminals/{quote(terminal_id)}?error={error}", status_code=303)
        return RedirectResponse(f"/terminals/{quote(terminal_id)}#commands", status_code=303)

    @app.post("/terminals/{terminal_id}/staff-calls/{call_id}/acknowledge", include_in_schema=False)
    def acknowledge(request: Request, terminal_id: str, call_id: str, fields: Form) -> Response:
        context = require(request, Role.OPERATOR)
        assert context.operator is not None
        fleet.acknowledge_staff_call(engine, call_id, context.operator.name)
        back = _local(request.headers.get("referer", "").partition(request.url.netloc)[2] or None)
        return RedirectResponse(back if back.startswith("/fleet") else f"/terminals/{quote(terminal_id)}",
                                status_code=303)

    @app.post("/terminals/{terminal_id}/place", include_in_schema=False)
    def set_place(request: Request, terminal_id: str, fields: Form) -> Response:
        context = require(request, Role.ADMIN)
        place = fields.get("place", "").strip()[:200]
        assert context.operator is not None
        with writing(engine) as connection:
            connection.execute(terminals.update().where(terminals.c.id == terminal_id).values(place=place or None))
            accounts.audit_in(connection, context.operator.name, "terminal.place", f"terminal:{terminal_id}", place)
        return RedirectResponse(f"/terminals/{quote(terminal_id)}", status_code=303)

    @app.post("/terminals/{terminal_id}/enabled", include_in_schema=False)
    def set_enabled(request: Request, terminal_id: str, fields: Form) -> Response:
        """Let a terminal in, or shut it out (its requests refused, its data kept): admins only."""
        context = require(request, Role.ADMIN)
        enabled = fields.get("enabled") == "1"
        assert context.operator is not None
        try:
            set_terminal_enabled(engine, terminal_id, enabled, actor=context.operator.name)
        except UnknownTerminal:
            return render(context, "message.html", status=404, title=N_("Not found"),
                          message=N_("There is no such terminal."))
        return RedirectResponse(f"/terminals/{quote(terminal_id)}", status_code=303)

    @app.get("/find", include_in_schema=False)
    def find(request: Request, ref: str = "") -> Response:
        context = require(request)
        valid, found = True, []
        if ref:
            try:
                found = [_masked(item) for item in slips.by_reference(engine, ref)]
            except ValueError:
                valid = False
        return render(context, "find.html", ref=ref[:40], valid=valid, found=found)

    @app.get("/r/{txn_id}", include_in_schema=False)
    def verify(request: Request, txn_id: str) -> Response:
        context = page(request)
        if not verify_limit.allow(request.client.host if request.client else ""):
            response = render(context, "message.html", status=429, title=N_("Too many requests"),
                              message=N_("Please wait a minute and open the link again."))
            response.headers["Retry-After"] = "60"
            return response
        found = slips.by_txn_id(engine, txn_id) if len(txn_id) <= 40 else None
        if found is None:
            return render(context, "verify.html", status=404, slip=None)
        return render(context, "verify.html", slip=_masked(found), exported=found.exported)

    @app.get("/operators", include_in_schema=False)
    def operators_page(request: Request) -> Response:
        return _operators(require(request, Role.ADMIN))

    def _operators(context: Page, status: int = 200, error: str | None = None,
                   shown: tuple[str, str] | None = None) -> Response:
        """The list of operators; ``shown``: a name and the password just made for it, on this
        answer only (never stored in clear, never in a URL or a log)."""
        return render(context, "operators.html", status=status, operators=accounts.list_operators(engine),
                      roles=list(Role), error=error, shown=shown)

    def _admin(request: Request) -> tuple[Page, str]:
        context = require(request, Role.ADMIN)
        assert context.operator is not None
        return context, context.operator.name

    @app.post("/operators", include_in_schema=False)
    def add_operator(request: Request, fields: Form) -> Response:
        context, actor = _admin(request)
        name = fields.get("name", "").strip()[:64]
        return _password_made(context, name, lambda: accounts.add_operator(
            engine, name, Role.parse(fields.get("role", "")), actor=actor))

    @app.post("/operators/{name}/password", include_in_schema=False)
    def new_password(request: Request, name: str, fields: Form) -> Response:
        context, actor = _admin(request)
        return _password_made(context, name, lambda: accounts.set_password(engine, name, actor=actor))

    def _password_made(context: Page, name: str, make: Callable[[], str]) -> Response:
        """``make`` gives the operator ``name`` a new password, shown on this answer only."""
        try:
            password = make()
        except accounts.OperatorExists:
            return _operators(context, 409, N_("There is already an operator with this name."))
        except accounts.UnknownOperator:
            return _operators(context, 404, N_("There is no such operator."))
        except ValueError:
            return _operators(context, 400, N_("A name is 1 to 64 of the letters A-Z a-z, digits and . _ @ -, "
                                               "starting with a letter or digit; the role is one of the list."))
        assert context.operator is not None
        log.info("a new password for operator %s, made by %s", name, context.operator.name)
        return _operators(context, shown=(name, password))

    @app.post("/operators/{name}/role", include_in_schema=False)
    def change_role(request: Request, name: str, fields: Form) -> Response:
        context, actor = _admin(request)
        try:
            role = Role.parse(fields.get("role", ""))
        except ValueError:
            return _operators(context, 400, N_("The role is one of the list."))
        return _operator_changed(context, lambda: accounts.set_role(engine, name, role, actor=actor))

    @app.post("/operators/{name}/disable", include_in_schema=False)
    def disable_operator(request: Request, name: str, fields: Form) -> Response:
        context, actor = _admin(request)
        return _operator_changed(context, lambda: accounts.set_enabled(engine, name, False, actor=actor))

    @app.post("/operators/{name}/enable", include_in_schema=False)
    def enable_operator(request: Request, name: str, fields: Form) -> Response:
        context, actor = _admin(request)
        return _operator_changed(context, lambda: accounts.set_enabled(engine, name, True, actor=actor))

    def _operator_changed(context: Page, change: Callable[[], None]) -> Response:
        try:
            change()
        except accounts.UnknownOperator:
            return _operators(context, 404, N_("There is no such operator."))
        except accounts.LastAdmin:
            return _operators(context, 409, N_("This is the last enabled admin: make another operator admin "
                                               "first, or nobody could manage operators here."))
        return RedirectResponse("/operators", status_code=303)


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


CHART_DAYS = (1.0, 7.0, 30.0)
ACTION_WORDS = {"out_of_service": N_("Take out of service"), "in_service": N_("Return to service"),
                "send_now": N_("Send readings now"), "update_directory": N_("Update the directory"),
                "restart": N_("Restart the app"), "upload_logs": N_("Upload recent logs")}
COMMAND_WORDS = {"pending": N_("waiting for a heartbeat"), "sent": N_("sent"), "done": N_("done"),
                 "failed": N_("failed"), "expired": N_("expired")}
_ERRORS = {"reason": N_("Taking a terminal out of service needs a reason: the terminal shows it to the "
                        "technician."),
           "command": N_("The command was not sent: check its fields and try again.")}


def _error_words(code: str | None) -> str | None:
    return _ERRORS.get(code or "")


# Words the templates translate from values: roles, and what a zone counts.
_VALUE_WORDS = (N_("viewer"), N_("operator"), N_("admin"),
                N_("single"), N_("day"), N_("night"), N_("peak"), N_("semi_peak"))


def _local(target: str | None) -> str:
    """Only a path on this site: a link that signs in and then sends the operator elsewhere is a phish."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/fleet"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/fleet"


@dataclass(frozen=True)
class MaskedSlip:
    txn_id: str
    reference: str
    terminal_id: str
    account: str
    meter: str
    period: str
    taken_at: datetime
    received_at: datetime
    readings: list[dict[str, Any]]


def mask(text: str) -> str:
    """The last four characters, the rest as dots: enough to recognise one's own, not to learn another's."""
    return "•••" + text[-4:] if len(text) > 4 else "•" * len(text)


def _masked(found: slips.FoundSubmission) -> MaskedSlip:
    item = found.submission
    taken = datetime.fromisoformat(item["taken_at"])
    return MaskedSlip(found.txn_id, found.reference, item["terminal_id"], mask(item["account"]),
                      mask(item["meter"]), item["period"], taken, found.received_at, item["readings"])
