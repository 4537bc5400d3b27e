import shutil
import string
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from kiosk import i18n
from kiosk.i18n import LANGUAGES, LOCALE_DIR, gettext_for, translation, zone_label
from sync.zones import ZoneMeaning
from kiosk.rules import MESSAGES
from screens import texts

ROOT = Path(__file__).resolve().parents[1]
# Modules whose marked strings must be in the catalogs; add yours when you mark strings.
TRANSLATED_MODULES = ("kiosk/i18n.py", "kiosk/rules.py", "kiosk/slip_words.py", "kiosk/network_probe.py",
                      "kiosk/storage.py", *(f"kiosk/service/{name}.py" for name in (
                          "health", "desk", "view", "printing", "scanning", "office", "system")), "kiosk/estimate.py",
                      "kiosk/payment.py", "sync/period_words.py")


def _catalog_path(language: str, suffix: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.{suffix}"


def _messages(catalog) -> dict:
    return {message.id: message.string for message in catalog if message.id}


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def _extracted() -> set[str]:
    found = set()
    for module in TRANSLATED_MODULES:
        for _, message, _, _ in extract_from_file("python", ROOT / module, DEFAULT_KEYWORDS):
            found.add(message)
    return found


def test_committed_mo_files_match_their_po(tmp_path: Path) -> None:
    for language in LANGUAGES:
        target = tmp_path / language / "LC_MESSAGES"
        target.mkdir(parents=True)
        shutil.copy(_catalog_path(language, "po"), target)
    CommandLineInterface().run(["pybabel", "-q", "compile", "-d", str(tmp_path), "-D", i18n.DOMAIN])
    for language in LANGUAGES:
        fresh = tmp_path / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.mo"
        with fresh.open("rb") as new, _catalog_path(language, "mo").open("rb") as committed:
            assert _messages(read_mo(committed)) == _messages(read_mo(new)), (
                f"{language}: the .mo is stale; run "
                "`pybabel compile -d kiosk/locale -D kiosk`")


@pytest.mark.parametrize("language", LANGUAGES)
def test_po_files_have_no_fuzzy_or_obsolete_entries(language: str) -> None:
    # Fuzzy entries are left out of the .mo: customers would see English.
    with _catalog_path(language, "po").open("rb") as handle:
        catalog = read_po(handle)
    assert [message.id for message in catalog if message.id and message.fuzzy] == []
    assert list(catalog.obsolete) == []


def test_every_marked_string_has_a_russian_translation() -> None:
    with _catalog_path("ru", "po").open("rb") as handle:
        russian = _messages(read_po(handle))
    marked = _extracted()
    assert set(MESSAGES.values()) <= marked  # the rules' table is marked for extraction
    missing = sorted(message for message in marked if not russian.get(message))
    assert missing == []
    for message in marked:
        assert _placeholders(russian[message]) == _placeholders(message), message


def test_english_catalog_knows_the_same_messages() -> None:
    with _catalog_path("en", "po").open("rb") as handle:
        english = _messages(read_po(handle))
    assert _extracted() <= set(english)


def test_russian_is_used_for_rule_messages() -> None:
    russian = gettext_for("ru")
    for message in MESSAGES.values():
        assert russian(message) != message


def test_english_shows_the_msgids() -> None:
    english = gettext_for("en")
    for message in MESSAGES.values():
        assert english(message) == message


@pytest.mark.parametrize("language", ["de", "", "xx_YY", "ru_RU", "RU"])
def test_unknown_and_regional_languages_get_russian(language: str) -> None:
    assert translation(language) is translation("ru")


def test_regional_english() -> None:
    assert translation("en-GB") is translation("en")


@pytest.mark.parametrize(
    ("meaning", "russian", "english"),
    [
        (ZoneMeaning.SINGLE, "T1", "T1"),  # a one-zone meter's only zone: no tautology
        (ZoneMeaning.DAY, "T1 — день", "T1 — day"),
        (ZoneMeaning.NIGHT, "T1 — ночь", "T1 — night"),
        (ZoneMeaning.PEAK, "T1 — пик", "T1 — peak"),
        (ZoneMeaning.SEMI_PEAK, "T1 — полупик", "T1 — semi-peak"),
    ],
)
def test_zone_labels(meaning: ZoneMeaning, russian: str, english: str) -> None:
    assert zone_label(1, meaning, "ru") == russian
    assert zone_label(1, meaning, "en") == english


def test_zone_label_position() -> None:
    assert zone_label(3, ZoneMeaning.SEMI_PEAK, "ru") == "T3 — полупик"


# -- the screens' own catalogs (screens/locale): the same checks per domain ----------------------

# Domain: the modules whose marked strings it must hold (t(...) is how the screens translate).
SCREEN_CATALOGS = {texts.SERVICE_DOMAIN: ("screens/service_views.py", "kiosk/service/presenter.py")}
SCREEN_KEYWORDS = {**DEFAULT_KEYWORDS, "t": None}


def _mo_messages(handle) -> dict:
    # Plurals come back from a .mo with lists for their forms: as tuples they can be compared.
    def frozen(value):
        return tuple(value) if isinstance(value, list) else value

    return {frozen(message.id): frozen(message.string) for message in read_mo(handle) if message.id}


def _screen_catalog(domain: str, language: str):
    with (texts.LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po").open("rb") as handle:
        return read_po(handle)


@pytest.mark.parametrize("domain", texts.DOMAINS)
def test_committed_screen_mo_files_match_their_po(tmp_path: Path, domain: str) -> None:
    for language in LANGUAGES:
        target = tmp_path / language / "LC_MESSAGES"
        target.mkdir(parents=True)
        shutil.copy(texts.LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po", target)
    CommandLineInterface().run(["pybabel", "-q", "compile", "-d", str(tmp_path), "-D", domain])
    for language in LANGUAGES:
        fresh = tmp_path / language / "LC_MESSAGES" / f"{domain}.mo"
        committed = texts.LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.mo"
        with fresh.open("rb") as new, committed.open("rb") as old:
            assert _mo_messages(old) == _mo_messages(new), (
                f"{language}: {domain}.mo is stale; run `pybabel compile -d screens/locale -D {domain}`")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("domain", texts.DOMAINS)
def test_screen_po_files_have_no_fuzzy_or_obsolete_entries(domain: str, language: str) -> None:
    catalog = _screen_catalog(domain, language)
    assert [message.id for message in catalog if message.id and message.fuzzy] == []
    assert list(catalog.obsolete) == []


@pytest.mark.parametrize("domain", sorted(SCREEN_CATALOGS))
def test_every_marked_screen_string_is_in_both_catalogs_and_translated_to_russian(domain: str) -> None:
    marked = set()
    for module in SCREEN_CATALOGS[domain]:
        for _, message, _, _ in extract_from_file("python", ROOT / module, SCREEN_KEYWORDS):
            marked.add(message)
    russian = {message.id: message.string for message in _screen_catalog(domain, "ru") if message.id}
    english = {message.id for message in _screen_catalog(domain, "en") if message.id}
    assert sorted(map(str, marked - set(russian))) == [] and sorted(map(str, marked - english)) == []
    for message in marked:
        # A plural is a tuple of forms on both sides; each Russian form keeps the placeholders.
        forms = russian[message] if isinstance(message, tuple) else (russian[message],)
        source = message[0] if isinstance(message, tuple) else message
        assert all(forms), message
        for form in forms:
            assert _placeholders(form) == _placeholders(source), message


def test_the_service_catalog_loads_and_russian_counts_tries_correctly() -> None:
    russian = texts.service_catalog("ru")
    tries = [russian.ngettext("Wrong PIN. {n} try left.", "Wrong PIN. {n} tries left.", n).format(n=n)
             for n in (1, 2, 5)]
    assert tries == ["Неверный PIN-код. Осталась 1 попытка.", "Неверный PIN-код. Осталось 2 попытки.",
                     "Неверный PIN-код. Осталось 5 попыток."]
    assert texts.service_catalog("en").gettext("Fault") == "Fault"
    assert texts.service_catalog("de") is russian  # an unknown language gets the office's
