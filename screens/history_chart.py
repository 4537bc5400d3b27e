"""A year of consumption as bars, with this period's beside them: drawn on the widget's canvas.

Shown on the review to a customer who scanned their bill (``Journey.history``): the months as
billed, oldest first, in the ink of the text, and this period's reading in the colour of
"accepted", its kWh written over it, so the customer sees at a glance whether this month is in
line with the rest of the year. Under each bar its month's initial letter, at the body size.
"""

from __future__ import annotations

from typing import Any

from kivy.core.text import Label as CoreLabel
from kivy.graphics import Color, Line, Rectangle
from kivy.properties import ListProperty, NumericProperty
from kivy.uix.widget import Widget

from screens import theme

# Bars as wide as the gap between them, twice over: thin bars read as a chart at arm's length.
BAR_SHARE = 0.66


class HistoryChart(Widget):
    # [(label under the bar, kWh, this period's)], oldest first; empty: nothing drawn.
    bars = ListProperty([])
    font_size = NumericProperty(28)

    def on_bars(self, *_args: object) -> None:
        self._draw()

    def on_size(self, *_args: object) -> None:
        self._draw()

    def on_pos(self, *_args: object) -> None:
        self._draw()

    def _draw(self) -> None:
        self.canvas.clear()
        if not self.bars or self.width <= 0 or self.height <= 0:
            return
        labels = [self._text(str(label)) for label, _, _ in self.bars]
        current = next((self._text(str(kwh), bold=True) for _, kwh, now in self.bars if now), None)
        below = max(texture.height for texture in labels)
        above = current.height if current is not None else 0
        room = self.height - below - above
        top = max(kwh for _, kwh, _ in self.bars) or 1
        step = self.width / len(self.bars)
        with self.canvas:
            for index, ((_, kwh, now), label) in enumerate(zip(self.bars, labels)):
                left = self.x + index * step + step * (1 - BAR_SHARE) / 2
                height = max(room * kwh / top, 1.0 if kwh else 0.0)
                Color(*(theme.AFFIRM if now else theme.INK))
                Rectangle(pos=(left, self.y + below), size=(step * BAR_SHARE, height))
                Color(1, 1, 1, 1)
                Rectangle(texture=label, size=label.size,
                          pos=(self.x + index * step + (step - label.width) / 2, self.y))
                if now and current is not None:
                    # over the bar, at the top: above the tallest bar, so it never covers one
                    Rectangle(texture=current, size=current.size,
                              pos=(min(max(self.x, left + (step * BAR_SHARE - current.width) / 2),
                                       self.right - current.width), self.top - current.height))
            Color(*theme.INK)
            Line(points=[self.x, self.y + below, self.right, self.y + below], width=1.2)

    def _text(self, text: str, *, bold: bool = False) -> Any:  # a Kivy texture, which has no type information
        label = CoreLabel(text=text, font_size=self.font_size, bold=bold, color=theme.INK)
        label.refresh()
        return label.texture
