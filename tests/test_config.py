"""Configuration: defaults, the TOML file, environment overrides, and clear refusals."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from kiosk.config import Config, ConfigError, load

EXAMPLE = Path(__file__).resolve().parent.parent / "deploy" / "kiosk.example.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file() -> None:
    config = load(None, {})
    assert config.terminal.language == "ru"
    assert config.printer.baud == 9600
    assert config.office.batch_size == 100
    assert config.data_dir.is_absolute()


def test_the_example_documents_every_key_with_its_default() -> None:
    documented = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    defaults = Config().model_dump()
    assert documented.keys() == defaults.keys()
    for section, keys in defaults.items():
        assert documented[section].keys() == keys.keys(), section
        for key, value in keys.items():
            if (section, key) == ("terminal", "data_dir"):
                assert documented[section][key] == "/var/lib/kiosk"
            elif (section, key) == ("terminal", "runtime_dir"):
                assert (value, documented[section][key]) == ("", "/run/kiosk")
            else:
                assert documented[section][key] == value, f"[{section}] {key}"
    load(EXAMPLE, {})  # and it loads


def test_file_values_are_used(tmp_path: Path) -> None:
    path = write(tmp_path, '[printer]\nport = "/dev/ttyUSB0"\nbaud = 19200\nflow_control = "rtscts"\n')
    config = load(path, {})
    assert (config.printer.port, config.printer.baud, config.printer.flow_control) == ("/dev/ttyUSB0", 19200, "rtscts")


def test_kiosk_config_variable_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[terminal]\nid = "office-7"\n')
    assert load(None, {"KIOSK_CONFIG": str(path)}).terminal.id == "office-7"


def test_environment_wins_over_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[printer]\nbaud = 19200\n")
    environ = {"KIOSK_PRINTER_BAUD": "115200", "KIOSK_TERMINAL_DATA_DIR": str(tmp_path / "d"),
               "KIOSK_RULES_UNUSUAL_FACTOR": "4.5", "KIOSK_TERMINAL_ID": "1234"}
    config = load(path, environ)
    assert config.printer.baud == 115200
    assert config.data_dir == tmp_path / "d"
    assert config.rules.unusual_factor == 4.5
    assert config.terminal.id == "1234"  # digits stay a string where the key is a string


def test_other_programs_variables_are_left_alone() -> None:
    assert load(None, {"KIOSK_HOME_THING": "x", "KIVY_NO_ARGS": "1"}).terminal.id == "kiosk-1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[printer]\nprofle = "epson"\n', "[printer] profle: unknown key"),
        ('[printers]\nport = "x"\n', "[printers]: unknown section"),
        ('[printer]\nbaud = "fast"\n', "[printer] baud"),
        ("[printer]\nbaud = 1200\n", "[printer] baud"),
        ('[office]\nbatch_size = "100"\n', "[office] batch_size"),
        ("[office]\nbatch_size = 0\n", "[office] batch_size"),
        ('[terminal]\nlanguage = "de"\n', "[terminal] language"),
        ('[terminal]\nid = "kiosk 1"\n', "[terminal] id"),
        ("[rules]\nwindow_start = 40\n", "[rules] window_start"),
        ("[rules]\naccount_min_digits = 13\n", "account_min_digits is greater"),
        ("[rules]\nunusual_factor = true\n", "[rules] unusual_factor"),
        ("printer = 5\n", "[printer]"),
        ("[printer\n", "not valid TOML"),
    ],
)
def test_bad_files_name_the_key(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load(path, {})
    assert expected in str(caught.value)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"KIOSK_PRINTER_BAUD": "fast"}, "KIOSK_PRINTER_BAUD"),
        ({"KIOSK_PRINTER_SPEED": "9600"}, "KIOSK_PRINTER_SPEED: [printer] has no key 'speed'"),
        ({"KIOSK_OFFICE_BATCH_SIZE": "-1"}, "KIOSK_OFFICE_BATCH_SIZE"),
        ({"KIOSK_TERMINAL_LANGUAGE": "fr"}, "KIOSK_TERMINAL_LANGUAGE"),
    ],
)
def test_bad_variables_name_the_variable(environ: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(None, environ)
    assert expected in str(caught.value)


def test_missing_and_unreadable_files_name_the_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found: .*nowhere.toml"):
        load(tmp_path / "nowhere.toml", {})
    with pytest.raises(ConfigError, match="is a directory"):
        load(tmp_path, {})
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe[terminal]")
    with pytest.raises(ConfigError, match=str(binary)):
        load(binary, {})


def test_every_key_can_be_set_from_the_environment() -> None:
    defaults = Config().model_dump()
    for section, keys in defaults.items():
        for key, value in keys.items():
            variable = f"KIOSK_{section}_{key}".upper()
            assert getattr(getattr(load(None, {variable: str(value)}), section), key) == value, variable
