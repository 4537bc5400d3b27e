"""What needs no window: contrast, text and touch target sizes, and the screens' words (every
one translated, the compiled catalogs fresh, and the same words the slip uses)."""

from __future__ import annotations

import shutil
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from kiosk.slip_words import slip_words
from kiosk.i18n import LANGUAGES
from screens.settings import UiSettings
from screens.texts import DOMAIN, LOCALE_DIR, texts_for
from screens.theme import BODY_MIN_MM, BODY_MIN_PX, TEXT_PAIRS, body_px, contrast

SIZES = ((1920, 1080), (1280, 1024), (1024, 768), (1080, 1920))
ROOT = Path(__file__).resolve().parents[2]
# The customer screens' modules that mark their words: t("...") where shown, N_("...") in tables.
SCREEN_MODULES = ("screens/views.py", "screens/app.py")


@pytest.mark.parametrize("name", sorted(TEXT_PAIRS))
def test_every_text_colour_pair_is_at_least_7_to_1(name):
    text, background = TEXT_PAIRS[name]
    assert contrast(text, background) >= 7.0


def test_body_text_is_32_px_at_1920x1080_and_scales_with_the_screen():
    assert body_px(1920, 1080, UiSettings().px_per_mm(1920, 1080)) == 32
    assert body_px(1080, 1920) == 32
    assert body_px(1024, 768) == 23


@pytest.mark.parametrize("size", (*SIZES, (800, 600), (640, 480)))
def test_body_text_keeps_its_bounds(size):
    assert body_px(*size) >= BODY_MIN_PX
    # A 10.1" panel of 1920x1080 has fine pixels: text is set by its height in millimetres.
    dense = UiSettings(screen_diagonal_mm=257).px_per_mm(*size)
    assert body_px(*size, px_per_mm=dense) / dense >= BODY_MIN_MM


@pytest.mark.parametrize("size", SIZES)
def test_large_text_is_1_4_times_the_body(size):
    assert body_px(*size, large=True) == round(body_px(*size) * 1.4)


def test_touch_target_is_20_mm_on_a_21_5_inch_panel():
    assert UiSettings().target_px(1920, 1080) == pytest.approx(80.7, abs=0.1)


def test_a_bounce_is_shorter_than_a_deliberate_repeat():
    # Bounces land within ~50 ms; a quick "00" typed on purpose is 150 ms or more apart.
    assert 0.05 < UiSettings().key_bounce_s < 0.15


def test_both_catalogs_load_and_russian_is_translated():
    assert texts_for("ru")("Next") == "Далее"
    assert texts_for("en")("Next") == "Next"


def _catalog(language: str, suffix: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.{suffix}"


def _frozen(value):
    # A plural's forms come as a list (from a .mo) or a tuple: as tuples they can be compared.
    return tuple(value) if isinstance(value, (list, tuple)) else value


def _messages(catalog) -> dict:
    return {_frozen(message.id): _frozen(message.string) for message in catalog if message.id}


def _marked() -> set:
    found = set()
    keywords = {"t": None, "N_": None, "ngettext": (1, 2)}
    for module in SCREEN_MODULES:
        for _, message, _, _ in extract_from_file("python", ROOT / module, keywords):
            found.add(_frozen(message))
    return found


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}


def test_every_word_the_screens_show_is_in_russian_with_the_same_placeholders():
    with _catalog("ru", "po").open("rb") as handle:
        russian = _messages(read_po(handle))
    marked = _marked()
    assert sorted(map(str, (m for m in marked if not russian.get(m)))) == []
    for message in marked:
        # A plural: every Russian form keeps the English placeholders.
        source = message[0] if isinstance(message, tuple) else message
        forms = russian[message] if isinstance(message, tuple) else (russian[message],)
        assert all(forms) and all(_fields(form) == _fields(source) for form in forms), message
    assert sorted(map(str, set(russian) - marked)) == []  # nothing left over from words no longer shown


def test_committed_screen_catalogs_are_compiled_from_their_po(tmp_path):
    for language in LANGUAGES:
        target = tmp_path / language / "LC_MESSAGES"
        target.mkdir(parents=True)
        shutil.copy(_catalog(language, "po"), target)
    CommandLineInterface().run(["pybabel", "-q", "compile", "-d", str(tmp_path), "-D", DOMAIN])
    for language in LANGUAGES:
        with (tmp_path / language / "LC_MESSAGES" / f"{DOMAIN}.mo").open("rb") as fresh, \
                _catalog(language, "mo").open("rb") as committed:
            assert _messages(read_mo(committed)) == _messages(read_mo(fresh)), (
                f"{language}: stale; run `pybabel compile -d screens/locale -D screens`")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_screens_name_things_as_the_slip_does(language):
    t, slip = texts_for(language), vars(slip_words(language))
    # The review's and the result's table speak as the slip's; the result screen takes the slip
    # code's word, the hotline and the month from the slip's own content (Journey.receipt).
    assert [t(w) for w in ("Zone", "Previous", "New", "Used", "Total, kWh")] == [
        slip["zone"], slip["previous"], slip["new"], slip["consumption"], slip["total"]]
