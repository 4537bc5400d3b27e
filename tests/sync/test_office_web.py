"""The office's pages over real HTTP: sign-in, roles, CSRF, lockout, the fleet, the public slip check."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from sqlalchemy import Engine, text

from kiosk.slip_words import format_period
from sync import reference
from sync.office import audit, fleet, operators
from sync.office.operators import LOCKOUT_AFTER, Role
from sync.office.alerts import AlertRules
from sync.office.terminals import add_terminal, list_terminals, utc_now
from sync.office.web import board
from sync.office.web.board import PAGE_ROWS
from sync.wire import Heartbeat
from sync.office.web import words
from sync.office.web.pages import RateLimit, _local, mask
from tests.sync.support import ROOT, OfficeServer, load_office_directory, meter_rows
from tests.sync.test_office_api import API, item

WEB = ROOT / "sync" / "office" / "web"


class Browser:
    """A requests session that fills forms as a browser does: with the page's CSRF token."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.csrf = ""

    def get(self, path: str, **options: Any) -> requests.Response:
        response = self.session.get(self.url + path, timeout=10, **options)
        found = re.search(r'name="csrf" value="([^"]+)"', response.text)
        if found:
            self.csrf = found.group(1)
        return response

    def post(self, path: str, fields: dict[str, str], *, csrf: str | None = None) -> requests.Response:
        return self.session.post(self.url + path, data={"csrf": self.csrf if csrf is None else csrf, **fields},
                                 timeout=10, allow_redirects=False)

    def sign_in(self, name: str, password: str) -> requests.Response:
        self.get("/login")
        return self.post("/login", {"name": name, "password": password, "next": "/fleet"})


@pytest.fixture
def office(office_engine: Engine) -> Iterator[OfficeServer]:
    load_office_directory(office_engine, meter_rows(10))
    with OfficeServer(office_engine) as server:
        yield server


def _signed_in(server: OfficeServer, role: Role, name: str | None = None) -> Browser:
    name = name or role.word
    password = operators.add_operator(server.engine, name, role, actor="test")
    browser = Browser(server.url)
    assert browser.sign_in(name, password).status_code == 303
    return browser


