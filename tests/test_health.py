"""Health of each subsystem on real parts: the demo terminal (emulated printer and scanner over
ptys, a local office over loopback), real store files, and sockets that never answer."""

from __future__ import annotations

import io
import socket
import time
from pathlib import Path
from typing import Iterator

import pytest

from devices.emulators import PrinterEmulator
from kiosk import config as config_module
from kiosk.demo import DemoTerminal, demo_terminal
from sync.directory_file import read_directory
from kiosk.service.health import GREEN, RED, YELLOW, Health, check_all, check_from_config, overall
from kiosk.service.live_status import LiveStatusWriter
from kiosk.network_probe import BUDGET_S
from kiosk.release import package_version
from kiosk.service.access import ServiceAccess
from kiosk.store import Store
from tests.devices.conftest import wait_for
from sync.client import OfficeClient, OfficeSettings
from sync.directory_pull import DirectoryPuller
from sync.office.directory import import_rows
from tests.support import directory_text


def by_name(healths: list[Health]) -> dict[str, Health]:
    return {h.subsystem: h for h in healths}


def make_config(tmp_path: Path, **variables: str) -> config_module.Config:
    return config_module.load(None, {"KIOSK_TERMINAL_DATA_DIR": str(tmp_path / "data"), **variables})


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoTerminal]:
    with demo_terminal(tmp_path_factory.mktemp("demo")) as running:
        yield running


def test_a_working_terminal_is_green(demo: DemoTerminal) -> None:
    assert wait_for(lambda: demo.terminal.printer_watch.refresh().ok, timeout=5)
    assert demo.terminal.scanner.wait_connected(5)
    healths = check_all(demo.terminal)
    assert [h.subsystem for h in healths] == ["printer", "scanner", "upload", "directory", "network", "storage", "clock"]
    assert {h.subsystem: h.level for h in healths if h.level != GREEN} == {}
    for h in healths:  # Russian on the screens, the same English words as the JSON otherwise
        assert h.text("en") == h.reason and h.text("ru") != h.reason and h.text() == h.text("ru"), h
    assert by_name(healths)["printer"].text() == "готов"
    assert by_name(healths)["clock"].text() == "совпадают с часами офиса"
    network = by_name(healths)["network"].facts
    assert network["reachable"] and network["latency_s"] < 1 and network["tls_verified"] is None
    assert by_name(healths)["storage"].facts["integrity"] == "ok"


@pytest.mark.parametrize(("fault", "level", "reason", "russian"), [
    ("paper_near_end", YELLOW, "paper near end", "бумага заканчивается"),
    ("paper_out", RED, "paper out", "нет бумаги"),
    ("cover_open", RED, "cover open", "крышка открыта"),
    ("offline", RED, "printer offline", "принтер не в сети"),
    ("no_answer", RED, "printer not answering", "принтер не отвечает"),
    ("garbage", RED, "printer answers garbage", "принтер отвечает искажёнными данными"),
    ("unplugged", RED, "printer disconnected", "принтер отключён"),
])
def test_each_printer_fault_has_its_level_and_reason(demo: DemoTerminal, fault: str, level: str, reason: str,
                                                     russian: str) -> None:
    watch = demo.terminal.printer_watch
    demo.printer.set_fault(fault)
    try:
        watch.refresh()
        printer = by_name(check_all(demo.terminal))["printer"]
        assert (printer.level, printer.reason, printer.text("ru")) == (level, reason, russian)
    finally:
        demo.printer.clear_fault()
    assert wait_for(lambda: watch.refresh().ok, timeout=5)


def test_kiosk_status_reads_the_running_app_without_touching_its_ports(demo: DemoTerminal) -> None:
    writer = LiveStatusWriter(demo.terminal)
    demo.printer.set_fault("paper_out")
    try:
        demo.terminal.printer_watch.refresh()
        writer.write_now()
        asked_before = demo.printer.bytes_received
        printer = by_name(check_from_config(demo.terminal.config))["printer"]
        assert (printer.level, printer.reason) == (RED, "paper out")
        assert printer.facts["source"].startswith("app")
        assert demo.printer.bytes_received == asked_before  # the app's port was left alone
    finally:
        demo.printer.clear_fault()
        writer.stop()


def test_the_live_status_lives_in_the_runtime_dir(demo: DemoTerminal, tmp_path: Path) -> None:
    runtime = tmp_path / "run/kiosk"  # made by the writer when systemd has not made it
    terminal = demo.terminal
    before = terminal.config
    config = before.model_copy(update={"terminal": before.terminal.model_copy(update={"runtime_dir": str(runtime)})})
    terminal.config = config
    writer = LiveStatusWriter(terminal)
    try:
        writer.write_now()
        assert [path.name for path in runtime.iterdir()] == ["live-status.json"]
        assert not (config.data_dir / "live-status.json").exists()
        printer = by_name(check_from_config(config))["printer"]
        assert printer.facts["source"].startswith("app")  # kiosk status finds it there
    finally:
        writer.stop()
        terminal.config = before
    assert list(runtime.iterdir()) == []  # no file: no app running


