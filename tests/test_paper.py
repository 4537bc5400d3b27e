"""The paper each slip takes, counted from its layout, against what the printer emulator draws;
the roll's count in the store, `kiosk service new-roll`, and the heartbeat's paper roll."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from PIL import Image

from devices.emulators import PrinterEmulator
from devices.escpos import qr_modules
from devices.printer import ReceiptPrinter
from devices.profiles import PROFILES, get_profile
from kiosk import config as config_module
from kiosk import paper
from kiosk.fleet import paper_roll
from kiosk.slips import SlipDesk
from kiosk.store import Store
from tests.devices.conftest import sample_slip, wait_for
from tests.sync.support import ROOT, meter_rows, queue_submissions


def test_qr_sizes_follow_the_standard_capacities() -> None:
    qrcode = pytest.importorskip("qrcode")
    for count in (1, 14, 15, 26, 27, 36, 42, 43, 120, 213):
        code = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M)
        code.add_data(b"x" * count)
        code.make(fit=True)
        assert qr_modules(count, "M") == len(code.get_matrix()), count


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_a_slips_counted_length_matches_the_emulators_drawing_within_5_percent(tmp_path: Path, profile: str) -> None:
    slips = [dataclasses.replace(sample_slip(language, copy=copy, zones=zones), txn_id=str(uuid.uuid4()))
             for language, copy, zones in (("ru", False, 1), ("ru", True, 3), ("en", False, 2))]
    chosen = get_profile(profile)
    with PrinterEmulator(profile, out=tmp_path, slow_bytes_per_s=100_000, take_after_s=0.1) as emulator:
        driver = ReceiptPrinter(str(emulator.link), profile)
        try:
            for slip in slips:
                assert driver.print_slip(slip).printed
            assert wait_for(lambda: len(emulator.pages) == len(slips), timeout=10)
        finally:
            driver.close()
    for slip, page in zip(slips, emulator.pages):
        drawn = Image.open(page["png_file"]).height
        # The emulator draws a line's margin above and below the slip and leaves out the feed
        # that brings the last line past the cutter; the paper has that feed and no margins.
        on_paper = drawn - 2 * chosen.line_dots + chosen.feed_before_cut * chosen.line_dots
        counted = paper.slip_length_mm(slip, chosen)
        assert counted == pytest.approx(on_paper / chosen.dots_per_mm, rel=0.05), (profile, page["png_file"])
        assert 60 < counted < 300  # a slip of a hand's length


def test_printed_slips_are_counted_on_the_roll_and_a_new_roll_starts_again(tmp_path: Path) -> None:
    with PrinterEmulator("epson", out=tmp_path / "slips", slow_bytes_per_s=100_000) as emulator:
        config = config_module.load(None, {"KIOSK_TERMINAL_DATA_DIR": str(tmp_path / "terminal"),
                                           "KIOSK_PRINTER_PORT": str(emulator.link)})
        store = Store.open(config.database_path)
        driver = ReceiptPrinter(str(emulator.link), "epson")
        try:
            rows = meter_rows(2)
            store.directory.import_rows(rows)
            queue_submissions(store, "kiosk-1", rows, 3)
            desk = SlipDesk(store, config, driver)
            assert paper_roll(config, store).model_dump() == {"length_m": 80.0, "used_m": 0.0, "slips": 0,
                                                              "loaded_at": None}
            for seq in (1, 2, 3):
                assert desk.print_slip(store.submissions.get(seq=seq), "ru").printed
            roll = paper_roll(config, store)
            used = sum(paper.slip_length_mm(desk.slip_for(store.submissions.get(seq=seq), "ru"), driver.profile)
                       for seq in (1, 2, 3))
            assert roll.slips == 3 and roll.used_m == pytest.approx(used / 1000, abs=1e-3)
            assert roll.length_m == 80.0
            done = subprocess.run([sys.executable, "-m", "kiosk", "service", "new-roll", "--length", "120"],
                                  env={**os.environ, "PYTHONPATH": str(ROOT),
                                       "KIOSK_TERMINAL_DATA_DIR": str(config.data_dir)},
                                  capture_output=True, text=True, cwd="/", timeout=60)
            assert done.returncode == 0, done.stderr
            assert json.loads(done.stdout)["length_m"] == 120.0
            roll = paper_roll(config, store)
            assert (roll.length_m, roll.used_m, roll.slips) == (120.0, 0.0, 0) and roll.loaded_at is not None
            assert store.events.recent(1)[0].kind == "paper_loaded"
        finally:
            driver.close()
            store.close()


def test_the_service_printer_page_shows_the_roll_and_its_new_roll_action_starts_again(tmp_path: Path) -> None:
    from kiosk.service.access import TECHNICIAN
    from kiosk.service.desk import ServiceDesk
    from kiosk.wiring import assemble

    with PrinterEmulator("custom-vkp80", out=tmp_path / "slips", slow_bytes_per_s=100_000) as emulator:
        config = config_module.load(None, {"KIOSK_TERMINAL_DATA_DIR": str(tmp_path / "terminal"),
                                           "KIOSK_PRINTER_PORT": str(emulator.link),
                                           "KIOSK_PRINTER_PROFILE": "custom-vkp80"})
        terminal = assemble(config)
        try:
            terminal.store.paper.count(2500.0, default_length_mm=150_000)
            desk = ServiceDesk(terminal)
            rows = dict(desk.page("printer", TECHNICIAN, "ru").rows)
            assert rows["Рулон бумаги"] == "осталось 147,5 м из 150 м; чеков на нём: 1"
            assert desk.act("test_slip", terminal.service.session(TECHNICIAN), "ru").ok
            roll = paper_roll(config, terminal.store)
            assert roll.slips == 2 and 2.55 < roll.used_m < 2.75  # the test slip's paper counted too
            done = desk.act("new_roll", terminal.service.session(TECHNICIAN), "ru")
            assert done.ok and done.message == "Новый рулон на 150 м: расход бумаги считается с нуля."
            assert paper_roll(config, terminal.store).used_m == 0
            event = terminal.store.events.recent(1)[0]
            assert (event.kind, event.role, event.detail["length_m"]) == ("service_new_roll", TECHNICIAN, 150)
        finally:
            terminal.close()
