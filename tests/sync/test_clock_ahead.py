"""A terminal whose clock runs ahead of the office's, judged by the office's Date header: the real
office on loopback behind a proxy that moves its Date by a chosen amount (the office still checks
signatures with its own clock, so it accepts the requests, as it would within its window)."""

from __future__ import annotations

import email.utils
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine

from kiosk import config as config_module
from kiosk.service.health import GREEN, RED, YELLOW, check_from_config, clock_health
from kiosk.service.live_status import LiveStatusWriter
from kiosk.network_probe import probe_office
from kiosk.store import Store
from kiosk.wiring import assemble
from sync.uploader import Uploader
from tests.sync.faulty_proxy import FaultyProxy
from tests.sync.support import OfficeServer, client, load_office_directory, meter_rows, queue_submissions

_DATE = re.compile(rb"(?im)^date: [^\r\n]*\r\n")


class ShiftedDateProxy(FaultyProxy):
    """Passes every request through; the office's answer carries a Date ``shift`` away from its
    own (negative: the office's clock seems behind, so the terminal's seems ahead)."""

    def __init__(self, upstream_port: int, shift: timedelta) -> None:
        super().__init__(upstream_port, fault_rate=0.0)
        self.shift = shift

    def _forward(self, request: bytes) -> bytes:
        answer = super()._forward(request)
        head, separator, body = answer.partition(b"\r\n\r\n")
        shifted = email.utils.format_datetime(datetime.now(timezone.utc) + self.shift, usegmt=True)
        head, count = _DATE.subn(b"", head + b"\r\n")
        assert count == 1, "the office sends one Date header"
        return head + f"date: {shifted}".encode() + separator + body


def _config(tmp_path, url: str, secret: str) -> config_module.Config:  # type: ignore[no-untyped-def]
    return config_module.load(None, {"KIOSK_TERMINAL_DATA_DIR": str(tmp_path / "kiosk"), "KIOSK_TERMINAL_ID": "kiosk-1",
                                     "KIOSK_OFFICE_URL": url, "KIOSK_OFFICE_SECRET": secret})


@pytest.mark.parametrize(("ahead", "level", "words"), [
    (timedelta(minutes=2), GREEN, ("in step with the office", "совпадают с часами офиса")),
    (timedelta(minutes=12), YELLOW, ("clock 12 min ahead of the office's: readings are dated later than taken",
                                     "часы спешат на 12 мин относительно офиса")),
    (timedelta(days=3), RED, ("clock 3 days ahead of the office's: readings are dated in the future",
                              "часы спешат на 3 дн. относительно офиса")),
])
def test_a_clock_ahead_of_the_office_is_named_with_the_difference(
        tmp_path, sqlite_office: Engine, ahead: timedelta, level: str, words: tuple[str, str]) -> None:  # type: ignore[no-untyped-def]
    with OfficeServer(sqlite_office) as office, ShiftedDateProxy(office.port, -ahead) as proxy:
        config = _config(tmp_path, proxy.url, office.terminal())
        probe = probe_office(config, 0)
    assert probe.error is None and probe.office_time is not None
    line = clock_health(config, None, probe)
    assert line.level == level
    assert line.reason.startswith(words[0]), line.reason
    assert line.text("ru").startswith(words[1]), line.text("ru")
    assert abs(line.facts["ahead_of_office_s"] - ahead.total_seconds()) <= 2


def test_the_uploaders_last_answer_judges_the_clock_when_the_office_is_gone(
        tmp_path, sqlite_office: Engine, kiosk_store: Store) -> None:  # type: ignore[no-untyped-def]
    with OfficeServer(sqlite_office) as office, ShiftedDateProxy(office.port, -timedelta(hours=30)) as proxy:
        config = _config(tmp_path, proxy.url, office.terminal())
        rows = meter_rows(3)
        load_office_directory(sqlite_office, rows)
        kiosk_store.directory.import_rows(rows)
        queue_submissions(kiosk_store, "kiosk-1", rows, 2)
        uploader = Uploader(kiosk_store.outbox, client(proxy.url, "kiosk-1", config.office.secret))
        assert uploader.run_once().sent == 2
    # The office is gone now: the office check has no answer, the uploader's last one stands.
    assert uploader.office_time is not None
    line = clock_health(config, kiosk_store, None, uploader.office_time)
    assert line.level == RED and line.reason.startswith("clock 30 h ahead of the office's")
    assert line.facts["compared"] == uploader.office_time.here.isoformat(timespec="seconds")


def test_without_any_answer_only_the_lower_bound_is_checked(tmp_path, kiosk_store: Store) -> None:  # type: ignore[no-untyped-def]
    config = _config(tmp_path, "http://127.0.0.1:9", "x" * 32)
    line = clock_health(config, kiosk_store, None, None)
    assert (line.level, line.reason) == (GREEN, "set (not compared with the office)")


def test_kiosk_status_judges_the_clock_by_the_running_apps_last_answer(tmp_path, sqlite_office: Engine) -> None:  # type: ignore[no-untyped-def]
    with OfficeServer(sqlite_office) as office, ShiftedDateProxy(office.port, -timedelta(hours=30)) as proxy:
        config = _config(tmp_path, proxy.url, office.terminal())
        terminal = assemble(config)
        try:
            rows = meter_rows(3)
            load_office_directory(sqlite_office, rows)
            terminal.store.directory.import_rows(rows)
            queue_submissions(terminal.store, "kiosk-1", rows, 1)
            assert terminal.uploader is not None and terminal.uploader.run_once().sent == 1
            LiveStatusWriter(terminal).write_now()  # what the running app leaves for `kiosk status`
        finally:
            terminal.close()
    # `kiosk status` now: the office is gone, the app's file still fresh.
    clock = {h.subsystem: h for h in check_from_config(config)}["clock"]
    assert clock.level == RED and clock.reason.startswith("clock 30 h ahead of the office's")