def test_pages_send_the_unauthenticated_to_login(office: OfficeServer) -> None:
    for path in ("/fleet", "/terminals/kiosk-1", "/find?ref=ABCDE-12345", "/operators"):
        response = requests.get(office.url + path, timeout=10, allow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")


def test_sign_in_sets_a_protected_session_and_sign_out_ends_it(office: OfficeServer) -> None:
    password = operators.add_operator(office.engine, "anna", Role.VIEWER, actor="test")
    browser = Browser(office.url)
    answer = browser.sign_in("anna", password)
    assert answer.status_code == 303 and answer.headers["location"] == "/fleet"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert browser.get("/fleet").status_code == 200
    assert browser.post("/logout", {}).status_code == 303
    assert browser.session.get(office.url + "/fleet", allow_redirects=False, timeout=10).status_code == 303


def test_the_session_cookie_is_secure_behind_an_https_proxy(office: OfficeServer) -> None:
    password = operators.add_operator(office.engine, "anna", Role.VIEWER, actor="test")
    browser = Browser(office.url)
    browser.get("/login")
    proxied = browser.session.post(office.url + "/login", data={"csrf": browser.csrf, "name": "anna",
                                                                "password": password},
                                   headers={"X-Forwarded-Proto": "https"}, allow_redirects=False, timeout=10)
    assert proxied.status_code == 303 and "Secure" in proxied.headers["set-cookie"]
    assert "Secure" not in browser.sign_in("anna", password).headers["set-cookie"]


def test_a_form_without_its_csrf_token_is_refused(office: OfficeServer) -> None:
    password = operators.add_operator(office.engine, "anna", Role.ADMIN, actor="test")
    browser = Browser(office.url)
    browser.get("/login")
    assert browser.post("/login", {"name": "anna", "password": password}, csrf="forged").status_code == 403
    assert browser.post("/login", {"name": "anna", "password": password}, csrf="").status_code == 403
    assert browser.post("/login", {"name": "anna", "password": password}).status_code == 303
    # a page on another site posting with the session cookie but without the token
    assert browser.post("/logout", {}, csrf="guess").status_code == 403
    flood = {f"field{number}": "x" for number in range(60)}
    assert browser.post("/logout", flood).status_code == 403
    assert browser.get("/fleet").status_code == 200


def test_repeated_wrong_passwords_lock_the_name(office: OfficeServer) -> None:
    password = operators.add_operator(office.engine, "anna", Role.VIEWER, actor="test")
    browser = Browser(office.url)
    for _ in range(LOCKOUT_AFTER - 1):
        assert browser.sign_in("anna", "wrong-password").status_code == 401
    locked = browser.sign_in("anna", "wrong-password")
    assert locked.status_code == 401 and "15" in locked.text
    refused = browser.sign_in("anna", password)  # the right password, during the lock
    assert refused.status_code == 401 and "15" in refused.text
    assert [entry.action for entry in audit.entries(office.engine, target="operator:anna")][0] == "operator.lock"
    operators.set_password(office.engine, "anna", "a-new-password", actor="test")
    assert browser.sign_in("anna", "a-new-password").status_code == 303


def test_a_new_password_or_disabling_ends_the_sessions(office: OfficeServer) -> None:
    browser = _signed_in(office, Role.VIEWER, "anna")
    assert browser.get("/fleet").status_code == 200
    operators.set_password(office.engine, "anna", actor="test")
    assert browser.session.get(office.url + "/fleet", allow_redirects=False, timeout=10).status_code == 303
    second = _signed_in(office, Role.VIEWER, "boris")
    operators.set_enabled(office.engine, "boris", False, actor="test")
    assert second.session.get(office.url + "/fleet", allow_redirects=False, timeout=10).status_code == 303


def test_roles(office: OfficeServer) -> None:
    viewer = _signed_in(office, Role.VIEWER)
    admin = _signed_in(office, Role.ADMIN)
    assert viewer.get("/operators").status_code == 403
    assert admin.get("/operators").status_code == 200
    office.terminal("kiosk-1")
    viewer.get("/terminals/kiosk-1")
    assert viewer.post("/terminals/kiosk-1/place", {"place": "Hall"}).status_code == 403
    admin.get("/terminals/kiosk-1")
    assert admin.post("/terminals/kiosk-1/place", {"place": "Branch 3, <b>hall</b>"}).status_code == 303
    assert "Branch 3, &lt;b&gt;hall&lt;/b&gt;" in viewer.get("/fleet").text  # the operator's words, as text
    assert viewer.post("/terminals/kiosk-1/enabled", {"enabled": "0"}).status_code == 403
    assert admin.post("/terminals/kiosk-1/enabled", {"enabled": "0"}).status_code == 303
    assert list_terminals(office.engine)[0].enabled is False
    assert [entry.action for entry in audit.entries(office.engine, target="terminal:kiosk-1")] == [
        "terminal.disable", "terminal.place"]


def test_admins_manage_operators_from_the_page(office: OfficeServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    admin = _signed_in(office, Role.ADMIN, "anna")
    operator = _signed_in(office, Role.OPERATOR, "oleg")
    admin.get("/operators")
    added = admin.post("/operators", {"name": "vera", "role": "viewer"})
    assert added.status_code == 200 and added.headers["cache-control"] == "no-store"
    [password] = re.findall(r'<p class="reference">([^<]+)</p>', added.text)
    assert Browser(office.url).sign_in("vera", password).status_code == 303
    assert password not in admin.get("/operators").text  # shown once
    assert password not in caplog.text
    with office.engine.connect() as connection:
        stored = connection.execute(text("SELECT password_hash FROM office_operators WHERE name = 'vera'")).scalar_one()
    assert password not in stored and stored.startswith("$argon2id$")
    assert admin.post("/operators", {"name": "vera", "role": "admin"}).status_code == 409
    assert admin.post("/operators", {"name": "-bad name", "role": "viewer"}).status_code == 400
    assert admin.post("/operators", {"name": "vlad", "role": "root"}).status_code == 400

    reset = admin.post("/operators/vera/password", {})
    [new] = re.findall(r'<p class="reference">([^<]+)</p>', reset.text)
    assert new != password and Browser(office.url).sign_in("vera", password).status_code == 401
    assert Browser(office.url).sign_in("vera", new).status_code == 303
    assert admin.post("/operators/nobody/password", {}).status_code == 404

    assert admin.post("/operators/vera/disable", {}).status_code == 303
    assert Browser(office.url).sign_in("vera", new).status_code == 401
    assert "/operators/vera/enable" in admin.get("/operators").text
    assert admin.post("/operators/vera/enable", {}).status_code == 303
    assert Browser(office.url).sign_in("vera", new).status_code == 303
    assert admin.post("/operators/vera/role", {"role": "operator"}).status_code == 303
    assert [(item.name, item.role) for item in operators.list_operators(office.engine)] == [
        ("anna", Role.ADMIN), ("oleg", Role.OPERATOR), ("vera", Role.OPERATOR)]

    # the same refusal as the other admin actions, and no form without its token
    for path, fields in (("/operators", {"name": "mallory", "role": "admin"}), ("/operators/vera/password", {}),
                         ("/operators/vera/enable", {}), ("/operators/vera/disable", {}),
                         ("/operators/oleg/role", {"role": "admin"})):
        assert operator.post(path, fields).status_code == 403, path
        assert admin.post(path, fields, csrf="forged").status_code == 403, path
    assert [item.name for item in operators.list_operators(office.engine)] == ["anna", "oleg", "vera"]

    # the last admin cannot leave the office without one
    for path, fields in (("/operators/anna/role", {"role": "viewer"}), ("/operators/anna/disable", {})):
        refused = admin.post(path, fields)
        assert refused.status_code == 409 and "последний включённый администратор" in refused.text, path
    assert admin.post("/operators/vera/role", {"role": "admin"}).status_code == 303
    assert admin.post("/operators/anna/role", {"role": "viewer"}).status_code == 303
    assert admin.get("/operators").status_code == 403

    assert [(entry.actor, entry.action, entry.target, entry.detail) for entry in audit.entries(office.engine)
            if entry.actor == "anna" and entry.action != "operator.sign_in"][::-1] == [
        ("anna", "operator.add", "operator:vera", "viewer"), ("anna", "operator.passwd", "operator:vera", ""),
        ("anna", "operator.disable", "operator:vera", ""), ("anna", "operator.enable", "operator:vera", ""),
        ("anna", "operator.role", "operator:vera", "operator"), ("anna", "operator.role", "operator:vera", "admin"),
        ("anna", "operator.role", "operator:anna", "viewer")]
    assert all(entry.at is not None for entry in audit.entries(office.engine))


def test_fleet_shows_each_terminal_state_worst_first(office: OfficeServer) -> None:
    beats = {
        "kiosk-ok": _beat(),
        "kiosk-paper": _beat(printer={"state": "ok", "paper": "out"}),
        "kiosk-yellow": _beat(subsystems=[{"name": "network", "level": "yellow", "reason": "slow link"}]),
    }
    for terminal_id, beat in beats.items():
        session = office.signed_session(terminal_id, office.terminal(terminal_id))
        assert session.post(office.url + API + "/heartbeat", json=beat, timeout=10).status_code == 200
    office.terminal("kiosk-new")
    viewer = _signed_in(office, Role.VIEWER)
    page = viewer.get("/fleet?lang=en").text
    rows = re.findall(r'data-terminal="([^"]+)" data-state="([^"]+)"', page)
    assert rows == [("kiosk-paper", "red"), ("kiosk-yellow", "yellow"), ("kiosk-ok", "green"),
                    ("kiosk-new", "unknown")]
    assert "paper is out" in page and "slow link" in page
    only_red = viewer.get("/fleet?state=red").text
    assert re.findall(r'data-terminal="([^"]+)"', only_red) == ["kiosk-paper"]
    assert "закончилась бумага" in viewer.get("/fleet?lang=ru").text
    assert "No submission" not in viewer.get("/terminals/kiosk-yellow").text


def test_a_long_fleet_is_shown_a_page_at_a_time_the_worst_first(office: OfficeServer) -> None:
    for number in range(PAGE_ROWS + 5):
        add_terminal(office.engine, f"kiosk-{number:03d}")
    silent = "kiosk-104"  # heard once, long ago: red, so first on the first page
    fleet.record_heartbeat(office.engine, silent, Heartbeat.model_validate(_beat()),
                           now=datetime(2026, 1, 1))
    viewer = _signed_in(office, Role.VIEWER)

    def shown(path: str) -> list[str]:
        return re.findall(r'data-terminal="([^"]+)"', viewer.get(path).text)

    first = shown("/fleet?lang=en")
    assert len(first) == PAGE_ROWS and first[0] == silent
    second = shown("/fleet?page=2")
    assert len(second) == 5 and not set(first) & set(second)
    page = viewer.get("/fleet?page=2&lang=en").text
    assert f"Rows {PAGE_ROWS + 1}–{PAGE_ROWS + 5} of {PAGE_ROWS + 5}" in page
    assert 'href="/fleet?state=&amp;sort=state&amp;page=1"' in page
    # an address typed by hand: past the end shows the last page, anything else the first
    assert shown("/fleet?page=99") == second
    for hostile in ("0", "-1", "x", "²", "9" * 40):
        assert shown(f"/fleet?page={hostile}") == first, hostile
    assert shown("/fleet?state=red") == [silent] and 'id="pager"' not in viewer.get("/fleet?state=red").text


def test_a_command_from_the_terminal_page_is_done_after_the_next_heartbeat(office: OfficeServer) -> None:
    terminal = office.signed_session("kiosk-1", office.terminal("kiosk-1"))
    heartbeat = office.url + API + "/heartbeat"
    viewer, operator = _signed_in(office, Role.VIEWER), _signed_in(office, Role.OPERATOR)
    viewer.get("/terminals/kiosk-1")
    assert 'id="command-' not in viewer.get("/terminals/kiosk-1").text
    assert viewer.post("/terminals/kiosk-1/commands", {"action": "restart"}).status_code == 403
    operator.get("/terminals/kiosk-1")
    refused = operator.post("/terminals/kiosk-1/commands", {"action": "out_of_service", "reason": ""})
    assert refused.status_code == 303 and "error=reason" in refused.headers["location"]
    sent = operator.post("/terminals/kiosk-1/commands", {"action": "out_of_service", "reason": "cleaning"})
    assert sent.status_code == 303
    assert re.search(r'data-command="1" data-state="pending"', operator.get("/terminals/kiosk-1").text)
    answer = terminal.post(heartbeat, json=_beat(capabilities=["commands"]), timeout=10).json()
    assert [(c["action"], c["reason"], c["operator"]) for c in answer["commands"]] == [
        ("out_of_service", "cleaning", "operator")]
    done = {"id": answer["commands"][0]["id"], "state": "done", "at": "2026-12-07T10:00:00+00:00"}
    terminal.post(heartbeat, json=_beat(capabilities=["commands"], command_results=[done],
                                        out_of_service={"since": "2026-12-07T10:00:00+00:00", "reason": "cleaning"}),
                  timeout=10)
    page = operator.get("/terminals/kiosk-1?lang=en").text
    assert re.search(r'data-command="1" data-state="done"', page)
    assert "out of service</dd>" not in page and "out of service: cleaning" in page
    assert "command.issue" in page  # the audit log, with who
    assert "<svg" in page and ("<polyline" in page or "<circle" in page)  # the history chart


def test_a_staff_call_shows_until_an_operator_acknowledges_it(office: OfficeServer) -> None:
    terminal = office.signed_session("kiosk-1", office.terminal("kiosk-1"))
    call = {"id": str(uuid.uuid4()), "at": "2026-12-07T10:00:00+00:00", "reference": "3F2A9-1C0B7"}
    terminal.post(office.url + API + "/heartbeat", json=_beat(staff_calls=[call]), timeout=10)
    operator = _signed_in(office, Role.OPERATOR)
    fleet_page = operator.get("/fleet?lang=en").text
    assert "a customer called for staff (reference 3F2A9-1C0B7)" in fleet_page
    assert operator.post(f"/terminals/kiosk-1/staff-calls/{call['id']}/acknowledge", {}).status_code == 303
    assert "called for staff" not in operator.get("/fleet?lang=en").text
    assert "acknowledged by operator" in operator.get("/terminals/kiosk-1?lang=en").text


def test_the_slip_check_is_public_and_masked(office: OfficeServer) -> None:
    session = office.signed_session("kiosk-1", office.terminal("kiosk-1"))
    sent = item(3)
    answer = session.post(office.url + API + "/submissions", json={"items": [sent]}, timeout=10).json()
    assert answer["results"][0]["status"] == "accepted", answer
    page = requests.get(f"{office.url}/r/{sent['txn_id']}", headers={"Accept-Language": "en"}, timeout=10)
    assert page.status_code == 200
    account, meter = sent["account"], sent["meter"]
    assert f"•••{account[-4:]}" in page.text and f"•••{meter[-4:]}" in page.text
    # the period as the printed slip words it, in the page's language
    assert "<dd>November 2026</dd>" in page.text
    russian = requests.get(f"{office.url}/r/{sent['txn_id']}?lang=ru", timeout=10).text
    assert "<dd>ноябрь 2026</dd>" in russian
    for language, shown in (("en", page.text), ("ru", russian)):  # the slip's own words, not a copy of them
        assert f"<dd>{format_period(date(2026, 11, 1), language)}</dd>" in shown
    assert account not in page.text and meter not in page.text
    assert reference.reference(sent["txn_id"]) in page.text
    assert "2001" in page.text and "2002" in page.text  # the two zones' readings
    unknown = requests.get(f"{office.url}/r/{uuid.uuid4()}", timeout=10)
    malformed = requests.get(f"{office.url}/r/'%20OR%201=1", timeout=10)
    assert unknown.status_code == malformed.status_code == 404
    assert _main(unknown.text) == _main(malformed.text)


def test_operators_find_a_submission_by_the_slips_reference(office: OfficeServer) -> None:
    session = office.signed_session("kiosk-1", office.terminal("kiosk-1"))
    sent = item(0)
    session.post(office.url + API + "/submissions", json={"items": [sent]}, timeout=10)
    viewer = _signed_in(office, Role.VIEWER)
    typed = reference.reference(sent["txn_id"]).lower().replace("-", " ")
    found = viewer.get(f"/find?ref={typed}").text
    assert f"/r/{sent['txn_id']}" in found
    assert "A reference is ten" in viewer.get("/find?ref=nonsense&lang=en").text
    # both lists of submissions word the period as the public check page does, in the page's language
    for language in ("en", "ru"):
        for path in (f"/find?ref={typed}&lang={language}", f"/terminals/kiosk-1?lang={language}"):
            shown = viewer.get(path).text
            assert f"<td>{words.period('2026-11', language)}</td>" in shown, (path, shown)
            assert "<td>2026-11</td>" not in shown
    assert "<td>ноябрь 2026</td>" in viewer.get("/find?ref=" + typed + "&lang=ru").text


def test_the_operator_command_line(office: OfficeServer) -> None:
    if office.engine.dialect.name != "sqlite":
        pytest.skip("the command line's database is the same code on both; its schema-per-test URL is SQLite's")
    url = office.engine.url.render_as_string(hide_password=False)

    def kiosk(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "kiosk", "office", "operator", *args, "--db", url],
                              input=stdin, capture_output=True, text=True, timeout=60,
                              env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})

    added = kiosk("add", "vera", "--role", "operator")
    assert added.returncode == 0, added.stderr
    shown = json.loads(added.stdout)
    assert shown["operator"] == "vera" and len(shown["password"]) >= 12
    assert Browser(office.url).sign_in("vera", shown["password"]).status_code == 303
    assert kiosk("add", "vera", "--role", "viewer").returncode == 1
    assert kiosk("add", "vlad", "--role", "viewer", "--password-stdin", stdin="short\n").returncode == 1
    assert kiosk("add", "vlad", "--role", "viewer", "--password-stdin", stdin="long enough secret\n").returncode == 0
    assert Browser(office.url).sign_in("vlad", "long enough secret").status_code == 303
    listed = [json.loads(line) for line in kiosk("list").stdout.splitlines()]
    assert [(entry["operator"], entry["role"]) for entry in listed] == [("vera", "operator"), ("vlad", "viewer")]
    assert kiosk("disable", "vlad").returncode == 0
    assert Browser(office.url).sign_in("vlad", "long enough secret").status_code == 401
    new = json.loads(kiosk("passwd", "vera").stdout)["password"]
    assert Browser(office.url).sign_in("vera", new).status_code == 303
    assert kiosk("passwd", "nobody").returncode == 1
    # what an admin does at /operators: let a disabled operator in again, change a role
    enabled = kiosk("enable", "vlad")
    assert enabled.returncode == 0 and json.loads(enabled.stdout) == {"operator": "vlad", "enabled": True}
    assert Browser(office.url).sign_in("vlad", "long enough secret").status_code == 303
    promoted = kiosk("role", "vera", "--role", "admin")
    assert promoted.returncode == 0 and json.loads(promoted.stdout) == {"operator": "vera", "role": "admin"}
    admin = Browser(office.url)
    assert admin.sign_in("vera", new).status_code == 303 and admin.get("/operators").status_code == 200
    # the last enabled admin is neither demoted nor disabled, and says why
    for refused in (kiosk("role", "vera", "--role", "viewer"), kiosk("disable", "vera")):
        assert refused.returncode == 1 and "last enabled admin" in refused.stderr and refused.stdout == ""
    assert kiosk("role", "vlad", "--role", "admin").returncode == 0
    assert json.loads(kiosk("role", "vera", "--role", "viewer").stdout)["role"] == "viewer"
    assert kiosk("enable", "nobody").returncode == kiosk("role", "nobody", "--role", "viewer").returncode == 1
    assert kiosk("role", "vera", "--role", "root").returncode == 2
    listed = {entry["operator"]: entry for entry in map(json.loads, kiosk("list").stdout.splitlines())}
    assert (listed["vera"]["role"], listed["vlad"]["role"], listed["vlad"]["enabled"]) == ("viewer", "admin", True)
    # in the audit log as the other operator commands are: the system user who ran it
    changes = [(entry.actor.startswith("cli"), entry.action, entry.target, entry.detail)
               for entry in reversed(audit.entries(office.engine)) if entry.action in ("operator.enable", "operator.role")]
    assert changes == [(True, "operator.enable", "operator:vlad", ""), (True, "operator.role", "operator:vera", "admin"),
                       (True, "operator.role", "operator:vlad", "admin"), (True, "operator.role", "operator:vera", "viewer")]


