"""The office's pages in a real browser: Debian's headless Chromium driven by Selenium, against the
real office on loopback, with terminals that send real signed heartbeats.

An operator signs in, sees two terminals in their states, takes one out of service from its page
and sees the command done after the terminal's next heartbeat; a customer points a phone at the
QR code of a slip the terminal printed (through the printer emulator) and opens the check page it
leads to; a forged form and a guessed password are refused. ``OFFICE_SCREENSHOTS=DIR`` keeps the
pictures (docs/office holds the ones the README shows)."""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests
from sqlalchemy import Engine

from devices.emulators import PrinterEmulator
from devices.printer import ReceiptPrinter
from kiosk import config as config_module
from kiosk.intake import Intake
from kiosk.slips import SlipDesk
from kiosk.store import Store, Submission
from sync.office import fleet, operators
from sync.office.operators import LOCKOUT_AFTER, Role
from sync.office.terminals import utc_now
from sync.uploader import Uploader
from sync.wire import Heartbeat
from tests.devices.conftest import wait_for
from tests.sync.support import OfficeServer, client, load_office_directory, meter_rows
from tests.sync.test_office_api import API
from tests.test_slips import read_qr

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

pytestmark = pytest.mark.skipif(not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)),
                                reason="needs Debian's chromium and chromium-driver (deploy/bootstrap.sh installs them)")


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,900", "--lang=ru", f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": "ru-RU,ru"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def office(sqlite_office: Engine) -> Iterator[OfficeServer]:
    load_office_directory(sqlite_office, meter_rows(10))
    with OfficeServer(sqlite_office) as server:
        yield server


def _beat(**changes: Any) -> dict[str, Any]:
    beat: dict[str, Any] = {
        "app_version": "0.4.2", "queue_depth": 0, "oldest_pending_age": None, "interval_s": 60,
        "printer": {"state": "ok", "paper": "ok"}, "capabilities": ["commands"],
        "last_upload_at": (utc_now() - timedelta(minutes=4)).isoformat() + "+00:00",
        "paper_roll": {"length_m": 80.0, "used_m": 31.5, "slips": 350},
        "subsystems": [{"name": name, "level": "green"} for name in
                       ("printer", "scanner", "upload", "directory", "network", "storage", "clock")]}
    beat.update(changes)
    return beat


