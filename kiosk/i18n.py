"""Translations of the customer-facing and technician-facing words: Russian first, English second.

The msgids are English sentences with str.format placeholders; the compiled catalogs live in
kiosk/locale/<language>/LC_MESSAGES/kiosk.mo. After editing a .po file, recompile:
``pybabel compile -d kiosk/locale -D kiosk`` (a test fails while a .mo is stale).

Words made far from any screen (a subsystem's health, a service action's outcome) travel as a
``Phrase``: the msgid and its values, translated only when a screen shows them, while the log
and `kiosk status` keep the English.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Mapping

from sync.zones import ZoneMeaning

DOMAIN = "kiosk"
LOCALE_DIR = Path(__file__).with_name("locale")
LANGUAGES = ("ru", "en")
DEFAULT_LANGUAGE = "ru"


def N_(message: str) -> str:
    """Mark a module-level string for extraction; it is translated where it is shown."""
    return message


_MEANINGS: dict[ZoneMeaning, str] = {
    ZoneMeaning.SINGLE: N_("single rate"),
    ZoneMeaning.DAY: N_("day"),
    ZoneMeaning.NIGHT: N_("night"),
    ZoneMeaning.PEAK: N_("peak"),
    ZoneMeaning.SEMI_PEAK: N_("semi-peak"),
}


@dataclass(frozen=True)
class Phrase:
    """Words to show in any language: an English msgid (marked with ``N_``) and the values of its
    {placeholders}. A value that is a Phrase itself is translated too ("waiting for {age}" with
    age "5 min"); any other value is shown as it is (numbers, paths, a driver's error text)."""

    template: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def english(self) -> str:
        return self._format(self.template, "en")

    def text(self, language: str) -> str:
        return self._format(gettext_for(language)(self.template), language)

    def _format(self, template: str, language: str) -> str:
        if not self.params:
            return template  # no placeholders: braces in it, if any, are text
        values = {name: value.text(language) if isinstance(value, Phrase) else value
                  for name, value in self.params.items()}
        return template.format(**values)


def translation(language: str) -> gettext.NullTranslations:
    """The catalog for a language; an unknown one gets Russian, the office's language."""
    return _load(_supported(language))


def gettext_for(language: str) -> Callable[[str], str]:
    return translation(language).gettext


def meaning_word(meaning: ZoneMeaning, language: str) -> str:
    """What a zone counts, in a word or two: "день", "ночь", "однотарифный"."""
    return gettext_for(language)(_MEANINGS[meaning])


def zone_label(position: int, meaning: ZoneMeaning, language: str) -> str:
    """The zone as the screen and the slip name it: "T1 — день"; a one-zone meter's only zone
    is just "T1" ("T1 — однотарифный" would say twice that the meter has one rate)."""
    if meaning is ZoneMeaning.SINGLE:
        return f"T{position}"
    return f"T{position} — {meaning_word(meaning, language)}"


def _supported(language: str) -> str:
    # "ru_RU", "en-GB", "EN" all name a language we have.
    base = language.replace("-", "_").split("_", 1)[0].lower()
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


@lru_cache(maxsize=len(LANGUAGES))
def _load(language: str) -> gettext.NullTranslations:
    # fallback=False: a missing catalog is a packaging fault to see at once, not English text
    # silently shown to Russian-speaking customers.
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[language], fallback=False)
