"""Accessibility figures that need no window: contrast, text size, touch target size."""

from __future__ import annotations

import pytest

from screens.settings import UiSettings
from screens.theme import TEXT_PAIRS, body_px, contrast
from screens.texts import texts_for

SIZES = ((1920, 1080), (1280, 1024), (1024, 768), (1080, 1920))


@pytest.mark.parametrize("name", sorted(TEXT_PAIRS))
def test_every_text_colour_pair_is_at_least_7_to_1(name):
    text, background = TEXT_PAIRS[name]
    assert contrast(text, background) >= 7.0


@pytest.mark.parametrize("size", SIZES)
def test_body_text_is_at_least_28_px(size):
    assert body_px(*size) >= 28


def test_touch_target_is_20_mm_on_a_21_5_inch_panel():
    assert UiSettings().target_px(1920, 1080) == pytest.approx(80.7, abs=0.1)


def test_both_catalogs_load_and_russian_is_translated():
    assert texts_for("ru")("Next") == "Далее"
    assert texts_for("en")("Next") == "Next"
