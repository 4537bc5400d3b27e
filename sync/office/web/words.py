"""The pages' words in Russian (the office's language) and English.

Templates write English msgids as ``_("…")``; the Russian catalog is
sync/office/web/locale/ru/LC_MESSAGES/office.po. After editing it, recompile:
``pybabel compile -d sync/office/web/locale -D office`` (a test fails while the .mo is stale).
English is the msgids themselves.
"""

from __future__ import annotations

import gettext
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Callable

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


def language_of(asked: str | None, chosen: str | None, accept_language: str | None) -> str:
    """``?lang=``, else the language chosen before (a cookie), else the browser's first of ours."""
    for candidate in (asked, chosen):
        if candidate in LANGUAGES:
            return candidate  # type: ignore[return-value]
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


def age(seconds: float | None, language: str) -> str:
    """"45 s ago", "12 min ago", "3 h ago", "2 days ago"; abbreviations spare Russian's plurals."""
    _ = gettext_for(language)
    if seconds is None:
        return _("never")
    return _("{duration} ago").format(duration=duration(seconds, language))


def duration(seconds: float, language: str) -> str:
    _ = gettext_for(language)
    seconds = max(0.0, seconds)
    if seconds < 90:
        return _("{n} s").format(n=int(seconds))
    if seconds < 90 * 60:
        return _("{n} min").format(n=round(seconds / 60))
    if seconds < 36 * 3600:
        return _("{n} h").format(n=round(seconds / 3600))
    return _("{n} d").format(n=round(seconds / 86400))


def since(moment: datetime | None, now: datetime, language: str) -> str:
    return age(None if moment is None else (now - moment).total_seconds(), language)
