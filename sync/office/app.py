"""The office's HTTP API (sync/PROTOCOL.md), served as OpenAPI at ``/openapi.json``.

Every refusal is a 4xx with ``{"detail": {"code", "message"}}``; a database that is busy beyond
its timeout is a 503 with Retry-After, which terminals treat as "later", never as "no".
"""


import logging
import os
from datetime import timezone
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sync.office import directory, ingest, terminals
from sync.office.terminals import AuthError, Authenticator, SignedRequest
from sync.wire import (
    API_PREFIX,
    DEFAULT_DIRECTORY_PAGE,
    MAX_BODY_BYTES,
    MAX_DIRECTORY_PAGE,
    DirectoryPage,
    Heartbeat,
    HeartbeatAck,
    Problem,
    UploadBatch,
    UploadResults,
)

log = logging.getLogger(__name__)

_REFUSALS: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": description}
    for status, description in {
        401: "not signed, unknown terminal, bad signature, stale timestamp or replay",
        413: "body larger than the limit",
        422: "the body or a parameter does not match the schema",
        503: "the database is busy: try again after Retry-After",
    }.items()
}


# Smaller answers are sent as they are: gzip would gain a few bytes at best.
COMPRESS_FROM_BYTES = 1024

# The database of an office served by several worker processes: each opens its own engine.
DATABASE_VARIABLE = "KIOSK_OFFICE_DB"


def app_from_environment() -> FastAPI:
    """For uvicorn's worker processes (``kiosk office serve --workers N``); the parent migrated
    the database before they started."""
    from sync.office.database import open_engine

    return create_app(open_engine(os.environ[DATABASE_VARIABLE]))


def create_app(engine: Engine, *, max_body_bytes: int = MAX_BODY_BYTES, authenticator: Authenticator | None = None) -> FastAPI:
    app = FastAPI(title="Meter-reading kiosk: central office", version="1",
                  description="See sync/PROTOCOL.md for signing and semantics.")
    auth = authenticator or Authenticator(engine)
    # Directory pages are JSON of masked names and addresses, several times smaller gzipped: a new
    # terminal's first pull goes from about 270 to about 35 bytes a meter. Only for a client that
    # asks (Accept-Encoding). Level 3: a page within a third of level 9's size for a ninth of its
    # work, and the terminal waits while the office compresses each page. Signatures are over
    # requests, so a compressed answer changes nothing there.
    app.add_middleware(GZipMiddleware, minimum_size=COMPRESS_FROM_BYTES, compresslevel=3)

    async def terminal(
        request: Request,
        x_kiosk_terminal: Annotated[str | None, Header()] = None,
        x_kiosk_timestamp: Annotated[str | None, Header()] = None,
        x_kiosk_nonce: Annotated[str | None, Header()] = None,
        x_kiosk_signature: Annotated[str | None, Header()] = None,
    ) -> str:
        raw_path = request.scope.get("raw_path") or request.scope["path"].encode()
        query = request.scope.get("query_string", b"")
        path = (raw_path + (b"?" + query if query else b"")).decode("latin-1")
        signed = SignedRequest(request.method, path, await request.body(), x_kiosk_terminal,
                               x_kiosk_timestamp, x_kiosk_nonce, x_kiosk_signature)
        try:
            # the check reads and writes the database: off the event loop
            return await run_in_threadpool(auth.verify, signed)
        except AuthError as exc:
            raise StarletteHTTPException(401, detail={"code": exc.code, "message": exc.message}) from None

    Terminal = Annotated[str, Depends(terminal)]

    @app.post(f"{API_PREFIX}/submissions", response_model=UploadResults, responses=_REFUSALS)
    def upload(batch: UploadBatch, terminal_id: Terminal) -> UploadResults:
        """Store a batch; one result per item, in the order sent."""
        return UploadResults(results=ingest.store_batch(engine, terminal_id, batch.items))

    @app.get(f"{API_PREFIX}/directory", response_model=DirectoryPage, responses=_REFUSALS)
    def directory_changes(
        terminal_id: Terminal,
        since: Annotated[int, Query(ge=0, le=2**62)] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_DIRECTORY_PAGE)] = DEFAULT_DIRECTORY_PAGE,
    ) -> Response:
        """Changes after version ``since``, oldest first; apply each page in one transaction and
        store its ``version``; ask again while ``more`` is true."""
        return Response(directory.changes_page(engine, since, limit),
                        media_type="application/json")

    @app.post(f"{API_PREFIX}/heartbeat", response_model=HeartbeatAck, responses=_REFUSALS)
    def heartbeat(beat: Heartbeat, terminal_id: Terminal) -> HeartbeatAck:
        received = terminals.record_heartbeat(engine, terminal_id, beat)
        return HeartbeatAck(received_at=received.replace(tzinfo=timezone.utc))

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

    return BodyLimit(app, max_body_bytes)  # type: ignore[return-value]


def _code(status: int) -> str:
    return {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(status, "http_error")


class BodyLimit:
    """Refuses a body over the limit with 413 before the application sees it, whether the client
    declared its length or streams it chunked. ``app`` stays reachable for tests and OpenAPI."""

    def __init__(self, app: FastAPI, limit: int) -> None:
        self.app = app
        self.limit = limit

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await _too_large(send, self.limit)
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await _too_large(send, self.limit)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _too_large(send: Send, limit: int) -> None:
    response = JSONResponse({"detail": {"code": "too_large", "message": f"the body exceeds {limit} bytes"}},
                            status_code=413, headers={"Connection": "close"})
    await response({"type": "http"}, _nothing, send)  # type: ignore[arg-type]


async def _nothing() -> Message:
    return {"type": "http.disconnect"}
