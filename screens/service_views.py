"""Service mode on the touch screen: the PIN keypad, the overview, one detail screen for every
page of the service desk, and the cover customers see while the terminal is out of service.

What they show is held by ``kiosk.service.presenter.ServiceMode``; the screens only render it and
pass taps to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kivy.properties import OptionProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.screenmanager import Screen

from kiosk.i18n import N_
from kiosk.service.access import SYSTEM
from kiosk.service.health import storage_failure
from kiosk.service.presenter import COVER, OVERVIEW, PAGE, PIN, REPRINT, ServiceMode
from kiosk.service.view import title
from screens import theme
from screens.widgets import Keypad, KioskButton

if TYPE_CHECKING:
    from screens.app import KioskApp

__all__ = ["COVER", "OVERVIEW", "PAGE", "PIN", "REPRINT"]

# Every level is a word on a coloured mark, never the colour alone; each pair is 7:1 or more.
LEVEL_COLOURS: dict[str, tuple[theme.RGBA, theme.RGBA]] = {
    "green": (theme.ON_DARK, theme.AFFIRM),
    "yellow": (theme.INK, theme.HIGHLIGHT),
    "red": (theme.ON_DARK, theme.ERROR_INK),
}
GREYED_INK = theme.hex_colour("#4D4D4D")  # an action this role may not take, on BOX_EMPTY
LEVEL_WORDS = {"green": N_("OK"), "yellow": N_("Warning"), "red": N_("Fault")}
# The clock has no page of its own: the system page shows it with the rest of the terminal.
PAGE_OF = {"clock": "system"}
# What a customer reads on the cover: why in plain words, never the technical detail.
COVER_REASONS = {
    SYSTEM: N_("Readings cannot be saved on this terminal at the moment. "
               "Please come back later or ask the staff."),
}
COVER_REASON_OTHERWISE = N_("Maintenance is in progress. Please come back a little later.")


# -- widgets --------------------------------------------------------------------------------------

class LevelMark(Label):
    """Green, yellow or red, with its word on it."""

    level = OptionProperty("green", options=tuple(LEVEL_COLOURS))


class ServiceLine(ButtonBehavior, BoxLayout):
    """One subsystem on the overview: its mark, its name and the reason; a touch opens its page."""

    tag = StringProperty("")


class PageRow(BoxLayout):
    """A label and its value on a detail page; a long value wraps beside its label."""


class ServiceAction(KioskButton):
    """A button that can be greyed: an action this role may not take (said so beside it), or
    any button while an action runs."""


class ActionColumn(BoxLayout):
    """An action's button with the note under it that says who may take it."""

    tag = StringProperty("")


class HexPad(Keypad):
    """Digits and the letters A to F, as a slip's number and its reference are printed; with
    Delete and Clear all. The keypad's bounce rule holds."""

    ROWS = ("123A", "456B", "789C", "D0EF")

    def _build(self, *_args: object) -> None:
        self.clear_widgets()
        erase, clear = self.captions[:2]
        grid = GridLayout(cols=4, spacing=self.spacing)
        for row in self.ROWS:
            for key in row:
                grid.add_widget(self._key(key, key, "key"))
        self.add_widget(grid)
        edit = BoxLayout(spacing=self.spacing, size_hint_y=0.25)
        for caption, key in ((erase, "erase"), (clear, "clear")):
            edit.add_widget(self._key(caption, key, "secondary"))
        self.add_widget(edit)


# -- screens --------------------------------------------------------------------------------------

class ServiceScreen(Screen):
    def show(self, app: "KioskApp", mode: ServiceMode) -> None:
        raise NotImplementedError


class ServicePinScreen(ServiceScreen):
    def show(self, app, mode):
        t = mode.catalog().gettext
        self.ids.heading.text = t("Type your PIN")
        self.ids.prompt.text = t("Service card read.") if mode.via == "card" else ""
        self.ids.dots.text = " ".join("\u2022" * len(mode.pin))
        self.ids.message.text = mode.pin_message
        self.ids.hint.text = t("Every entry and every wrong PIN is recorded.")
        self.ids.keypad.captions = [t("Delete"), t("Clear all"), "", ""]
        self.ids.cancel.text = t("Cancel")
        self.ids.ok.text = t("Checking\u2026") if mode.checking else t("Enter")
        self.ids.ok.disabled = mode.checking


class ServiceReprintScreen(ServiceScreen):
    def show(self, app, mode):
        t = mode.catalog().gettext
        self.ids.heading.text = t("Reprint a slip")
        self.ids.prompt.text = t("The slip\u2019s number (after \u201cNo.\u201d) or its reference, such as "
                                 "3F2A9-1C0B7. Empty: the last slip.")
        self.ids.typed.text = mode.slip
        self.ids.message.text = mode.slip_message
        self.ids.keypad.captions = [t("Delete"), t("Clear all"), "", ""]
        self.ids.cancel.text = t("Back")
        self.ids.cancel.disabled = mode.working is not None
        self.ids.ok.text = t("Working\u2026") if mode.working else t("Print")
        self.ids.ok.disabled = mode.working is not None


