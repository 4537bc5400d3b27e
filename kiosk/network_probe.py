"""One bounded look at the office: is it reachable, how fast, is its TLS certificate trusted,
what time it is there, and does it accept this terminal's signature.

The look is a signed request for one row of directory changes, made by the same client the
uploader uses (same TLS trust, same signing, no proxy from the environment), so "green" means
uploads would get through too. It reads nothing the office has to record.
"""

from __future__ import annotations

import email.utils
import ipaddress
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import urlsplit

import requests

from kiosk.config import Config
from kiosk.i18n import N_, Phrase
from kiosk.masking import public_url
from sync.client import OfficeClient, OfficeRefused, OfficeSettings, OfficeUnavailable

# A working line connects in milliseconds; these only bound a dead one.
CONNECT_S = 2.0
READ_S = 2.0
# The whole look, name lookup included (which requests' timeouts do not cover): `kiosk status`
# must answer within a few seconds when the office is gone.
BUDGET_S = 3.0


@dataclass(frozen=True)
class OfficeProbe:
    reachable: bool  # the office answered at all, even with a refusal
    latency_s: float | None
    tls_verified: bool | None  # None: plain http, or no connection to tell
    office_time: datetime | None  # from the answer's Date header
    error: Phrase | None  # plain words; None when the office took the signed request
    detail: str | None = None  # the exception, for the log and the facts
    loopback: bool = False
    directory_version: int | None = None  # the office's newest directory change after ours
    refusal: str | None = None  # the office's code when it refused the signed request


def probe_office(config: Config, directory_version: int) -> OfficeProbe:
    settings = replace(OfficeSettings.from_config(config),
                       connect_timeout=min(config.office.connect_timeout, CONNECT_S),
                       read_timeout=min(config.office.read_timeout, READ_S))
    https = urlsplit(config.office.url).scheme == "https"
    loopback = _is_loopback(config.office.url)
    dates: list[str] = []
    session = requests.Session()
    session.hooks["response"].append(lambda response, **_: dates.append(response.headers.get("Date", "")))
    client = OfficeClient(settings, session)
    started = time.monotonic()
    error = detail = office_version = refusal = None
    tls_failed = False
    try:
        office_version = client.directory(since=directory_version, limit=1).version
    except OfficeRefused as exc:
        detail = str(exc)
        refusal = exc.code
        if exc.status in (401, 403):
            error = Phrase(N_("office refuses this terminal: check [office] secret and the clock"))
        elif exc.status == 404:
            error = Phrase(N_("no kiosk office at this address (HTTP 404): check [office] url"))
        else:
            error = Phrase(N_("office refused the check: HTTP {status} {code}"),
                           {"status": exc.status, "code": exc.code})
    except OfficeUnavailable as exc:
        detail = str(exc)
        # The client raises from None: the requests exception it replaced is still the context.
        tls_failed = isinstance(exc.__context__, requests.exceptions.SSLError)
        error = _unavailable(exc.__context__, settings, answered=bool(dates))
    finally:
        client.close()
    latency = time.monotonic() - started
    answered = bool(dates)
    return OfficeProbe(
        reachable=answered,
        latency_s=latency if answered else None,
        tls_verified=False if tls_failed else (True if https and answered else None),
        office_time=_date(dates[-1]) if dates else None,
        error=error,
        detail=detail,
        loopback=loopback,
        directory_version=office_version,
        refusal=refusal,
    )


def _unavailable(cause: BaseException | None, settings: OfficeSettings, *, answered: bool) -> Phrase:
    """Why the office could not be asked, in the words a technician acts on."""
    if isinstance(cause, requests.exceptions.SSLError):
        return Phrase(N_("the office's TLS certificate is not trusted: check [office] ca_bundle and the clock"))
    if isinstance(cause, requests.exceptions.ConnectTimeout):
        return Phrase(N_("office unreachable: no connection within {seconds} s"),
                      {"seconds": f"{settings.connect_timeout:g}"})
    if isinstance(cause, requests.exceptions.ReadTimeout):
        return not_answering(settings.read_timeout)
    if isinstance(cause, requests.exceptions.ConnectionError):
        return Phrase(N_("office unreachable: no connection to {address}"), {"address": _host_and_port(settings.url)})
    if answered:
        return Phrase(N_("the office answers with an error"))
    return Phrase(N_("office unreachable"))


def not_answering(seconds: float) -> Phrase:
    return Phrase(N_("office not answering within {seconds} s"), {"seconds": f"{seconds:g}"})


def _host_and_port(url: str) -> str:
    """Where the office is, without the user and password a URL may carry."""
    return public_url(url).split("://", 1)[-1].split("/", 1)[0]


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _date(header: str) -> datetime | None:
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo is not None else None


class ProbeRun:
    """The probe on a daemon thread, so a hung name lookup can neither hold up the answer nor
    keep `kiosk status` from exiting."""

    def __init__(self, config: Config, directory_version: int, budget_s: float = BUDGET_S) -> None:
        self._config = config
        self._version = directory_version
        self._budget_s = budget_s
        self._result: OfficeProbe | None = None
        self._thread: threading.Thread | None = None
        self._started = 0.0

    def start(self) -> None:
        if not self._config.office.url:
            return
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="office-probe", daemon=True)
        self._thread.start()

    def result(self) -> OfficeProbe | None:
        """The probe's outcome within the budget; None when no office is configured."""
        if self._thread is None:
            return None
        self._thread.join(max(0.0, self._budget_s - (time.monotonic() - self._started)))
        if self._result is None:
            return OfficeProbe(False, None, None, None, not_answering(self._budget_s),
                               loopback=_is_loopback(self._config.office.url))
        return self._result

    def _run(self) -> None:
        try:
            self._result = probe_office(self._config, self._version)
        except Exception as exc:  # a bug here must read as "not checked", never hang the caller
            self._result = OfficeProbe(False, None, None, None, Phrase(N_("office check failed")),
                                       detail=repr(exc)[:300])