def test_without_a_running_app_the_printer_is_asked_directly(tmp_path: Path) -> None:
    with PrinterEmulator("epson", directory=tmp_path / "printer") as printer:
        printer.set_fault("cover_open")
        config = make_config(tmp_path, KIOSK_PRINTER_PORT=str(printer.link))
        health = by_name(check_from_config(config))["printer"]
    assert (health.level, health.reason, health.facts["source"]) == (RED, "cover open", "asked directly")


def test_a_silent_office_is_network_red_within_the_bound(tmp_path: Path, seeded_store: Store) -> None:
    with socket.socket() as silent:  # accepts connections into its backlog, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        config = make_config(tmp_path, KIOSK_OFFICE_URL=f"http://127.0.0.1:{silent.getsockname()[1]}",
                             KIOSK_OFFICE_SECRET="x")
        started = time.monotonic()
        healths = by_name(check_from_config(config))
        elapsed = time.monotonic() - started
    assert elapsed < BUDGET_S + 1.0
    assert healths["network"].level == RED and "not answering" in healths["network"].reason
    assert healths["network"].text("ru") in (f"офис не ответил за {s:g} с" for s in (BUDGET_S, 2.0))
    assert healths["network"].facts["reachable"] is False
    assert healths["clock"].reason == "set (not compared with the office)"
    assert healths["clock"].text("ru") == "установлены (с офисом не сверены)"


def test_a_damaged_database_is_storage_red(kiosk_config: config_module.Config, seeded_store: Store) -> None:
    seeded_store.close()  # checkpointed: every page is in the main file now
    path = kiosk_config.database_path
    with path.open("r+b") as database:
        database.seek(path.stat().st_size // 2)
        database.write(b"\xde\xad\xbe\xef" * 4096)
    storage = by_name(check_from_config(kiosk_config))["storage"]
    assert storage.level == RED and storage.reason.startswith("database damaged: readings cannot be stored. ")
    assert storage.text("ru").startswith("база данных повреждена: показания не сохранить. ")
    assert storage.facts["fault"] == "damaged" and storage.facts.get("integrity") != "ok"


def test_no_database_is_storage_red_and_is_not_created(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    healths = by_name(check_from_config(config))
    assert healths["storage"].level == RED and healths["storage"].reason.startswith("no database")
    assert not config.database_path.exists()


def test_an_empty_directory_is_red_and_no_office_is_yellow(kiosk_config: config_module.Config, store: Store) -> None:
    healths = by_name(check_from_config(kiosk_config))
    assert healths["directory"].level == RED
    assert (healths["network"].level, healths["upload"].level) == (YELLOW, YELLOW)
    assert (healths["printer"].level, healths["scanner"].level) == (GREEN, GREEN)
    store.directory.import_rows(read_directory(io.StringIO(directory_text(10))))
    assert overall(check_from_config(kiosk_config)) == YELLOW


def test_a_system_out_of_service_shows_on_storage(kiosk_config: config_module.Config, seeded_store: Store) -> None:
    ServiceAccess(seeded_store, kiosk_config.service).storage_failed(OSError(28, "No space left on device"))
    storage = by_name(check_from_config(kiosk_config))["storage"]
    assert storage.level == RED and "No space left on device" in storage.reason
    assert storage.text("ru").startswith("показания не сохраняются: ") and "No space left" in storage.text("ru")


def test_a_directory_behind_the_office_is_yellow_until_pulled(demo: DemoTerminal) -> None:
    import_rows(demo.office.engine, list(read_directory(io.StringIO(directory_text(1)))))
    directory = by_name(check_all(demo.terminal))["directory"]
    assert directory.level == YELLOW and directory.reason.startswith("the office has a newer directory")
    assert directory.text("ru").startswith("в офисе справочник новее (версия ")
    client = OfficeClient(OfficeSettings.from_config(demo.terminal.config))
    DirectoryPuller(demo.terminal.store.directory, client).pull()
    client.close()
    assert by_name(check_all(demo.terminal))["directory"].level == GREEN


def test_a_reason_made_elsewhere_is_translated_when_its_words_are_known() -> None:
    # A Health built from plain words (a screenshot's sample, an older caller) still shows in Russian.
    assert Health("printer", RED, "paper out").text("ru") == "нет бумаги"
    assert Health("printer", RED, "words nobody translated").text("ru") == "words nobody translated"


def test_durations_and_sizes_read_in_both_languages() -> None:
    from kiosk.service.health import duration, megabytes

    assert [duration(s).text("ru") for s in (5, 600, 7200 + 1, 3 * 86400)] == ["5 с", "10 мин", "2 ч", "3 дн."]
    assert [duration(s).english for s in (5, 600, 7200 + 1, 3 * 86400)] == ["5 s", "10 min", "2 h", "3 days"]
    assert (megabytes(3 * 2**19).text("ru"), megabytes(700 * 2**20).english) == ("1.5 МБ", "700 MB")


def test_the_heartbeat_names_the_installed_release(demo: DemoTerminal) -> None:
    assert demo.terminal.heartbeat().app_version == package_version() != "unknown"
