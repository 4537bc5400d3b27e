"""The office's HTTP API (sync/PROTOCOL.md), served as OpenAPI at ``/openapi.json``.

Every refusal is a 4xx with ``{"detail": {"code", "message"}}``; a database that is busy beyond
its timeout is a 503 with Retry-After, which terminals treat as "later", never as "no".
"""


import hashlib
import hmac
import logging
import os
import sys
import time
from datetime import timedelta, timezone
from tempfile import SpooledTemporaryFile
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sync.office import directory, export, fleet, ingest, money
from sync.office import metrics
from sync.office.alerts import AlertRules
from sync.office.web import pages
from sync.office.web.pages import FORM_BODY_BYTES
from sync.office.settings import (
    CLOCK_SKEW_VARIABLE,
    CONFIG_VARIABLE,
    DATABASE_VARIABLE,
    DEFAULT_MAX_CLOCK_SKEW,
    DEFAULT_POOL_SIZE,
    POOL_SIZE_VARIABLE,
    WORKERS_VARIABLE,
    OfficeConfig,
    load_config,
    parse_duration,
)
from sync.office.terminals import AuthError, Authenticator, SignedHeaders
from sync.signing import HEADER_NONCE, HEADER_SIGNATURE, HEADER_TERMINAL, HEADER_TIMESTAMP
from sync.wire import (
    API_PREFIX,
    DEFAULT_DIRECTORY_PAGE,
    MAX_BODY_BYTES,
    MAX_DIRECTORY_PAGE,
    DirectoryPage,
    Heartbeat,
    HeartbeatAck,
    Problem,
    TariffList,
    UploadBatch,
    UploadResults,
)

log = logging.getLogger(__name__)

_REFUSALS: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": description}
    for status, description in {
        401: "not signed, unknown terminal, bad signature, stale timestamp, replay, or terminal disabled",
        413: "body larger than the limit",
        422: "the body or a parameter does not match the schema",
        503: "the database is busy: try again after Retry-After",
    }.items()
}


BILLING_PREFIX = "/billing/v1"

# Where the Gate leaves the authenticated terminal's id for the endpoints.
TERMINAL_SCOPE_KEY = "kiosk.terminal"

# Smaller answers are sent as they are: gzip would gain a few bytes at best.
COMPRESS_FROM_BYTES = 1024


# How long a thread may hold the interpreter while another waits for it (Python's default is
# 5 ms). A serving process has one thread per request in flight: each of a heartbeat's dozen
# waits (on the database, on the event loop) ends by asking for the interpreter back, and while
# an operator's page spends 50-100 ms of CPU in the same process, each such ask waited out a
# whole interval. At 2,000 terminals the heartbeats that met a fleet page render in their worker
# took 37 ms at the median and 80 at the 99th percentile, against 6 and 27 for the others, and
# made most of the fleet's 99th percentile; at 0.5 ms, 23 and 38.
SWITCH_INTERVAL_S = 0.0005


def tune_serving_process() -> None:
    """For a process that serves the office (``kiosk office serve``, each of its workers)."""
    sys.setswitchinterval(SWITCH_INTERVAL_S)


def app_from_environment() -> ASGIApp:
    """For uvicorn's worker processes (``kiosk office serve --workers N``), which learn their
    settings from the environment; the parent checked the schema before they started."""
    from sync.office.database import open_engine

    tune_serving_process()

    engine = open_engine(os.environ[DATABASE_VARIABLE],
                         pool_size=int(os.environ.get(POOL_SIZE_VARIABLE, DEFAULT_POOL_SIZE)))
    skew = os.environ.get(CLOCK_SKEW_VARIABLE)
    return create_app(engine, max_clock_skew=parse_duration(skew) if skew else DEFAULT_MAX_CLOCK_SKEW,
                      config=load_config(os.environ.get(CONFIG_VARIABLE)),
                      workers=int(os.environ.get(WORKERS_VARIABLE, "1")))


