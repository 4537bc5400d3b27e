"""The kiosk's building blocks: big buttons, the keypad, text, tables, lists that scroll."""

from __future__ import annotations

import re

from kivy.clock import Clock
from kivy.properties import (BooleanProperty, ListProperty, NumericProperty, OptionProperty, StringProperty,
                             VariableListProperty)
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.screenmanager import NoTransition
from kivy.uix.scrollview import ScrollView

# The letters of the unified account number (2 digits, 2 letters, 6 digits); Ё is never used.
LETTERS = "АБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ"
DIGIT_ROWS = ("123", "456", "789")
_RELAID = "relaid"  # the last press changed which keys are where


class Cut(NoTransition):
    """A screen change drawn in one frame. Kivy's NoTransition still runs a zero-length animation,
    so the first frame after a tap shows the new screen over the old one, not yet laid out, and
    a second frame follows; here the old screen goes at once, and the new one's layout (Kivy runs
    layouts just before each frame) is done before its first frame is drawn."""

    def start(self, manager) -> None:
        self.manager = manager
        self.add_screen(self.screen_in)
        self.screen_in.dispatch("on_pre_enter")
        self.screen_out.dispatch("on_pre_leave")
        self._on_complete()  # on_complete: the old screen out, both at the manager's place


class KioskButton(Button):
    """A button at least one touch target large; ``tag`` names it for tests and screenshots."""

    kind = OptionProperty("secondary", options=("primary", "secondary", "affirm", "key"))
    tag = StringProperty("")
    wraps = BooleanProperty(True)  # False: one line, the button as wide as its words
    # The caption's longest word and its words (its most lines): what a rule needs to size its
    # text to the button without measuring it.
    longest = NumericProperty(1)
    words = NumericProperty(1)

    def on_text(self, _button: "KioskButton", text: str) -> None:
        self.longest = max((len(word) for word in text.split()), default=1)
        self.words = max(1, len(text.split()))


class Key(KioskButton):
    """A keypad key: one character drawn as large as the key allows, or words that fit it."""


class Txt(Label):
    """Body text that wraps within its width and is as tall as its lines."""

    tag = StringProperty("")


class WrappedText(Txt):
    """Text that may hold long words without spaces (a file path, a web address): one too wide
    for a line is broken after a '/', '-', '?', '&', '(' or ',', never mid-name. Set ``source``,
    not ``text``."""

    source = StringProperty("")

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.bind(source=self._wrap, width=self._wrap, font_size=self._wrap)

    def _wrap(self, *_args: object) -> None:
        from kivy.core.text import Label as CoreLabel

        left, _top, right, _bottom = self.padding
        line = self.width - left - right
        width = CoreLabel(font_size=self.font_size, bold=self.bold, font_name=self.font_name).get_extents
        words = []
        for word in self.source.split(" "):
            if line <= 0 or width(word)[0] <= line:
                words.append(word)
                continue
            lines = [""]
            for piece in _PATH_PIECES.findall(word):
                if lines[-1] and width(lines[-1] + piece)[0] > line:
                    lines.append("")
                lines[-1] += piece
            words.append("\n".join(lines))
        self.text = " ".join(words)


_PATH_PIECES = re.compile(r"[^-/?&(,]+[-/?&(,]?|[-/?&(,]")


class ScrollList(ScrollView):
    """A list that scrolls up and down when it holds more than its room. Its bar runs on a
    track the list's full height, at its edge, with a rule above and below: a row cut at the
    bottom then reads as "more below", not as a fault, and the bar as the list's own. Its
    content leaves ``gutter`` free on the right for the track."""

    gutter = NumericProperty(0)


class ScrollPage(ScrollList):
    """A screen's column of content: it fills its room like a plain vertical BoxLayout, and
    scrolls when what it holds is taller (large text on a small panel), rather than push its
    first lines under the top bar. Children, padding and spacing go to the column inside. An
    error that appears below the view is scrolled into it: it answers what the customer did."""

    orientation = OptionProperty("vertical", options=("vertical",))
    padding = VariableListProperty([0, 0, 0, 0])
    spacing = NumericProperty(0)
    minimum_height = NumericProperty(0)  # the content's own height, as a BoxLayout's

    def __init__(self, **kwargs) -> None:
        self._column = BoxLayout(orientation="vertical", size_hint_y=None)
        super().__init__(**kwargs)
        super().add_widget(self._column)
        self._column.bind(minimum_height=self._fill)
        self.bind(padding=self._fill, spacing=self._fill, gutter=self._fill, height=self._fill)
        self._fill()

    def add_widget(self, widget, *args, **kwargs) -> None:
        if widget is self._column:
            super().add_widget(widget, *args, **kwargs)
            return
        self._column.add_widget(widget, *args, **kwargs)
        if isinstance(widget, Note):
            widget.bind(text=lambda *_args: Clock.schedule_once(self._show_error, 0))

    def _fill(self, *_args: object) -> None:
        column = self._column
        left, top, right, bottom = self.padding
        # Room on the right for the bar's track once the content scrolls.
        scrolls = column.minimum_height > self.height + 1
        column.padding = (left, top, right + (self.gutter if scrolls else 0), bottom)
        column.spacing = self.spacing
        self.minimum_height = column.minimum_height
        column.height = max(column.minimum_height, self.height)

    def _show_error(self, _dt: float) -> None:
        for note in self._column.children:
            # The view shows the column from (its height - the view's) * scroll_y upwards.
            below = max(0.0, self._column.height - self.height) * self.scroll_y
            if isinstance(note, Note) and note.kind == "error" and note.text and note.y < below:
                self.scroll_to(note, padding=0, animate=False)
                return