class ServiceOverviewScreen(ServiceScreen):
    def show(self, app, mode):
        t = mode.catalog().gettext
        self.ids.heading.text = t("Touch a line for its details and tests.")
        self.ids.waiting.text = "" if mode.checked else t("Checking the terminal\u2026")
        healths = mode.healths or []
        box = self.ids.lines
        # The lines are kept and filled in, not rebuilt: a refresh must not swallow a finger
        # that is pressing one of them.
        if [line.tag for line in reversed(box.children)] != [f"line_{h.subsystem}" for h in healths]:
            box.clear_widgets()
            for health in healths:
                line = ServiceLine(tag=f"line_{health.subsystem}")
                page = PAGE_OF.get(health.subsystem, health.subsystem)
                line.bind(on_release=lambda _w, page=page: mode.open_page(page))
                box.add_widget(line)
        for line, health in zip(reversed(box.children), healths):
            line.ids.mark.level = health.level
            line.ids.mark.text = t(LEVEL_WORDS[health.level])
            line.ids.name.text = title(health.subsystem, mode.language)
            line.ids.reason.text = health.text(mode.language)
        state = mode.out_of_service
        if state is None:
            self.ids.state.kind = "info"
            self.ids.state.text = t("Customers are being served.")
        else:
            self.ids.state.kind = "warning"
            if state.by == SYSTEM:
                self.ids.state.text = t("Out of service since {time}: {reason}").format(
                    time=mode.local_time(state.since), reason=storage_failure(state.reason).text(mode.language))
            else:
                self.ids.state.text = t("Out of service since {time}, switched off by the {role}.").format(
                    time=mode.local_time(state.since), role=mode.role_name(state.by))
        if mode.done is not None and not mode.done.ok:  # done, the state above says so already
            self.ids.state.kind = "error"
            self.ids.state.text += "\n" + mode.done.message
        switch = self.ids.switch
        switch.text = (t("Working\u2026") if mode.working else
                       t("Return to service") if state is not None else t("Take out of service"))
        switch.disabled = mode.working is not None
        self.ids.leave.text = t("Leave service mode")


class ServicePageScreen(ServiceScreen):
    def show(self, app, mode):
        t = mode.catalog().gettext
        page = mode.page
        self.ids.back.text = t("Back to overview")
        self.ids.back.disabled = mode.working is not None
        rows, actions = self.ids.rows, self.ids.actions
        if page is None or page.name != getattr(self, "_page_name", None):
            actions.clear_widgets()
        self._page_name = page.name if page is not None else None
        rows.clear_widgets()
        if page is None:
            self.ids.mark.opacity = 0
            self.ids.title.text = t("Checking\u2026")
            self.ids.reason.text = ""
            self.ids.result.text = ""
            return
        self.ids.mark.opacity = 1
        self.ids.mark.level = page.level
        self.ids.mark.text = t(LEVEL_WORDS[page.level])
        self.ids.title.text = page.title
        self.ids.reason.text = page.reason
        for label, value in page.rows:
            row = PageRow()
            if label in page.attention:  # a word, not a colour alone, as on every level mark
                value = t("{level}: {value}").format(level=t(LEVEL_WORDS["yellow"]), value=value)
            row.ids.label.text, row.ids.value.source = label, value
            rows.add_widget(row)
        self._actions(app, mode, page, t)
        result = self.ids.result
        if mode.working is not None:
            result.kind, result.text = "info", t("Working\u2026")
        elif mode.done is not None:
            result.kind, result.text = ("info" if mode.done.ok else "error"), mode.done.message
        else:
            result.text = ""

    def _actions(self, app, mode, page, t) -> None:
        # Kept while the page refreshes, for the same reason as the overview's lines.
        box = self.ids.actions
        if [c.tag for c in reversed(box.children)] != [a.name for a in page.actions]:
            box.clear_widgets()
            for action in page.actions:
                column = ActionColumn(tag=action.name)
                column.ids.button.tag = f"action_{action.name}"
                column.ids.button.bind(on_release=lambda _b, name=action.name: mode.act(name))
                box.add_widget(column)
        for column, action in zip(reversed(box.children), page.actions):
            button = column.ids.button
            button.text = action.caption
            button.disabled = not action.allowed or mode.working is not None
            column.ids.note.text = "" if action.allowed else t("Administrators only")


class ServiceCoverScreen(ServiceScreen):
    def show(self, app, mode):
        t = mode.catalog(app.journey.language).gettext
        state = mode.out_of_service
        self.ids.heading.text = t("Terminal temporarily unavailable")
        why = COVER_REASONS.get(state.by, COVER_REASON_OTHERWISE) if state else COVER_REASON_OTHERWISE
        self.ids.reason.text = t(why)
        self.ids.sorry.text = t("We apologise for the inconvenience.")
