"""The screens' own words, in catalogs of their own next to this file.

``screens`` (screens/locale/<language>/LC_MESSAGES/screens.mo) holds what the customer screens
say; ``service`` holds what the technician's service screens say, kept apart so each can be
translated and reviewed by the people who read it. Findings from the rules are worded by
kiosk.rules. After editing a .po file: ``pybabel compile -d screens/locale -D screens`` (or
``-D service``).
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from pathlib import Path
from typing import Callable

from kiosk.i18n import DEFAULT_LANGUAGE, LANGUAGES

DOMAIN = "screens"
SERVICE_DOMAIN = "service"
DOMAINS = (DOMAIN, SERVICE_DOMAIN)
LOCALE_DIR = Path(__file__).with_name("locale")


def texts_for(language: str) -> Callable[[str], str]:
    return _load(DOMAIN, _supported(language)).gettext


def screens_catalog(language: str) -> gettext.NullTranslations:
    """The customer screens' catalog, for ``ngettext`` where a count is shown ("13 секунд")."""
    return _load(DOMAIN, _supported(language))


def service_catalog(language: str) -> gettext.NullTranslations:
    """The service screens' catalog: its ``gettext``, and ``ngettext`` for counts."""
    return _load(SERVICE_DOMAIN, _supported(language))


def _supported(language: str) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


@lru_cache(maxsize=len(DOMAINS) * len(LANGUAGES))
def _load(domain: str, language: str) -> gettext.NullTranslations:
    # fallback=False: a missing catalog is a packaging fault to see at once (see kiosk.i18n).
    return gettext.translation(domain, localedir=LOCALE_DIR, languages=[language], fallback=False)