def _shot(driver: Any, name: str, tmp_path: Path) -> Path:
    folder = Path(os.environ.get("OFFICE_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    driver.set_window_size(1280, max(900, driver.execute_script("return document.body.scrollHeight") + 40))
    driver.execute_script("window.scrollTo(0, 0)")
    assert driver.save_screenshot(str(path)), path
    return path


def _sign_in(driver: Any, url: str, name: str, password: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(url + "/login")
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(password)
    _submit(driver, driver.find_element(By.ID, "sign-in"))


def _submit(driver: Any, button: Any) -> None:
    """Click and wait for the next page: a mark left on this page is gone when it has been replaced."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.execute_script("window.kioskOldPage = true")
    button.click()
    WebDriverWait(driver, 15).until(lambda _: driver.execute_script(
        "return document.readyState === 'complete' && window.kioskOldPage === undefined"))


def _slip_from_the_terminal(office: OfficeServer, secret: str, store: Store, folder: Path) -> tuple[Submission, Path]:
    """A customer's two-zone reading at the branch's terminal, whose slips point at the office:
    recorded as the terminal records it, its slip printed on the emulated Epson, then sent by the
    terminal's uploader. Returns the submission and the printed slip's picture."""
    config = config_module.load(None, {"KIOSK_TERMINAL_DATA_DIR": str(folder / "data"),
                                       "KIOSK_TERMINAL_ID": "kiosk-branch-3",
                                       "KIOSK_TERMINAL_TIMEZONE": "Europe/Moscow",
                                       "KIOSK_SLIP_VERIFY_URL": office.url + "/r/"})
    store.directory.import_rows(meter_rows(10))
    result = Intake(store, config).submit("2200000003", None, ["1101", "1052"])
    assert result.ok, result.as_dict()
    submission = result.submission
    with PrinterEmulator("epson", out=folder / "slips") as emulator:
        printer = ReceiptPrinter(str(emulator.link), "epson")
        try:
            assert SlipDesk(store, config, printer).print_slip(submission, "ru").printed
            assert wait_for(lambda: len(emulator.pages) == 1)
        finally:
            printer.close()
        png = Path(emulator.pages[0]["png_file"])
    summary = Uploader(store.outbox, client(office.url, "kiosk-branch-3", secret)).run_once()
    assert (summary.accepted, summary.pending, summary.error) == (1, 0, None), summary.as_dict()
    return submission, png


def _seed_history(engine: Engine, terminal_id: str) -> None:
    """A day of heartbeats every 2 minutes: a queue that builds up at lunch, paper that runs low."""
    start = utc_now() - timedelta(hours=24)
    for step in range(720):
        hour = step / 30
        queue = int(max(0, 12 - abs(hour - 13) * 4)) if 11 <= hour <= 15 else 0
        paper = "near_end" if hour > 20 else "ok"
        beat = Heartbeat.model_validate(_beat(queue_depth=queue, printer={"state": "ok", "paper": paper},
                                              capabilities=[]))
        fleet.record_heartbeat(engine, terminal_id, beat, now=start + timedelta(minutes=2 * step))


def test_an_operator_runs_the_fleet_from_the_browser(
        office: OfficeServer, browser: Any, kiosk_store: Store, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    url = office.url
    branch_secret = office.terminal("kiosk-branch-3")
    branch = office.signed_session("kiosk-branch-3", branch_secret)
    hall = office.signed_session("kiosk-hall-1", office.terminal("kiosk-hall-1"))
    _seed_history(office.engine, "kiosk-branch-3")
    heartbeat = url + API + "/heartbeat"
    assert branch.post(heartbeat, json=_beat(queue_depth=2, oldest_pending_age=45.0), timeout=10).ok
    assert hall.post(heartbeat, json=_beat(
        printer={"state": "ok", "paper": "out"}, paper_roll={"length_m": 80.0, "used_m": 80.0, "slips": 890},
        subsystems=[{"name": "printer", "level": "red", "reason": "paper out"},
                    {"name": "network", "level": "yellow", "reason": "slow link: 2.1 s"}]), timeout=10).ok
    sent, slip = _slip_from_the_terminal(office, branch_secret, kiosk_store, tmp_path)
    with office.engine.begin() as connection:
        from sync.office.schema import terminals

        connection.execute(terminals.update().where(terminals.c.id == "kiosk-branch-3")
                           .values(place="Отделение № 3, операционный зал"))
        connection.execute(terminals.update().where(terminals.c.id == "kiosk-hall-1")
                           .values(place="Главный офис, холл"))
    password = operators.add_operator(office.engine, "ivanova", Role.OPERATOR, actor="test")

    # pages send the unauthenticated to the sign-in form
    browser.get(url + "/fleet")
    assert "/login" in browser.current_url

    _sign_in(browser, url, "ivanova", password)
    assert browser.current_url.endswith("/fleet")
    rows = browser.find_elements(By.CSS_SELECTOR, "#fleet tbody tr")
    states = [(row.get_attribute("data-terminal"), row.get_attribute("data-state")) for row in rows]
    assert states == [("kiosk-hall-1", "red"), ("kiosk-branch-3", "green")]  # the worst first
    alerts = browser.find_element(By.ID, "alerts").text
    assert "закончилась бумага" in alerts and "kiosk-hall-1" in alerts
    _shot(browser, "fleet.png", tmp_path)

    # take a terminal out of service from its page; it is done after the terminal's next heartbeat
    _submit(browser, browser.find_element(By.LINK_TEXT, "kiosk-branch-3"))
    browser.find_element(By.CSS_SELECTOR, "input[name=reason]").send_keys("Замена рулона")
    _submit(browser, browser.find_element(By.ID, "command-out_of_service"))
    command = browser.find_element(By.CSS_SELECTOR, "tr[data-command]")
    assert command.get_attribute("data-state") == "pending"
    answer = branch.post(heartbeat, json=_beat(), timeout=10).json()
    [order] = answer["commands"]
    assert (order["action"], order["reason"], order["operator"]) == ("out_of_service", "Замена рулона", "ivanova")
    done = {"id": order["id"], "state": "done", "at": utc_now().isoformat() + "+00:00"}
    assert branch.post(heartbeat, json=_beat(command_results=[done], out_of_service={
        "since": done["at"], "reason": "Замена рулона"}), timeout=10).ok
    browser.refresh()
    assert browser.find_element(By.CSS_SELECTOR, "tr[data-command]").get_attribute("data-state") == "done"
    assert "Замена рулона" in browser.find_element(By.ID, "service").text
    assert browser.find_element(By.CSS_SELECTOR, "svg.chart")
    _shot(browser, "terminal.png", tmp_path)

    # a form from elsewhere: the right session cookie, a wrong CSRF token
    browser.execute_script("document.querySelectorAll('input[name=csrf]').forEach(i => i.value = 'forged')")
    _submit(browser, browser.find_element(By.ID, "command-restart"))
    assert "Нет доступа" in browser.find_element(By.TAG_NAME, "h1").text
    assert len(fleet.commands_of(office.engine, "kiosk-branch-3")) == 1

    # the customer's phone, with no session, reads the slip's QR code and opens the link in it
    browser.delete_all_cookies()
    link = read_qr(slip)
    assert link == f"{url}/r/{sent.txn_id}"
    browser.get(link)
    page = browser.find_element(By.TAG_NAME, "main").text
    assert "Показания получены" in page and f"•••{sent.account[-4:]}" in page and f"•••{sent.meter[-4:]}" in page
    assert sent.period in page and [reading.value for reading in sent.readings] == [1101, 1052]
    assert all(f"\n{reading.value}\n" in f"\n{page}\n" for reading in sent.readings)
    assert sent.account not in page and sent.meter not in page
    _shot(browser, "verify.png", tmp_path)
    browser.get(f"{url}/r/{uuid.uuid4()}")
    assert "Не найдено" in browser.find_element(By.TAG_NAME, "h1").text


def test_guessing_a_password_locks_the_name(office: OfficeServer, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    password = operators.add_operator(office.engine, "petrov", Role.VIEWER, actor="test")
    for _ in range(LOCKOUT_AFTER):
        _sign_in(browser, office.url, "petrov", "not-the-password")
    assert "15 минут" in browser.find_element(By.CSS_SELECTOR, ".error").text
    _sign_in(browser, office.url, "petrov", password)
    assert "/login" in browser.current_url and "15 минут" in browser.find_element(By.CSS_SELECTOR, ".error").text
    assert requests.get(office.url + "/fleet", timeout=10, allow_redirects=False).status_code == 303