def test_sign_in_goes_back_only_to_this_site() -> None:
    assert _local("/terminals/kiosk-1") == "/terminals/kiosk-1"
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "", None, "fleet"):
        assert _local(target) == "/fleet"


def test_rate_limit_and_masking() -> None:
    limit = RateLimit(3)
    assert [limit.allow("a", now) for now in (0.0, 1.0, 2.0, 3.0)] == [True, True, True, False]
    assert limit.allow("b", 3.0) and limit.allow("a", 61.0)
    assert mask("2200123456") == "•••3456" and mask("123") == "•••"


def test_age_in_words() -> None:
    english, russian = words.Durations("en", datetime(2026, 12, 7, 12)), words.Durations("ru", datetime(2026, 12, 7))
    assert english.age(None) == "never" and english.age(30) == "30 s ago"
    assert russian.age(600) == "10 мин назад" and russian.age(3 * 86400) == "3 дн. назад"
    assert english.since(datetime(2026, 12, 7, 11, 58)) == "2 min ago"
    assert words.language_of(None, None, "en-GB,en;q=0.9") == "en"
    assert words.language_of("ru", "en", "en") == "ru"
    assert words.language_of(None, None, "de") == "ru"
    assert words.period("2026-12", "ru") == "декабрь 2026" and words.period("2026-12", "en") == "December 2026"
    assert words.period("2026-13", "en") == "2026-13" and words.period("<b>", "ru") == "<b>"


