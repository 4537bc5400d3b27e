"""The meter's display, drawn as the customer sees it on the wall: a window of black drums, one
per whole digit of the register, then the comma and the red drum of tenths that is never typed.

The drums fill from the left as the customer types, the next one outlined; the red drum stays
empty, so the picture itself says which digits to copy and which to leave out.
"""

from __future__ import annotations

from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.widget import Widget

Builder.load_string("""
#:import theme screens.theme

<MeterFace>:
    size_hint_y: None
    height: app.digit_box
    padding: app.body * 0.3
    # Large text's digits take some of the gaps: eight drums beside a keypad stay at its size.
    spacing: app.body * (0.08 if app.large_text else 0.15)
    canvas.before:
        # The meter's case around its window.
        Color:
            rgba: theme.METER_CASE
        RoundedRectangle:
            pos: self.pos
            size: self.size
            radius: [app.body * 0.4]
        Color:
            rgba: theme.INK
        Line:
            rounded_rectangle: self.x + 1, self.y + 1, self.width - 2, self.height - 2, app.body * 0.4
            width: 2

<MeterDrum>:
    color: theme.ON_DARK
    font_size: min(self.height * 0.75, self.width * 1.0)
    bold: True
    canvas.before:
        Color:
            rgba: theme.METER_DRUM
        Rectangle:
            pos: self.pos
            size: self.size
        Color:
            rgba: theme.HIGHLIGHT if self.current else (0, 0, 0, 0)
        Line:
            rectangle: self.x + 3, self.y + 3, self.width - 6, self.height - 6
            width: 4

<MeterComma>:
    size_hint_x: 0.3
    canvas.before:
        Color:
            rgba: theme.INK
        Ellipse:
            pos: self.center_x - app.body * 0.15, self.y + self.height * 0.08
            size: app.body * 0.3, app.body * 0.3
        Line:
            points: self.center_x + app.body * 0.12, self.y + self.height * 0.08 + app.body * 0.1, self.center_x - app.body * 0.1, self.y
            width: app.body * 0.06

<MeterTenths>:
    canvas.before:
        Color:
            rgba: theme.METER_TENTHS
        Rectangle:
            pos: self.pos
            size: self.size
""")


class MeterFace(BoxLayout):
    """``count`` black drums for the register's whole digits and a red one for its tenths;
    ``value``, the digits typed so far, fills them from the left."""

    count = NumericProperty(5)
    value = StringProperty("")

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._drums: list[MeterDrum] = []
        self._tenths = (MeterComma(), MeterTenths())
        self.bind(count=self._build, value=self._fill)
        self._build()

    def _build(self, *_args: object) -> None:
        # The drums a meter before this one had are kept: only the difference is made or dropped.
        while len(self._drums) < int(self.count):
            self._drums.append(MeterDrum())
        del self._drums[int(self.count):]
        self.clear_widgets()
        for part in (*self._drums, *self._tenths):
            self.add_widget(part)
        self._fill()

    def _fill(self, *_args: object) -> None:
        for index, drum in enumerate(self._drums):
            drum.text = self.value[index] if index < len(self.value) else ""
            drum.current = index == len(self.value)


class MeterDrum(Label):
    current = BooleanProperty(False)


class MeterComma(Widget):
    """The comma between the whole digits and the tenths."""


class MeterTenths(Widget):
    """The red drum of tenths: drawn, never filled."""
