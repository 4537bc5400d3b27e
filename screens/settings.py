"""The touch screen's own settings, with the defaults a kiosk ships with.

``kiosk run`` and ``kiosk demo`` fill them from the configuration's ``[ui]`` section
(``kiosk.config.Ui``); ``fullscreen`` comes from the command line, and a field the section does
not name keeps its default here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from kiosk.journey import Timeouts


@dataclass(frozen=True)
class UiSettings:
    idle_s: float = 60.0  # inactivity before "Are you still there?"
    countdown_s: float = 20.0  # the countdown shown before the session is dropped
    thanks_s: float = 6.0  # the thank-you screen
    # Taps this soon after the screen changed are dropped: a double tap on "Next" must not also
    # press whatever appears under the finger on the next screen.
    double_tap_s: float = 0.4
    # A second press of the same keypad key this soon after the first is a finger bouncing on the
    # glass, not a second digit: bounces land within about 50 ms, while even a quick customer
    # typing "00" on purpose needs 150 ms or more between the two taps.
    key_bounce_s: float = 0.09
    # The panel's visible diagonal: touch targets are sized in millimetres from it
    # (546 mm is the common 21.5" kiosk panel).
    screen_diagonal_mm: float = 546.0
    touch_target_mm: float = 20.0
    fullscreen: bool = True

    @property
    def timeouts(self) -> Timeouts:
        return Timeouts(idle=self.idle_s, countdown=self.countdown_s, thanks=self.thanks_s)

    def px_per_mm(self, width: int, height: int) -> float:
        """The panel's pixel density when a window of this size fills it."""
        return math.hypot(width, height) / self.screen_diagonal_mm

    def target_px(self, width: int, height: int) -> float:
        """The smallest touch target in pixels for a window of this size on this panel."""
        return self.touch_target_mm * self.px_per_mm(width, height)