def _extracted() -> set[str]:
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    found = set()
    for template in WEB.glob("templates/*.html"):
        found |= {message for _, message, _, _ in extract_from_file(
            "jinja2.ext:babel_extract", template, keywords, options={"trim_blocks": "true", "lstrip_blocks": "true"})}
    # the months of a period, worded as the slip words them
    for module in (*WEB.glob("*.py"), ROOT / "sync" / "period_words.py"):
        found |= {message for _, message, _, _ in extract_from_file("python", module, keywords)}
    return found


def test_every_word_on_the_pages_has_its_russian(tmp_path: Path) -> None:
    catalog = WEB / "locale" / "ru" / "LC_MESSAGES"
    with (catalog / "office.po").open("rb") as handle:
        translated = {message.id: message.string for message in read_po(handle) if message.id}
    missing = sorted(message for message in _extracted() if not translated.get(message))
    assert not missing, f"add these to {catalog / 'office.po'}: {missing}"
    target = tmp_path / "ru" / "LC_MESSAGES"
    target.mkdir(parents=True)
    (target / "office.po").write_bytes((catalog / "office.po").read_bytes())
    CommandLineInterface().run(["pybabel", "-q", "compile", "-d", str(tmp_path), "-D", "office"])
    with (target / "office.mo").open("rb") as fresh, (catalog / "office.mo").open("rb") as committed:
        assert {m.id: m.string for m in read_mo(committed)} == {m.id: m.string for m in read_mo(fresh)}, (
            "the .mo is stale: run `pybabel compile -d sync/office/web/locale -D office`")


