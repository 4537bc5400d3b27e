"""The service pages about the central office: the upload queue, the directory, the network;
and their actions (send now, update the directory, check the connection)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from kiosk.i18n import N_, gettext_for
from kiosk.masking import public_url
from kiosk.network_probe import OfficeProbe
from kiosk.service import health
from kiosk.service.access import ServiceSession
from kiosk.service.view import Done, Page, Translate, short
from sync.client import OfficeClient, OfficeSettings
from sync.directory_pull import DirectoryPuller

if TYPE_CHECKING:
    from kiosk.service.desk import Outcome, ServiceDesk

# A send-now pass sends every queued batch; each request is bounded by the client's timeouts.
SEND_NOW_WAIT_S = 30.0
REJECTED_SHOWN = 10

_SYNC_STATE = {"rejected": N_("refused"), "conflict": N_("in conflict")}


def upload_page(desk: ServiceDesk, role: str, language: str) -> Page:
    _ = gettext_for(language)
    terminal, store = desk.terminal, desk.terminal.store
    line = health.upload_health(terminal.config, desk.devices(), store)
    facts = line.facts
    age = facts["oldest_pending_age_s"]
    error = facts["last_error"]
    rows = [
        (_("Office"), public_url(terminal.config.office.url) or _("not configured")),
        (_("Waiting to be sent"), str(facts["queue_depth"])),
        (_("Oldest waiting"), "—" if age is None else health.duration(age).text(language)),
        (_("Last delivery"), desk.local(facts["last_delivery"]) if facts["last_delivery"] else _("never")),
        (_("Last error"), short(error) if error else _("none")),
        (_("Refused by the office"), str(facts["rejected"])),
        (_("In conflict at the office"), str(facts["conflict"])),
    ]
    for refused in store.service.refused(REJECTED_SHOWN):
        state = _(_SYNC_STATE.get(refused.state, refused.state))
        rows.append((_("No. {seq}").format(seq=refused.seq),
                     short(f"{state}: {refused.code or '-'}: {refused.message or ''}").rstrip(": ")))
    return desk.page_of("upload", line, rows, (desk.action("send_now", role, language),), language)


def directory_page(desk: ServiceDesk, role: str, language: str) -> Page:
    _ = gettext_for(language)
    line = health.directory_health(desk.terminal.store, desk.fresh_probe(run=True))
    facts = line.facts
    rows = [
        (_("Version"), str(facts["version"])),
        (_("Accounts"), str(facts["accounts"])),
        (_("Meters"), str(facts["meters"])),
        (_("Last update"), desk.local(facts["last_update"]) if facts["last_update"] else _("never")),
    ]
    if facts["office_version"] is not None:
        rows.append((_("Newest at the office"), str(facts["office_version"])))
    return desk.page_of("directory", line, rows, (desk.action("update_directory", role, language),), language)


def network_page(desk: ServiceDesk, role: str, language: str) -> Page:
    _ = gettext_for(language)
    config = desk.terminal.config
    probe = desk.fresh_probe(run=True)
    line = health.network_health(config, probe)
    rows = [(_("Office"), public_url(config.office.url) or _("not configured"))]
    attention: set[str] = set()
    if probe is not None:
        rows += [
            (_("Reachable"), _("yes") if probe.reachable else _("no")),
            (_("Answer time"), "—" if probe.latency_s is None else
             _("{ms} ms").format(ms=f"{probe.latency_s * 1000:.0f}")),
            (_("Encryption (TLS)"), _tls(probe, config.office.url, _)),
        ]
        if probe.tls_verified is False or urlsplit(config.office.url).scheme != "https":
            attention.add(_("Encryption (TLS)"))  # readings would travel unencrypted, or to an impostor
        if probe.office_time is not None:
            rows.append((_("Office time"), desk.local(probe.office_time.isoformat())))
        if probe.detail:
            rows.append((_("Details"), short(probe.detail)))
    return desk.page_of("network", line, rows, (desk.action("check_network", role, language),), language,
                        frozenset(attention))


def send_now(desk: ServiceDesk, session: ServiceSession, language: str) -> Outcome:
    _ = gettext_for(language)
    uploader = desk.terminal.uploader
    if uploader is None:
        return Done(False, _("No office is configured: set [office] url and secret.")), {}
    summary = uploader.send_now(SEND_NOW_WAIT_S)
    if summary is None:
        return (Done(False, _("Still sending after {seconds} s: the office is slow. Look at this page again "
                              "in a minute.").format(seconds=f"{SEND_NOW_WAIT_S:g}")),
                {"timed_out": True})
    detail: dict[str, object] = {"sent": summary.sent, "pending": summary.pending,
                                 "error": short(summary.error) if summary.error else None}
    if summary.error:
        return Done(False, _("Not everything was sent ({pending} waiting): {error}. Check the network page.")
                    .format(pending=summary.pending, error=desk.why_office_failed(summary.error, language))), \
            detail
    if summary.sent == 0 and summary.pending:
        return Done(False, _("Nothing was sent, {pending} waiting: look at this page again in a minute.")
                    .format(pending=summary.pending)), detail
    if summary.sent == 0:
        return Done(True, _("Nothing was waiting: every reading is at the office.")), detail
    refused = summary.rejected + summary.conflict
    message = _("Sent {sent}: {accepted} accepted, {duplicate} already at the office, {refused} refused.").format(
        sent=summary.sent, accepted=summary.accepted, duplicate=summary.duplicate, refused=refused)
    if refused:
        message += " " + _("The refused ones are listed on this page with the office's reason.")
    return Done(True, message), detail


def update_directory(desk: ServiceDesk, session: ServiceSession, language: str) -> Outcome:
    _ = gettext_for(language)
    terminal = desk.terminal
    if not terminal.config.office.url:
        return Done(False, _("No office is configured: set [office] url and secret.")), {}
    client = OfficeClient(OfficeSettings.from_config(terminal.config))
    try:
        summary = DirectoryPuller(terminal.store.directory, client).pull()
    finally:
        client.close()
    desk.forget_probe()  # the office's version seen before the pull is out of date
    detail = {"version": summary.version, "pages": summary.pages,
              "error": short(summary.error) if summary.error else None}
    if summary.error:
        return Done(False, _("The directory was not brought up to date (now version {version}): {error}. "
                             "Check the network page.").format(
            version=summary.version, error=desk.why_office_failed(summary.error, language))), detail
    if summary.pages == 0:
        return Done(True, _("The directory is up to date (version {version}).")
                    .format(version=summary.version)), detail
    stats = terminal.store.directory.stats()
    return Done(True, _("Directory updated to version {version}: {accounts} accounts, {meters} meters.")
                .format(version=summary.version, accounts=stats.accounts, meters=stats.meters)), detail


def check_network(desk: ServiceDesk, session: ServiceSession, language: str) -> Outcome:
    if not desk.terminal.config.office.url:
        return Done(False, gettext_for(language)("No office is configured: set [office] url and secret.")), {}
    probe = desk.fresh_probe(run=True, force=True)
    line = health.network_health(desk.terminal.config, probe)
    detail = {"reachable": probe.reachable if probe else None, "level": line.level}
    return Done(line.level != health.RED, line.text(language)), detail


def _tls(probe: OfficeProbe, url: str, _: Translate) -> str:
    if probe.tls_verified is False:
        return _("certificate not trusted")
    if urlsplit(url).scheme != "https":
        return _("not used (plain http)")
    return _("verified") if probe.tls_verified else _("unknown: no connection")
