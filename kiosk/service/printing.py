"""The printer's service page and its actions: a test slip, and a copy of a customer's slip (the
last one, or any one by its number or its reference; administrators only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from devices.printer import PrintOutcome
from devices.status import PrinterStatus
from kiosk import paper
from kiosk.fleet import paper_roll
from kiosk.i18n import N_, gettext_for
from kiosk.service import health
from kiosk.service.access import ServiceSession
from kiosk.service.view import Done, Page, Translate, short
from kiosk.store import Store, Submission
from sync.reference import reference, txn_prefix

if TYPE_CHECKING:
    from kiosk.service.desk import Outcome, ServiceDesk

_CONNECTION = {"online": N_("online"), "offline": N_("offline"), "unreachable": N_("not answering"),
               "disconnected": N_("disconnected"), "busy": N_("busy printing")}
_PAPER = {"ok": N_("loaded"), "near_end": N_("running low"), "out": N_("out"), "unknown": N_("unknown")}
_PRESENTER = {"empty": N_("empty"), "slip_waiting": N_("a slip waits to be taken"), "unknown": N_("unknown")}
# What a technician does about each printer problem (devices.status words).
_PRINTER_ADVICE = {
    "paper out": N_("Load a new paper roll and close the cover, then print a test slip."),
    "paper near end": N_("The paper is running low: put in a new roll soon."),
    "cover open": N_("Close the printer cover, then print a test slip."),
    "paper jam": N_("Open the cover, take out the jammed paper, close it, then print a test slip."),
    "cutter error": N_("Open the cover and free the cutter, then print a test slip."),
    "printer offline": N_("Check the printer's lights and buttons; switch it off and on."),
    "printer disconnected": N_("Check the printer's cable and power."),
    "printer not answering": N_("Check the printer's cable and power; switch it off and on."),
    "printer answers garbage": N_("Check the printer's cable and its baud rate against [printer] baud."),
    "printer not taking data": N_("Check the printer's cable and its flow control against [printer] flow_control."),
    "printer busy": N_("The printer is busy: try again in a minute."),
}
# A slip's number is the terminal's running count: a billion slips is beyond any terminal's life.
SLIP_NUMBER_DIGITS = 9
_PRINTER_ADVICE_DEFAULT = N_("Switch the printer off and on; if the fault stays, call the service.")


def printer_page(desk: ServiceDesk, role: str, language: str) -> Page:
    _ = gettext_for(language)
    terminal = desk.terminal
    status = terminal.printer_watch.refresh()
    line = health.printer_health(terminal.config, desk.devices(), terminal.store)
    rows: list[tuple[str, str]] = []
    if terminal.printer is not None:
        rows += [
            (_("Connection"), _(_CONNECTION.get(status.state, status.state))),
            (_("Paper"), _(_PAPER.get(status.paper, status.paper))),
            (_("Cover"), _cover(status, _)),
            (_("Faults"), _faults(status, _)),
        ]
        if status.presenter is not None:
            rows.append((_("Presenter"), _(_PRESENTER.get(status.presenter, status.presenter))))
        rows += [(_("Port"), terminal.config.printer.port), (_("Model"), terminal.config.printer.profile)]
    counts = terminal.store.service.slip_counts()
    rows += [(_("Slips printed"), str(counts.printed)), (_("Print failures"), str(counts.failed))]
    if terminal.printer is not None and terminal.printer.profile.presenter:
        rows.append((_("Slips not taken (pulled back)"), str(counts.retracted)))
    last = terminal.store.service.last_printed()
    rows.append((_("Last slip"), _("none yet") if last is None else
                 _("No. {seq}, {time}").format(seq=last.seq, time=desk.local(last.printed_at))))
    roll = paper_roll(terminal.config, terminal.store)
    if roll is not None:
        left = f"{max(roll.length_m - roll.used_m, 0):.1f}"
        rows.append((_("Paper roll"), _("{left} m of {length} m left; slips on it: {slips}").format(
            left=left.replace(".", ",") if language == "ru" else left, length=f"{roll.length_m:g}",
            slips=roll.slips)))
    actions = (desk.action("test_slip", role, language), desk.action("reprint", role, language),
               desk.action("new_roll", role, language))
    return desk.page_of("printer", line, rows, actions, language)


def new_roll(desk: ServiceDesk, session: ServiceSession, language: str) -> Outcome:
    """A new roll is in: its paper is counted from zero (its length the printer model's usual roll)."""
    _ = gettext_for(language)
    printer = desk.terminal.printer
    if printer is None:
        return Done(False, _("No printer is configured: set [printer] port.")), {}
    roll = paper.new_roll(desk.terminal.store, printer.profile)
    length = roll.length_mm / 1000
    return Done(True, _("New roll of {length} m: its paper is counted from zero.").format(length=f"{length:g}")), \
        {"length_m": length}


def test_slip(desk: ServiceDesk, session: ServiceSession, language: str) -> Outcome:
    _ = gettext_for(language)
    printer = desk.terminal.printer
    if printer is None:
        return Done(False, _("No printer is configured: set [printer] port.")), {"printed": False}
    outcome = printer.print_test(terminal_id=desk.terminal.config.terminal.id)
    desk.terminal.printer_watch.refresh()
    if outcome.printed:
        paper.count_test_page(desk.terminal.store, printer.profile, desk.terminal.config.terminal.id)
        return (Done(True, _("Test slip printed: check the Russian letters, the QR code and the cut.")),
                {"printed": True})
    return _print_failed(outcome, N_("Test slip not printed: {reason}. {advice}"), language), \
        {"printed": False, "reason": outcome.reason}


def reprint(desk: ServiceDesk, session: ServiceSession, language: str, slip: str | None = None) -> Outcome:
    """A copy of the slip a technician names by its number or its reference (``slip``), or of the
    last slip printed when none is named."""
    _ = gettext_for(language)
    terminal = desk.terminal
    if slip is None or not slip.strip():
        last = terminal.store.service.last_printed()
        submission = None if last is None else terminal.store.submissions.get(seq=last.seq)
        if submission is None:
            return Done(False, _("No slip has been printed yet: there is nothing to reprint.")), {}
    else:
        found = _find_slip(terminal.store, slip, language)
        if isinstance(found, Done):
            return found, {"found": False}
        submission = found
    if terminal.printer is None:
        return Done(False, _("No printer is configured: set [printer] port.")), {"seq": submission.seq}
    outcome = terminal.slips.print_slip(submission, terminal.config.terminal.language, copy=True)
    terminal.printer_watch.refresh()
    detail: dict[str, object] = {"seq": submission.seq, "printed": outcome.printed}
    if outcome.printed:
        return Done(True, _("A copy of slip No. {seq} was printed.").format(seq=submission.seq)), detail
    detail["reason"] = outcome.reason
    return _print_failed(outcome, N_("The copy was not printed: {reason}. {advice}"), language), detail


def _find_slip(store: Store, typed: str, language: str) -> Submission | Done:
    """The one submission a typed slip number or reference names, or what to type instead."""
    _ = gettext_for(language)
    prefix = txn_prefix(typed)
    number = typed.strip().lstrip("№N").strip()
    if prefix is not None:
        found = store.submissions.with_txn_prefix(prefix)
    elif number.isascii() and number.isdigit() and len(number) <= SLIP_NUMBER_DIGITS:
        submission = store.submissions.get(seq=int(number))
        found = [] if submission is None else [submission]
    else:
        return Done(False, _("{typed} is neither a slip number nor a reference. Type the number after "
                             "\u201cNo.\u201d on the slip, or its reference: ten digits and letters A to F, "
                             "such as 3F2A9-1C0B7.").format(typed=short(typed)))
    if not found:
        return Done(False, _("No slip has the number or reference {typed}: check it against the slip.")
                    .format(typed=short(typed)))
    if len(found) > 1:
        return Done(False, _("Slips No. {numbers} share the reference {reference}: type the number of the one "
                             "to reprint.").format(numbers=", ".join(str(s.seq) for s in found),
                                                   reference=reference(found[0].txn_id)))
    return found[0]


def _print_failed(outcome: PrintOutcome, template: str, language: str) -> Done:
    _ = gettext_for(language)
    reason = outcome.reason or outcome.status.problem or "printer error"
    advice = _PRINTER_ADVICE.get(reason, _PRINTER_ADVICE_DEFAULT)
    return Done(False, _(template).format(reason=_(reason), advice=_(advice)))


def _cover(status: PrinterStatus, _: Translate) -> str:
    if status.state not in ("online", "offline"):
        return _("unknown")
    return _("open") if status.cover_open else _("closed")


def _faults(status: PrinterStatus, _: Translate) -> str:
    """Everything the printer reports wrong, the reason its line is red first: a red line never
    sits above "Faults: none"."""
    if status.state not in ("online", "offline"):
        return _(status.problem or "printer not answering")
    words = [word for flag, word in ((status.cover_open, N_("cover open")), (status.paper == "out", N_("paper out")),
                                     (status.paper_jam, N_("paper jam")), (status.cutter_error, N_("cutter error")),
                                     (status.mechanical_error, N_("printer mechanical error")),
                                     (status.unrecoverable, N_("printer fault, needs a technician")),
                                     (status.recoverable_error, N_("printer error, recovering"))) if flag]
    if not words and status.state == "offline":  # else offline is the fault's effect, shown above
        words = [N_("printer offline")]
    return ", ".join(_(word) for word in words) or _("none")
