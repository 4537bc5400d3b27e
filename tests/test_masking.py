"""Customer data leaves the terminal masked: in the event log, the heartbeat that reaches the real
office over loopback, `kiosk status` and `kiosk service events`; URLs without their secrets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from kiosk import config as config_module
from kiosk.masking import mask, public_url, scrub
from kiosk.wiring import assemble
from sync.office.reports import stats
from tests.sync.conftest import ram_folder, sqlite_office  # noqa: F401 - the office fixtures
from tests.sync.support import OfficeServer

REASON = "customer 2287008779 Иванов complained"


@pytest.mark.parametrize(("free_text", "masked"), [
    (REASON, "customer ******8779 И***в complained"),
    ("meter CE-00012345 reads wrong", "meter *******2345 reads wrong"),
    ("Петрова-Водкина asked for 10000011", "П***а asked for ****0011"),
    ("no connection to 127.0.0.1:54321 (port=54321)", "no connection to 127.0.0.1:54321 (port=54321)"),
    ("paper out, 3 slips waiting", "paper out, 3 slips waiting"),
    ("И***в И. И.", "И***в И. И."),  # already masked by the office: left as it is
])
def test_free_text_is_masked(free_text: str, masked: str) -> None:
    assert scrub(free_text) == masked


@given(st.from_regex(r"[0-9]{6,20}", fullmatch=True), st.text(alphabet=" ,.;:!?()", max_size=3))
def test_no_account_number_survives_scrubbing(number: str, around: str) -> None:
    scrubbed = scrub(f"{around}{number}{around}")
    assert number not in scrubbed and mask(number) in scrubbed


@pytest.mark.parametrize(("url", "shown"), [
    ("https://kiosk:s3cret@office.example:8443/kiosk/?token=abc#top", "https://office.example:8443/kiosk/"),
    ("http://[::1]:8000", "http://[::1]:8000"),
    ("", ""),
])
def test_urls_are_shown_without_user_password_or_query(url: str, shown: str) -> None:
    assert public_url(url) == shown


def _kiosk(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "kiosk", *args], capture_output=True, text=True, env=env,
                          timeout=60, cwd="/")
    assert "Traceback" not in done.stderr, done.stderr
    return done


def test_a_reason_with_a_customer_in_it_reaches_the_office_masked(tmp_path: Path, sqlite_office: Engine) -> None:  # noqa: F811 - the fixture imported above
    with OfficeServer(sqlite_office) as office:
        secret = office.terminal("kiosk-7")
        # Credentials in the configured address: never shown back.
        host = office.url.split("://", 1)[1]
        url = f"http://kiosk:pass-word@{host}"
        env = {**os.environ, "KIOSK_TERMINAL_DATA_DIR": str(tmp_path / "kiosk"), "KIOSK_TERMINAL_ID": "kiosk-7",
               "KIOSK_OFFICE_URL": url, "KIOSK_OFFICE_SECRET": secret}
        env.pop("KIOSK_CONFIG", None)
        switched = _kiosk(env, "service", "out-of-service", "--reason", REASON)
        assert switched.returncode == 0, switched.stderr
        assert json.loads(switched.stdout)["reason"] == "customer ******8779 И***в complained"
        status = _kiosk(env, "status")
        logged = _kiosk(env, "service", "events")
        with_query = _kiosk({**env, "KIOSK_OFFICE_URL": f"{url}/?token=t0ken"}, "status")

        config = config_module.load(None, env)
        terminal = assemble(config)
        terminal.start()  # the uploader's first pass sends a heartbeat with the latest events
        try:
            deadline = time.monotonic() + 15
            while stats(sqlite_office)["terminals"][0]["last_heartbeat"] is None and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            terminal.close()
    beat = stats(sqlite_office)["terminals"][0]["last_heartbeat"]
    assert beat is not None, "no heartbeat reached the office"
    messages = [event["message"] for event in beat["events"]]
    assert any("customer ******8779 И***в complained" in message for message in messages), messages
    with sqlite_office.connect() as connection:
        stored = json.dumps([list(row) for row in connection.execute(text("SELECT * FROM office_terminals")).all()],
                            ensure_ascii=False, default=str)
    for output in (stored, status.stdout, status.stderr, logged.stdout):
        assert "2287008779" not in output and "Иванов" not in output
    for secret_part in ("pass-word", "t0ken", "kiosk:"):
        for output in (status.stdout, status.stderr, with_query.stdout, with_query.stderr):
            assert secret_part not in output
    network = next(s for s in json.loads(status.stdout)["subsystems"] if s["subsystem"] == "network")
    assert network["facts"]["office"] == f"http://{host}" and network["level"] != "red"
    assert json.loads(status.stdout)["out_of_service"]["reason"] == "customer ******8779 И***в complained"
