"""The scanner's service page: is it connected, and what did the last code read as (a live test:
every scan made while the page shows lands here, never in a customer's journey)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.i18n import N_, gettext_for
from kiosk.masking import mask
from kiosk.service import health
from kiosk.service.view import Page

if TYPE_CHECKING:
    from kiosk.service.desk import ServiceDesk

_SCAN_KIND = {"bill": N_("bill QR code"), "barcode": N_("barcode"), "not_a_bill": N_("not a bill"),
              "service": N_("service card")}


def scanner_page(desk: ServiceDesk, role: str, language: str) -> Page:
    _ = gettext_for(language)
    terminal = desk.terminal
    desk.scan_role = role
    line = health.scanner_health(terminal.config, desk.devices())
    if terminal.scanner is None:
        rows = [(_("Connected"), _("no scanner configured"))]
    else:
        rows = [(_("Connected"), _("yes") if terminal.scanner.connected else _("no")),
                (_("Port"), terminal.config.scanner.port), (_("Speed"), f"{terminal.config.scanner.baud}")]
    seen = desk.last_scan
    if seen is None:
        rows.append((_("Last scan"), _("scan any code to test the scanner")))
    else:
        kind = "service" if seen.service_card else seen.result.kind
        account = seen.result.account if kind in ("bill", "barcode") else None
        rows += [(_("Last scan"), desk.local(seen.at.isoformat())),
                 (_("Read as"), _(_SCAN_KIND[kind])),
                 (_("Account"), mask(account) if account else "—"),
                 (_("Length"), _("{n} characters").format(n=len(seen.result.raw)))]
        if kind == "bill" and seen.result.encoding:
            rows.append((_("Encoding"), seen.result.encoding))
    return desk.page_of("scanner", line, rows, (), language)