def create_app(engine: Engine, *, max_body_bytes: int = MAX_BODY_BYTES, authenticator: Authenticator | None = None,
               max_clock_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW, config: OfficeConfig | None = None,
               workers: int = 1) -> ASGIApp:
    """The office's API and pages; ``workers``: how many processes serve them together (each
    holds its own share of the public page's rate limit)."""
    config = config or OfficeConfig()
    app = FastAPI(title="Meter-reading kiosk: central office", version="1",
                  description="See sync/PROTOCOL.md for signing and semantics.")
    # Directory pages are JSON of masked names and addresses, several times smaller gzipped: a new
    # terminal's first pull goes from about 270 to about 35 bytes a meter. Only for a client that
    # asks (Accept-Encoding). Level 3: a page within a third of level 9's size for a ninth of its
    # work, and the terminal waits while the office compresses each page. Signatures are over
    # requests, so a compressed answer changes nothing there.
    app.add_middleware(GZipMiddleware, minimum_size=COMPRESS_FROM_BYTES, compresslevel=3)

    async def terminal(
        request: Request,
        # Declared for the OpenAPI description only: the Gate checked them before the body was read.
        x_kiosk_terminal: Annotated[str | None, Header()] = None,
        x_kiosk_timestamp: Annotated[str | None, Header()] = None,
        x_kiosk_nonce: Annotated[str | None, Header()] = None,
        x_kiosk_signature: Annotated[str | None, Header()] = None,
    ) -> str:
        return request.scope[TERMINAL_SCOPE_KEY]

    Terminal = Annotated[str, Depends(terminal)]

    @app.get("/healthz", responses={503: {"description": "the database does not answer"}})
    def healthz() -> JSONResponse:
        """For load balancers and monitoring; no authentication, and nothing but the status."""
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            log.warning("health check: the database does not answer: %s", str(exc).splitlines()[0])
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    @app.post(f"{API_PREFIX}/submissions", response_model=UploadResults, responses=_REFUSALS)
    def upload(batch: UploadBatch, terminal_id: Terminal) -> UploadResults:
        """Store a batch; one result per item, in the order sent."""
        results = ingest.store_batch(engine, terminal_id, batch.items, max_clock_skew=max_clock_skew)
        metrics.count_ingest(outcome.status for outcome in results)
        return UploadResults(results=results)

    @app.get(f"{API_PREFIX}/directory", response_model=DirectoryPage, responses=_REFUSALS)
    def directory_changes(
        terminal_id: Terminal,
        since: Annotated[int, Query(ge=0, le=2**62)] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_DIRECTORY_PAGE)] = DEFAULT_DIRECTORY_PAGE,
        include: Annotated[Literal["money"] | None, Query()] = None,
    ) -> Response:
        """Changes after version ``since``, oldest first; apply each page in one transaction and
        store its ``version``; ask again while ``more`` is true. ``include=money`` adds each
        meter's tariff and billed history."""
        return Response(directory.changes_page(engine, since, limit, money=include == "money"),
                        media_type="application/json")

    @app.get(f"{API_PREFIX}/tariffs", response_model=TariffList, responses=_REFUSALS)
    def tariffs(terminal_id: Terminal) -> Response:
        """Every price of every tariff, with a version that changes when they do."""
        return Response(money.tariff_list(engine), media_type="application/json")

    # Fields left at their defaults stay out of the answer: a terminal without the "commands"
    # capability predates ``commands`` and would refuse an answer that names it.
    @app.post(f"{API_PREFIX}/heartbeat", response_model=HeartbeatAck, response_model_exclude_defaults=True,
              responses=_REFUSALS)
    def heartbeat(beat: Heartbeat, request: Request, terminal_id: Terminal) -> HeartbeatAck:
        # the signed timestamp, checked by the Gate: the terminal's clock, for the clock-skew alert
        stamp = request.headers.get(HEADER_TIMESTAMP, "")
        answer = fleet.record_heartbeat(engine, terminal_id, beat, terminal_clock=int(stamp) if stamp.isdigit() else None,
                                        keep_days=config.heartbeat_days)
        return HeartbeatAck(received_at=answer.received_at.replace(tzinfo=timezone.utc), commands=answer.commands)

    @app.get(f"{BILLING_PREFIX}/readings", responses={
        401: {"model": Problem, "description": "no or wrong bearer token"},
        404: {"model": Problem, "description": "the office has no [office] billing_token: the endpoint is off"},
        422: {"model": Problem, "description": "a parameter out of range"}})
    def billing_readings(
        authorization: Annotated[str | None, Header()] = None,
        after: Annotated[int, Query(ge=0, le=2**62)] = 0,
        limit: Annotated[int, Query(ge=1, le=export.MAX_PAGE)] = export.DEFAULT_PAGE,
    ) -> JSONResponse:
        """The submissions after cursor ``after`` and the ``cursor`` to ask from next, in one
        consistent snapshot (sync/PROTOCOL.md, "Billing"). Asking from a cursor tells the office
        that billing holds everything up to it."""
        if not config.billing_token:
            return JSONResponse({"detail": {"code": "not_found", "message": "Not Found"}}, status_code=404)
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), config.billing_token.encode()):
            return JSONResponse({"detail": {"code": "unauthenticated", "message": "a bearer token is needed"}},
                                status_code=401, headers={"WWW-Authenticate": "Bearer"})
        return JSONResponse(export.export_after(engine, after, limit, acknowledge=True).as_dict())

    @app.get("/metrics", include_in_schema=False)
    def prometheus(authorization: Annotated[str | None, Header()] = None) -> Response:
        """Prometheus's text format; with ``[office] metrics_token``, only for that bearer token."""
        if config.metrics_token and not _bearer_matches(authorization, config.metrics_token):
            return JSONResponse({"detail": {"code": "unauthenticated", "message": "a bearer token is needed"}},
                                status_code=401, headers={"WWW-Authenticate": "Bearer"})
        return Response(metrics.exposition(engine, AlertRules(paper_days=config.paper_days_alert)),
                        media_type=metrics.CONTENT_TYPE)

    pages.mount(app, engine, config, workers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, dict) else {"code": _code(exc.status_code), "message": str(exc.detail)}
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        # Only where and what: echoing the input back could be large or carry odd types.
        problems = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in errors[:10])
        more = f" (and {len(errors) - 10} more)" if len(errors) > 10 else ""
        return JSONResponse({"detail": {"code": "invalid_request", "message": (problems + more)[:2000]}}, status_code=422)

    @app.exception_handler(OperationalError)
    async def _busy(_: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", exc.orig)
        return JSONResponse({"detail": {"code": "busy", "message": "the database is busy, try again"}},
                            status_code=503, headers={"Retry-After": "5"})

    return Gate(app, authenticator or Authenticator(engine), max_body_bytes)


def _bearer_matches(authorization: str | None, token: str) -> bool:
    scheme, _, given = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def _code(status: int) -> str:
    return {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(status, "http_error")


class Gate:
    """Everything a request must pass before FastAPI reads its body: the size limit, and for the
    terminal endpoints (under /api/) the signature, timestamp and nonce.

    The body is streamed: a body over the limit is refused with 413 as soon as it crosses it,
    whether the client declared its length or not. A request without well-formed, current
    signature headers is answered 401 after its body has been read and thrown away (so the client
    sees the answer rather than a reset), holding no more than one chunk at a time. With such
    headers, the body is spooled while its digest is computed, and reaches the application only
    when the signature over that digest is good. ``app`` stays reachable for tests and OpenAPI.

    Every request is timed here, from the Gate's first look to the answer's last byte, into the
    latency histogram (``sync.office.metrics``): a terminal's request is authenticated (a read
    and a write in the database) before it reaches the application, and its time is part of
    what the terminal waits for. A request the Gate refuses counts under route ``unmatched``."""

    def __init__(self, app: FastAPI, authenticator: Authenticator, limit: int) -> None:
        self.app = app
        self.authenticator = authenticator
        self.limit = limit

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        try:
            await self._checked(scope, receive, send)
        finally:
            metrics.observe(scope, time.perf_counter() - started)

    async def _checked(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await _refuse(send, 413, "too_large", f"the body exceeds {self.limit} bytes")
            return
        if not scope["path"].startswith(API_PREFIX + "/"):
            # the pages take a form's few fields at most; the rest take no body, and theirs is dropped
            kept = FORM_BODY_BYTES if scope["method"] == "POST" else 0
            form = await _collect(receive, self.limit, kept)
            if form == _TOO_LARGE:
                await _refuse(send, 413, "too_large", f"the body exceeds {self.limit} bytes")
            elif isinstance(form, bytes):
                await self.app(scope, _replay(form, receive), send)
            return
        raw_path = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string", b"")
        signed = SignedHeaders(
            scope["method"], (raw_path + (b"?" + query if query else b"")).decode("latin-1"),
            headers.get(HEADER_TERMINAL.lower()), headers.get(HEADER_TIMESTAMP.lower()),
            headers.get(HEADER_NONCE.lower()), headers.get(HEADER_SIGNATURE.lower()))
        try:
            self.authenticator.check_headers(signed)
        except AuthError as refusal:
            outcome = await _drain(receive, self.limit)
            if outcome == _TOO_LARGE:
                await _refuse(send, 413, "too_large", f"the body exceeds {self.limit} bytes")
            elif outcome != _GONE:
                await _refuse(send, 401, refusal.code, refusal.message)
            return
        body = await _read(receive, self.limit)
        if isinstance(body, str):
            if body == _TOO_LARGE:
                await _refuse(send, 413, "too_large", f"the body exceeds {self.limit} bytes")
            return
        spool, digest = body
        with spool:
            try:
                # the check reads and writes the database: off the event loop
                scope[TERMINAL_SCOPE_KEY] = await run_in_threadpool(self.authenticator.verify, signed, digest)
            except AuthError as refusal:
                await _refuse(send, 401, refusal.code, refusal.message)
                return
            except OperationalError as exc:
                await _refuse_busy(send, exc)
                return
            content = spool.read()
        await self.app(scope, _replay(content, receive), send)


_TOO_LARGE = "too large"
_GONE = "client gone"


async def _drain(receive: Receive, limit: int) -> str | None:
    """Read a body to its end without keeping it; _TOO_LARGE once it crosses the limit."""
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return _GONE
        size += len(message.get("body", b""))
        if size > limit:
            return _TOO_LARGE
        if not message.get("more_body", False):
            return None


async def _collect(receive: Receive, limit: int, kept: int) -> bytes | str:
    """A body of at most ``kept`` bytes; a longer one (up to ``limit``) is read and dropped,
    and reaches the application empty. _TOO_LARGE past ``limit``, _GONE if the client left."""
    size, parts = 0, []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return _GONE
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return _TOO_LARGE
        if size <= kept:
            parts.append(chunk)
        if not message.get("more_body", False):
            return b"".join(parts) if size <= kept else b""


# A signed body is held in memory up to this size and in a temporary file beyond it,
# until its signature is checked: bodies with forged signatures, however many at once, cost the
# office a file each for a moment, never its memory (which a Python process does not give back).
SPOOL_IN_MEMORY_BYTES = 256 * 1024  # a batch of 500 readings fits


async def _read(receive: Receive, limit: int) -> tuple[SpooledTemporaryFile, str] | str:
    """A body, spooled, with its SHA-256 (hex); or _TOO_LARGE, or _GONE."""
    spool = SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES, prefix="kiosk-office-body-")
    size, digest = 0, hashlib.sha256()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            spool.close()
            return _GONE
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            spool.close()
            return _TOO_LARGE
        digest.update(chunk)
        spool.write(chunk)
        if not message.get("more_body", False):
            spool.seek(0)
            return spool, digest.hexdigest()


def _replay(body: bytes, receive: Receive) -> Receive:
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _refuse(send: Send, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
    if status == 413:
        headers = {"Connection": "close"}  # the rest of the body is not read
    response = JSONResponse({"detail": {"code": code, "message": message}}, status_code=status, headers=headers)
    await response({"type": "http"}, _nothing, send)


async def _refuse_busy(send: Send, exc: OperationalError) -> None:
    log.warning("database unavailable: %s", exc.orig)
    await _refuse(send, 503, "busy", "the database is busy, try again", {"Retry-After": "5"})


async def _nothing() -> Message:
    return {"type": "http.disconnect"}
