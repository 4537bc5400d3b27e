"""The pages' words in Russian (the office's language) and English.

Templates write English msgids as ``_("…")``; the Russian catalog is
sync/office/web/locale/ru/LC_MESSAGES/office.po. After editing it, recompile:
``pybabel compile -d sync/office/web/locale -D office`` (a test fails while the .mo is stale).
English is the msgids themselves.
"""

from __future__ import annotations

import gettext
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Callable

from sync.period_words import period_in_words

DOMAIN = "office"
LOCALE_DIR = Path(__file__).with_name("locale")
LANGUAGES = ("ru", "en")
DEFAULT_LANGUAGE = "ru"


def N_(message: str) -> str:
    """Mark a module-level string for extraction; it is translated where it is shown."""
    return message


@lru_cache(maxsize=None)
def translation(language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[DEFAULT_LANGUAGE])


def gettext_for(language: str) -> Callable[[str], str]:
    return translation(language if language in LANGUAGES else DEFAULT_LANGUAGE).gettext


def period(text: str, language: str) -> str:
    """A submission's period ("2026-12") as the slip words it: "декабрь 2026", "December 2026"."""
    try:
        return period_in_words(date.fromisoformat(f"{text}-01"), gettext_for(language))
    except ValueError:  # not a period this release wrote: shown as it is
        return text


def language_of(asked: str | None, chosen: str | None, accept_language: str | None) -> str:
    """``?lang=``, else the language chosen before (a cookie), else the browser's first of ours."""
    for candidate in (asked, chosen):
        if candidate in LANGUAGES:
            return candidate
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


class Durations:
    """Ages and durations in words in one language, its words looked up once: the fleet page
    writes two for each of thousands of terminals."""

    def __init__(self, language: str, now: datetime) -> None:
        _ = gettext_for(language)
        self.now = now
        self._never, self._ago = _("never"), _("{duration} ago")
        self._units = (_("{n} s"), _("{n} min"), _("{n} h"), _("{n} d"))

    def duration(self, seconds: float) -> str:
        """"45 s", "12 min", "3 h", "2 d"; abbreviations spare Russian's plurals."""
        seconds = max(0.0, seconds)
        if seconds < 90:
            return self._units[0].format(n=int(seconds))
        if seconds < 90 * 60:
            return self._units[1].format(n=round(seconds / 60))
        if seconds < 36 * 3600:
            return self._units[2].format(n=round(seconds / 3600))
        return self._units[3].format(n=round(seconds / 86400))

    def age(self, seconds: float | None) -> str:
        """"45 s ago"; "never" for None."""
        return self._never if seconds is None else self._ago.format(duration=self.duration(seconds))

    def since(self, moment: datetime | None) -> str:
        return self.age(None if moment is None else (self.now - moment).total_seconds())
