"""Each storage fault named for what it is, on a real small file system: a full disk, a read-only
one, a folder the user may not write, a database another program holds, and real damage. The
service screen's storage page and `kiosk status` say the same words; only damage says "damaged".
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from kiosk import config as config_module
from kiosk.service.health import RED, check_from_config
from kiosk.service.access import TECHNICIAN
from kiosk.service.desk import ServiceDesk
from kiosk.wiring import Terminal, assemble
from tests.filesystems import NOBODY, SmallDisk, damage, held_by_another_program, small_disk, without_root_rights
from tests.test_service_desk import directory_rows

FAULTS = ("full", "read_only", "locked", "damaged")
# The first words of each fault's reason, as `kiosk status` prints it.
WORDS = {
    "full": "disk full: ",
    "read_only": "the disk is read-only",
    "permission": "permission denied: ",
    "locked": "database locked by another program",
    "damaged": "database damaged: ",
}


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[SmallDisk]:
    with small_disk(tmp_path / "disk", size="16m") as mounted:
        yield mounted


def config_on(disk: SmallDisk) -> config_module.Config:
    return config_module.load(None, {"KIOSK_TERMINAL_DATA_DIR": str(disk.folder / "kiosk")})


def kiosk_status(config: config_module.Config, *, wrap=lambda command: command) -> tuple[int, dict, str]:  # type: ignore[no-untyped-def]
    env = {**os.environ, "KIOSK_TERMINAL_DATA_DIR": str(config.data_dir)}
    env.pop("KIOSK_CONFIG", None)
    done = subprocess.run(wrap([sys.executable, "-m", "kiosk", "status"]), capture_output=True, text=True,
                          env=env, timeout=60, cwd="/")
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout), done.stderr


def storage_of(document: dict) -> dict:
    return next(s for s in document["subsystems"] if s["subsystem"] == "storage")


@contextlib.contextmanager
def fault(name: str, disk: SmallDisk, terminal: Terminal) -> Iterator[None]:
    """The terminal's disk or database with the fault ``name``, undone afterwards so the disk
    can be unmounted."""
    config = terminal.config
    terminal.store.engine.dispose()  # no open file: the kernel may remount, the test may damage
    if name == "full":
        disk.fill(config.data_dir / "backups" / "kiosk-old.sqlite3")
        yield
        (config.data_dir / "backups" / "kiosk-old.sqlite3").unlink()
    elif name == "read_only":
        disk.remount("ro")
        try:
            yield
        finally:
            terminal.store.engine.dispose()
            disk.remount("rw")
    elif name == "locked":
        with held_by_another_program(config.database_path):
            yield
    elif name == "damaged":
        damage(config.database_path)
        yield
    terminal.store.engine.dispose()


@pytest.mark.parametrize("name", FAULTS)
def test_each_fault_is_named_alike_on_the_screen_and_in_kiosk_status(disk: SmallDisk, name: str) -> None:
    config = config_on(disk)
    terminal = assemble(config)
    try:
        terminal.store.directory.import_rows(directory_rows(50))
        desk = ServiceDesk(terminal)
        with fault(name, disk, terminal):
            code, document, stderr = kiosk_status(config)
            line = storage_of(document)
            page = desk.page("storage", TECHNICIAN, "en")
            page_ru = desk.page("storage", TECHNICIAN, "ru")
            in_process = {h.subsystem: h for h in check_from_config(config)}["storage"]
    finally:
        terminal.close()
    assert code == 2 and line["level"] == RED and line["facts"]["fault"] == name
    assert line["reason"].startswith(WORDS[name]), line["reason"]
    assert f"storage: red: {line['reason']}" in stderr
    assert (page.level, page.reason) == (RED, line["reason"]) == (in_process.level, in_process.reason)
    assert page_ru.reason == in_process.text("ru") != in_process.reason  # said in Russian too
    # Only real damage says so: anything else must not send a technician to the backups.
    damaged = ("damaged" in line["reason"], "поврежд" in page_ru.reason)
    assert damaged == ((True, True) if name == "damaged" else (False, False)), (line["reason"], page_ru.reason)


def test_a_full_disk_says_how_much_is_free_and_what_fills_it(disk: SmallDisk) -> None:
    config = config_on(disk)
    terminal = assemble(config)
    try:
        terminal.store.directory.import_rows(directory_rows(50))
        desk = ServiceDesk(terminal)
        with fault("full", disk, terminal):
            assert disk.free_bytes() == 0
            storage = {h.subsystem: h for h in check_from_config(config)}["storage"]
            rows = dict(desk.page("storage", TECHNICIAN, "en").rows)
    finally:
        terminal.close()
    assert storage.reason.startswith("disk full: 0.0 MB free, most taken by backups (1")
    assert storage.text("ru").startswith("диск заполнен: свободно 0.0 МБ, больше всего занимают резервные копии")
    usage = storage.facts["usage"]
    assert usage["backups"] > 10 * 2**20 and usage["database"] > 0
    assert storage.facts["free_bytes"] == 0
    assert rows["Free disk"] == "0.0 MB" and rows["Taking the space"].startswith("backups 16 MB, the database 0.")


def test_nothing_is_lost_once_room_is_made(disk: SmallDisk) -> None:
    config = config_on(disk)
    terminal = assemble(config)
    try:
        terminal.store.directory.import_rows(directory_rows(50))
        with fault("full", disk, terminal):
            pass
        storage = {h.subsystem: h for h in check_from_config(config)}["storage"]
    finally:
        terminal.close()
    # 16 MB free is little, and said so, but nothing is at fault and nothing was lost.
    assert "fault" not in storage.facts and storage.facts["integrity"] == "ok"
    assert storage.reason.startswith("disk almost full: 16 MB free")


def test_a_folder_the_user_may_not_write_is_permission_denied(disk: SmallDisk) -> None:
    config = config_on(disk)
    terminal = assemble(config)
    terminal.store.directory.import_rows(directory_rows(5))
    terminal.close()
    # The data folder belongs to another user (say, after a restore done as root for another
    # account); this one may read, not write.
    for path in (config.data_dir, *config.data_dir.iterdir()):
        os.chown(path, NOBODY, NOBODY)
    code, document, _stderr = kiosk_status(config, wrap=without_root_rights)
    line = storage_of(document)
    assert code == 2 and line["facts"]["fault"] == "permission"
    assert line["reason"].startswith(f"permission denied: user root may not write {config.data_dir}")
    assert "damaged" not in line["reason"]