def _main(page: str) -> str:
    return page[page.index("<main>"):]


def _beat(**changes: Any) -> dict[str, Any]:
    beat: dict[str, Any] = {
        "app_version": "0.1.0", "queue_depth": 0, "oldest_pending_age": None,
        "printer": {"state": "ok", "paper": "ok"}, "interval_s": 60,
        "subsystems": [{"name": "printer", "level": "green"}, {"name": "network", "level": "green"}]}
    beat.update(changes)
    return beat


def test_the_fleet_page_rows_are_never_older_than_their_bound(office_engine: Engine) -> None:
    """The fleet page's rows are computed at most once per FRESH_S in a process: within it a page
    may show them as they were, never past it; an operator's action shows at once."""
    add_terminal(office_engine, "kiosk-1")
    fleet.record_heartbeat(office_engine, "kiosk-1", Heartbeat.model_validate(_beat()))
    clock = [1000.0]
    rows = board.FleetBoard(office_engine, AlertRules(), dict, clock=lambda: clock[0])
    as_of, first = rows.rows()
    assert [row.paper.state for row in first] == ["ok"] and as_of <= utc_now()
    call = {"id": str(uuid.uuid4()), "at": "2026-12-07T10:00:00+00:00", "reference": "3F2A9-1C0B7"}
    fleet.record_heartbeat(office_engine, "kiosk-1", Heartbeat.model_validate(
        _beat(printer={"state": "ok", "paper": "out"}, staff_calls=[call])))
    clock[0] += board.FRESH_S * 0.9
    assert rows.rows() == (as_of, first)  # within the bound: the rows of a moment ago
    clock[0] += board.FRESH_S * 0.1
    later, second = rows.rows()  # at the bound: read again
    assert later > as_of and [row.paper.state for row in second] == ["out"]
    assert [notice.kind for notice in second[0].notices] == ["staff_call", "paper_out"]
    # an operator's action anywhere is on the next page at once, the bound notwithstanding
    assert fleet.acknowledge_staff_call(office_engine, call["id"], "ivanova")
    assert [notice.kind for notice in rows.rows()[1][0].notices] == ["paper_out"]
    assert rows.rows()[1] is rows.rows()[1]
