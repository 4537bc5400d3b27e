"""Colours and type sizes: high contrast (at least 7:1, WCAG AAA) and large text.

No Kivy here, so a plain test can check every pair the screens draw.
"""

from __future__ import annotations

import math

RGBA = tuple[float, float, float, float]


def hex_colour(value: str) -> RGBA:
    value = value.lstrip("#")
    return (int(value[0:2], 16) / 255, int(value[2:4], 16) / 255, int(value[4:6], 16) / 255, 1.0)


INK = hex_colour("#111111")  # body text
PAPER = hex_colour("#FFFFFF")  # background
PRIMARY = hex_colour("#0B3D91")  # "Next", "Send": white text on dark blue
SECONDARY_EDGE = hex_colour("#111111")  # secondary buttons: ink on paper with a border
AFFIRM = hex_colour("#0B5D1E")  # "Yes, that is right"; accepted
ERROR_INK = hex_colour("#8B0000")
ERROR_PAPER = hex_colour("#FDECEC")
WARN_PAPER = hex_colour("#FFF1C2")
INFO_PAPER = hex_colour("#E6EEF9")
BOX_EMPTY = hex_colour("#F1F1F1")
HIGHLIGHT = hex_colour("#F7B500")  # the box the next digit goes into: a border, not text
SHADE = (0.0, 0.0, 0.0, 0.78)  # behind the countdown card
# The meter face on the reading screen: a grey case, black drums with white digits, red tenths.
METER_CASE = hex_colour("#C9CED6")
METER_DRUM = hex_colour("#111111")
METER_TENTHS = hex_colour("#C62828")
# A bold Roboto letter's average width in em, Cyrillic included: enough to size a caption or a
# title to its room without measuring it first.
BOLD_EM = 0.6
ON_DARK = PAPER

# (text, background) pairs the screens use; tests/ui/test_theme.py checks each is 7:1 or more.
TEXT_PAIRS: dict[str, tuple[RGBA, RGBA]] = {
    "body": (INK, PAPER),
    "primary_button": (ON_DARK, PRIMARY),
    "affirm_button": (ON_DARK, AFFIRM),
    "secondary_button": (INK, PAPER),
    "error": (ERROR_INK, ERROR_PAPER),
    "warning": (INK, WARN_PAPER),
    "info": (INK, INFO_PAPER),
    "digit_box": (INK, BOX_EMPTY),
    "accepted": (AFFIRM, PAPER),
    "meter_drum": (ON_DARK, METER_DRUM),
}


def darker(colour: RGBA) -> RGBA:
    """A dark button while it is pressed: its colour a third darker."""
    return (colour[0] * 0.65, colour[1] * 0.65, colour[2] * 0.65, colour[3])


def luminance(colour: RGBA) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in colour[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first: RGBA, second: RGBA) -> float:
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


# Body text is drawn at 32 px on a 1080-pixel short side, the size the screens were designed at,
# and scales with the screen so that every panel shows the same lines; within two bounds: pixels
# enough for a glyph's strokes, and a height a customer reads at arm's length on the panel itself
# (about 17 minutes of arc at 60 cm: on a small panel of fine pixels the text is set larger).
BODY_MIN_PX = 18
BODY_MIN_MM = 4.2
# The large-text option: every size of text times this, the touch targets as they are.
LARGE_TEXT = 1.4


def body_px(width: int, height: int, px_per_mm: float = 0.0, large: bool = False) -> int:
    """The body text's size in pixels on a window of this size on a panel of ``px_per_mm``."""
    size = max(BODY_MIN_PX, round(32 * min(width, height) / 1080), math.ceil(BODY_MIN_MM * px_per_mm))
    return round(size * LARGE_TEXT) if large else size
