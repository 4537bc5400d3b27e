"""The terminal's HTTP client for the office: signed requests, bounded waits, checked answers.

Every failure becomes one of two exceptions: ``OfficeUnavailable`` (try again later: no network,
a timeout, a 5xx or 429, an answer that does not parse) or ``OfficeRefused`` (the office
understood and said no: a 4xx). The uploader decides what each means for the queue.
"""

from __future__ import annotations

import email.utils
import json
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar

import requests
from pydantic import BaseModel, ValidationError

from sync.signing import HmacAuth
from sync.wire import (
    API_PREFIX,
    DEFAULT_DIRECTORY_PAGE,
    DirectoryPage,
    Heartbeat,
    HeartbeatAck,
    TariffList,
    UploadResults,
)

Answer = TypeVar("Answer", bound=BaseModel)
# A Retry-After beyond this is a misconfigured or hostile office; we wait this long at most.
MAX_RETRY_AFTER = 3600.0


@dataclass(frozen=True)
class OfficeTime:
    """The office's clock as its last answer told it (the Date header), and this terminal's
    clock when that answer arrived."""

    office: datetime
    here: datetime

    @property
    def ahead_s(self) -> float:
        """How far this terminal's clock runs ahead of the office's (negative: behind). The
        header has whole seconds only."""
        return (self.here - self.office).total_seconds()


def office_time(date_header: str | None) -> OfficeTime | None:
    """The office's time from an answer's Date header, or None when it has none that parses."""
    if not date_header:
        return None
    try:
        when = email.utils.parsedate_to_datetime(date_header)
    except (TypeError, ValueError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return OfficeTime(office=when, here=datetime.now(timezone.utc))


class OfficeError(Exception):
    pass


class OfficeUnavailable(OfficeError):
    """Try again later; ``retry_after`` is the office's own advice in seconds, when it gave one."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OfficeRefused(OfficeError):
    """The office answered with a 4xx other than 429."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"HTTP {status} {code}: {message}")
        self.status = status
        self.code = code


@dataclass(frozen=True)
class OfficeSettings:
    url: str
    terminal_id: str
    secret: str
    ca_bundle: str = ""  # empty: the system's trust store
    connect_timeout: float = 5.0
    read_timeout: float = 15.0

    @classmethod
    def from_config(cls, config: Any) -> "OfficeSettings":
        """From the kiosk's Config (``[office]`` and ``[terminal] id``)."""
        office = config.office
        return cls(url=office.url, terminal_id=config.terminal.id, secret=office.secret,
                   ca_bundle=office.ca_bundle, connect_timeout=office.connect_timeout,
                   read_timeout=office.read_timeout)


class OfficeClient:
    """One terminal's connection to the office; not shared between threads."""

    def __init__(self, settings: OfficeSettings, session: requests.Session | None = None) -> None:
        if not settings.url:
            raise OfficeError("no office configured: set [office] url")
        self._base = settings.url.rstrip("/") + API_PREFIX
        self._timeout = (settings.connect_timeout, settings.read_timeout)
        self._session = session or requests.Session()
        self._session.auth = HmacAuth(settings.terminal_id, settings.secret)
        # TLS is always verified: by the configured CA bundle, else by the system's trust store.
        self._session.verify = settings.ca_bundle or True
        self._session.trust_env = False  # a stray HTTPS_PROXY or REQUESTS_CA_BUNDLE must not reroute readings
        # The office's clock by its last answer, any answer (a refusal too): the clock health
        # compares this terminal's clock with it even when the office cannot be asked right now.
        self.last_office_time: OfficeTime | None = None

    def close(self) -> None:
        self._session.close()

    def upload(self, items: list[dict[str, Any]]) -> UploadResults:
        return self._call("POST", "/submissions", UploadResults, body={"items": items})

    def directory(self, since: int, limit: int = DEFAULT_DIRECTORY_PAGE) -> DirectoryPage:
        # include=money: each meter's tariff and billed history (an office before them ignores it)
        return self._call("GET", "/directory", DirectoryPage,
                          params={"since": since, "limit": limit, "include": "money"})

    def tariffs(self) -> TariffList:
        return self._call("GET", "/tariffs", TariffList)

    def heartbeat(self, heartbeat: Heartbeat) -> HeartbeatAck:
        return self._call("POST", "/heartbeat", HeartbeatAck, body=heartbeat.model_dump(mode="json"))

    def _call(self, method: str, path: str, answer: type[Answer], *, body: Any = None,
              params: dict[str, Any] | None = None) -> Answer:
        data = None if body is None else json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        try:
            response = self._session.request(method, self._base + path, data=data, params=params,
                                             headers=headers, timeout=self._timeout)
            content = response.content  # read in full here, so a cut-off body fails inside the try
        except requests.RequestException as exc:
            raise OfficeUnavailable(f"{method} {path}: {type(exc).__name__}: {exc}") from None
        self.last_office_time = office_time(response.headers.get("Date")) or self.last_office_time
        status = response.status_code
        if status == 429 or status >= 500:
            raise OfficeUnavailable(f"{method} {path}: HTTP {status}",
                                    retry_after=_retry_after(response.headers.get("Retry-After")))
        if 400 <= status < 500:
            code, message = _problem(content)
            raise OfficeRefused(status, code, message)
        if status != 200:
            raise OfficeUnavailable(f"{method} {path}: unexpected HTTP {status}")
        try:
            return answer.model_validate_json(content)
        except ValidationError as exc:
            raise OfficeUnavailable(f"{method} {path}: the answer is not valid: {exc.error_count()} problem(s)") from None


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when is None or when.tzinfo is None:
            return None
        seconds = when.timestamp() - time.time()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _problem(content: bytes) -> tuple[str, str]:
    """The office's refusal as (code, message); whatever its shape, never an exception here."""
    try:
        detail = json.loads(content).get("detail")
    except (ValueError, AttributeError):
        return "http_error", content[:200].decode("utf-8", "replace")
    if isinstance(detail, dict):
        return str(detail.get("code", "http_error"))[:40], str(detail.get("message", ""))[:300]
    return "invalid_request", json.dumps(detail, ensure_ascii=False)[:300]