class Figures(GridLayout):
    """A small table of readings; its cells take their size from ``cell_font``."""

    cell_font = NumericProperty(32)


class Cell(Txt):
    """A cell of a ``Figures`` table."""


class FitCell(Label):
    """A ``Figures`` cell as wide as its one line of text: the label column, sized by its longest
    label. (Not a Txt: Txt's rule ties the text's width to the cell's, the reverse of this.)"""


class Note(Txt):
    """A message in a coloured box: what went wrong (error), what to check (warning), or info."""

    kind = OptionProperty("info", options=("info", "warning", "error"))


class Keypad(BoxLayout):
    """Digits with delete and clear; with ``letters`` a key that shows the Cyrillic letters.

    Dispatches ``on_key`` with a digit, a letter, "erase" or "clear". After two letters in a row
    it goes back to digits by itself: the unified account number has exactly two.

    A finger that bounces on the glass registers the same key twice within a few dozen
    milliseconds: a press that went down less than ``bounce_s`` after a press of the same key is
    that bounce and is dropped (after "А–Я" or "0–9", whatever key is now under the finger).
    Times are when each touch went down, not when it was handled, so two deliberate taps that
    reach a busy UI thread together both count.
    """

    letters = BooleanProperty(False)
    showing_letters = BooleanProperty(False)
    captions = ListProperty(["Delete", "Clear all", "А–Я", "0–9"])  # set per language by the screen
    bounce_s = NumericProperty(0.0)  # the kv rule sets UiSettings.key_bounce_s

    __events__ = ("on_key",)

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("orientation", "vertical")
        super().__init__(**kwargs)
        self._letters_typed = 0
        self._last_press: tuple[str, float] | None = None  # (key, when its touch went down)
        # Each arrangement of keys is built once and kept: a screen shown again, or a caption in
        # another language, reuses the keys instead of making new widgets for every customer.
        self._built: dict[tuple[bool, bool], list[BoxLayout | GridLayout | Key]] = {}
        self._worded: list[tuple[str, Key]] = []  # keys whose caption is a word, by their key
        self.bind(showing_letters=self._build, letters=self._build, captions=self._caption)
        self._build()

    def on_key(self, key: str) -> None:
        pass

    def show_digits(self) -> None:
        self.showing_letters = False
        self._letters_typed = 0

    def _build(self, *_args: object) -> None:
        self.clear_widgets()
        arrangement = (bool(self.showing_letters), bool(self.letters))
        if arrangement not in self._built:
            self._built[arrangement] = self._arrange(*arrangement)
        for part in self._built[arrangement]:
            self.add_widget(part)
        self._caption()

    def _arrange(self, showing_letters: bool, letters: bool) -> list[BoxLayout | GridLayout | Key]:
        grid = GridLayout(spacing=self.spacing)
        self.bind(spacing=grid.setter("spacing"))
        if showing_letters:
            grid.cols = 8
            for letter in LETTERS:
                grid.add_widget(self._key(letter, letter, "key"))
            # One row of the grid's height: the grid holds four.
            row = BoxLayout(spacing=self.spacing, size_hint_y=0.25)
            self.bind(spacing=row.setter("spacing"))
            for key in ("digits", "erase", "clear"):
                row.add_widget(self._key("", key, "secondary"))
            return [grid, row]
        grid.cols = 3
        for row_keys in DIGIT_ROWS:
            for digit in row_keys:
                grid.add_widget(self._key(digit, digit, "key"))
        grid.add_widget(self._key("", "erase", "secondary"))
        grid.add_widget(self._key("0", "0", "key"))
        grid.add_widget(self._key("", "clear", "secondary"))
        if letters:
            return [grid, self._key("", "letters", "secondary", size_hint_y=0.25)]
        return [grid]

    def _caption(self, *_args: object) -> None:
        erase, clear, to_letters, to_digits = self.captions
        words = {"erase": erase, "clear": clear, "letters": to_letters, "digits": to_digits}
        for key, button in self._worded:
            button.text = words[key]

    def _key(self, caption: str, key: str, kind: str, **kwargs: object) -> Key:
        button = Key(text=caption, kind=kind, tag=f"key_{key}", **kwargs)
        button.bind(on_release=lambda pressed: self._pressed(key, pressed.last_touch))
        if kind == "secondary":
            self._worded.append((key, button))
        return button

    def _pressed(self, key: str, touch: object) -> None:
        down = getattr(touch, "time_start", None)
        if down is not None:
            last, self._last_press = self._last_press, (key, down)
            if last is not None and last[0] in (key, _RELAID) and 0 <= down - last[1] < self.bounce_s:
                return
        if key == "letters":
            self._relaid(down)
            self.showing_letters = True
            return
        if key == "digits":
            self._relaid(down)
            self.show_digits()
            return
        self.dispatch("on_key", key)
        if key in LETTERS:
            self._letters_typed += 1
            if self._letters_typed >= 2:
                self._relaid(down)
                self.show_digits()
        elif key.isdigit():
            self._letters_typed = 0

    def _relaid(self, down: float | None) -> None:
        # Other keys now lie under the finger: a bounce would press one of them.
        if down is not None:
            self._last_press = (_RELAID, down)
