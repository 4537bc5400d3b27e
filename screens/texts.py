"""The screens' own words, in their own catalog (screens/locale/<language>/LC_MESSAGES/screens.mo).

Findings from the rules are worded by kiosk.rules; this catalog holds only what the screens say.
After editing a .po file: ``pybabel compile -d screens/locale -D screens``.
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from pathlib import Path
from typing import Callable

from kiosk.i18n import DEFAULT_LANGUAGE, LANGUAGES

DOMAIN = "screens"
LOCALE_DIR = Path(__file__).with_name("locale")


def texts_for(language: str) -> Callable[[str], str]:
    return _load(language if language in LANGUAGES else DEFAULT_LANGUAGE).gettext


@lru_cache(maxsize=len(LANGUAGES))
def _load(language: str) -> gettext.NullTranslations:
    # fallback=False: a missing catalog is a packaging fault to see at once (see kiosk.i18n).
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[language], fallback=False)
